package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/oklog/ulid/v2"
	"go.temporal.io/sdk/temporal"

	"occonnect/activities/contract"
	"occonnect/domain"
	"occonnect/mail"
	"occonnect/store"
)

// ComputeDTS computes a request's supplement with the rules of its year and stores it with
// the figures used.
func (a *Activities) ComputeDTS(ctx context.Context, requestID string) (contract.ComputeDTSResult, error) {
	r, err := a.Store.DTSRequestByID(ctx, requestID)
	if err != nil {
		return contract.ComputeDTSResult{}, notFoundIsFinal("DTS request", err)
	}
	rules, err := a.Store.AllowanceRules(ctx, r.Year)
	if errors.Is(err, store.ErrNoRules) {
		return contract.ComputeDTSResult{}, temporal.NewNonRetryableApplicationError("no allowance rules for the year", contract.ErrTypeNoRules, nil)
	}
	if err != nil {
		return contract.ComputeDTSResult{}, err
	}
	res, err := domain.ComputeDTS(r.Year, r.IRAmountMAD, store.DomainRules(rules))
	if err != nil {
		return contract.ComputeDTSResult{}, temporal.NewNonRetryableApplicationError("compute DTS", contract.ErrTypeNoRules, err)
	}
	if err := a.Store.SetDTSComputation(ctx, requestID, res.SupplementMAD, res.RateBP, res.BaseMAD, res.CapTotalMAD, a.now()); err != nil {
		return contract.ComputeDTSResult{}, err
	}
	ep, err := a.enrolmentPoint(ctx, r.CitizenID)
	if err != nil {
		return contract.ComputeDTSResult{}, err
	}
	return contract.ComputeDTSResult{SupplementMAD: res.SupplementMAD, Year: r.Year, ExchangePointCode: ep}, nil
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

// CreateTask opens a task in the officers' queue, once per task key. The deadline is
// computed here, with the holidays table, so that editing the table never changes a
// workflow's history.
func (a *Activities) CreateTask(ctx context.Context, in contract.CreateTaskInput) (contract.CreateTaskResult, error) {
	now := a.now()
	cal, err := a.calendar(ctx, now)
	if err != nil {
		return contract.CreateTaskResult{}, err
	}
	due := cal.AddBusinessDays(now, in.BusinessDays)
	if in.DueAfter > 0 {
		due = now.Add(in.DueAfter)
	}
	t, err := a.Store.CreateTask(ctx, store.Task{
		ID: ulid.Make().String(), TaskKey: in.TaskKey, Kind: in.Kind, SubjectID: in.SubjectID, WorkflowID: in.WorkflowID,
		Queue: domain.QueueOfficers, DueAt: due, CreatedAt: now,
	})
	if err != nil {
		return contract.CreateTaskResult{}, err
	}
	if in.Kind == "dts" {
		if err := a.Store.SetDTSTask(ctx, in.SubjectID, t.ID, now); err != nil {
			return contract.CreateTaskResult{}, err
		}
	}
	out := contract.CreateTaskResult{TaskID: t.ID, DueAt: t.DueAt, Since: t.CreatedAt}
	if in.DueAfter <= 0 { // the stored task's, if another attempt created it first
		out.Business = cal.BusinessDurationBetween(t.CreatedAt, t.DueAt)
	}
	return out, nil
}

// taskChange is the store's form of a task transition, at time at.
func taskChange(c contract.TaskChangeInput, at time.Time) store.TaskChange {
	return store.TaskChange{TaskID: c.TaskID, EventKey: c.EventKey, Action: c.Action, StaffID: c.StaffID, State: c.State,
		Queue: c.Queue, EscalationLevel: c.EscalationLevel, AssigneeStaffID: c.AssigneeStaffID, Version: c.Version,
		Outcome: c.Outcome, Comment: c.Comment, DueAt: c.DueAt, At: at}
}

// ApplyTaskChange mirrors a task transition to the read model, with its audit event.
func (a *Activities) ApplyTaskChange(ctx context.Context, c contract.TaskChangeInput) error {
	return a.Store.ApplyTaskChange(ctx, taskChange(c, a.now()))
}

// EscalateTask writes the escalation and queues a notice to every supervisor.
func (a *Activities) EscalateTask(ctx context.Context, in contract.EscalateTaskInput) (contract.EscalateTaskResult, error) {
	now := a.now()
	if err := a.Store.ApplyTaskChange(ctx, taskChange(in.Change, now)); err != nil {
		return contract.EscalateTaskResult{}, err
	}
	supervisors, err := a.Store.StaffByRole(ctx, domain.RoleSupervisor)
	if err != nil {
		return contract.EscalateTaskResult{}, err
	}
	msg, err := mail.RenderTaskEscalated(mail.TaskEscalatedData{Kind: in.Kind, TaskID: in.Change.TaskID, Reference: in.Reference, DueAt: in.DueAt})
	if err != nil {
		return contract.EscalateTaskResult{}, temporal.NewNonRetryableApplicationError("render escalation e-mail", "Template", err)
	}
	var out contract.EscalateTaskResult
	for _, s := range supervisors {
		queued, err := a.outboxMessage(fmt.Sprintf("task/%s/escalated/%d/%d", in.Change.TaskID, in.Change.EscalationLevel, s.ID),
			"task_escalated", s.Email, msg, now)
		if err != nil {
			return contract.EscalateTaskResult{}, err
		}
		id, err := a.Store.Enqueue(ctx, queued)
		if err != nil {
			return contract.EscalateTaskResult{}, err
		}
		out.OutboxIDs = append(out.OutboxIDs, id)
	}
	a.Metrics.Escalated(in.Kind, in.Change.EscalationLevel) // once queued: a failed attempt is retried and not counted
	return out, nil
}

// DecideDTS applies a decision in one transaction: status, ledger credit on approval
// (exactly once, even when retried), the task's closing transition and the citizen's
// e-mail (FR/AR; the rejection gives the reason).
func (a *Activities) DecideDTS(ctx context.Context, in contract.DecideDTSInput) (contract.DecideDTSResult, error) {
	r, err := a.Store.DTSRequestByID(ctx, in.RequestID)
	if err != nil {
		return contract.DecideDTSResult{}, notFoundIsFinal("DTS request", err)
	}
	now := a.now()
	d := store.DTSDecision{RequestID: in.RequestID, Status: in.Status, StaffID: in.StaffID, Comment: in.Comment, At: now}
	if in.Task != nil {
		c := taskChange(*in.Task, now)
		d.Task = &c
	}
	if in.Status != domain.DTSCancelled {
		c, err := a.Store.CitizenByID(ctx, r.CitizenID)
		if err != nil {
			return contract.DecideDTSResult{}, err
		}
		data := mail.DTSDecisionData{FirstName: c.FirstName, LastName: c.LastName, Language: c.Language, Year: r.Year,
			FiscalYear: r.FiscalYear, SupplementMAD: r.SupplementMAD.Int64, Reason: in.Comment, Reference: shortRef(r.ID)}
		var msg mail.Message
		if in.Status == domain.DTSApproved {
			msg, err = mail.RenderDTSApproved(data)
		} else {
			msg, err = mail.RenderDTSRejected(data)
		}
		if err != nil {
			return contract.DecideDTSResult{}, temporal.NewNonRetryableApplicationError("render DTS e-mail", "Template", err)
		}
		m, err := a.outboxMessage("dts/"+r.ID+"/decision", "dts_"+string(in.Status), c.Email, msg, now)
		if err != nil {
			return contract.DecideDTSResult{}, err
		}
		d.Mail = &m
	}
	// The store credits the ledger only while the request is pending: a retry after a
	// committed attempt reads it decided and is not counted again.
	credits := r.Status == domain.DTSPending && in.Status == domain.DTSApproved && r.SupplementMAD.Int64 > 0
	id, err := a.Store.DecideDTS(ctx, d)
	if err != nil {
		return contract.DecideDTSResult{}, err
	}
	if credits {
		a.Metrics.DTSCredited(r.SupplementMAD.Int64)
	}
	return contract.DecideDTSResult{OutboxID: id}, nil
}

// shortRef is the reference shown to the citizen: the end of the request id.
func shortRef(id string) string {
	if len(id) > 10 {
		return "DTS-" + id[len(id)-10:]
	}
	return "DTS-" + id
}
