package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"occonnect/domain"
	"occonnect/mail"
	"occonnect/store"
	"occonnect/workflows"
)

type complaintRequest struct {
	Category          string `json:"category"`
	Subject           string `json:"subject"`
	Description       string `json:"description"`
	ExchangePointCode string `json:"exchange_point_code,omitempty"`
}

// Text limits of complaints.
const (
	maxSubject = 200
	maxText    = 5000
)

func textField(v *validation, field, value string, limit int) string {
	value = strings.TrimSpace(value)
	switch {
	case value == "":
		v.add(field, "required")
	case len([]rune(value)) > limit:
		v.add(field, "too_long")
	}
	return value
}

// fileComplaint: POST /me/complaints (citizen, Idempotency-Key honoured): numbered from the
// year's gap-free sequence, acknowledged by e-mail at once by the workflow.
func (s *Server) fileComplaint(w http.ResponseWriter, r *http.Request) error {
	var req complaintRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	var v validation
	if !domain.ValidComplaintCategory(req.Category) {
		v.add("category", map[bool]string{true: "required", false: "invalid"}[req.Category == ""])
	}
	subject := textField(&v, "subject", req.Subject, maxSubject)
	description := textField(&v, "description", req.Description, maxText)
	ctx := r.Context()
	if req.ExchangePointCode != "" {
		ok, err := s.store.ExchangePointExists(ctx, req.ExchangePointCode)
		if err != nil {
			return err
		}
		if !ok {
			v.add("exchange_point_code", "unknown_exchange_point")
		}
	}
	if err := v.err(); err != nil {
		return err
	}
	ref, err := s.store.CreateComplaint(ctx, store.NewComplaint{CitizenID: principalFrom(ctx).id, Category: req.Category,
		Subject: subject, Description: description, ExchangePointCode: req.ExchangePointCode, Year: s.currentYear(), Now: s.clock()})
	if err != nil {
		return err
	}
	details := "First-response and resolution targets; escalation officers → supervisors → head of unit. The texts stay in MySQL."
	if req.ExchangePointCode != "" {
		details += " Exchange point concerned: " + req.ExchangePointCode + "."
	}
	if _, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.ComplaintWorkflowID(ref), TaskQueue: workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		// Shown in the Temporal Web UI; the reference and category are not personal data,
		// the subject and texts may be and stay in MySQL.
		StaticSummary: fmt.Sprintf("Complaint %s (%s)", ref, req.Category),
		StaticDetails: details,
	}, workflows.Complaint, workflows.ComplaintInput{Reference: ref, Config: s.complaints}); err != nil {
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

func (s *Server) complaintJSON(r *http.Request, c store.Complaint) complaintJSON {
	out := complaintJSON{Reference: c.Reference, Category: c.Category, CategoryLabel: mail.ComplaintCategoryLabel(c.Category, lang(r)),
		Subject: c.Subject, ExchangePointCode: optional(c.ExchangePointCode), Status: c.Status, EscalationLevel: c.EscalationLevel,
		FirstResponseDueAt: timePtr(c.FirstResponseDueAt), ResolutionDueAt: timePtr(c.ResolutionDueAt), Paused: c.PausedAt.Valid,
		FirstResponseOverdue: c.FirstResponseOverdue, ResolutionOverdue: c.ResolutionOverdue, ResolvedAt: timePtr(c.ResolvedAt),
		ClosedAt: timePtr(c.ClosedAt), ReopenCount: c.ReopenCount, Rating: int64Ptr(c.Rating), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if c.FirstResponseAt.Valid || c.PausedAt.Valid {
		out.FirstResponseDueAt = nil // met: no deadline to show
	}
	if c.Status == domain.ComplaintResolved && c.ResolvedAt.Valid {
		until := c.ResolvedAt.Time.Add(s.complaints.ReopenWindow)
		out.ReopenUntil = &until
	}
	return out
}

func (s *Server) withMessages(ctx context.Context, out *complaintJSON, staffView bool) error {
	msgs, err := s.store.ComplaintMessages(ctx, out.Reference)
	if err != nil {
		return err
	}
	out.Messages = []complaintMessageJSON{}
	for _, m := range msgs {
		mj := complaintMessageJSON{Author: m.Author, Kind: m.Kind, Body: m.Body, CreatedAt: m.CreatedAt}
		if staffView {
			mj.StaffID = int64Ptr(m.StaffID)
		}
		out.Messages = append(out.Messages, mj)
	}
	return nil
}

// myComplaints: GET /me/complaints, newest first.
func (s *Server) myComplaints(w http.ResponseWriter, r *http.Request) error {
	return s.listComplaints(w, r, store.ComplaintFilter{CitizenID: principalFrom(r.Context()).id})
}

// staffComplaints: GET /complaints?status=&category=&escalation_level=&overdue=true.
func (s *Server) staffComplaints(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var v validation
	f := store.ComplaintFilter{Status: domain.ComplaintStatus(q.Get("status")), Category: q.Get("category")}
	if f.Status != "" && !domain.ValidComplaintStatus(string(f.Status)) {
		v.add("status", "invalid")
	}
	if f.Category != "" && !domain.ValidComplaintCategory(f.Category) {
		v.add("category", "invalid")
	}
	if q.Get("escalation_level") != "" {
		level := intParam(r, "escalation_level", 0, 2, 0, &v)
		f.EscalationLevel = &level
	}
	switch q.Get("overdue") {
	case "", "false":
	case "true":
		f.OverdueOnly = true
	default:
		v.add("overdue", "invalid")
	}
	if err := v.err(); err != nil {
		return err
	}
	return s.listComplaints(w, r, f)
}

func (s *Server) listComplaints(w http.ResponseWriter, r *http.Request, f store.ComplaintFilter) error {
	var v validation
	limit, cursor := page(r, &v)
	if cursor != "" {
		at, ref, ok := strings.Cut(cursor, "|")
		t, err := time.Parse(time.RFC3339Nano, at)
		if !ok || err != nil {
			v.add("cursor", "invalid")
		}
		f.BeforeCreated, f.Before = t, ref
	}
	if err := v.err(); err != nil {
		return err
	}
	f.Limit = limit + 1
	list, err := s.store.Complaints(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageItems(list, limit,
		func(c store.Complaint) *string {
			return encodeCursor(c.CreatedAt.Format(time.RFC3339Nano), c.Reference)
		},
		func(c store.Complaint) complaintJSON { return s.complaintJSON(r, c) }))
	return nil
}

// myComplaintFor reads the caller's own complaint (404 for another citizen's).
func (s *Server) myComplaintFor(r *http.Request) (store.Complaint, error) {
	c, err := s.store.ComplaintByReference(r.Context(), mux.Vars(r)["reference"])
	if err == nil && c.CitizenID != principalFrom(r.Context()).id {
		err = store.ErrNotFound
	}
	return c, err
}

// myComplaint: GET /me/complaints/{reference}: status, deadlines, the conversation.
func (s *Server) myComplaint(w http.ResponseWriter, r *http.Request) error {
	c, err := s.myComplaintFor(r)
	if err != nil {
		return err
	}
	out := s.complaintJSON(r, c)
	if err := s.withMessages(r.Context(), &out, false); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// staffComplaint: GET /complaints/{reference}: the officer's view, with the audit trail.
func (s *Server) staffComplaint(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := s.store.ComplaintByReference(ctx, mux.Vars(r)["reference"])
	if err != nil {
		return err
	}
	out, err := s.staffComplaintJSON(r, c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) staffComplaintJSON(r *http.Request, c store.Complaint) (complaintJSON, error) {
	ctx := r.Context()
	out := s.complaintJSON(r, c)
	out.TaskID = optional(c.TaskID)
	if err := s.withMessages(ctx, &out, true); err != nil {
		return out, err
	}
	citizen, err := s.store.CitizenByID(ctx, c.CitizenID)
	if err != nil {
		return out, err
	}
	out.CitizenName, out.CINMasked = citizen.FirstName+" "+citizen.LastName, domain.MaskCIN(citizen.CIN)
	audit, err := s.store.ComplaintAudit(ctx, c.Reference)
	if err != nil {
		return out, err
	}
	for _, a := range audit {
		out.Audit = append(out.Audit, auditJSON{Actor: a.Actor, StaffID: int64Ptr(a.StaffID), Action: a.Action,
			From: optional(a.FromStatus), To: optional(a.ToStatus), At: a.At})
	}
	return out, nil
}

type complaintTextBody struct {
	Body string `json:"body"`
}

// replyToComplaint: POST /me/complaints/{reference}/messages {body}: the citizen answers a
// request for information; the clock resumes.
func (s *Server) replyToComplaint(w http.ResponseWriter, r *http.Request) error {
	var req complaintTextBody
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	var v validation
	body := textField(&v, "body", req.Body, maxText)
	if err := v.err(); err != nil {
		return err
	}
	c, err := s.myComplaintFor(r)
	if err != nil {
		return err
	}
	if c.Status != domain.ComplaintWaitingForCitizen {
		return problem(http.StatusConflict, "not_waiting_for_citizen")
	}
	id, err := s.draft(r.Context(), r.Header.Get("Idempotency-Key"), c.Reference, "citizen", 0, "answer", body)
	if err != nil {
		return err
	}
	var state workflows.ComplaintState
	if err := s.updateWorkflow(r.Context(), workflows.ComplaintWorkflowID(c.Reference), workflows.UpdateCitizenReply, &state,
		workflows.CitizenReplyRequest{MessageID: id}); err != nil {
		return complaintRefusal(err, "not_waiting_for_citizen")
	}
	writeJSON(w, http.StatusCreated, map[string]any{"reference": c.Reference, "status": state.Status, "message_id": id})
	return nil
}

// draft stores a text before the workflow publishes it with its transition; the same
// idempotency key (the request's Idempotency-Key, may be empty) makes one draft.
func (s *Server) draft(ctx context.Context, idemKey, ref, author string, staffID int64, kind, body string) (int64, error) {
	key := fmt.Sprintf("%s/%s/%s", ref, kind, newID())
	if idemKey != "" {
		key = fmt.Sprintf("%s/%s/%s/%d/%s", ref, kind, author, staffID, idemKey)
	}
	return s.store.DraftComplaintMessage(ctx, ref, key, author, staffID, kind, body, s.clock())
}

// complaintRefusal maps a complaint workflow's refusal; a closed workflow or a wrong state
// is the given conflict code.
func complaintRefusal(err error, code string) error {
	mapped := workflowRefusal(err)
	var ae *apiError
	if errors.As(mapped, &ae) && ae.status == http.StatusConflict && (ae.code == "conflict" || ae.code == "task_closed") {
		ae.code = code
	}
	return mapped
}

type reopenBody struct {
	Reason string `json:"reason"`
}

// reopenComplaint: POST /me/complaints/{reference}/reopen {reason}, within 14 days of the
// resolution: a new handling cycle at the level the complaint had.
func (s *Server) reopenComplaint(w http.ResponseWriter, r *http.Request) error {
	var req reopenBody
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	var v validation
	reason := textField(&v, "reason", req.Reason, maxText)
	if err := v.err(); err != nil {
		return err
	}
	c, err := s.myComplaintFor(r)
	if err != nil {
		return err
	}
	switch {
	case c.Status == domain.ComplaintClosed,
		c.Status == domain.ComplaintResolved && !s.clock().Before(c.ResolvedAt.Time.Add(s.complaints.ReopenWindow)):
		return problem(http.StatusConflict, "reopen_window_closed")
	case c.Status != domain.ComplaintResolved:
		return problem(http.StatusConflict, "conflict")
	}
	id, err := s.draft(r.Context(), r.Header.Get("Idempotency-Key"), c.Reference, "citizen", 0, "reopen", reason)
	if err != nil {
		return err
	}
	var state workflows.ComplaintState
	if err := s.updateWorkflow(r.Context(), workflows.ComplaintWorkflowID(c.Reference), workflows.UpdateReopen, &state,
		workflows.ReopenRequest{MessageID: id}); err != nil {
		return complaintRefusal(err, "reopen_window_closed")
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"reference": c.Reference, "status": state.Status})
	return nil
}

type feedbackBody struct {
	Rating  int    `json:"rating"`
	Comment string `json:"comment,omitempty"`
}

// complaintFeedback: POST /me/complaints/{reference}/feedback {rating 1..5, comment?}, once,
// after the resolution.
func (s *Server) complaintFeedback(w http.ResponseWriter, r *http.Request) error {
	var req feedbackBody
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	var v validation
	if req.Rating < 1 || req.Rating > 5 {
		v.add("rating", map[bool]string{true: "required", false: "invalid"}[req.Rating == 0])
	}
	comment := strings.TrimSpace(req.Comment)
	if len([]rune(comment)) > 2000 {
		v.add("comment", "too_long")
	}
	if err := v.err(); err != nil {
		return err
	}
	c, err := s.myComplaintFor(r)
	if err != nil {
		return err
	}
	err = s.store.SetComplaintFeedback(r.Context(), c.Reference, c.CitizenID, req.Rating, comment, s.clock())
	if errors.Is(err, store.ErrFeedbackNotAllowed) {
		return problem(http.StatusConflict, "feedback_not_allowed")
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// complaintMessageKinds: the conversation kind of an officer's text per outcome.
var complaintMessageKinds = map[string]string{
	domain.OutcomeResolve: "response", domain.OutcomeRequestInfo: "question", domain.OutcomeReject: "rejection",
}
