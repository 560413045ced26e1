package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/oklog/ulid/v2"
	"go.temporal.io/sdk/temporal"

	"occonnect/domain"
	"occonnect/mail"
	"occonnect/store"
)

// ErrTypeNoRules: no allowance rules for the request's year.
const ErrTypeNoRules = "NoRules"

// ComputeDTSResult is the supplement of a request, with its allowance year and the
// citizen's enrolment point (for the workflow's search attributes).
type ComputeDTSResult struct {
	SupplementMAD     int64
	Year              int
	ExchangePointCode string
}

// ComputeDTS computes a request's supplement with the rules of its year and stores it with
// the figures used.
func (a *Activities) ComputeDTS(ctx context.Context, requestID string) (ComputeDTSResult, error) {
	r, err := a.Store.DTSRequestByID(ctx, requestID)
	if err != nil {
		return ComputeDTSResult{}, notFoundIsFinal("DTS request", err)
	}
	rules, err := a.Store.AllowanceRules(ctx, r.Year)
	if errors.Is(err, store.ErrNoRules) {
		return ComputeDTSResult{}, temporal.NewNonRetryableApplicationError("no allowance rules for the year", ErrTypeNoRules, nil)
	}
	if err != nil {
		return ComputeDTSResult{}, err
	}
	res, err := domain.ComputeDTS(r.Year, r.IRAmountMAD, store.DomainRules(rules))
	if err != nil {
		return ComputeDTSResult{}, temporal.NewNonRetryableApplicationError("compute DTS", ErrTypeNoRules, err)
	}
	if err := a.Store.SetDTSComputation(ctx, requestID, res.SupplementMAD, res.RateBP, res.BaseMAD, res.CapTotalMAD, a.now()); err != nil {
		return ComputeDTSResult{}, err
	}
	ep, err := a.enrolmentPoint(ctx, r.CitizenID)
	if err != nil {
		return ComputeDTSResult{}, err
	}
	return ComputeDTSResult{SupplementMAD: res.SupplementMAD, Year: r.Year, ExchangePointCode: ep}, nil
}

// enrolmentPoint is the exchange point of the citizen's latest enrollment ("" when none).
func (a *Activities) enrolmentPoint(ctx context.Context, citizenID int64) (string, error) {
	e, err := a.Store.LatestEnrollment(ctx, citizenID)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read enrollment: %w", err)
	}
	return e.ExchangePointCode.String, nil
}

// Calendar loads the business calendar with the dated holidays of the coming months.
func (a *Activities) calendar(ctx context.Context, from time.Time) (*domain.Calendar, error) {
	days, err := a.Store.Holidays(ctx, from.AddDate(0, 0, -1), from.AddDate(1, 0, 0))
	if err != nil {
		return nil, fmt.Errorf("read holidays: %w", err)
	}
	return domain.NewCalendar(days), nil
}

// CreateTaskInput opens an officer task due BusinessDays business days from now.
type CreateTaskInput struct {
	Kind         string
	SubjectID    string
	WorkflowID   string
	TaskKey      string
	BusinessDays int
}

// CreateTaskResult names the task and its deadline.
type CreateTaskResult struct {
	TaskID string
	DueAt  time.Time
}

// CreateTask opens a task in the officers' queue, once per task key. The deadline is
// computed here, with the holidays table, so that editing the table never changes a
// workflow's history.
func (a *Activities) CreateTask(ctx context.Context, in CreateTaskInput) (CreateTaskResult, error) {
	now := a.now()
	cal, err := a.calendar(ctx, now)
	if err != nil {
		return CreateTaskResult{}, err
	}
	t, err := a.Store.CreateTask(ctx, store.Task{
		ID: ulid.Make().String(), TaskKey: in.TaskKey, Kind: in.Kind, SubjectID: in.SubjectID, WorkflowID: in.WorkflowID,
		Queue: store.QueueOfficers, DueAt: cal.AddBusinessDays(now, in.BusinessDays), CreatedAt: now,
	})
	if err != nil {
		return CreateTaskResult{}, err
	}
	if in.Kind == "dts" {
		if err := a.Store.SetDTSTask(ctx, in.SubjectID, t.ID, now); err != nil {
			return CreateTaskResult{}, err
		}
	}
	return CreateTaskResult{TaskID: t.ID, DueAt: t.DueAt}, nil
}

// TaskChangeInput is a task transition decided by its workflow.
type TaskChangeInput struct {
	TaskID          string
	EventKey        string
	Action          string
	StaffID         int64
	State           string
	Queue           string
	EscalationLevel int
	AssigneeStaffID int64
	Version         int
	Outcome         string
	Comment         string
}

func (c TaskChangeInput) toStore(at time.Time) store.TaskChange {
	return store.TaskChange{TaskID: c.TaskID, EventKey: c.EventKey, Action: c.Action, StaffID: c.StaffID, State: c.State,
		Queue: c.Queue, EscalationLevel: c.EscalationLevel, AssigneeStaffID: c.AssigneeStaffID, Version: c.Version,
		Outcome: c.Outcome, Comment: c.Comment, At: at}
}

// ApplyTaskChange mirrors a task transition to the read model, with its audit event.
func (a *Activities) ApplyTaskChange(ctx context.Context, c TaskChangeInput) error {
	return a.Store.ApplyTaskChange(ctx, c.toStore(a.now()))
}

// EscalateTaskInput moves a task to the supervisors' queue.
type EscalateTaskInput struct {
	Change    TaskChangeInput
	Kind      string
	Reference string
	DueAt     time.Time
}

// EscalateTaskResult names the notices queued for the supervisors.
type EscalateTaskResult struct {
	OutboxIDs []int64
}

// EscalateTask writes the escalation and queues a notice to every supervisor.
func (a *Activities) EscalateTask(ctx context.Context, in EscalateTaskInput) (EscalateTaskResult, error) {
	now := a.now()
	if err := a.Store.ApplyTaskChange(ctx, in.Change.toStore(now)); err != nil {
		return EscalateTaskResult{}, err
	}
	supervisors, err := a.Store.StaffByRole(ctx, domain.RoleSupervisor)
	if err != nil {
		return EscalateTaskResult{}, err
	}
	msg, err := mail.RenderTaskEscalated(mail.TaskEscalatedData{Kind: in.Kind, TaskID: in.Change.TaskID, Reference: in.Reference, DueAt: in.DueAt})
	if err != nil {
		return EscalateTaskResult{}, temporal.NewNonRetryableApplicationError("render escalation e-mail", "Template", err)
	}
	var out EscalateTaskResult
	for _, s := range supervisors {
		id, err := a.Store.Enqueue(ctx, outboxMessage(fmt.Sprintf("task/%s/escalated/%d/%d", in.Change.TaskID, in.Change.EscalationLevel, s.ID),
			"task_escalated", s.Email, msg, now))
		if err != nil {
			return EscalateTaskResult{}, err
		}
		out.OutboxIDs = append(out.OutboxIDs, id)
	}
	a.Metrics.Escalated(in.Kind, in.Change.EscalationLevel) // once queued: a failed attempt is retried and not counted
	return out, nil
}

// DecideDTSInput is a decision (approved, rejected) or a cancellation.
type DecideDTSInput struct {
	RequestID string
	Status    string
	StaffID   int64
	Comment   string
	Task      *TaskChangeInput
}

// DecideDTSResult names the citizen's e-mail (0 for a cancellation).
type DecideDTSResult struct {
	OutboxID int64
}

// DecideDTS applies a decision in one transaction: status, ledger credit on approval
// (exactly once, even when retried), the task's closing transition and the citizen's
// e-mail (FR/AR; the rejection gives the reason).
func (a *Activities) DecideDTS(ctx context.Context, in DecideDTSInput) (DecideDTSResult, error) {
	r, err := a.Store.DTSRequestByID(ctx, in.RequestID)
	if err != nil {
		return DecideDTSResult{}, notFoundIsFinal("DTS request", err)
	}
	now := a.now()
	d := store.DTSDecision{RequestID: in.RequestID, Status: in.Status, StaffID: in.StaffID, Comment: in.Comment, At: now}
	if in.Task != nil {
		c := in.Task.toStore(now)
		d.Task = &c
	}
	if in.Status != store.DTSCancelled {
		c, err := a.Store.CitizenByID(ctx, r.CitizenID)
		if err != nil {
			return DecideDTSResult{}, err
		}
		data := mail.DTSDecisionData{FirstName: c.FirstName, LastName: c.LastName, Language: c.Language, Year: r.Year,
			FiscalYear: r.FiscalYear, SupplementMAD: r.SupplementMAD.Int64, Reason: in.Comment, Reference: shortRef(r.ID)}
		var msg mail.Message
		if in.Status == store.DTSApproved {
			msg, err = mail.RenderDTSApproved(data)
		} else {
			msg, err = mail.RenderDTSRejected(data)
		}
		if err != nil {
			return DecideDTSResult{}, temporal.NewNonRetryableApplicationError("render DTS e-mail", "Template", err)
		}
		m := outboxMessage("dts/"+r.ID+"/decision", "dts_"+in.Status, c.Email, msg, now)
		d.Mail = &m
	}
	// The store credits the ledger only while the request is pending: a retry after a
	// committed attempt reads it decided and is not counted again.
	credits := r.Status == store.DTSPending && in.Status == store.DTSApproved && r.SupplementMAD.Int64 > 0
	id, err := a.Store.DecideDTS(ctx, d)
	if err != nil {
		return DecideDTSResult{}, err
	}
	if credits {
		a.Metrics.DTSCredited(r.SupplementMAD.Int64)
	}
	return DecideDTSResult{OutboxID: id}, nil
}

// shortRef is the reference shown to the citizen: the end of the request id.
func shortRef(id string) string {
	if len(id) > 10 {
		return "DTS-" + id[len(id)-10:]
	}
	return "DTS-" + id
}
