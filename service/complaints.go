package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"go.temporal.io/sdk/client"

	"occonnect/domain"
	"occonnect/store"
	"occonnect/workflows"
)

// Complaints takes citizens' complaints, their answers, reopenings and ratings, and shows
// complaints to citizens and officers. Officers act on complaints through their tasks
// (Tasks).
type Complaints struct {
	store  *store.Store
	clock  clock
	wf     workflowClient
	config workflows.ComplaintConfig
	audit  *Audit
}

// Text limits of complaints, in characters.
const (
	MaxComplaintSubject = 200
	MaxComplaintText    = 5000
	maxFeedbackComment  = 2000
)

// textField trims a required text and checks its length.
func textField(v *fieldErrors, field, value string, limit int) string {
	value = strings.TrimSpace(value)
	switch {
	case value == "":
		v.add(field, "required")
	case utf8.RuneCountInString(value) > limit:
		v.add(field, "too_long")
	}
	return value
}

// NewComplaint is what a citizen files.
type NewComplaint struct {
	Category, Subject, Description, ExchangePointCode string
}

// File records a citizen's complaint under the next reference of the year's gap-free
// sequence and starts its workflow, which acknowledges it by e-mail at once and opens the
// officers' task. The reference is the answer.
//
// With the citizen's Idempotency-Key (key) the pair is idempotent: a retry of a filing
// whose answer was lost, or refused because Temporal was away, finds the complaint the key
// filed and starts its workflow if that is missing, instead of filing a second one; the key
// with another complaint is IdempotencyKeyReused. A complaint whose start failed stays
// recorded (the citizen can see it): the retry or the reconciler starts its workflow.
func (c *Complaints) File(ctx context.Context, p *Principal, in NewComplaint, key string) (string, error) {
	var v fieldErrors
	if !domain.ValidComplaintCategory(in.Category) {
		v.add("category", map[bool]string{true: "required", false: "invalid"}[in.Category == ""])
	}
	subject := textField(&v, "subject", in.Subject, MaxComplaintSubject)
	description := textField(&v, "description", in.Description, MaxComplaintText)
	if in.ExchangePointCode != "" {
		ok, err := c.store.ExchangePointExists(ctx, in.ExchangePointCode)
		if err != nil {
			return "", err
		}
		if !ok {
			v.add("exchange_point_code", "unknown_exchange_point")
		}
	}
	if err := v.err(); err != nil {
		return "", err
	}
	hash := requestHash(in.Category, subject, description, in.ExchangePointCode)
	row, err := keyedOrNew(key, func() (store.Keyed, error) {
		return c.store.ComplaintByRequestKey(ctx, p.ID, key, hash)
	}, func() (store.Keyed, error) {
		ref, err := c.store.CreateComplaint(ctx, store.NewComplaint{CitizenID: p.ID, Category: in.Category, Subject: subject,
			Description: description, ExchangePointCode: in.ExchangePointCode, Year: c.clock.currentYear(), Now: c.clock.now(),
			RequestKey: key, RequestHash: hash})
		return store.Keyed{ID: ref, Category: nullable(in.Category), ExchangePointCode: nullable(in.ExchangePointCode)}, err
	})
	if err != nil {
		return "", err
	}
	return row.ID, c.startWorkflow(ctx, row)
}

// startWorkflow starts the workflow of a recorded complaint unless it is known started.
// No compensation: the complaint is numbered and kept, and the next start of its
// workflow (the same workflow ID) repairs a start that failed.
func (c *Complaints) startWorkflow(ctx context.Context, row store.Keyed) error {
	if row.Started() {
		return nil
	}
	ref, category := row.ID, row.Category.String
	details := "First-response and resolution targets; escalation officers → supervisors → head of unit. The texts stay in MySQL."
	if row.ExchangePointCode.Valid {
		details += " Exchange point concerned: " + row.ExchangePointCode.String + "."
	}
	err := c.wf.start(ctx, client.StartWorkflowOptions{
		ID: workflows.ComplaintWorkflowID(ref),
		// Shown in the Temporal Web UI; the reference and category are not personal data,
		// the subject and texts may be and stay in MySQL.
		StaticSummary: fmt.Sprintf("Complaint %s (%s)", ref, category),
		StaticDetails: details,
	}, workflows.Complaint, workflows.ComplaintInput{Reference: ref, Config: c.config}, nil)
	if err != nil {
		return err
	}
	// The mark only spares the reconciler a start: if it is lost, the reconciler's start
	// finds the workflow and marks the row then.
	_ = c.store.MarkComplaintStarted(ctx, ref, c.clock.now())
	return nil
}

// ComplaintQuery filters a list of complaints, as the caller sent it: Status, Category,
// EscalationLevel (0 to 2) and Overdue (true|false) are for officers.
type ComplaintQuery struct {
	Status, Category, EscalationLevel, Overdue string
	Page                                       PageRequest
}

// Mine lists the calling citizen's complaints, newest first.
func (c *Complaints) Mine(ctx context.Context, p *Principal, page PageRequest) (Page[store.Complaint], error) {
	return c.list(ctx, store.ComplaintFilter{CitizenID: p.ID}, page, nil)
}

// staffVisibility is what a staff member reads of the complaints, as of the tasks: those
// of the queues the role works (the escalation levels up to its own) and those assigned
// to them; the escalated ones stay out of the officers' sight.
func staffVisibility(p *Principal) store.StaffVisibility {
	return store.StaffVisibility{MaxLevel: len(p.Role().Queues()) - 1, StaffID: p.ID}
}

// List lists the complaints the staff member may read (staffVisibility), newest first,
// filtered.
func (c *Complaints) List(ctx context.Context, p *Principal, q ComplaintQuery) (Page[store.Complaint], error) {
	var v fieldErrors
	vis := staffVisibility(p)
	f := store.ComplaintFilter{Status: domain.ComplaintStatus(q.Status), Category: q.Category, Visible: &vis}
	if q.Status != "" && !domain.ValidComplaintStatus(q.Status) {
		v.add("status", "invalid")
	}
	if f.Category != "" && !domain.ValidComplaintCategory(f.Category) {
		v.add("category", "invalid")
	}
	if q.EscalationLevel != "" {
		level := intParam("escalation_level", q.EscalationLevel, 0, 2, 0, &v)
		f.EscalationLevel = &level
	}
	f.OverdueOnly = boolParam("overdue", q.Overdue, &v)
	return c.list(ctx, f, q.Page, v)
}

func (c *Complaints) list(ctx context.Context, f store.ComplaintFilter, page PageRequest, v fieldErrors) (Page[store.Complaint], error) {
	limit, cursor := page.parse(&v)
	if cursor != "" {
		at, ref, ok := strings.Cut(cursor, "|")
		t, err := time.Parse(time.RFC3339Nano, at)
		if !ok || err != nil {
			v.add("cursor", "invalid")
		}
		f.BeforeCreated, f.Before = t, ref
	}
	if err := v.err(); err != nil {
		return Page[store.Complaint]{}, err
	}
	f.Limit = limit + 1
	list, err := c.store.Complaints(ctx, f)
	if err != nil {
		return Page[store.Complaint]{}, err
	}
	return pageOf(list, limit, func(x store.Complaint) string {
		return encodeCursor(x.CreatedAt.Format(time.RFC3339Nano), x.Reference)
	}), nil
}

// ReopenUntil is when a resolved complaint can no longer be reopened (zero when it is not
// resolved).
func (c *Complaints) ReopenUntil(x store.Complaint) time.Time {
	if x.Status != domain.ComplaintResolved || !x.ResolvedAt.Valid {
		return time.Time{}
	}
	return x.ResolvedAt.Time.Add(c.config.ReopenWindow)
}

// Complaint is a complaint with its conversation; for officers, with the citizen and the
// audit trail too.
type Complaint struct {
	store.Complaint
	ReopenUntil time.Time
	Messages    []store.ComplaintMessage
	// Officers' view only.
	Citizen *store.Citizen
	Audit   []store.ComplaintAuditEntry
}

// Get reads one of the calling citizen's complaints with its conversation (NotFound for
// another citizen's).
func (c *Complaints) Get(ctx context.Context, p *Principal, ref string) (Complaint, error) {
	x, err := c.mine(ctx, p, ref)
	if err != nil {
		return Complaint{}, err
	}
	return c.detail(ctx, x, false)
}

// GetForStaff reads a complaint as officers see it: the conversation, the citizen and the
// audit trail; NotFound when the staff member may not read it (staffVisibility).
func (c *Complaints) GetForStaff(ctx context.Context, p *Principal, ref string) (Complaint, error) {
	ok, err := c.store.ComplaintVisibleTo(ctx, ref, staffVisibility(p))
	if err != nil {
		return Complaint{}, err
	}
	if !ok {
		return Complaint{}, refuse(NotFound)
	}
	if err := c.audit.read(ctx, p, auditComplaint, ref); err != nil {
		return Complaint{}, err
	}
	return c.forStaff(ctx, ref)
}

// forStaff reads a complaint in the officers' view, for a caller already allowed.
func (c *Complaints) forStaff(ctx context.Context, ref string) (Complaint, error) {
	x, err := c.store.ComplaintByReference(ctx, ref)
	if err != nil {
		return Complaint{}, err
	}
	return c.detail(ctx, x, true)
}

func (c *Complaints) detail(ctx context.Context, x store.Complaint, staffView bool) (Complaint, error) {
	out := Complaint{Complaint: x, ReopenUntil: c.ReopenUntil(x)}
	var err error
	if out.Messages, err = c.store.ComplaintMessages(ctx, x.Reference); err != nil {
		return out, err
	}
	if out.Messages == nil {
		out.Messages = []store.ComplaintMessage{}
	}
	if !staffView {
		return out, nil
	}
	citizen, err := c.store.CitizenByID(ctx, x.CitizenID)
	if err != nil {
		return out, err
	}
	out.Citizen = &citizen
	out.Audit, err = c.store.ComplaintAudit(ctx, x.Reference)
	return out, err
}

// mine reads the caller's own complaint (NotFound for another citizen's).
func (c *Complaints) mine(ctx context.Context, p *Principal, ref string) (store.Complaint, error) {
	x, err := c.store.ComplaintByReference(ctx, ref)
	if err == nil && x.CitizenID != p.ID {
		err = refuse(NotFound)
	}
	return x, err
}

// Moved is a complaint after a citizen's action: its reference, its status and the id of
// the citizen's text.
type Moved struct {
	Reference string
	Status    domain.ComplaintStatus
	MessageID int64
}

// Reply is the citizen's answer to an officer's request for information; the clock
// resumes. NotWaitingForCitizen when no question waits. idempotencyKey (may be empty)
// makes a retried answer one message, and its retry join the first one (see act).
func (c *Complaints) Reply(ctx context.Context, p *Principal, ref, body, idempotencyKey string) (Moved, error) {
	var v fieldErrors
	body = textField(&v, "body", body, MaxComplaintText)
	if err := v.err(); err != nil {
		return Moved{}, err
	}
	x, err := c.mine(ctx, p, ref)
	if err != nil {
		return Moved{}, err
	}
	var refused error
	if x.Status != domain.ComplaintWaitingForCitizen {
		refused = refuse(NotWaitingForCitizen)
	}
	return c.act(ctx, p, x.Reference, workflows.UpdateCitizenReply, "answer", body, idempotencyKey, refused,
		func(id int64) any { return workflows.CitizenReplyRequest{MessageID: id} }, NotWaitingForCitizen)
}

// act stores the citizen's text as a draft and sends the Update that publishes it with its
// transition. refused is the answer the complaint's status already gives (nil: none):
// returned at once without an Idempotency-Key; with one, the Update is sent all the same
// with the Update ID derived from the key, so that the retry of an action whose answer was
// lost gets that action's outcome, and refused only if the workflow refuses it.
func (c *Complaints) act(ctx context.Context, p *Principal, ref, name, kind, text, key string, refused error,
	request func(messageID int64) any, reason Reason) (Moved, error) {
	if refused != nil && key == "" {
		return Moved{}, refused
	}
	id, err := c.draft(ctx, key, ref, "citizen", 0, kind, text)
	if err != nil {
		return Moved{}, err
	}
	var state workflows.ComplaintState
	if err := c.wf.update(ctx, workflows.ComplaintWorkflowID(ref), retryUpdateID(name, ref, p, key), name, &state, request(id)); err != nil {
		if refused != nil && !temporalDown(err) {
			return Moved{}, refused
		}
		return Moved{}, complaintRefusal(err, reason)
	}
	return Moved{Reference: ref, Status: state.Status, MessageID: id}, nil
}

// Reopen starts a new handling cycle of a resolved complaint, within the window after its
// resolution (ReopenWindowClosed after it), at the level it had. The reason is stored like
// an answer.
func (c *Complaints) Reopen(ctx context.Context, p *Principal, ref, reason, idempotencyKey string) (Moved, error) {
	var v fieldErrors
	reason = textField(&v, "reason", reason, MaxComplaintText)
	if err := v.err(); err != nil {
		return Moved{}, err
	}
	x, err := c.mine(ctx, p, ref)
	if err != nil {
		return Moved{}, err
	}
	var refused error
	switch {
	case x.Status == domain.ComplaintClosed,
		x.Status == domain.ComplaintResolved && !c.clock.now().Before(c.ReopenUntil(x)):
		refused = refuse(ReopenWindowClosed)
	case x.Status != domain.ComplaintResolved:
		refused = refuse(Conflict)
	}
	return c.act(ctx, p, x.Reference, workflows.UpdateReopen, "reopen", reason, idempotencyKey, refused,
		func(id int64) any { return workflows.ReopenRequest{MessageID: id} }, ReopenWindowClosed)
}

// Feedback records the citizen's rating (1 to 5) and comment, once, after the resolution
// (FeedbackNotAllowed otherwise).
func (c *Complaints) Feedback(ctx context.Context, p *Principal, ref string, rating int, comment string) error {
	var v fieldErrors
	if rating < 1 || rating > 5 {
		v.add("rating", map[bool]string{true: "required", false: "invalid"}[rating == 0])
	}
	comment = strings.TrimSpace(comment)
	if utf8.RuneCountInString(comment) > maxFeedbackComment {
		v.add("comment", "too_long")
	}
	if err := v.err(); err != nil {
		return err
	}
	x, err := c.mine(ctx, p, ref)
	if err != nil {
		return err
	}
	err = c.store.SetComplaintFeedback(ctx, x.Reference, x.CitizenID, rating, comment, c.clock.now())
	if errors.Is(err, store.ErrFeedbackNotAllowed) {
		return refuse(FeedbackNotAllowed)
	}
	return err
}

// draft stores a text before the workflow publishes it with its transition; the same
// idempotency key (may be empty) makes one draft.
func (c *Complaints) draft(ctx context.Context, idemKey, ref, author string, staffID int64, kind, body string) (int64, error) {
	key := fmt.Sprintf("%s/%s/%s", ref, kind, newID())
	if idemKey != "" {
		key = fmt.Sprintf("%s/%s/%s/%d/%s", ref, kind, author, staffID, idemKey)
	}
	return c.store.DraftComplaintMessage(ctx, ref, key, author, staffID, kind, body, c.clock.now())
}

// complaintRefusal maps a complaint workflow's refusal; a closed workflow or a wrong state
// is the given reason.
func complaintRefusal(err error, reason Reason) error {
	mapped := workflowRefusal(err)
	var r *Refusal
	if errors.As(mapped, &r) && (r.Reason == Conflict || r.Reason == TaskClosed) {
		r.Reason = reason
	}
	return mapped
}
