package api

import (
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
	ID              string     `json:"id"`
	Kind            string     `json:"kind"`
	SubjectID       string     `json:"subject_id"`
	State           string     `json:"state"`
	Queue           string     `json:"queue"`
	EscalationLevel int        `json:"escalation_level"`
	AssigneeStaffID *int64     `json:"assignee_staff_id"`
	AssignedToMe    bool       `json:"assigned_to_me"`
	DueAt           time.Time  `json:"due_at"`
	Overdue         bool       `json:"overdue"`
	CreatedAt       time.Time  `json:"created_at"`
	ClaimedAt       *time.Time `json:"claimed_at,omitempty"`
	CompletedAt     *time.Time `json:"completed_at,omitempty"`
	Outcome         *string    `json:"outcome,omitempty"`
	Comment         *string    `json:"comment,omitempty"`
}

func (s *Server) taskJSON(t store.Task, me int64) taskJSON {
	open := t.State == store.TaskOpen || t.State == store.TaskClaimed
	return taskJSON{ID: t.ID, Kind: t.Kind, SubjectID: t.SubjectID, State: t.State, Queue: t.Queue,
		EscalationLevel: t.EscalationLevel, AssigneeStaffID: int64Ptr(t.AssigneeStaffID),
		AssignedToMe: t.AssigneeStaffID.Valid && t.AssigneeStaffID.Int64 == me, DueAt: t.DueAt,
		Overdue: open && s.clock().After(t.DueAt), CreatedAt: t.CreatedAt, ClaimedAt: timePtr(t.ClaimedAt),
		CompletedAt: timePtr(t.CompletedAt), Outcome: optional(t.Outcome), Comment: optional(t.Comment)}
}

// visibleQueues: each role sees the queues of its level and below (officers: officers';
// supervisors: officers' and supervisors'; head of unit: all).
func visibleQueues(role string) []string {
	switch role {
	case domain.RoleHeadOfUnit:
		return []string{store.QueueOfficers, store.QueueSupervisors, store.QueueHeadOfUnit}
	case domain.RoleSupervisor:
		return []string{store.QueueOfficers, store.QueueSupervisors}
	}
	return []string{store.QueueOfficers}
}

// listTasks: GET /tasks?state=open|claimed|done&kind=&assignee=me&overdue=true, by due time.
func (s *Server) listTasks(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var v validation
	limit, cursor := page(r, &v)
	p := principalFrom(r.Context())
	f := store.TaskFilter{Limit: limit + 1, Queues: visibleQueues(p.staff.Role)}
	switch q.Get("state") {
	case "":
		f.States = []string{store.TaskOpen, store.TaskClaimed}
	case "open":
		f.States = []string{store.TaskOpen}
	case "claimed":
		f.States = []string{store.TaskClaimed}
	case "done":
		f.States = []string{store.TaskDone, store.TaskCancelled}
	default:
		v.add("state", "invalid")
	}
	switch k := q.Get("kind"); k {
	case "", "dts", "complaint":
		f.Kind = k
	default:
		v.add("kind", "invalid")
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
		return err
	}
	tasks, err := s.store.Tasks(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageItems(tasks, limit,
		func(t store.Task) *string { return encodeCursor(t.DueAt.Format(time.RFC3339Nano), t.ID) },
		func(t store.Task) taskJSON { return s.taskJSON(t, p.id) }))
	return nil
}

// taskFor reads a task the caller may see.
func (s *Server) taskFor(r *http.Request) (store.Task, error) {
	t, err := s.store.TaskByID(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		return t, err
	}
	p := principalFrom(r.Context())
	if !slices.Contains(visibleQueues(p.staff.Role), t.Queue) && !(t.AssigneeStaffID.Valid && t.AssigneeStaffID.Int64 == p.id) {
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

// taskAction sends a task Update to the workflow that owns the task and answers the task
// as the read model now shows it, with the Update's result.
func (s *Server) taskAction(w http.ResponseWriter, r *http.Request, name string, arg func(t store.Task) any) error {
	t, err := s.taskFor(r)
	if err != nil {
		return err
	}
	if t.State == store.TaskDone || t.State == store.TaskCancelled {
		return problem(http.StatusConflict, "task_closed")
	}
	var res workflows.TaskResult
	if err := s.updateWorkflow(r.Context(), t.WorkflowID, name, &res, arg(t)); err != nil {
		return workflowRefusal(err)
	}
	if t, err = s.store.TaskByID(r.Context(), t.ID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		taskJSON
		SubjectStatus string `json:"subject_status,omitempty"`
		SupplementMAD *int64 `json:"supplement_mad,omitempty"`
	}{s.taskJSON(t, principalFrom(r.Context()).id), res.SubjectStatus, map[bool]*int64{true: &res.SupplementMAD}[res.Outcome == workflows.OutcomeApprove]})
	return nil
}

// claimTask: POST /tasks/{id}/claim: the first claim wins (409 task_already_claimed).
func (s *Server) claimTask(w http.ResponseWriter, r *http.Request) error {
	p := principalFrom(r.Context())
	return s.taskAction(w, r, workflows.UpdateClaimTask, func(t store.Task) any {
		return workflows.ClaimTaskRequest{TaskID: t.ID, Actor: actor(p)}
	})
}

// releaseTask: POST /tasks/{id}/release (the assignee).
func (s *Server) releaseTask(w http.ResponseWriter, r *http.Request) error {
	p := principalFrom(r.Context())
	return s.taskAction(w, r, workflows.UpdateReleaseTask, func(t store.Task) any {
		return workflows.ReleaseTaskRequest{TaskID: t.ID, Actor: actor(p)}
	})
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
	body.Comment = strings.TrimSpace(body.Comment)
	var v validation
	if body.Outcome == "" {
		v.add("outcome", "required")
	}
	if len([]rune(body.Comment)) > maxText {
		v.add("comment", "too_long")
	}
	if err := v.err(); err != nil {
		return err
	}
	p := principalFrom(r.Context())
	var draftErr error
	err := s.taskAction(w, r, workflows.UpdateCompleteTask, func(t store.Task) any {
		req := workflows.CompleteTaskRequest{TaskID: t.ID, Actor: actor(p), Outcome: body.Outcome, Comment: body.Comment}
		if t.Kind == "complaint" {
			// The officer's text goes to MySQL as a draft; the workflow publishes it.
			kind, ok := complaintMessageKinds[body.Outcome]
			if ok && body.Comment != "" {
				req.MessageID, draftErr = s.draft(r, t.SubjectID, p.staff.Role, p.id, kind, body.Comment)
			}
			req.Comment = ""
		}
		return req
	})
	if draftErr != nil {
		return draftErr
	}
	return err
}
