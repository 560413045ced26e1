package api

import (
	"net/http"
	"time"

	"occonnect/domain"
	"occonnect/internal/web"
	"occonnect/service"
	"occonnect/store"
)

// complaintHandlers: filing and following complaints (citizens), reading them (officers).
type complaintHandlers struct{ svc *service.Complaints }

type complaintRequest struct {
	Category          string `json:"category"`
	Subject           string `json:"subject"`
	Description       string `json:"description"`
	ExchangePointCode string `json:"exchange_point_code,omitempty"`
}

// file: POST /me/complaints (citizen, Idempotency-Key honoured: a retry finds the
// complaint and starts its workflow if that is missing): numbered from the year's gap-free
// sequence, acknowledged by e-mail at once by the workflow.
func (h complaintHandlers) file(w http.ResponseWriter, r *http.Request) error {
	var req complaintRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	ref, err := h.svc.File(r.Context(), principalFrom(r.Context()), service.NewComplaint{Category: req.Category,
		Subject: req.Subject, Description: req.Description, ExchangePointCode: req.ExchangePointCode}, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"reference": ref, "status": domain.ComplaintSubmitted})
	return nil
}

type complaintMessageJSON struct {
	Author    string    `json:"author"` // citizen, officer, supervisor, head_of_unit
	StaffID   *int64    `json:"staff_id,omitempty"`
	Kind      string    `json:"kind"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

type complaintJSON struct {
	Reference            string                 `json:"reference"`
	Category             string                 `json:"category"`
	CategoryLabel        string                 `json:"category_label"`
	Subject              string                 `json:"subject"`
	ExchangePointCode    *string                `json:"exchange_point_code,omitempty"`
	Status               domain.ComplaintStatus `json:"status"`
	EscalationLevel      int                    `json:"escalation_level"`
	FirstResponseDueAt   *time.Time             `json:"first_response_due_at"`
	ResolutionDueAt      *time.Time             `json:"resolution_due_at"`
	Paused               bool                   `json:"paused"`
	FirstResponseOverdue bool                   `json:"first_response_overdue"`
	ResolutionOverdue    bool                   `json:"resolution_overdue"`
	ResolvedAt           *time.Time             `json:"resolved_at,omitempty"`
	ReopenUntil          *time.Time             `json:"reopen_until,omitempty"`
	ClosedAt             *time.Time             `json:"closed_at,omitempty"`
	ReopenCount          int                    `json:"reopen_count"`
	Rating               *int64                 `json:"rating,omitempty"`
	CreatedAt            time.Time              `json:"created_at"`
	UpdatedAt            time.Time              `json:"updated_at"`
	Messages             []complaintMessageJSON `json:"messages,omitempty"`
	TaskID               *string                `json:"task_id,omitempty"`
	CitizenName          string                 `json:"citizen_name,omitempty"`
	CINMasked            string                 `json:"cin_masked,omitempty"`
	Audit                []auditJSON            `json:"audit,omitempty"`
}

type auditJSON struct {
	Actor   string    `json:"actor"`
	StaffID *int64    `json:"staff_id,omitempty"`
	Action  string    `json:"action"`
	From    *string   `json:"from_status,omitempty"`
	To      *string   `json:"to_status,omitempty"`
	At      time.Time `json:"at"`
}

// complaintView renders a complaint of a list (no conversation).
func complaintView(c store.Complaint, reopenUntil time.Time, lang string) complaintJSON {
	out := complaintJSON{Reference: c.Reference, Category: c.Category, CategoryLabel: domain.CategoryLabel(c.Category, lang),
		Subject: c.Subject, ExchangePointCode: optional(c.ExchangePointCode), Status: c.Status, EscalationLevel: c.EscalationLevel,
		FirstResponseDueAt: timePtr(c.FirstResponseDueAt), ResolutionDueAt: timePtr(c.ResolutionDueAt), Paused: c.PausedAt.Valid,
		FirstResponseOverdue: c.FirstResponseOverdue, ResolutionOverdue: c.ResolutionOverdue, ResolvedAt: timePtr(c.ResolvedAt),
		ReopenUntil: nonZero(reopenUntil), ClosedAt: timePtr(c.ClosedAt), ReopenCount: c.ReopenCount, Rating: int64Ptr(c.Rating),
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if c.FirstResponseAt.Valid || c.PausedAt.Valid {
		out.FirstResponseDueAt = nil // met (or paused): no deadline to show
	}
	return out
}

// complaintDetail renders a complaint with its conversation; the officers' view (with the
// citizen) adds the staff ids, the task and the audit trail.
func complaintDetail(c service.Complaint, lang string) complaintJSON {
	out := complaintView(c.Complaint, c.ReopenUntil, lang)
	staffView := c.Citizen != nil
	out.Messages = make([]complaintMessageJSON, 0, len(c.Messages))
	for _, m := range c.Messages {
		mj := complaintMessageJSON{Author: m.Author, Kind: m.Kind, Body: m.Body, CreatedAt: m.CreatedAt}
		if staffView {
			mj.StaffID = int64Ptr(m.StaffID)
		}
		out.Messages = append(out.Messages, mj)
	}
	if !staffView {
		return out
	}
	out.TaskID = optional(c.TaskID)
	out.CitizenName, out.CINMasked = c.Citizen.FirstName+" "+c.Citizen.LastName, domain.MaskCIN(c.Citizen.CIN)
	for _, a := range c.Audit {
		out.Audit = append(out.Audit, auditJSON{Actor: a.Actor, StaffID: int64Ptr(a.StaffID), Action: a.Action,
			From: optional(a.FromStatus), To: optional(a.ToStatus), At: a.At})
	}
	return out
}

func (h complaintHandlers) listView(r *http.Request) func(store.Complaint) complaintJSON {
	lang := web.Lang(r)
	return func(c store.Complaint) complaintJSON { return complaintView(c, h.svc.ReopenUntil(c), lang) }
}

// mine: GET /me/complaints, newest first.
func (h complaintHandlers) mine(w http.ResponseWriter, r *http.Request) error {
	p, err := h.svc.Mine(r.Context(), principalFrom(r.Context()), page(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(p, h.listView(r)))
	return nil
}

// list: GET /complaints?status=&category=&escalation_level=&overdue=true (officers).
func (h complaintHandlers) list(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p, err := h.svc.List(r.Context(), principalFrom(r.Context()), service.ComplaintQuery{Status: q.Get("status"), Category: q.Get("category"),
		EscalationLevel: q.Get("escalation_level"), Overdue: q.Get("overdue"), Page: page(r)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(p, h.listView(r)))
	return nil
}

// get: GET /me/complaints/{reference}: status, deadlines, the conversation.
func (h complaintHandlers) get(w http.ResponseWriter, r *http.Request) error {
	c, err := h.svc.Get(r.Context(), principalFrom(r.Context()), pathVar(r, "reference"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, complaintDetail(c, web.Lang(r)))
	return nil
}

// staffGet: GET /complaints/{reference}: the officer's view, with the audit trail.
func (h complaintHandlers) staffGet(w http.ResponseWriter, r *http.Request) error {
	c, err := h.svc.GetForStaff(r.Context(), principalFrom(r.Context()), pathVar(r, "reference"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, complaintDetail(c, web.Lang(r)))
	return nil
}

type complaintTextBody struct {
	Body string `json:"body"`
}

// reply: POST /me/complaints/{reference}/messages {body}: the citizen answers a request
// for information; the clock resumes.
func (h complaintHandlers) reply(w http.ResponseWriter, r *http.Request) error {
	var req complaintTextBody
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	m, err := h.svc.Reply(r.Context(), principalFrom(r.Context()), pathVar(r, "reference"), req.Body, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"reference": m.Reference, "status": m.Status, "message_id": m.MessageID})
	return nil
}

type reopenBody struct {
	Reason string `json:"reason"`
}

// reopen: POST /me/complaints/{reference}/reopen {reason}, within 14 days of the
// resolution: a new handling cycle at the level the complaint had.
func (h complaintHandlers) reopen(w http.ResponseWriter, r *http.Request) error {
	var req reopenBody
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	m, err := h.svc.Reopen(r.Context(), principalFrom(r.Context()), pathVar(r, "reference"), req.Reason, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"reference": m.Reference, "status": m.Status})
	return nil
}

type feedbackBody struct {
	Rating  int    `json:"rating"`
	Comment string `json:"comment,omitempty"`
}

// feedback: POST /me/complaints/{reference}/feedback {rating 1..5, comment?}, once, after
// the resolution.
func (h complaintHandlers) feedback(w http.ResponseWriter, r *http.Request) error {
	var req feedbackBody
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.svc.Feedback(r.Context(), principalFrom(r.Context()), pathVar(r, "reference"), req.Rating, req.Comment); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
