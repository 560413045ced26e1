package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"occonnect/domain"
	"occonnect/store"
	"occonnect/workflows"
)

// workflowRefusal maps an Update refused by a workflow (its validator's error type) to the
// HTTP answer.
func workflowRefusal(err error) error {
	var appErr *temporal.ApplicationError
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &appErr):
		switch appErr.Type() {
		case workflows.ErrTaskAlreadyClaimed:
			return &apiError{status: http.StatusConflict, code: "task_already_claimed", cause: err}
		case workflows.ErrTaskNotAssignee:
			return &apiError{status: http.StatusForbidden, code: "not_assignee", cause: err}
		case workflows.ErrTaskForbidden:
			return &apiError{status: http.StatusForbidden, code: "forbidden", cause: err}
		case workflows.ErrTaskUnknown:
			return &apiError{status: http.StatusNotFound, code: "not_found", cause: err}
		case workflows.ErrInvalidOutcome:
			return &apiError{status: http.StatusBadRequest, code: "validation_failed", fields: []FieldError{fieldErr("outcome", "invalid")}, cause: err}
		case workflows.ErrTextRequired:
			return &apiError{status: http.StatusBadRequest, code: "validation_failed", fields: []FieldError{fieldErr("comment", "required")}, cause: err}
		case workflows.ErrInvalidAssignee:
			return &apiError{status: http.StatusBadRequest, code: "validation_failed", fields: []FieldError{fieldErr("assignee_staff_id", "invalid")}, cause: err}
		case workflows.ErrTaskClosed:
			return &apiError{status: http.StatusConflict, code: "task_closed", cause: err}
		}
		return &apiError{status: http.StatusConflict, code: "conflict", cause: err}
	case errors.As(err, &notFound):
		return &apiError{status: http.StatusConflict, code: "task_closed", cause: err}
	}
	return err
}

type taskJSON struct {
	ID              string           `json:"id"`
	Kind            domain.TaskKind  `json:"kind"`
	SubjectID       string           `json:"subject_id"`
	State           domain.TaskState `json:"state"`
	Queue           domain.Queue     `json:"queue"`
	EscalationLevel int              `json:"escalation_level"`
	AssigneeStaffID *int64           `json:"assignee_staff_id"`
	AssignedToMe    bool             `json:"assigned_to_me"`
	DueAt           time.Time        `json:"due_at"`
	Overdue         bool             `json:"overdue"`
	CreatedAt       time.Time        `json:"created_at"`
	ClaimedAt       *time.Time       `json:"claimed_at,omitempty"`
	CompletedAt     *time.Time       `json:"completed_at,omitempty"`
	Outcome         *string          `json:"outcome,omitempty"`
	Comment         *string          `json:"comment,omitempty"`
}

func (s *Server) taskJSON(t store.Task, me int64) taskJSON {
	open := t.State == domain.TaskOpen || t.State == domain.TaskClaimed
	return taskJSON{ID: t.ID, Kind: t.Kind, SubjectID: t.SubjectID, State: t.State, Queue: t.Queue,
		EscalationLevel: t.EscalationLevel, AssigneeStaffID: int64Ptr(t.AssigneeStaffID),
		AssignedToMe: t.AssigneeStaffID.Valid && t.AssigneeStaffID.Int64 == me, DueAt: t.DueAt,
		Overdue: open && s.clock().After(t.DueAt), CreatedAt: t.CreatedAt, ClaimedAt: timePtr(t.ClaimedAt),
		CompletedAt: timePtr(t.CompletedAt), Outcome: optional(t.Outcome), Comment: optional(t.Comment)}
}

// listTasks: GET /tasks?state=open|claimed|done&kind=&assignee=me&overdue=true&category=
// &escalation_level=&queue=, by due time.
func (s *Server) listTasks(w http.ResponseWriter, r *http.Request) error {
	p := principalFrom(r.Context())
	tasks, limit, err := s.taskPage(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageItems(tasks, limit, taskCursor,
		func(t store.Task) taskJSON { return s.taskJSON(t, p.id) }))
	return nil
}

func taskCursor(t store.Task) *string { return encodeCursor(t.DueAt.Format(time.RFC3339Nano), t.ID) }

// taskPage is the task list service (GET /tasks and the console's list): the query's
// filters within the staff member's queues, up to limit+1 tasks by due time.
func (s *Server) taskPage(r *http.Request, p *principal) ([]store.Task, int, error) {
	q := r.URL.Query()
	var v validation
	limit, cursor := page(r, &v)
	f := store.TaskFilter{Limit: limit + 1, Queues: p.staff.Role.Queues()}
	switch q.Get("state") {
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
	switch k := domain.TaskKind(q.Get("kind")); k {
	case "", domain.TaskDTS, domain.TaskComplaint:
		f.Kind = k
	default:
		v.add("kind", "invalid")
	}
	if c := q.Get("category"); c != "" {
		if !domain.ValidComplaintCategory(c) {
			v.add("category", "invalid")
		}
		f.Category = c
	}
	if q.Get("escalation_level") != "" {
		level := intParam(r, "escalation_level", 0, 2, 0, &v)
		f.EscalationLevel = &level
	}
	switch queue := domain.Queue(q.Get("queue")); queue {
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
	switch q.Get("assignee") {
	case "":
	case "me":
		f.AssigneeID, f.Queues = p.id, nil // your own tasks, in whatever queue
	default:
		v.add("assignee", "invalid")
	}
	switch q.Get("overdue") {
	case "", "false":
	case "true":
		now := s.clock()
		f.Overdue = &now
	default:
		v.add("overdue", "invalid")
	}
	if cursor != "" {
		due, id, ok := strings.Cut(cursor, "|")
		t, err := time.Parse(time.RFC3339Nano, due)
		if !ok || err != nil || id == "" {
			v.add("cursor", "invalid")
		}
		f.AfterDue, f.AfterID = t, id
	}
	if err := v.err(); err != nil {
		return nil, 0, err
	}
	if len(f.Queues) == 0 && f.AssigneeID == 0 {
		return nil, limit, nil // no queue left to show (an officer asking for the escalated ones)
	}
	tasks, err := s.store.Tasks(r.Context(), f)
	return tasks, limit, err
}

// taskFor reads the route's task, if the caller may see it.
func (s *Server) taskFor(r *http.Request) (store.Task, error) {
	return s.visibleTask(r.Context(), principalFrom(r.Context()), mux.Vars(r)["id"])
}

// visibleTask reads a task in the staff member's queues or assigned to them (else 404).
func (s *Server) visibleTask(ctx context.Context, p *principal, id string) (store.Task, error) {
	t, err := s.store.TaskByID(ctx, id)
	if err != nil {
		return t, err
	}
	if !slices.Contains(p.staff.Role.Queues(), t.Queue) && !(t.AssigneeStaffID.Valid && t.AssigneeStaffID.Int64 == p.id) {
		return t, store.ErrNotFound
	}
	return t, nil
}

type taskEventJSON struct {
	Action  string    `json:"action"`
	StaffID *int64    `json:"staff_id"`
	Detail  *string   `json:"detail,omitempty"`
	At      time.Time `json:"at"`
}

type dtsSubjectJSON struct {
	dtsRequestJSON
	CitizenName string `json:"citizen_name"`
	CINMasked   string `json:"cin_masked"`
}

type taskDetailJSON struct {
	taskJSON
	Subject any             `json:"subject"`
	Events  []taskEventJSON `json:"events"`
}

// getTask: GET /tasks/{id}: the task, its subject and its audit trail.
func (s *Server) getTask(w http.ResponseWriter, r *http.Request) error {
	t, err := s.taskFor(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	out := taskDetailJSON{taskJSON: s.taskJSON(t, principalFrom(ctx).id), Events: []taskEventJSON{}}
	if t.Kind == "complaint" {
		c, err := s.store.ComplaintByReference(ctx, t.SubjectID)
		if err != nil {
			return err
		}
		cj, err := s.staffComplaintJSON(r, c)
		if err != nil {
			return err
		}
		out.Subject = cj
	}
	if t.Kind == "dts" {
		d, err := s.store.DTSRequestByID(ctx, t.SubjectID)
		if err != nil {
			return err
		}
		c, err := s.store.CitizenByID(ctx, d.CitizenID)
		if err != nil {
			return err
		}
		out.Subject = dtsSubjectJSON{dtsRequestJSON: dtsJSON(d, true), CitizenName: c.FirstName + " " + c.LastName, CINMasked: domain.MaskCIN(c.CIN)}
	}
	events, err := s.store.TaskEvents(ctx, t.ID)
	if err != nil {
		return err
	}
	for _, e := range events {
		out.Events = append(out.Events, taskEventJSON{Action: e.Action, StaffID: int64Ptr(e.StaffID), Detail: optional(e.Detail), At: e.At})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func actor(p *principal) workflows.TaskActor {
	return workflows.TaskActor{StaffID: p.id, Role: p.staff.Role}
}

// The task service: the JSON handlers below and the console's forms call these, so both
// check and refuse the same way. Each returns the task as the read model shows it after
// the workflow accepted the Update, with the Update's result.

// taskOutcome is a task after an action.
type taskOutcome struct {
	task   store.Task
	result workflows.TaskResult
}

// actOnTask sends a task Update (built by arg from the task) to the workflow that owns the
// task; a refusal by its validator maps to the HTTP answer.
func (s *Server) actOnTask(ctx context.Context, p *principal, id, name string, arg func(t store.Task) (any, error)) (taskOutcome, error) {
	t, err := s.visibleTask(ctx, p, id)
	if err != nil {
		return taskOutcome{}, err
	}
	if t.State == domain.TaskDone || t.State == domain.TaskCancelled {
		return taskOutcome{}, problem(http.StatusConflict, "task_closed")
	}
	req, err := arg(t)
	if err != nil {
		return taskOutcome{}, err
	}
	var res workflows.TaskResult
	// The task row is written by an activity; for a moment after it, the workflow has not
	// yet taken in that activity's result and refuses the task as unknown. The row says it
	// exists: retry briefly before answering 404.
	for wait := 50 * time.Millisecond; ; wait *= 2 {
		err = s.updateWorkflow(ctx, t.WorkflowID, name, &res, req)
		var appErr *temporal.ApplicationError
		if err == nil || !errors.As(err, &appErr) || appErr.Type() != workflows.ErrTaskUnknown || wait > 800*time.Millisecond {
			break
		}
		select {
		case <-ctx.Done():
			return taskOutcome{}, ctx.Err()
		case <-time.After(wait):
		}
	}
	if err != nil {
		return taskOutcome{}, workflowRefusal(err)
	}
	if t, err = s.store.TaskByID(ctx, t.ID); err != nil {
		return taskOutcome{}, err
	}
	return taskOutcome{task: t, result: res}, nil
}

// claimTaskAs claims a task: the first claim wins (409 task_already_claimed).
func (s *Server) claimTaskAs(ctx context.Context, p *principal, id string) (taskOutcome, error) {
	return s.actOnTask(ctx, p, id, workflows.UpdateClaimTask, func(t store.Task) (any, error) {
		return workflows.ClaimTaskRequest{TaskID: t.ID, Actor: actor(p)}, nil
	})
}

// releaseTaskAs gives a claimed task back to its queue (the assignee).
func (s *Server) releaseTaskAs(ctx context.Context, p *principal, id string) (taskOutcome, error) {
	return s.actOnTask(ctx, p, id, workflows.UpdateReleaseTask, func(t store.Task) (any, error) {
		return workflows.ReleaseTaskRequest{TaskID: t.ID, Actor: actor(p)}, nil
	})
}

// taskCompletion is an outcome with the officer's text. IdempotencyKey, when set, makes a
// retried complaint text one draft.
type taskCompletion struct {
	Outcome, Comment, IdempotencyKey string
}

// completeTaskAs completes a claimed task (the assignee). A complaint's text is stored as a
// draft first and the workflow publishes it, so it never enters the history; it is required
// for every complaint outcome, and for the rejection of a DTS request.
func (s *Server) completeTaskAs(ctx context.Context, p *principal, id string, in taskCompletion) (taskOutcome, error) {
	in.Comment = strings.TrimSpace(in.Comment)
	var v validation
	if in.Outcome == "" {
		v.add("outcome", "required")
	}
	if len([]rune(in.Comment)) > maxText {
		v.add("comment", "too_long")
	}
	if err := v.err(); err != nil {
		return taskOutcome{}, err
	}
	return s.actOnTask(ctx, p, id, workflows.UpdateCompleteTask, func(t store.Task) (any, error) {
		req := workflows.CompleteTaskRequest{TaskID: t.ID, Actor: actor(p), Outcome: in.Outcome, Comment: in.Comment}
		kind, isText := complaintMessageKinds[in.Outcome]
		switch {
		case in.Comment != "":
		case t.Kind == "complaint" && isText, t.Kind == "dts" && in.Outcome == domain.OutcomeReject:
			return nil, problem(http.StatusBadRequest, "validation_failed", fieldErr("comment", "required"))
		}
		if t.Kind == "complaint" {
			if isText && in.Comment != "" {
				var err error
				if req.MessageID, err = s.draft(ctx, in.IdempotencyKey, t.SubjectID, string(p.staff.Role), p.id, kind, in.Comment); err != nil {
					return nil, err
				}
			}
			req.Comment = ""
		}
		return req, nil
	})
}

// reassignTaskAs gives a task to a staff member who works tasks (supervisors and the head of
// unit); the workflow checks the actor's right over the task's queue.
func (s *Server) reassignTaskAs(ctx context.Context, p *principal, id string, assigneeID int64) (taskOutcome, error) {
	if assigneeID <= 0 {
		return taskOutcome{}, problem(http.StatusBadRequest, "validation_failed", fieldErr("assignee_staff_id", "required"))
	}
	to, err := s.store.StaffByID(ctx, assigneeID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (to.Disabled || !to.Role.WorksTasks())) {
		return taskOutcome{}, problem(http.StatusBadRequest, "validation_failed", fieldErr("assignee_staff_id", "invalid"))
	}
	if err != nil {
		return taskOutcome{}, err
	}
	return s.actOnTask(ctx, p, id, workflows.UpdateReassignTask, func(t store.Task) (any, error) {
		return workflows.ReassignTaskRequest{TaskID: t.ID, Actor: actor(p), Assignee: workflows.TaskActor{StaffID: to.ID, Role: to.Role}}, nil
	})
}

// writeTaskOutcome answers a task action: the task, the subject's status and, for an
// approval, the supplement.
func (s *Server) writeTaskOutcome(w http.ResponseWriter, r *http.Request, out taskOutcome, err error) error {
	if err != nil {
		return err
	}
	res := out.result
	writeJSON(w, http.StatusOK, struct {
		taskJSON
		SubjectStatus string `json:"subject_status,omitempty"`
		SupplementMAD *int64 `json:"supplement_mad,omitempty"`
	}{s.taskJSON(out.task, principalFrom(r.Context()).id), res.SubjectStatus, map[bool]*int64{true: &res.SupplementMAD}[res.Outcome == domain.OutcomeApprove]})
	return nil
}

// claimTask: POST /tasks/{id}/claim.
func (s *Server) claimTask(w http.ResponseWriter, r *http.Request) error {
	out, err := s.claimTaskAs(r.Context(), principalFrom(r.Context()), mux.Vars(r)["id"])
	return s.writeTaskOutcome(w, r, out, err)
}

// releaseTask: POST /tasks/{id}/release (the assignee).
func (s *Server) releaseTask(w http.ResponseWriter, r *http.Request) error {
	out, err := s.releaseTaskAs(r.Context(), principalFrom(r.Context()), mux.Vars(r)["id"])
	return s.writeTaskOutcome(w, r, out, err)
}

type completeTaskBody struct {
	Outcome string `json:"outcome"`
	Comment string `json:"comment"`
}

// completeTask: POST /tasks/{id}/complete {outcome, comment} (the assignee).
func (s *Server) completeTask(w http.ResponseWriter, r *http.Request) error {
	var body completeTaskBody
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	out, err := s.completeTaskAs(r.Context(), principalFrom(r.Context()), mux.Vars(r)["id"],
		taskCompletion{Outcome: body.Outcome, Comment: body.Comment, IdempotencyKey: r.Header.Get("Idempotency-Key")})
	return s.writeTaskOutcome(w, r, out, err)
}

type reassignTaskBody struct {
	AssigneeStaffID int64 `json:"assignee_staff_id"`
}

// reassignTask: POST /tasks/{id}/reassign {assignee_staff_id} (supervisors, head of unit).
func (s *Server) reassignTask(w http.ResponseWriter, r *http.Request) error {
	var body reassignTaskBody
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	out, err := s.reassignTaskAs(r.Context(), principalFrom(r.Context()), mux.Vars(r)["id"], body.AssigneeStaffID)
	return s.writeTaskOutcome(w, r, out, err)
}
