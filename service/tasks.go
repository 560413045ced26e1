package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.temporal.io/sdk/temporal"

	"occonnect/domain"
	"occonnect/store"
	"occonnect/workflows"
)

// Tasks are the officers' work: listing the tasks of their queues, reading one with its
// subject (a complaint or a DTS request), and claiming, releasing, completing and
// reassigning it. Each action is an Update of the workflow that owns the task, which
// decides; the read model shows the result.
type Tasks struct {
	store      *store.Store
	clock      clock
	wf         workflowClient
	complaints *Complaints
	audit      *Audit
}

// TaskQuery filters the task list, as the caller sent it: State (open, claimed, done;
// "" for open and claimed), Kind (complaint, dts), Category (of complaints),
// EscalationLevel (0 to 2), Queue (officers, supervisors, head_of_unit, or escalated: the
// queues above the officers'), Assignee (me: the caller's own tasks, in any queue),
// Overdue (true|false).
type TaskQuery struct {
	State, Kind, Category, EscalationLevel, Queue, Assignee, Overdue string
	Page                                                             PageRequest
}

// List lists the tasks of the staff member's queues (or assigned to them), by due time.
func (t *Tasks) List(ctx context.Context, p *Principal, q TaskQuery) (Page[store.Task], error) {
	var v fieldErrors
	limit, cursor := q.Page.parse(&v)
	f := store.TaskFilter{Limit: limit + 1, Queues: p.Role().Queues()}
	switch q.State {
	case "":
		f.States = []domain.TaskState{domain.TaskOpen, domain.TaskClaimed}
	case "open":
		f.States = []domain.TaskState{domain.TaskOpen}
	case "claimed":
		f.States = []domain.TaskState{domain.TaskClaimed}
	case "done":
		f.States = []domain.TaskState{domain.TaskDone, domain.TaskCancelled}
	default:
		v.add("state", "invalid")
	}
	switch k := domain.TaskKind(q.Kind); k {
	case "", domain.TaskDTS, domain.TaskComplaint:
		f.Kind = k
	default:
		v.add("kind", "invalid")
	}
	if q.Category != "" {
		if !domain.ValidComplaintCategory(q.Category) {
			v.add("category", "invalid")
		}
		f.Category = q.Category
	}
	if q.EscalationLevel != "" {
		level := intParam("escalation_level", q.EscalationLevel, 0, 2, 0, &v)
		f.EscalationLevel = &level
	}
	switch queue := domain.Queue(q.Queue); queue {
	case "":
	case "escalated": // every queue above the officers'
		f.Queues = slices.DeleteFunc(f.Queues, func(q domain.Queue) bool { return q == domain.QueueOfficers })
	case domain.QueueOfficers, domain.QueueSupervisors, domain.QueueHeadOfUnit:
		if !slices.Contains(f.Queues, queue) {
			v.add("queue", "invalid")
		}
		f.Queues = []domain.Queue{queue}
	default:
		v.add("queue", "invalid")
	}
	switch q.Assignee {
	case "":
	case "me":
		f.AssigneeID, f.Queues = p.ID, nil // your own tasks, in whatever queue
	default:
		v.add("assignee", "invalid")
	}
	if boolParam("overdue", q.Overdue, &v) {
		now := t.clock.now()
		f.Overdue = &now
	}
	if cursor != "" {
		due, id, ok := strings.Cut(cursor, "|")
		at, err := time.Parse(time.RFC3339Nano, due)
		if !ok || err != nil || id == "" {
			v.add("cursor", "invalid")
		}
		f.AfterDue, f.AfterID = at, id
	}
	if err := v.err(); err != nil {
		return Page[store.Task]{}, err
	}
	if len(f.Queues) == 0 && f.AssigneeID == 0 {
		return Page[store.Task]{Items: []store.Task{}}, nil // no queue left (an officer asking for the escalated ones)
	}
	tasks, err := t.store.Tasks(ctx, f)
	if err != nil {
		return Page[store.Task]{}, err
	}
	return pageOf(tasks, limit, func(x store.Task) string {
		return encodeCursor(x.DueAt.Format(time.RFC3339Nano), x.ID)
	}), nil
}

// visible reads a task in the staff member's queues or assigned to them (NotFound
// otherwise).
func (t *Tasks) visible(ctx context.Context, p *Principal, id string) (store.Task, error) {
	x, err := t.store.TaskByID(ctx, id)
	if err != nil {
		return x, err
	}
	if !slices.Contains(p.Role().Queues(), x.Queue) && !(x.AssigneeStaffID.Valid && x.AssigneeStaffID.Int64 == p.ID) {
		return x, refuse(NotFound)
	}
	return x, nil
}

// Task is a task with its subject and its history.
type Task struct {
	store.Task
	// Complaint is the subject of a complaint task (the officers' view), DTS that of a DTS
	// task with its Citizen.
	Complaint *Complaint
	DTS       *store.DTSRequest
	Citizen   *store.Citizen
	Events    []store.TaskEvent
}

// Get reads a task the staff member may see, with its subject and its history.
func (t *Tasks) Get(ctx context.Context, p *Principal, id string) (Task, error) {
	x, err := t.visible(ctx, p, id)
	if err != nil {
		return Task{}, err
	}
	out := Task{Task: x}
	switch x.Kind {
	case domain.TaskComplaint:
		if err := t.audit.read(ctx, p, auditComplaint, x.SubjectID); err != nil {
			return out, err
		}
		c, err := t.complaints.forStaff(ctx, x.SubjectID) // the task is visible: so is its subject
		if err != nil {
			return out, err
		}
		out.Complaint = &c
	case domain.TaskDTS:
		if err := t.audit.read(ctx, p, auditDTSRequest, x.SubjectID); err != nil {
			return out, err
		}
		d, err := t.store.DTSRequestByID(ctx, x.SubjectID)
		if err != nil {
			return out, err
		}
		c, err := t.store.CitizenByID(ctx, d.CitizenID)
		if err != nil {
			return out, err
		}
		out.DTS, out.Citizen = &d, &c
	}
	if out.Events, err = t.store.TaskEvents(ctx, x.ID); err != nil {
		return out, err
	}
	if out.Events == nil {
		out.Events = []store.TaskEvent{}
	}
	return out, nil
}

// Subjects are the complaints and DTS requests a page of tasks is about.
type Subjects struct {
	Complaints map[string]store.Complaint
	DTS        map[string]store.DTSRequest
}

// Subjects reads the subjects of tasks in one query per kind (not one per task).
func (t *Tasks) Subjects(ctx context.Context, tasks []store.Task) (Subjects, error) {
	var refs, ids []string
	for _, x := range tasks {
		switch x.Kind {
		case domain.TaskComplaint:
			refs = append(refs, x.SubjectID)
		case domain.TaskDTS:
			ids = append(ids, x.SubjectID)
		}
	}
	var s Subjects
	var err error
	if s.Complaints, err = t.store.ComplaintsByReferences(ctx, refs); err != nil {
		return s, err
	}
	s.DTS, err = t.store.DTSRequestsByIDs(ctx, ids)
	return s, err
}

// Worker is a staff member who works tasks.
type Worker struct {
	ID    int64
	Email string
	Role  domain.Role
}

// Workers lists the enabled officers, supervisors and head of unit (whom a task can be
// given to), lowest level first.
func (t *Tasks) Workers(ctx context.Context) ([]Worker, error) {
	var out []Worker
	for _, role := range domain.TaskRoles {
		list, err := t.store.StaffByRole(ctx, role)
		if err != nil {
			return nil, err
		}
		for _, c := range list {
			out = append(out, Worker{ID: c.ID, Email: c.Email, Role: role})
		}
	}
	return out, nil
}

// Done is a task after an action, with the Update's result (the subject's status, the
// supplement of an approval).
type Done struct {
	Task   store.Task
	Result workflows.TaskResult
}

func actor(p *Principal) workflows.TaskActor {
	return workflows.TaskActor{StaffID: p.ID, Role: p.Role()}
}

// act sends a task Update (built by arg from the task) to the workflow that owns the task;
// a refusal by its validator maps to a refusal. key is the request's Idempotency-Key (""
// none): the Update ID derives from it, so that a retry joins the first action's outcome,
// even once that action has closed the task.
func (t *Tasks) act(ctx context.Context, p *Principal, id, name, key string, arg func(x store.Task) (any, error)) (Done, error) {
	x, err := t.visible(ctx, p, id)
	if err != nil {
		return Done{}, err
	}
	closed := !x.State.Open()
	if closed && key == "" {
		return Done{}, refuse(TaskClosed)
	}
	req, err := arg(x)
	if err != nil {
		return Done{}, err
	}
	var res workflows.TaskResult
	updateID := retryUpdateID(name, x.ID, p, key)
	// The task row is written by an activity; for a moment after it, the workflow has not
	// yet taken in that activity's result and refuses the task as unknown. The row says it
	// exists: retry briefly before answering NotFound.
	for wait := 50 * time.Millisecond; ; wait *= 2 {
		err = t.wf.update(ctx, x.WorkflowID, updateID, name, &res, req)
		var appErr *temporal.ApplicationError
		if err == nil || !errors.As(err, &appErr) || appErr.Type() != workflows.ErrTaskUnknown || wait > 800*time.Millisecond {
			break
		}
		select {
		case <-ctx.Done():
			return Done{}, ctx.Err()
		case <-time.After(wait):
		}
	}
	if err != nil {
		if closed && !temporalDown(err) {
			return Done{}, refuse(TaskClosed) // not a retry of the action that closed it
		}
		return Done{}, workflowRefusal(err)
	}
	if x, err = t.store.TaskByID(ctx, x.ID); err != nil {
		return Done{}, err
	}
	return Done{Task: x, Result: res}, nil
}

// Claim claims a task for the caller: the first claim wins (TaskAlreadyClaimed). key is
// the request's Idempotency-Key ("" none), as for every task action: see act.
func (t *Tasks) Claim(ctx context.Context, p *Principal, id, key string) (Done, error) {
	return t.act(ctx, p, id, workflows.UpdateClaimTask, key, func(x store.Task) (any, error) {
		return workflows.ClaimTaskRequest{TaskID: x.ID, Actor: actor(p)}, nil
	})
}

// Release gives a claimed task back to its queue (its assignee only).
func (t *Tasks) Release(ctx context.Context, p *Principal, id, key string) (Done, error) {
	return t.act(ctx, p, id, workflows.UpdateReleaseTask, key, func(x store.Task) (any, error) {
		return workflows.ReleaseTaskRequest{TaskID: x.ID, Actor: actor(p)}, nil
	})
}

// Completion is an outcome with the officer's text. IdempotencyKey, when set, makes a
// retried complaint text one draft and the retried action join the first one (see act).
type Completion struct {
	Outcome, Comment, IdempotencyKey string
}

// complaintMessageKinds: the conversation kind of an officer's text per outcome.
var complaintMessageKinds = map[string]string{
	domain.OutcomeResolve: "response", domain.OutcomeRequestInfo: "question", domain.OutcomeReject: "rejection",
}

// Complete completes a claimed task (its assignee only). A complaint's text is stored as
// a draft first and the workflow publishes it, so it never enters the history; it is
// required for every complaint outcome, and for the rejection of a DTS request.
func (t *Tasks) Complete(ctx context.Context, p *Principal, id string, in Completion) (Done, error) {
	in.Comment = strings.TrimSpace(in.Comment)
	var v fieldErrors
	if in.Outcome == "" {
		v.add("outcome", "required")
	}
	if utf8.RuneCountInString(in.Comment) > MaxComplaintText {
		v.add("comment", "too_long")
	}
	if err := v.err(); err != nil {
		return Done{}, err
	}
	return t.act(ctx, p, id, workflows.UpdateCompleteTask, in.IdempotencyKey, func(x store.Task) (any, error) {
		req := workflows.CompleteTaskRequest{TaskID: x.ID, Actor: actor(p), Outcome: in.Outcome, Comment: in.Comment}
		kind, isText := complaintMessageKinds[in.Outcome]
		switch {
		case in.Comment != "":
		case x.Kind == domain.TaskComplaint && isText, x.Kind == domain.TaskDTS && in.Outcome == domain.OutcomeReject:
			return nil, invalidField("comment", "required")
		}
		if x.Kind == domain.TaskComplaint {
			if isText && in.Comment != "" {
				var err error
				if req.MessageID, err = t.complaints.draft(ctx, in.IdempotencyKey, x.SubjectID, string(p.Role()), p.ID, kind, in.Comment); err != nil {
					return nil, err
				}
			}
			req.Comment = ""
		}
		return req, nil
	})
}

// Reassign gives a task to a staff member who works tasks (supervisors and the head of
// unit); the workflow checks the caller's right over the task's queue.
func (t *Tasks) Reassign(ctx context.Context, p *Principal, id string, assigneeID int64, key string) (Done, error) {
	if !p.Role().Reassigns() {
		return Done{}, refuse(Forbidden)
	}
	if assigneeID <= 0 {
		return Done{}, invalidField("assignee_staff_id", "required")
	}
	to, err := t.store.StaffByID(ctx, assigneeID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (to.Disabled || !to.Role.WorksTasks())) {
		return Done{}, invalidField("assignee_staff_id", "invalid")
	}
	if err != nil {
		return Done{}, fmt.Errorf("read the assignee: %w", err)
	}
	return t.act(ctx, p, id, workflows.UpdateReassignTask, key, func(x store.Task) (any, error) {
		return workflows.ReassignTaskRequest{TaskID: x.ID, Actor: actor(p), Assignee: workflows.TaskActor{StaffID: to.ID, Role: to.Role}}, nil
	})
}

// Now is the use cases' clock, for views that say whether a task is overdue.
func (t *Tasks) Now() time.Time { return t.clock.now() }
