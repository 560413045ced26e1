package workflows

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"occonnect/activities/contract"
	"occonnect/domain"
)

// ComplaintConfig holds the service levels (DESIGN.md defaults).
type ComplaintConfig struct {
	FirstResponseBusinessDays int           // default 2
	ResolutionDays            int           // calendar days, default 60
	ReopenWindow              time.Duration // reopening allowed, then auto-close; default 14 days
	ReminderPercent           int           // reminder at this share of each target's time; default 75
	// MaxHistoryEvents continues as new past this history length, besides the SDK's own
	// suggestion (0: the suggestion only). Tests set it low.
	MaxHistoryEvents int
	// FirstResponseOverride, when set, replaces the business-day target by this plain
	// duration: for demonstrations and tests of escalation only (OCC_COMPLAINT_FIRST_RESPONSE_OVERRIDE).
	FirstResponseOverride time.Duration
	// ResolutionOverride, when set, replaces the resolution target by this plain duration:
	// for the tests that record the resolution's escalation on the real server only.
	ResolutionOverride time.Duration
	// A complaint waiting for the citizen's answer is reminded to the citizen after
	// CitizenReminderBusinessDays business days (default 10), and closed unanswered
	// CitizenCloseBusinessDays business days after the reminder (default 5).
	CitizenReminderBusinessDays int
	CitizenCloseBusinessDays    int
	// CitizenDeadlineOverride, when set, replaces each of those two by this plain duration:
	// for demonstrations and tests only (OCC_COMPLAINT_CITIZEN_DEADLINE_OVERRIDE).
	CitizenDeadlineOverride time.Duration
}

// Defaults fills the zero fields with the DESIGN.md service levels.
func (c *ComplaintConfig) Defaults() {
	if c.FirstResponseBusinessDays <= 0 {
		c.FirstResponseBusinessDays = 2
	}
	if c.ResolutionDays <= 0 {
		c.ResolutionDays = 60
	}
	if c.ReopenWindow <= 0 {
		c.ReopenWindow = 14 * 24 * time.Hour
	}
	if c.ReminderPercent <= 0 || c.ReminderPercent >= 100 {
		c.ReminderPercent = 75
	}
	if c.CitizenReminderBusinessDays <= 0 {
		c.CitizenReminderBusinessDays = 10
	}
	if c.CitizenCloseBusinessDays <= 0 {
		c.CitizenCloseBusinessDays = 5
	}
}

// ComplaintInput starts (or, with State, continues) a complaint. It carries the public
// reference only: the texts are in MySQL.
type ComplaintInput struct {
	Reference string
	Config    ComplaintConfig
	State     *ComplaintState
}

// ComplaintState is the whole state, carried across continue-as-new.
type ComplaintState struct {
	Status          domain.ComplaintStatus
	Version         int
	Cycle           int
	Task            task
	EscalationLevel int
	ReopenCount     int

	FirstResponseDue, FirstResponseReminder time.Time
	ResolutionDue, ResolutionReminder       time.Time
	// FirstResponseDue lies FirstResponseBusiness business time after FirstResponseSince
	// (the cycle's start or the citizen's answer): recomputed from them, with the holidays
	// entered since, before it escalates. Zero: not recomputed (the override, or runs
	// before "complaint-recompute-due").
	FirstResponseSince    time.Time
	FirstResponseBusiness time.Duration
	FirstResponseAt       time.Time
	FirstResponseReminded bool
	ResolutionReminded    bool
	FirstResponseOverdue  bool
	ResolutionOverdue     bool
	PausedAt              time.Time
	// While waiting for the citizen: when they are reminded, when the complaint closes
	// unanswered (zero: waits for ever, as runs before "complaint-citizen-deadline" do).
	CitizenReminderAt, CitizenCloseAt time.Time
	CitizenReminded                   bool
	ResolvedAt, ClosedAt              time.Time
	// ExchangePoint is the citizen's enrolment point (for the search attributes).
	ExchangePoint string
}

// CitizenReplyRequest carries the id of the citizen's stored answer.
type CitizenReplyRequest struct{ MessageID int64 }

// ReopenRequest carries the id of the citizen's stored reason.
type ReopenRequest struct{ MessageID int64 }

// Complaint handles a complaint (ISO 10002): acknowledgement, an officer task with a first
// response target in business days and a resolution target in calendar days, reminders
// before each target and escalation (officer → supervisor → head of unit) after it,
// requests for information that pause the clock, resolution, reopening within the window,
// auto-close, rejection.
func Complaint(ctx workflow.Context, in ComplaintInput) (domain.ComplaintStatus, error) {
	in.Config.Defaults()
	c := &complaint{in: in}
	if in.State != nil {
		c.ComplaintState = *in.State
	}
	if err := c.setup(ctx); err != nil {
		return "", err
	}
	// Version 1: the e-mails go out from a coroutine of their own, in the order they were
	// written, so that an Update returns once its transition is recorded (an officer does
	// not wait on SMTP) and a reminder or an escalation never holds up the main loop.
	// Runs started before send them where they are written, as they did.
	if workflow.GetVersion(ctx, "complaint-mail-queue", workflow.DefaultVersion, 1) == 1 {
		c.mail = &mailQueue{}
		workflow.Go(ctx, c.mail.run)
	}
	// Version 1: the main loop cancels its wake-up timer when a handler changes the state
	// first (AwaitWithOptions leaves it running: every action added a timer, and a
	// TIMER_FIRED later, to the history).
	c.cancelTimers = workflow.GetVersion(ctx, "complaint-cancel-timer", workflow.DefaultVersion, 1) == 1
	// Version 1: a request for information left unanswered is reminded to the citizen, then
	// closed unanswered. Runs started before wait for the answer for ever, as they did.
	c.citizenDeadline = workflow.GetVersion(ctx, "complaint-citizen-deadline", workflow.DefaultVersion, 1) == 1
	// Version 1: the first response target is computed again when it falls due, so that a
	// holiday entered meanwhile moves it. Runs started before escalate at the first date.
	c.recomputeDue = workflow.GetVersion(ctx, "complaint-recompute-due", workflow.DefaultVersion, 1) == 1
	c.ops = newOpsAttributes(ctx)
	if err := c.show(ctx); err != nil {
		return "", err
	}
	return c.run(ctx)
}

type complaint struct {
	ComplaintState
	in       ComplaintInput
	changes  int  // bumped by every handler: wakes the main loop to recompute its timers
	starting bool // a cycle is being opened: no timer until its deadlines are known
	ops      *opsAttributes
	mail     *mailQueue // nil: e-mails are sent where they are written (runs before the queue)
	// cancelTimers: the wake-up timer is cancelled when the state changes first.
	cancelTimers bool
	// citizenDeadline: a request for information has a reminder and a closing date.
	citizenDeadline bool
	// recomputeDue: the first response target is checked against the holidays before it
	// escalates.
	recomputeDue bool
}

// mailQueue sends the outbox rows a complaint writes, one after the other, from a
// coroutine of its own. The e-mail activity retries until SMTP takes the message.
type mailQueue struct {
	pending []int64
	err     error // the coroutine stopped (the run is cancelled): given to the main loop
}

func (q *mailQueue) run(ctx workflow.Context) {
	for {
		if err := workflow.Await(ctx, func() bool { return len(q.pending) > 0 }); err != nil {
			q.err = err
			return
		}
		if err := sendEmails(ctx, q.pending[0]); err != nil {
			q.err = err
			return
		}
		q.pending = q.pending[1:]
	}
}

// idle: nothing left to send, or the coroutine stopped.
func (q *mailQueue) idle() bool { return q == nil || len(q.pending) == 0 || q.err != nil }

// send mails the outbox rows: queued (version 1), else at once.
func (c *complaint) send(ctx workflow.Context, ids ...int64) error {
	if c.mail == nil {
		return sendEmails(ctx, ids...)
	}
	for _, id := range ids {
		if id != 0 {
			c.mail.pending = append(c.mail.pending, id)
		}
	}
	return nil
}

// settled: no handler running and every e-mail sent (before continuing as new or ending,
// so that none is left behind or sent twice by the next run).
func (c *complaint) settled(ctx workflow.Context) error {
	err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) && c.mail.idle() })
	if err == nil && c.mail != nil {
		err = c.mail.err
	}
	return err
}

// show publishes the complaint's status to ops (search attributes, current details). The
// deadline is the first response target until there is a first response, then the
// resolution target; none while the clock is paused or once resolved.
func (c *complaint) show(ctx workflow.Context) error {
	status := c.Status
	if status == "" {
		status = domain.ComplaintSubmitted
	}
	v := opsView{Process: processComplaint, Status: string(status), Level: c.EscalationLevel, ExchangePoint: c.ExchangePoint,
		Year: complaintYear(c.in.Reference)}
	var fact string
	switch status {
	case domain.ComplaintSubmitted:
		fact = "Opening the first handling cycle."
	case domain.ComplaintInQueue, domain.ComplaintClaimed:
		target := "first response"
		v.DueAt = c.FirstResponseDue
		if !c.FirstResponseAt.IsZero() {
			target, v.DueAt = "resolution", c.ResolutionDue
		}
		if !v.DueAt.IsZero() {
			fact = fmt.Sprintf("Cycle %d, task %s in the %s queue (escalation level %d); %s due %s.",
				c.Cycle, c.Task.ID, c.Task.Queue, c.EscalationLevel, target, fmtDue(v.DueAt))
		}
	case domain.ComplaintWaitingForCitizen:
		fact = "Waiting for the citizen's answer: the clock is paused."
		if !c.CitizenCloseAt.IsZero() {
			fact += fmt.Sprintf(" Closes unanswered %s.", fmtDue(c.CitizenCloseAt))
		}
	case domain.ComplaintResolved:
		fact = fmt.Sprintf("Resolved; closes by itself %s unless the citizen reopens it.", fmtDue(c.ResolvedAt.Add(c.in.Config.ReopenWindow)))
	case domain.ComplaintRejected:
		fact = "Rejected; the citizen was told of the recourse (chikaya.ma)."
	}
	v.Details = details(string(status), fact)
	return c.ops.show(ctx, v)
}

// complaintYear is the filing year of a reference REC-<year>-<number> (0 if it has none).
func complaintYear(reference string) int {
	parts := strings.Split(reference, "-")
	if len(parts) != 3 {
		return 0
	}
	y, err := strconv.Atoi(parts[1])
	if err != nil {
		return 0
	}
	return y
}

func (c *complaint) setup(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryComplaintState, func() (ComplaintState, error) { return c.ComplaintState, nil }); err != nil {
		return err
	}
	handlers := []struct {
		name      string
		fn, valid any
	}{
		{UpdateClaimTask, c.claim, func(r ClaimTaskRequest) error { return c.open(c.Task.validateClaim(r)) }},
		{UpdateReleaseTask, c.release, func(r ReleaseTaskRequest) error {
			if err := c.open(c.Task.validateRelease(r)); err != nil {
				return err
			}
			if c.Status == domain.ComplaintWaitingForCitizen {
				return refuse(ErrInvalidState, "the complaint is waiting for the citizen")
			}
			return nil
		}},
		{UpdateReassignTask, c.reassign, func(r ReassignTaskRequest) error { return c.open(c.Task.validateReassign(r)) }},
		{UpdateCompleteTask, c.complete, func(r CompleteTaskRequest) error {
			if err := c.open(c.Task.validateComplete(r, []string{domain.OutcomeResolve, domain.OutcomeRequestInfo, domain.OutcomeReject},
				func(string) bool { return false })); err != nil {
				return err
			}
			switch {
			case r.MessageID == 0:
				return refuse(ErrTextRequired, "outcome %s needs a text", r.Outcome)
			case c.Status == domain.ComplaintWaitingForCitizen:
				return refuse(ErrInvalidState, "the complaint is waiting for the citizen")
			}
			return nil
		}},
		{UpdateCitizenReply, c.citizenReply, func(r CitizenReplyRequest) error {
			switch {
			case c.Status != domain.ComplaintWaitingForCitizen:
				return refuse(ErrInvalidState, "the complaint is %s, not waiting for the citizen", c.Status)
			case r.MessageID == 0:
				return refuse(ErrTextRequired, "an answer needs a text")
			}
			return nil
		}},
		{UpdateReopen, c.reopen, func(r ReopenRequest) error {
			switch {
			case c.Status != domain.ComplaintResolved:
				return refuse(ErrInvalidState, "the complaint is %s, not resolved", c.Status)
			case r.MessageID == 0:
				return refuse(ErrTextRequired, "a reopening needs a reason")
			}
			if !workflow.Now(ctx).Before(c.ResolvedAt.Add(c.in.Config.ReopenWindow)) {
				return refuse(ErrReopenWindowClosed, "the reopening window has closed")
			}
			return nil
		}},
	}
	for _, h := range handlers {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, h.name, h.fn, workflow.UpdateHandlerOptions{Validator: h.valid}); err != nil {
			return err
		}
	}
	return nil
}

// ErrReopenWindowClosed refuses a reopening after the window.
const ErrReopenWindowClosed = "ReopenWindowClosed"

// open refuses task actions on a complaint that is not being handled.
func (c *complaint) open(err error) error {
	switch c.Status {
	case domain.ComplaintInQueue, domain.ComplaintClaimed, domain.ComplaintWaitingForCitizen:
		return err
	}
	return refuse(ErrTaskClosed, "the complaint is %s", c.Status)
}

func (c *complaint) run(ctx workflow.Context) (domain.ComplaintStatus, error) {
	if !c.started() {
		if err := c.startCycle(ctx, 0, false); err != nil {
			return "", err
		}
	}
	for c.Status != domain.ComplaintClosed && c.Status != domain.ComplaintRejected {
		if c.shouldContinueAsNew(ctx) {
			if err := c.settled(ctx); err != nil {
				return "", err
			}
			state := c.ComplaintState
			return "", workflow.NewContinueAsNewError(ctx, Complaint, ComplaintInput{Reference: c.in.Reference, Config: c.in.Config, State: &state})
		}
		at, event, summary := c.nextEvent()
		seen := c.changes
		changed := func() bool { return c.changes != seen }
		if at.IsZero() {
			if err := workflow.Await(ctx, changed); err != nil {
				return "", err
			}
			continue
		}
		ok, err := c.wait(ctx, max(at.Sub(workflow.Now(ctx)), time.Millisecond), summary, changed)
		if err != nil {
			return "", err
		}
		if !ok {
			// Fire only if the state still waits for that event (a handler may have changed it
			// while the timer ran out, e.g. a reopening just before the auto-close).
			if at2, event2, _ := c.nextEvent(); event2 == event && !at2.After(workflow.Now(ctx)) {
				if err := c.fire(ctx, event); err != nil {
					return "", err
				}
			}
		}
	}
	if err := c.settled(ctx); err != nil {
		return "", err
	}
	return c.Status, nil
}

// wait waits until changed or for d (false: the time ran out first).
func (c *complaint) wait(ctx workflow.Context, d time.Duration, summary string, changed func() bool) (bool, error) {
	if !c.cancelTimers {
		return workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{Timeout: d, TimerOptions: workflow.TimerOptions{Summary: summary}}, changed)
	}
	tctx, cancel := workflow.WithCancel(ctx)
	defer cancel() // the timer, if the state changed first
	timer := workflow.NewTimerWithOptions(tctx, d, workflow.TimerOptions{Summary: summary})
	if err := workflow.Await(ctx, func() bool { return changed() || timer.IsReady() }); err != nil {
		return false, err
	}
	if changed() {
		return true, nil
	}
	return false, timer.Get(ctx, nil)
}

func (c *complaint) started() bool { return c.Cycle > 0 }

func (c *complaint) shouldContinueAsNew(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	return info.GetContinueAsNewSuggested() ||
		(c.in.Config.MaxHistoryEvents > 0 && info.GetCurrentHistoryLength() > c.in.Config.MaxHistoryEvents)
}

// Timer events of the main loop.
const (
	eventFirstResponseReminder = "first_response_reminder"
	eventFirstResponseBreach   = "first_response_breach"
	eventResolutionReminder    = "resolution_reminder"
	eventResolutionBreach      = "resolution_breach"
	eventAutoClose             = "auto_close"
	eventCitizenReminder       = "citizen_reminder"
	eventCloseUnanswered       = "close_unanswered"
)

// nextEvent is the earliest timer the current state waits for (zero: none). While waiting
// for the citizen the service-level clock is paused: only the citizen's reminder and the
// closing as unanswered run.
func (c *complaint) nextEvent() (time.Time, string, string) {
	if c.starting {
		return time.Time{}, "", ""
	}
	type candidate struct {
		at             time.Time
		event, summary string
	}
	var cs []candidate
	switch c.Status {
	case domain.ComplaintResolved:
		cs = append(cs, candidate{c.ResolvedAt.Add(c.in.Config.ReopenWindow), eventAutoClose, "auto-close when the reopening window ends"})
	case domain.ComplaintWaitingForCitizen:
		if !c.CitizenCloseAt.IsZero() {
			if !c.CitizenReminded {
				cs = append(cs, candidate{c.CitizenReminderAt, eventCitizenReminder, "remind the citizen of the unanswered request"})
			}
			cs = append(cs, candidate{c.CitizenCloseAt, eventCloseUnanswered, "close unanswered: no answer from the citizen"})
		}
	case domain.ComplaintInQueue, domain.ComplaintClaimed:
		if c.FirstResponseAt.IsZero() {
			if !c.FirstResponseReminded && !c.FirstResponseOverdue {
				cs = append(cs, candidate{c.FirstResponseReminder, eventFirstResponseReminder, "first response reminder to the assignee"})
			}
			if !c.FirstResponseOverdue {
				cs = append(cs, candidate{c.FirstResponseDue, eventFirstResponseBreach, "first response due: escalates one level"})
			}
		}
		if !c.ResolutionReminded && !c.ResolutionOverdue {
			cs = append(cs, candidate{c.ResolutionReminder, eventResolutionReminder, "resolution reminder to the assignee"})
		}
		if !c.ResolutionOverdue {
			cs = append(cs, candidate{c.ResolutionDue, eventResolutionBreach, "resolution due: escalates one level"})
		}
	}
	var best candidate
	for _, cand := range cs {
		if best.at.IsZero() || cand.at.Before(best.at) {
			best = cand
		}
	}
	return best.at, best.event, best.summary
}

func (c *complaint) fire(ctx workflow.Context, event string) error {
	switch event {
	case eventFirstResponseReminder:
		c.FirstResponseReminded = true
		return c.notify(ctx, "reminder", "first_response", c.FirstResponseDue)
	case eventResolutionReminder:
		c.ResolutionReminded = true
		return c.notify(ctx, "reminder", "resolution", c.ResolutionDue)
	case eventFirstResponseBreach:
		if moved, err := c.moveFirstResponseDue(ctx); moved || err != nil {
			return err
		}
		c.FirstResponseOverdue = true
		return c.escalate(ctx, "first_response", c.FirstResponseDue)
	case eventResolutionBreach:
		c.ResolutionOverdue = true
		return c.escalate(ctx, "resolution", c.ResolutionDue)
	case eventAutoClose:
		from := c.Status
		c.Status, c.ClosedAt = domain.ComplaintClosed, workflow.Now(ctx)
		_, err := c.apply(ctx, change{action: "closed", from: from, actor: "system"})
		return err
	case eventCitizenReminder:
		c.CitizenReminded = true
		_, err := c.apply(ctx, change{action: "citizen_reminded", from: c.Status, actor: "system", mail: "citizen_reminder",
			closeAt: c.CitizenCloseAt})
		return err
	case eventCloseUnanswered:
		return c.closeUnanswered(ctx)
	}
	return fmt.Errorf("unknown event %s", event)
}

// closeUnanswered closes a complaint whose request for information was never answered:
// the officers' task is cancelled and the citizen told how to file again. It cannot be
// reopened (only a resolved complaint can): the citizen files a new one.
func (c *complaint) closeUnanswered(ctx workflow.Context) error {
	from := c.Status
	c.Status, c.ClosedAt, c.PausedAt = domain.ComplaintClosed, workflow.Now(ctx), time.Time{}
	c.Task.State = domain.TaskCancelled
	tc := c.Task.change("cancelled", 0, "closed-unanswered")
	_, err := c.apply(ctx, change{action: "closed_unanswered", from: from, actor: "system", task: &tc, mail: "closed_unanswered"})
	return err
}

// moveFirstResponseDue computes the first response target again, with the holidays table
// as it is now, when it falls due: a holiday entered since it was set (the Eid's date is
// known the day before) moves it later, and the escalation waits for the new date. It
// tells whether the target moved.
func (c *complaint) moveFirstResponseDue(ctx workflow.Context) (bool, error) {
	if !c.recomputeDue || c.FirstResponseBusiness <= 0 {
		return false, nil
	}
	var res contract.BusinessDeadlineResult
	if err := workflow.ExecuteActivity(summarized(dbActivity(ctx), "check the first response target against the holidays"),
		contract.BusinessDeadline, contract.BusinessDeadlineInput{Since: c.FirstResponseSince, Business: c.FirstResponseBusiness}).Get(ctx, &res); err != nil {
		return false, err
	}
	if !res.Due.After(c.FirstResponseDue) || !res.Due.After(workflow.Now(ctx)) {
		return false, nil
	}
	c.FirstResponseDue, c.Task.DueAt = res.Due, res.Due
	_, err := c.apply(ctx, change{action: "first_response_due_moved", from: c.Status, actor: "system"})
	if err == nil {
		err = c.show(ctx)
	}
	return true, err
}

// escalate moves the task one level up (at most the head of unit) and tells that level.
func (c *complaint) escalate(ctx workflow.Context, target string, due time.Time) error {
	c.EscalationLevel = min(c.EscalationLevel+1, 2)
	c.Task.EscalationLevel, c.Task.Queue = c.EscalationLevel, domain.QueueForLevel(c.EscalationLevel)
	tc := c.Task.change("escalated", 0, "escalated-"+target)
	if _, err := c.apply(ctx, change{action: "escalated_" + target, from: c.Status, actor: "system", task: &tc}); err != nil {
		return err
	}
	return c.notify(ctx, "escalation", target, due)
}

// notify mails a reminder (to the assignee, else the level) or an escalation (the level).
func (c *complaint) notify(ctx workflow.Context, kind, target string, due time.Time) error {
	var res contract.NotifyComplaintStaffResult
	if err := workflow.ExecuteActivity(summarized(dbActivity(ctx), kind+": "+strings.ReplaceAll(target, "_", " ")), contract.NotifyComplaintStaff, contract.NotifyComplaintStaffInput{
		Reference: c.in.Reference, Cycle: c.Cycle, Kind: kind, Target: target, DueAt: due, Level: c.EscalationLevel,
		AssigneeID: c.Task.Assignee,
	}).Get(ctx, &res); err != nil {
		return err
	}
	return c.send(ctx, res.OutboxIDs...)
}

// sendEmails sends outbox rows one after the other; a message the server refused for
// good is left (the outbox row says so).
func sendEmails(ctx workflow.Context, ids ...int64) error {
	for _, id := range ids {
		if id == 0 {
			continue
		}
		err := workflow.ExecuteActivity(summarized(emailActivity(ctx), "send an e-mail"), contract.SendEmail, contract.SendEmailInput{OutboxID: id}).Get(ctx, nil)
		var appErr *temporal.ApplicationError
		if err != nil && !(errors.As(err, &appErr) && appErr.Type() == contract.ErrTypeEmailRejected) {
			return err
		}
	}
	return nil
}

// startCycle opens a handling cycle (the first, or a reopening): deadlines, a task at the
// current escalation level, the acknowledgement e-mail.
func (c *complaint) startCycle(ctx workflow.Context, publishID int64, reopen bool) error {
	from := c.Status
	if from == "" {
		from = domain.ComplaintSubmitted
	}
	c.Cycle++
	c.Status = domain.ComplaintInQueue
	c.FirstResponseAt, c.ResolvedAt, c.PausedAt = time.Time{}, time.Time{}, time.Time{}
	c.FirstResponseReminded, c.ResolutionReminded, c.FirstResponseOverdue, c.ResolutionOverdue = false, false, false, false
	c.Version++
	// Version 1: no timer runs while the cycle opens (an auto-close timer firing during a
	// reopening's activity closed the reopened complaint). Runs started before keep the old
	// behaviour on replay.
	guarded := workflow.GetVersion(ctx, "complaint-start-cycle-guard", workflow.DefaultVersion, 1) == 1
	if guarded {
		c.starting = true
		c.changes++
		defer func() { c.starting = false; c.changes++ }()
	}
	var res contract.StartComplaintCycleResult
	at := workflow.Now(ctx)
	if err := workflow.ExecuteActivity(summarized(dbActivity(ctx), fmt.Sprintf("open handling cycle %d", c.Cycle)), contract.StartComplaintCycle, contract.StartComplaintCycleInput{
		Snapshot: c.snapshot(), FromStatus: from, Level: c.EscalationLevel, Queue: domain.QueueForLevel(c.EscalationLevel),
		FirstResponseBusinessDays: c.in.Config.FirstResponseBusinessDays, ResolutionDays: c.in.Config.ResolutionDays,
		ReminderPercent: c.in.Config.ReminderPercent, FirstResponseOverride: c.in.Config.FirstResponseOverride,
		ResolutionOverride: c.in.Config.ResolutionOverride, PublishID: publishID, Reopen: reopen, At: at,
		WorkflowID: ComplaintWorkflowID(c.in.Reference),
	}).Get(ctx, &res); err != nil {
		return err
	}
	c.Task = task{ID: res.TaskID, Kind: "complaint", State: domain.TaskOpen, Queue: domain.QueueForLevel(c.EscalationLevel),
		EscalationLevel: c.EscalationLevel, DueAt: res.FirstResponseDue}
	c.FirstResponseDue, c.FirstResponseReminder = res.FirstResponseDue, res.FirstResponseReminder
	c.FirstResponseSince, c.FirstResponseBusiness = at, res.FirstResponseBusiness
	c.ResolutionDue, c.ResolutionReminder = res.ResolutionDue, res.ResolutionReminder
	if res.ExchangePointCode != "" {
		c.ExchangePoint = res.ExchangePointCode
	}
	if !guarded {
		c.changes++
	}
	if err := c.show(ctx); err != nil {
		return err
	}
	return c.send(ctx, res.OutboxID)
}

func (c *complaint) snapshot() domain.ComplaintSnapshot {
	return domain.ComplaintSnapshot{Reference: c.in.Reference, Version: c.Version, Status: c.Status,
		EscalationLevel: c.EscalationLevel, Cycle: c.Cycle, TaskID: c.Task.ID, FirstResponseDueAt: c.FirstResponseDue,
		ResolutionDueAt: c.ResolutionDue, FirstResponseAt: c.FirstResponseAt, PausedAt: c.PausedAt,
		FirstResponseOverdue: c.FirstResponseOverdue, ResolutionOverdue: c.ResolutionOverdue, ResolvedAt: c.ResolvedAt,
		ClosedAt: c.ClosedAt, ReopenCount: c.ReopenCount}
}

// change is one transition to mirror.
type change struct {
	action, actor string
	from          domain.ComplaintStatus
	staffID       int64
	task          *contract.TaskChangeInput
	publishID     int64
	mail          string    // the citizen's e-mail: info_requested, resolved, rejected, citizen_reminder, closed_unanswered, or none
	closeAt       time.Time // the closing date the citizen_reminder e-mail announces
}

// apply writes the current state as one transition and sends (queues) the citizen's e-mail.
func (c *complaint) apply(ctx workflow.Context, ch change) (int64, error) {
	c.Version++
	c.changes++
	var res contract.ApplyComplaintChangeResult
	if err := workflow.ExecuteActivity(summarized(dbActivity(ctx), "record "+strings.ReplaceAll(ch.action, "_", " ")), contract.ApplyComplaintChange, contract.ApplyComplaintChangeInput{
		Snapshot: c.snapshot(), EventKey: fmt.Sprintf("%s/%d/%s", c.in.Reference, c.Version, ch.action),
		Actor: ch.actor, StaffID: ch.staffID, Action: ch.action, FromStatus: ch.from, Task: ch.task,
		PublishID: ch.publishID, Mail: ch.mail, CloseAt: ch.closeAt, At: workflow.Now(ctx),
	}).Get(ctx, &res); err != nil {
		return 0, err
	}
	if err := c.show(ctx); err != nil {
		return 0, err
	}
	return res.OutboxID, c.send(ctx, res.OutboxID)
}

func (c *complaint) claim(ctx workflow.Context, req ClaimTaskRequest) (TaskResult, error) {
	from := c.Status
	c.Task.State, c.Task.Assignee = domain.TaskClaimed, req.Actor.StaffID
	c.Status = domain.ComplaintClaimed
	tc := c.Task.change("claimed", req.Actor.StaffID, "claimed")
	_, err := c.apply(ctx, change{action: "claimed", from: from, actor: "staff", staffID: req.Actor.StaffID, task: &tc})
	return TaskResult{TaskID: c.Task.ID, State: c.Task.State, AssigneeID: c.Task.Assignee, SubjectStatus: string(c.Status)}, err
}

func (c *complaint) release(ctx workflow.Context, req ReleaseTaskRequest) (TaskResult, error) {
	from := c.Status
	c.Task.State, c.Task.Assignee = domain.TaskOpen, 0
	c.Status = domain.ComplaintInQueue
	tc := c.Task.change("released", req.Actor.StaffID, "released")
	_, err := c.apply(ctx, change{action: "released", from: from, actor: "staff", staffID: req.Actor.StaffID, task: &tc})
	return TaskResult{TaskID: c.Task.ID, State: c.Task.State, SubjectStatus: string(c.Status)}, err
}

// reassign gives the task to another staff member; a complaint waiting for the citizen
// keeps waiting.
func (c *complaint) reassign(ctx workflow.Context, req ReassignTaskRequest) (TaskResult, error) {
	from := c.Status
	c.Task.State, c.Task.Assignee = domain.TaskClaimed, req.Assignee.StaffID
	if c.Status == domain.ComplaintInQueue {
		c.Status = domain.ComplaintClaimed
	}
	tc := c.Task.change("reassigned", req.Actor.StaffID, "reassigned")
	_, err := c.apply(ctx, change{action: "reassigned", from: from, actor: "staff", staffID: req.Actor.StaffID, task: &tc})
	return TaskResult{TaskID: c.Task.ID, State: c.Task.State, AssigneeID: c.Task.Assignee, SubjectStatus: string(c.Status)}, err
}

func (c *complaint) complete(ctx workflow.Context, req CompleteTaskRequest) (TaskResult, error) {
	now := workflow.Now(ctx)
	from := c.Status
	if c.FirstResponseAt.IsZero() {
		c.FirstResponseAt = now
	}
	var tc contract.TaskChangeInput
	var mail string
	switch req.Outcome {
	case domain.OutcomeRequestInfo:
		c.Status, c.PausedAt, mail = domain.ComplaintWaitingForCitizen, now, "info_requested"
		tc = c.Task.change("info_requested", req.Actor.StaffID, fmt.Sprintf("info-requested-%d", req.MessageID))
	case domain.OutcomeResolve:
		c.Status, c.ResolvedAt, mail = domain.ComplaintResolved, now, "resolved"
		c.Task.State = domain.TaskDone
		tc = c.Task.change("completed", req.Actor.StaffID, "completed")
	case domain.OutcomeReject:
		c.Status, mail = domain.ComplaintRejected, "rejected"
		c.Task.State = domain.TaskDone
		tc = c.Task.change("completed", req.Actor.StaffID, "completed")
	}
	tc.Outcome = req.Outcome
	_, err := c.apply(ctx, change{action: req.Outcome, from: from, actor: "staff", staffID: req.Actor.StaffID, task: &tc,
		publishID: req.MessageID, mail: mail})
	if err == nil && req.Outcome == domain.OutcomeRequestInfo {
		err = c.citizenDeadlines(ctx, now)
	}
	return TaskResult{TaskID: c.Task.ID, State: c.Task.State, AssigneeID: c.Task.Assignee, Outcome: req.Outcome, SubjectStatus: string(c.Status)}, err
}

// citizenDeadlines sets when the citizen asked for information at `paused` is reminded and
// when the complaint closes unanswered (business days with the holidays table: computed in
// an activity), once the request is recorded, so that no other Update is accepted
// meanwhile on the state before it.
func (c *complaint) citizenDeadlines(ctx workflow.Context, paused time.Time) error {
	if !c.citizenDeadline {
		return nil
	}
	cfg := c.in.Config
	var res contract.CitizenDeadlinesResult
	if err := workflow.ExecuteActivity(summarized(dbActivity(ctx), "compute the citizen's deadlines"), contract.CitizenDeadlines, contract.CitizenDeadlinesInput{
		PausedAt: paused, ReminderBusinessDays: cfg.CitizenReminderBusinessDays, CloseBusinessDays: cfg.CitizenCloseBusinessDays,
		Override: cfg.CitizenDeadlineOverride,
	}).Get(ctx, &res); err != nil {
		return err
	}
	if c.Status != domain.ComplaintWaitingForCitizen || !c.PausedAt.Equal(paused) {
		return nil // answered meanwhile
	}
	c.CitizenReminderAt, c.CitizenCloseAt, c.CitizenReminded = res.ReminderAt, res.CloseAt, false
	c.changes++ // the main loop sets its timer
	return c.show(ctx)
}

// citizenReply resumes the clock: calendar targets move by the paused time, business ones
// keep their remaining business time (computed in an activity, with the holidays table).
func (c *complaint) citizenReply(ctx workflow.Context, req CitizenReplyRequest) (ComplaintState, error) {
	// The reminder and the closing were for this request only: dropped first, so that
	// neither fires while the answer is being recorded.
	c.CitizenReminderAt, c.CitizenCloseAt, c.CitizenReminded = time.Time{}, time.Time{}, false
	now := workflow.Now(ctx)
	paused := now.Sub(c.PausedAt)
	if c.FirstResponseAt.IsZero() {
		var res contract.ResumeClockResult
		if err := workflow.ExecuteActivity(summarized(dbActivity(ctx), "resume the clock"), contract.ResumeClock, contract.ResumeClockInput{
			PausedAt: c.PausedAt, At: now, Due: c.FirstResponseDue, Reminder: c.FirstResponseReminder,
		}).Get(ctx, &res); err != nil {
			return c.ComplaintState, err
		}
		c.FirstResponseDue, c.FirstResponseReminder = res.Due, res.Reminder
		if c.in.Config.FirstResponseOverride <= 0 {
			c.FirstResponseSince, c.FirstResponseBusiness = now, res.Business
		}
	}
	c.ResolutionDue, c.ResolutionReminder = c.ResolutionDue.Add(paused), c.ResolutionReminder.Add(paused)
	from := c.Status
	c.Status, c.PausedAt = domain.ComplaintClaimed, time.Time{}
	if c.Task.State != domain.TaskClaimed {
		c.Status = domain.ComplaintInQueue
	}
	_, err := c.apply(ctx, change{action: "citizen_replied", from: from, actor: "citizen", publishID: req.MessageID})
	return c.ComplaintState, err
}

func (c *complaint) reopen(ctx workflow.Context, req ReopenRequest) (ComplaintState, error) {
	c.ReopenCount++
	if err := c.startCycle(ctx, req.MessageID, true); err != nil {
		return c.ComplaintState, err
	}
	return c.ComplaintState, nil
}
