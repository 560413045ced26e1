package api

import (
	"net/http"
	"time"

	"occonnect/domain"
	"occonnect/internal/web"
	"occonnect/service"
	"occonnect/store"
)

// taskHandlers: the officers' tasks.
type taskHandlers struct{ svc *service.Tasks }

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

// taskView renders a task as the staff member me sees it, at now.
func taskView(t store.Task, me int64, now time.Time) taskJSON {
	return taskJSON{ID: t.ID, Kind: t.Kind, SubjectID: t.SubjectID, State: t.State, Queue: t.Queue,
		EscalationLevel: t.EscalationLevel, AssigneeStaffID: int64Ptr(t.AssigneeStaffID),
		AssignedToMe: t.AssigneeStaffID.Valid && t.AssigneeStaffID.Int64 == me, DueAt: t.DueAt,
		Overdue: t.State.Open() && now.After(t.DueAt), CreatedAt: t.CreatedAt, ClaimedAt: timePtr(t.ClaimedAt),
		CompletedAt: timePtr(t.CompletedAt), Outcome: optional(t.Outcome), Comment: optional(t.Comment)}
}

// list: GET /tasks?state=open|claimed|done&kind=&assignee=me&overdue=true&category=
// &escalation_level=&queue=, by due time.
func (h taskHandlers) list(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := principalFrom(r.Context())
	tasks, err := h.svc.List(r.Context(), p, service.TaskQuery{State: q.Get("state"), Kind: q.Get("kind"), Category: q.Get("category"),
		EscalationLevel: q.Get("escalation_level"), Queue: q.Get("queue"), Assignee: q.Get("assignee"), Overdue: q.Get("overdue"), Page: page(r)})
	if err != nil {
		return err
	}
	now := h.svc.Now()
	writeJSON(w, http.StatusOK, listOf(tasks, func(t store.Task) taskJSON { return taskView(t, p.ID, now) }))
	return nil
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

// get: GET /tasks/{id}: the task, its subject and its audit trail.
func (h taskHandlers) get(w http.ResponseWriter, r *http.Request) error {
	p := principalFrom(r.Context())
	t, err := h.svc.Get(r.Context(), p, pathVar(r, "id"))
	if err != nil {
		return err
	}
	out := taskDetailJSON{taskJSON: taskView(t.Task, p.ID, h.svc.Now()), Events: make([]taskEventJSON, 0, len(t.Events))}
	switch {
	case t.Complaint != nil:
		out.Subject = complaintDetail(*t.Complaint, web.Lang(r))
	case t.DTS != nil:
		out.Subject = dtsSubjectJSON{dtsRequestJSON: staffDTS(*t.DTS), CitizenName: t.Citizen.FirstName + " " + t.Citizen.LastName,
			CINMasked: domain.MaskCIN(t.Citizen.CIN)}
	}
	for _, e := range t.Events {
		out.Events = append(out.Events, taskEventJSON{Action: e.Action, StaffID: int64Ptr(e.StaffID), Detail: optional(e.Detail), At: e.At})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// writeDone answers a task action: the task, the subject's status and, for an approval,
// the supplement.
func (h taskHandlers) writeDone(w http.ResponseWriter, r *http.Request, d service.Done, err error) error {
	if err != nil {
		return err
	}
	res := d.Result
	var supplement *int64
	if res.Outcome == domain.OutcomeApprove {
		supplement = &res.SupplementMAD
	}
	writeJSON(w, http.StatusOK, struct {
		taskJSON
		SubjectStatus string `json:"subject_status,omitempty"`
		SupplementMAD *int64 `json:"supplement_mad,omitempty"`
	}{taskView(d.Task, principalFrom(r.Context()).ID, h.svc.Now()), res.SubjectStatus, supplement})
	return nil
}

// claim: POST /tasks/{id}/claim; 409 task_already_claimed when another officer was first.
func (h taskHandlers) claim(w http.ResponseWriter, r *http.Request) error {
	d, err := h.svc.Claim(r.Context(), principalFrom(r.Context()), pathVar(r, "id"), r.Header.Get("Idempotency-Key"))
	return h.writeDone(w, r, d, err)
}

// release: POST /tasks/{id}/release (the assignee).
func (h taskHandlers) release(w http.ResponseWriter, r *http.Request) error {
	d, err := h.svc.Release(r.Context(), principalFrom(r.Context()), pathVar(r, "id"), r.Header.Get("Idempotency-Key"))
	return h.writeDone(w, r, d, err)
}

type completeTaskBody struct {
	Outcome string `json:"outcome"`
	Comment string `json:"comment"`
}

// complete: POST /tasks/{id}/complete {outcome, comment} (the assignee).
func (h taskHandlers) complete(w http.ResponseWriter, r *http.Request) error {
	var body completeTaskBody
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	d, err := h.svc.Complete(r.Context(), principalFrom(r.Context()), pathVar(r, "id"),
		service.Completion{Outcome: body.Outcome, Comment: body.Comment, IdempotencyKey: r.Header.Get("Idempotency-Key")})
	return h.writeDone(w, r, d, err)
}

type reassignTaskBody struct {
	AssigneeStaffID int64 `json:"assignee_staff_id"`
}

// reassign: POST /tasks/{id}/reassign {assignee_staff_id} (supervisors, head of unit).
func (h taskHandlers) reassign(w http.ResponseWriter, r *http.Request) error {
	var body reassignTaskBody
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	d, err := h.svc.Reassign(r.Context(), principalFrom(r.Context()), pathVar(r, "id"), body.AssigneeStaffID, r.Header.Get("Idempotency-Key"))
	return h.writeDone(w, r, d, err)
}
