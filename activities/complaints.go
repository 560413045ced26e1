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

func share(d time.Duration, percent int) time.Duration { return d * time.Duration(percent) / 100 }

// StartComplaintCycle computes the deadlines (first response in business days with the
// holidays table; resolution in calendar days; reminders at ReminderPercent of each),
// creates the cycle's task at the complaint's escalation level, writes the read model and
// queues the acknowledgement (or the reopening's), in one transaction.
func (a *Activities) StartComplaintCycle(ctx context.Context, in contract.StartComplaintCycleInput) (contract.StartComplaintCycleResult, error) {
	cal, err := a.calendar(ctx, in.At)
	if err != nil {
		return contract.StartComplaintCycleResult{}, err
	}
	var out contract.StartComplaintCycleResult
	out.FirstResponseDue = cal.AddBusinessDays(in.At, in.FirstResponseBusinessDays)
	out.FirstResponseBusiness = cal.BusinessDurationBetween(in.At, out.FirstResponseDue)
	out.FirstResponseReminder = cal.AddBusinessDuration(in.At, share(out.FirstResponseBusiness, in.ReminderPercent))
	if in.FirstResponseOverride > 0 {
		out.FirstResponseDue = in.At.Add(in.FirstResponseOverride)
		out.FirstResponseReminder = in.At.Add(share(in.FirstResponseOverride, in.ReminderPercent))
		out.FirstResponseBusiness = 0 // a plain duration: no calendar to follow
	}
	out.ResolutionDue = in.At.AddDate(0, 0, in.ResolutionDays)
	if in.ResolutionOverride > 0 {
		out.ResolutionDue = in.At.Add(in.ResolutionOverride)
	}
	out.ResolutionReminder = in.At.Add(share(out.ResolutionDue.Sub(in.At), in.ReminderPercent))

	ref := in.Snapshot.Reference
	key := fmt.Sprintf("complaint/%s/cycle/%d", ref, in.Snapshot.Cycle)
	t, err := a.Store.TaskByKey(ctx, key)
	switch {
	case errors.Is(err, store.ErrNotFound):
		t = store.Task{ID: ulid.Make().String(), TaskKey: key, Kind: "complaint", SubjectID: ref, WorkflowID: in.WorkflowID,
			Queue: in.Queue, EscalationLevel: in.Level, DueAt: out.FirstResponseDue}
	case err != nil:
		return out, err
	}
	out.TaskID = t.ID
	sn := in.Snapshot
	sn.TaskID, sn.FirstResponseDueAt, sn.ResolutionDueAt = t.ID, out.FirstResponseDue, out.ResolutionDue
	action, kind := "queued", "acknowledged"
	if in.Reopen {
		action, kind = "reopened", "reopened"
	}
	m, err := a.complaintMail(ctx, ref, kind, 0, complaintDates{FirstResponseDue: out.FirstResponseDue, ResolutionDue: out.ResolutionDue},
		in.Snapshot.Cycle)
	if err != nil {
		return out, err
	}
	complaint, err := a.Store.ComplaintByReference(ctx, ref)
	if err != nil {
		return out, notFoundIsFinal("complaint", err)
	}
	if out.ExchangePointCode, err = a.enrolmentPoint(ctx, complaint.CitizenID); err != nil {
		return out, err
	}
	out.OutboxID, err = a.Store.ApplyComplaintChange(ctx, store.ComplaintChange{
		Snapshot: sn, EventKey: fmt.Sprintf("%s/%d/%s", ref, sn.Version, action), Actor: "system", Action: action,
		FromStatus: in.FromStatus, NewTask: &t, PublishID: in.PublishID, Mail: m, At: in.At,
	})
	out.TaskID = t.ID // the stored task's, if another attempt created it first
	return out, err
}

// complaintDates are the dates a citizen's e-mail shows: the cycle's deadlines
// (acknowledged, reopened), the closing of an unanswered complaint (citizen_reminder).
type complaintDates struct {
	FirstResponseDue, ResolutionDue, CloseAt time.Time
}

// complaintMail renders the citizen's e-mail of a transition (kind: acknowledged, reopened,
// info_requested, resolved, rejected, citizen_reminder, closed_unanswered), with the
// officer's text when there is one.
func (a *Activities) complaintMail(ctx context.Context, ref, kind string, messageID int64, dates complaintDates, version int) (*store.OutboxMessage, error) {
	c, err := a.Store.ComplaintByReference(ctx, ref)
	if err != nil {
		return nil, notFoundIsFinal("complaint", err)
	}
	citizen, err := a.Store.CitizenByID(ctx, c.CitizenID)
	if err != nil {
		return nil, err
	}
	d := mail.ComplaintMailData{FirstName: citizen.FirstName, LastName: citizen.LastName, Language: citizen.Language,
		Reference: ref, Subject: c.Subject, Category: c.Category, FirstResponseDue: dates.FirstResponseDue,
		ResolutionDue: dates.ResolutionDue, CloseAt: dates.CloseAt}
	if messageID != 0 {
		msg, err := a.Store.ComplaintMessageByID(ctx, ref, messageID)
		if err != nil {
			return nil, notFoundIsFinal("complaint message", err)
		}
		d.Text = msg.Body
	}
	render := map[string]func(mail.ComplaintMailData) (mail.Message, error){
		"acknowledged":   mail.RenderComplaintAcknowledged,
		"reopened":       mail.RenderComplaintReopened,
		"info_requested": mail.RenderComplaintInfoRequested,
		"resolved":       mail.RenderComplaintResolved,
		"rejected":       mail.RenderComplaintRejected,
		// No answer to a request for information: the reminder, then the closing.
		"citizen_reminder":  mail.RenderComplaintCitizenReminder,
		"closed_unanswered": mail.RenderComplaintClosedUnanswered,
	}[kind]
	if render == nil {
		return nil, temporal.NewNonRetryableApplicationError("unknown complaint e-mail "+kind, "Template", nil)
	}
	msg, err := render(d)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError("render complaint e-mail", "Template", err)
	}
	m, err := a.outboxMessage(fmt.Sprintf("complaint/%s/%d/%s", ref, version, kind), "complaint_"+kind, citizen.Email, msg, a.now())
	return &m, err
}

// ApplyComplaintChange writes a transition: read model, audit row, task, message, e-mail.
func (a *Activities) ApplyComplaintChange(ctx context.Context, in contract.ApplyComplaintChangeInput) (contract.ApplyComplaintChangeResult, error) {
	ch := store.ComplaintChange{Snapshot: in.Snapshot, EventKey: in.EventKey, Actor: in.Actor, StaffID: in.StaffID,
		Action: in.Action, FromStatus: in.FromStatus, PublishID: in.PublishID, At: in.At}
	if in.Task != nil {
		tc := taskChange(*in.Task, in.At)
		ch.Task = &tc
	}
	if in.Mail != "" {
		m, err := a.complaintMail(ctx, in.Snapshot.Reference, in.Mail, in.PublishID, complaintDates{CloseAt: in.CloseAt}, in.Snapshot.Version)
		if err != nil {
			return contract.ApplyComplaintChangeResult{}, err
		}
		ch.Mail = m
	}
	id, err := a.Store.ApplyComplaintChange(ctx, ch)
	return contract.ApplyComplaintChangeResult{OutboxID: id}, err
}

// ResumeClock keeps the business time that remained at the pause: the new deadline is that
// much business time after the resumption.
func (a *Activities) ResumeClock(ctx context.Context, in contract.ResumeClockInput) (contract.ResumeClockResult, error) {
	cal, err := a.calendar(ctx, in.PausedAt)
	if err != nil {
		return contract.ResumeClockResult{}, err
	}
	left := cal.BusinessDurationBetween(in.PausedAt, in.Due)
	return contract.ResumeClockResult{
		Due:      cal.AddBusinessDuration(in.At, left),
		Reminder: cal.AddBusinessDuration(in.At, cal.BusinessDurationBetween(in.PausedAt, in.Reminder)),
		Business: left,
	}, nil
}

// FirstResponseDue computes the first response target again when it falls due, with the
// holidays table as it is now: a holiday entered after the target was set (the Eid's date
// is known the day before) moves it by the business time it takes away.
func (a *Activities) BusinessDeadline(ctx context.Context, in contract.BusinessDeadlineInput) (contract.BusinessDeadlineResult, error) {
	cal, err := a.calendar(ctx, in.Since)
	if err != nil {
		return contract.BusinessDeadlineResult{}, err
	}
	return contract.BusinessDeadlineResult{Due: cal.AddBusinessDuration(in.Since, in.Business)}, nil
}

// CitizenDeadlines computes when a complaint waiting for the citizen's answer is reminded
// and then closed unanswered, in business days with the holidays table (like the first
// response target), so that editing the table never changes a workflow's history.
func (a *Activities) CitizenDeadlines(ctx context.Context, in contract.CitizenDeadlinesInput) (contract.CitizenDeadlinesResult, error) {
	if in.Override > 0 {
		return contract.CitizenDeadlinesResult{ReminderAt: in.PausedAt.Add(in.Override), CloseAt: in.PausedAt.Add(2 * in.Override)}, nil
	}
	cal, err := a.calendar(ctx, in.PausedAt)
	if err != nil {
		return contract.CitizenDeadlinesResult{}, err
	}
	reminder := cal.AddBusinessDays(in.PausedAt, in.ReminderBusinessDays)
	return contract.CitizenDeadlinesResult{ReminderAt: reminder, CloseAt: cal.AddBusinessDays(reminder, in.CloseBusinessDays)}, nil
}

// NotifyComplaintStaff queues the notice: a reminder to the assignee (else to the level's
// staff), an escalation to the staff of the new level. No citizen data in it.
func (a *Activities) NotifyComplaintStaff(ctx context.Context, in contract.NotifyComplaintStaffInput) (contract.NotifyComplaintStaffResult, error) {
	var to []store.StaffContact
	if in.Kind == "reminder" && in.AssigneeID != 0 {
		c, err := a.Store.StaffContactByID(ctx, in.AssigneeID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return contract.NotifyComplaintStaffResult{}, err
		}
		if err == nil {
			to = append(to, c)
		}
	}
	if len(to) == 0 {
		var err error
		if to, err = a.Store.StaffByRole(ctx, domain.EscalationRole(in.Level)); err != nil {
			return contract.NotifyComplaintStaffResult{}, err
		}
	}
	msg, err := mail.RenderComplaintStaffNotice(mail.ComplaintStaffMailData{Reference: in.Reference, Kind: in.Kind,
		Target: in.Target, DueAt: in.DueAt, Level: in.Level})
	if err != nil {
		return contract.NotifyComplaintStaffResult{}, temporal.NewNonRetryableApplicationError("render staff notice", "Template", err)
	}
	var out contract.NotifyComplaintStaffResult
	for _, s := range to {
		queued, err := a.outboxMessage(fmt.Sprintf("complaint/%s/%d/%s/%s/%d", in.Reference, in.Cycle, in.Kind, in.Target, s.ID),
			"complaint_"+in.Kind, s.Email, msg, a.now())
		if err != nil {
			return out, err
		}
		id, err := a.Store.Enqueue(ctx, queued)
		if err != nil {
			return out, err
		}
		out.OutboxIDs = append(out.OutboxIDs, id)
	}
	// Counted once the notices are all queued: a failed attempt is retried and not counted.
	switch in.Kind {
	case "reminder":
		a.Metrics.ComplaintReminder(in.Target)
	case "escalation":
		a.Metrics.Escalated("complaint", in.Level)
	}
	return out, nil
}
