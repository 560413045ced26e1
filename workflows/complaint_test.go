package workflows

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"occonnect/activities/contract"
	"occonnect/domain"
	"occonnect/store"
)

// The complaint tests use the shared harness (harness_test.go) with the complaint's mocks.
// Every name here is prefixed with cpl so as not to clash with the other workflows' tests.

const (
	cplRef = "REC-2026-000123"
	cplDay = 24 * time.Hour
	// cplExchangePoint is the citizen's enrolment point StartComplaintCycle returns.
	cplExchangePoint = "EP-0002"
)

var (
	// cplWednesday is far from any holiday: the first response is due on Friday at 09:00.
	cplWednesday = time.Date(2026, time.March, 4, 9, 0, 0, 0, domain.Casablanca)
	// cplFriday: the first response is due on Tuesday at 10:00, over the weekend.
	cplFriday = time.Date(2026, time.March, 6, 10, 0, 0, 0, domain.Casablanca)

	cplOfficer    = TaskActor{StaffID: 7, Role: domain.RoleOfficer}
	cplOfficer2   = TaskActor{StaffID: 8, Role: domain.RoleOfficer}
	cplAgent      = TaskActor{StaffID: 9, Role: domain.RoleAgent}
	cplSupervisor = TaskActor{StaffID: 20, Role: domain.RoleSupervisor}
	cplHead       = TaskActor{StaffID: 30, Role: domain.RoleHeadOfUnit}
)

// cplDeadlines are a cycle's targets, computed like the StartComplaintCycle activity (with
// the fixed holidays only).
type cplDeadlines struct {
	FirstResponseDue, FirstResponseReminder time.Time
	ResolutionDue, ResolutionReminder       time.Time
}

func cplDeadlinesFrom(at time.Time, businessDays, resolutionDays, percent int) cplDeadlines {
	cal := domain.NewCalendar(nil)
	at = at.UTC()
	var d cplDeadlines
	d.FirstResponseDue = cal.AddBusinessDays(at, businessDays)
	d.FirstResponseReminder = cal.AddBusinessDuration(at,
		cal.BusinessDurationBetween(at, d.FirstResponseDue)*time.Duration(percent)/100)
	d.ResolutionDue = at.AddDate(0, 0, resolutionDays)
	d.ResolutionReminder = at.Add(d.ResolutionDue.Sub(at) * time.Duration(percent) / 100)
	return d
}

// cplCitizenDeadlinesFrom is when a citizen asked for information at `paused` is reminded
// and when the complaint closes unanswered, computed like the CitizenDeadlines activity
// (with the fixed holidays only).
func cplCitizenDeadlinesFrom(paused time.Time, reminderDays, closeDays int) contract.CitizenDeadlinesResult {
	cal := domain.NewCalendar(nil)
	reminder := cal.AddBusinessDays(paused.UTC(), reminderDays)
	return contract.CitizenDeadlinesResult{ReminderAt: reminder, CloseAt: cal.AddBusinessDays(reminder, closeDays)}
}

// cplDefaultDeadlines: 2 business days, 60 calendar days, reminders at 75%.
func cplDefaultDeadlines(at time.Time) cplDeadlines { return cplDeadlinesFrom(at, 2, 60, 75) }

// cplCycleOutboxID is the acknowledgement (or reopening) e-mail of a cycle.
func cplCycleOutboxID(cycle int) int64 { return int64(100 + cycle) }

// cplMailOutboxID is the citizen's e-mail ApplyComplaintChange queues at a version.
func cplMailOutboxID(version int) int64 { return int64(500 + version) }

// cplNoticeOutboxIDs are the staff notices of the n-th (1-based) NotifyComplaintStaff call:
// one for a reminder to an assignee, two (the level's staff) otherwise.
func cplNoticeOutboxIDs(n int, in contract.NotifyComplaintStaffInput) []int64 {
	base := int64(9000 + 10*n)
	if in.Kind == "reminder" && in.AssigneeID != 0 {
		return []int64{base + 1}
	}
	return []int64{base + 1, base + 2}
}

type cplOptions struct {
	start  time.Time       // zero: cplWednesday
	config ComplaintConfig // zero: the defaults
	state  *ComplaintState // set: started as continue-as-new does
	// failReopenOnce fails the first attempt of a reopening's StartComplaintCycle (a
	// deadlock): it is retried a second later.
	failReopenOnce bool
	// before names workflow.GetVersion changes the run takes at DefaultVersion, as a run
	// started before them does.
	before []string
	// lateHolidays are holidays entered in the table after the cycles' targets were set:
	// the BusinessDeadline activity sees them, StartComplaintCycle did not.
	lateHolidays []time.Time
}

// cplHarness runs the Complaint workflow with its activities mocked.
type cplHarness struct {
	*harness
	in ComplaintInput
}

func newCplHarness(t *testing.T, opts cplOptions) *cplHarness {
	t.Helper()
	start := opts.start
	if start.IsZero() {
		start = cplWednesday
	}
	h := &cplHarness{harness: newHarness(t, Complaint, start),
		in: ComplaintInput{Reference: cplRef, Config: opts.config, State: opts.state}}
	env := h.env
	for _, change := range opts.before {
		env.OnGetVersion(change, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	}

	env.OnActivity(a.StartComplaintCycle, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in contract.StartComplaintCycleInput) (contract.StartComplaintCycleResult, error) {
			if in.Reopen && opts.failReopenOnce && activity.GetInfo(ctx).Attempt == 1 {
				return contract.StartComplaintCycleResult{}, errors.New("Error 1213: Deadlock found when trying to get lock")
			}
			d := cplDeadlinesFrom(in.At, in.FirstResponseBusinessDays, in.ResolutionDays, in.ReminderPercent)
			if in.FirstResponseOverride > 0 { // like the activity: a plain duration
				d.FirstResponseDue = in.At.Add(in.FirstResponseOverride).UTC()
				d.FirstResponseReminder = in.At.Add(in.FirstResponseOverride * time.Duration(in.ReminderPercent) / 100).UTC()
			}
			business := domain.NewCalendar(nil).BusinessDurationBetween(in.At, d.FirstResponseDue)
			if in.FirstResponseOverride > 0 {
				business = 0
			}
			return contract.StartComplaintCycleResult{
				TaskID:           "T" + strconv.Itoa(in.Snapshot.Cycle),
				FirstResponseDue: d.FirstResponseDue, FirstResponseReminder: d.FirstResponseReminder, FirstResponseBusiness: business,
				ResolutionDue: d.ResolutionDue, ResolutionReminder: d.ResolutionReminder,
				OutboxID:          cplCycleOutboxID(in.Snapshot.Cycle),
				ExchangePointCode: cplExchangePoint,
			}, nil
		})
	env.OnActivity(a.ApplyComplaintChange, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.ApplyComplaintChangeInput) (contract.ApplyComplaintChangeResult, error) {
			if in.Mail == "" {
				return contract.ApplyComplaintChangeResult{}, nil
			}
			return contract.ApplyComplaintChangeResult{OutboxID: cplMailOutboxID(in.Snapshot.Version)}, nil
		})
	env.OnActivity(a.ResumeClock, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.ResumeClockInput) (contract.ResumeClockResult, error) {
			cal := domain.NewCalendar(nil)
			left := cal.BusinessDurationBetween(in.PausedAt, in.Due)
			return contract.ResumeClockResult{
				Due:      cal.AddBusinessDuration(in.At, left),
				Reminder: cal.AddBusinessDuration(in.At, cal.BusinessDurationBetween(in.PausedAt, in.Reminder)),
				Business: left,
			}, nil
		})
	env.OnActivity(a.BusinessDeadline, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.BusinessDeadlineInput) (contract.BusinessDeadlineResult, error) {
			return contract.BusinessDeadlineResult{Due: domain.NewCalendar(opts.lateHolidays).AddBusinessDuration(in.Since, in.Business).UTC()}, nil
		})
	env.OnActivity(a.CitizenDeadlines, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.CitizenDeadlinesInput) (contract.CitizenDeadlinesResult, error) {
			d := cplCitizenDeadlinesFrom(in.PausedAt, in.ReminderBusinessDays, in.CloseBusinessDays)
			if in.Override > 0 { // like the activity: plain durations
				d = contract.CitizenDeadlinesResult{ReminderAt: in.PausedAt.Add(in.Override), CloseAt: in.PausedAt.Add(2 * in.Override)}
			}
			return d, nil
		})
	env.OnActivity(a.NotifyComplaintStaff, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.NotifyComplaintStaffInput) (contract.NotifyComplaintStaffResult, error) {
			n := len(h.callsOf(a.NotifyComplaintStaff))
			return contract.NotifyComplaintStaffResult{OutboxIDs: cplNoticeOutboxIDs(n, in)}, nil
		})
	env.OnActivity(a.SendEmail, mock.Anything, mock.Anything).Return(nil)
	return h
}

// run executes the workflow to a successful completion and returns its final status.
func (h *cplHarness) run() domain.ComplaintStatus {
	h.t.Helper()
	return runToResult[domain.ComplaintStatus](h.harness, h.in)
}

func (h *cplHarness) cycles() []contract.StartComplaintCycleInput {
	return inputs[contract.StartComplaintCycleInput](h.harness, a.StartComplaintCycle)
}

func (h *cplHarness) changes() []contract.ApplyComplaintChangeInput {
	return inputs[contract.ApplyComplaintChangeInput](h.harness, a.ApplyComplaintChange)
}

func (h *cplHarness) actions() []string {
	var out []string
	for _, c := range h.changes() {
		out = append(out, c.Action)
	}
	return out
}

// cplNotice is a NotifyComplaintStaff call and when it ran.
type cplNotice struct {
	At time.Time
	In contract.NotifyComplaintStaffInput
}

func (h *cplHarness) notifications() []cplNotice {
	var out []cplNotice
	for _, c := range h.callsOf(a.NotifyComplaintStaff) {
		out = append(out, cplNotice{At: c.At, In: c.Input.(contract.NotifyComplaintStaffInput)})
	}
	return out
}

// mailed are the outbox ids of the e-mails sent.
func (h *cplHarness) mailed() []int64 {
	var out []int64
	for _, in := range h.emails() {
		out = append(out, in.OutboxID)
	}
	return out
}

func (h *cplHarness) complete(at time.Duration, id, taskID string, actor TaskActor, outcome string, messageID int64) *updateOutcome {
	return h.completeTask(at, id, CompleteTaskRequest{TaskID: taskID, Actor: actor, Outcome: outcome, MessageID: messageID})
}

func (h *cplHarness) reply(at time.Duration, id string, messageID int64) *updateOutcome {
	return h.update(at, UpdateCitizenReply, id, CitizenReplyRequest{MessageID: messageID})
}

func (h *cplHarness) reopen(at time.Duration, id string, messageID int64) *updateOutcome {
	return h.update(at, UpdateReopen, id, ReopenRequest{MessageID: messageID})
}

func (h *cplHarness) queryAt(at time.Duration) *queried[ComplaintState] {
	return queryAt[ComplaintState](h.harness, at, QueryComplaintState)
}

// cplTaskChange is the task transition the workflow is expected to mirror.
func cplTaskChange(taskID string, version int, action, key string, staffID int64, state domain.TaskState, queue domain.Queue, level int,
	assignee int64, outcome string) *contract.TaskChangeInput {
	return &contract.TaskChangeInput{
		TaskID: taskID, EventKey: taskID + "/" + strconv.Itoa(version) + "/" + key, Action: action, StaffID: staffID,
		State: state, Queue: queue, EscalationLevel: level, AssigneeStaffID: assignee, Version: version, Outcome: outcome,
	}
}

func cplEventKey(version int, action string) string {
	return cplRef + "/" + strconv.Itoa(version) + "/" + action
}

// cplFirstCycle is the StartComplaintCycle input of a new complaint started at `at`.
func cplFirstCycle(at time.Time) contract.StartComplaintCycleInput {
	return contract.StartComplaintCycleInput{
		Snapshot:   store.ComplaintSnapshot{Reference: cplRef, Version: 1, Status: domain.ComplaintInQueue, Cycle: 1},
		FromStatus: domain.ComplaintSubmitted, Level: 0, Queue: domain.QueueOfficers,
		FirstResponseBusinessDays: 2, ResolutionDays: 60, ReminderPercent: 75, At: at.UTC(),
		WorkflowID: "complaint/" + cplRef,
	}
}

func cplAt(start time.Time, d time.Duration) time.Time { return start.Add(d).UTC() }

// 1. Claim, resolve with a text, nobody reopens: closed 14 days later, without escalation.
func TestComplaint_ResolveThenAutoClose(t *testing.T) {
	h := newCplHarness(t, cplOptions{})
	s := h.start
	d := cplDefaultDeadlines(s)
	claim := h.claim(time.Hour, "claim-1", "T1", cplOfficer)
	noText := h.complete(90*time.Minute, "complete-no-text", "T1", cplOfficer, domain.OutcomeResolve, 0)
	resolve := h.complete(2*time.Hour, "complete-1", "T1", cplOfficer, domain.OutcomeResolve, 41)
	resolved := h.queryAt(3 * time.Hour)
	beforeClose := h.queryAt(2*time.Hour + 14*cplDay - time.Minute)

	res := h.run()

	assert.Equal(t, domain.ComplaintClosed, res)
	assert.True(t, h.env.Now().Equal(s.Add(2*time.Hour+14*cplDay)), "ended at %v", h.env.Now())
	assert.Equal(t, []contract.StartComplaintCycleInput{cplFirstCycle(s)}, h.cycles())

	requireAccepted(t, claim)
	assert.Equal(t, TaskResult{TaskID: "T1", State: domain.TaskClaimed, AssigneeID: 7, SubjectStatus: string(domain.ComplaintClaimed)},
		resultOf[TaskResult](t, claim))
	requireRefused(t, noText, ErrTextRequired)
	requireAccepted(t, resolve)
	assert.Equal(t, TaskResult{TaskID: "T1", State: domain.TaskDone, AssigneeID: 7, Outcome: domain.OutcomeResolve,
		SubjectStatus: string(domain.ComplaintResolved)}, resultOf[TaskResult](t, resolve))

	at1, at2, closedAt := cplAt(s, time.Hour), cplAt(s, 2*time.Hour), cplAt(s, 2*time.Hour+14*cplDay)
	assert.Equal(t, []contract.ApplyComplaintChangeInput{
		{
			Snapshot: store.ComplaintSnapshot{Reference: cplRef, Version: 2, Status: domain.ComplaintClaimed, Cycle: 1,
				TaskID: "T1", FirstResponseDueAt: d.FirstResponseDue, ResolutionDueAt: d.ResolutionDue},
			EventKey: cplEventKey(2, "claimed"), Actor: "staff", StaffID: 7, Action: "claimed",
			FromStatus: domain.ComplaintInQueue,
			Task:       cplTaskChange("T1", 1, "claimed", "claimed", 7, domain.TaskClaimed, domain.QueueOfficers, 0, 7, ""),
			At:         at1,
		},
		{
			Snapshot: store.ComplaintSnapshot{Reference: cplRef, Version: 3, Status: domain.ComplaintResolved, Cycle: 1,
				TaskID: "T1", FirstResponseDueAt: d.FirstResponseDue, ResolutionDueAt: d.ResolutionDue,
				FirstResponseAt: at2, ResolvedAt: at2},
			EventKey: cplEventKey(3, domain.OutcomeResolve), Actor: "staff", StaffID: 7, Action: domain.OutcomeResolve,
			FromStatus: domain.ComplaintClaimed,
			Task: cplTaskChange("T1", 2, "completed", "completed", 7, domain.TaskDone, domain.QueueOfficers, 0, 7,
				domain.OutcomeResolve),
			PublishID: 41, Mail: "resolved", At: at2,
		},
		{
			Snapshot: store.ComplaintSnapshot{Reference: cplRef, Version: 4, Status: domain.ComplaintClosed, Cycle: 1,
				TaskID: "T1", FirstResponseDueAt: d.FirstResponseDue, ResolutionDueAt: d.ResolutionDue,
				FirstResponseAt: at2, ResolvedAt: at2, ClosedAt: closedAt},
			EventKey: cplEventKey(4, "closed"), Actor: "system", Action: "closed", FromStatus: domain.ComplaintResolved,
			At: closedAt,
		},
	}, h.changes())
	assert.Equal(t, []int64{cplCycleOutboxID(1), cplMailOutboxID(3)}, h.mailed())
	assert.Empty(t, h.notifications(), "no reminder nor escalation")
	assert.Empty(t, h.callsOf(a.ResumeClock))

	for _, q := range []*queried[ComplaintState]{resolved, beforeClose} {
		st := q.get(t)
		assert.Equal(t, domain.ComplaintResolved, st.Status)
		assert.False(t, st.FirstResponseOverdue)
		assert.Equal(t, 0, st.EscalationLevel)
		assert.Equal(t, domain.TaskDone, st.Task.State)
	}
}

// 2. A request for information pauses the clock until the citizen replies. A run started
// before "complaint-citizen-deadline" waits for the answer as long as it takes.
func TestComplaint_RequestInfoPausesTheClock(t *testing.T) {
	for _, tc := range []struct {
		name   string
		wait   time.Duration
		before []string
	}{{"10 days", 10 * cplDay, nil}, {"90 days before the citizen deadline", 90 * cplDay, []string{"complaint-citizen-deadline"}}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newCplHarness(t, cplOptions{before: tc.before})
			s := h.start
			d := cplDefaultDeadlines(s)
			requestAt := cplDay // Thursday 09:00: one business day later
			replyAt := requestAt + tc.wait

			claim := h.claim(time.Hour, "claim-1", "T1", cplOfficer)
			earlyReply := h.reply(2*time.Hour, "reply-early", 20)
			request := h.complete(requestAt, "request-info", "T1", cplOfficer, domain.OutcomeRequestInfo, 21)
			waiting := h.queryAt(requestAt + time.Minute)
			completeWaiting := h.complete(requestAt+time.Hour, "complete-waiting", "T1", cplOfficer, domain.OutcomeResolve, 22)
			rejectWaiting := h.complete(requestAt+time.Hour, "reject-waiting", "T1", cplOfficer, domain.OutcomeReject, 22)
			releaseWaiting := h.release(requestAt+2*time.Hour, "release-waiting", "T1", cplOfficer)
			claimWaiting := h.claim(requestAt+2*time.Hour, "claim-waiting", "T1", cplOfficer2)
			noMessage := h.reply(requestAt+3*time.Hour, "reply-no-message", 0)
			stillWaiting := h.queryAt(replyAt - time.Minute)
			reply := h.reply(replyAt, "reply-1", 23)
			replyAgain := h.reply(replyAt+time.Minute, "reply-again", 24)
			resumed := h.queryAt(replyAt + 2*time.Minute)
			resolve := h.complete(replyAt+time.Hour, "resolve", "T1", cplOfficer, domain.OutcomeResolve, 25)

			res := h.run()

			assert.Equal(t, domain.ComplaintClosed, res)
			requireAccepted(t, claim)
			requireRefused(t, earlyReply, ErrInvalidState)
			requireAccepted(t, request)
			assert.Equal(t, TaskResult{TaskID: "T1", State: domain.TaskClaimed, AssigneeID: 7, Outcome: domain.OutcomeRequestInfo,
				SubjectStatus: string(domain.ComplaintWaitingForCitizen)}, resultOf[TaskResult](t, request))
			requireRefused(t, completeWaiting, ErrInvalidState)
			requireRefused(t, rejectWaiting, ErrInvalidState)
			requireRefused(t, releaseWaiting, ErrInvalidState)
			requireRefused(t, claimWaiting, ErrTaskAlreadyClaimed)
			// Refused as InvalidState today (with a confusing message); TextRequired would do too.
			requireRefused(t, noMessage, ErrInvalidState, ErrTextRequired)
			requireAccepted(t, reply)
			requireRefused(t, replyAgain, ErrInvalidState)
			requireAccepted(t, resolve)

			requestedAt := cplAt(s, requestAt)
			for _, q := range []*queried[ComplaintState]{waiting, stillWaiting} {
				st := q.get(t)
				assert.Equal(t, domain.ComplaintWaitingForCitizen, st.Status)
				assert.Equal(t, requestedAt, st.PausedAt)
				assert.Equal(t, requestedAt, st.FirstResponseAt, "a request for information is the first response")
				assert.Equal(t, d.ResolutionDue, st.ResolutionDue, "the target moves only when the clock resumes")
				assert.False(t, st.ResolutionReminded)
				assert.False(t, st.ResolutionOverdue)
				assert.Equal(t, 0, st.EscalationLevel)
			}

			paused := tc.wait
			st := resultOf[ComplaintState](t, reply)
			assert.Equal(t, domain.ComplaintClaimed, st.Status)
			assert.True(t, st.PausedAt.IsZero())
			assert.Equal(t, d.ResolutionDue.Add(paused), st.ResolutionDue, "moved by the paused time")
			assert.Equal(t, d.ResolutionReminder.Add(paused), st.ResolutionReminder, "moved by the paused time")
			assert.Equal(t, d.FirstResponseDue, st.FirstResponseDue)
			assert.Equal(t, st, resumed.get(t))

			assert.Equal(t, []string{"claimed", domain.OutcomeRequestInfo, "citizen_replied", domain.OutcomeResolve, "closed"}, h.actions())
			changes := h.changes()
			require.Len(t, changes, 5)
			assert.Equal(t, contract.ApplyComplaintChangeInput{
				Snapshot: store.ComplaintSnapshot{Reference: cplRef, Version: 3, Status: domain.ComplaintWaitingForCitizen,
					Cycle: 1, TaskID: "T1", FirstResponseDueAt: d.FirstResponseDue, ResolutionDueAt: d.ResolutionDue,
					FirstResponseAt: requestedAt, PausedAt: requestedAt},
				EventKey: cplEventKey(3, domain.OutcomeRequestInfo), Actor: "staff", StaffID: 7, Action: domain.OutcomeRequestInfo,
				FromStatus: domain.ComplaintClaimed,
				Task: cplTaskChange("T1", 2, "info_requested", "info-requested-21", 7, domain.TaskClaimed,
					domain.QueueOfficers, 0, 7, domain.OutcomeRequestInfo),
				PublishID: 21, Mail: "info_requested", At: requestedAt,
			}, changes[1])
			repliedAt := cplAt(s, replyAt)
			assert.Equal(t, contract.ApplyComplaintChangeInput{
				Snapshot: store.ComplaintSnapshot{Reference: cplRef, Version: 4, Status: domain.ComplaintClaimed,
					Cycle: 1, TaskID: "T1", FirstResponseDueAt: d.FirstResponseDue,
					ResolutionDueAt: d.ResolutionDue.Add(paused), FirstResponseAt: requestedAt},
				EventKey: cplEventKey(4, "citizen_replied"), Actor: "citizen", Action: "citizen_replied",
				FromStatus: domain.ComplaintWaitingForCitizen, PublishID: 23, At: repliedAt,
			}, changes[2])
			assert.Equal(t, domain.ComplaintResolved, changes[3].Snapshot.Status)
			assert.Equal(t, d.ResolutionDue.Add(paused), changes[3].Snapshot.ResolutionDueAt)
			assert.Equal(t, "resolved", changes[3].Mail)

			assert.Empty(t, h.notifications(), "no reminder nor escalation while the clock was paused")
			assert.Empty(t, h.callsOf(a.ResumeClock), "the first response was given: no business target to move")
			assert.Equal(t, []int64{cplCycleOutboxID(1), cplMailOutboxID(3), cplMailOutboxID(5)}, h.mailed())
			if tc.before != nil {
				assert.Empty(t, h.callsOf(a.CitizenDeadlines), "a run from before the version has no citizen deadline")
			}
		})
	}
}

// 2b. After a long wait the resolution reminder fires at the moved time, not the original
// (the citizen is given longer than the wait to answer).
func TestComplaint_ResumedClockRemindsAtMovedTime(t *testing.T) {
	h := newCplHarness(t, cplOptions{config: ComplaintConfig{CitizenReminderBusinessDays: 100}})
	s := h.start
	d := cplDefaultDeadlines(s)
	wait := 90 * cplDay
	claim := h.claim(time.Hour, "claim-1", "T1", cplOfficer)
	request := h.complete(cplDay, "request-info", "T1", cplOfficer, domain.OutcomeRequestInfo, 21)
	reply := h.reply(cplDay+wait, "reply-1", 22)
	remindAt := d.ResolutionReminder.Add(wait).Sub(s)
	afterReminder := h.queryAt(remindAt + time.Minute)
	resolve := h.complete(remindAt+time.Hour, "resolve", "T1", cplOfficer, domain.OutcomeResolve, 23)

	res := h.run()

	assert.Equal(t, domain.ComplaintClosed, res)
	requireAccepted(t, claim)
	requireAccepted(t, request)
	requireAccepted(t, reply)
	requireAccepted(t, resolve)
	assert.Equal(t, []cplNotice{{At: d.ResolutionReminder.Add(wait), In: contract.NotifyComplaintStaffInput{
		Reference: cplRef, Cycle: 1, Kind: "reminder", Target: "resolution", DueAt: d.ResolutionDue.Add(wait),
		Level: 0, AssigneeID: 7,
	}}}, h.notifications())
	st := afterReminder.get(t)
	assert.True(t, st.ResolutionReminded)
	assert.False(t, st.ResolutionOverdue)
	assert.Equal(t, []string{"claimed", domain.OutcomeRequestInfo, "citizen_replied", domain.OutcomeResolve, "closed"}, h.actions())
	assert.Equal(t, []int64{cplCycleOutboxID(1), cplMailOutboxID(3), 9011, cplMailOutboxID(5)}, h.mailed())
}

// 2c. Nobody answers a request for information: the citizen is reminded after 10 business
// days (the e-mail names the closing date), and the complaint is closed unanswered 5
// business days later, its task cancelled; the configured counts and the demonstration
// override move both.
func TestComplaint_UnansweredRequestIsRemindedThenClosed(t *testing.T) {
	casa := func(month time.Month, day, hour, minute int) time.Time {
		return time.Date(2026, month, day, hour, minute, 0, 0, domain.Casablanca).UTC()
	}
	requestAt := cplDay // Thursday 5 March, 09:00
	for _, tc := range []struct {
		name              string
		config            ComplaintConfig
		reminder, closing time.Time
		wantIn            contract.CitizenDeadlinesInput
	}{
		// 10 business days after Thursday 5 March: Thursday 19 March; 5 more: Thursday 26.
		{"defaults", ComplaintConfig{}, casa(time.March, 19, 9, 0), casa(time.March, 26, 9, 0),
			contract.CitizenDeadlinesInput{ReminderBusinessDays: 10, CloseBusinessDays: 5}},
		// 2 business days over the weekend: Monday 9 March; 1 more: Tuesday 10.
		{"configured", ComplaintConfig{CitizenReminderBusinessDays: 2, CitizenCloseBusinessDays: 1},
			casa(time.March, 9, 9, 0), casa(time.March, 10, 9, 0),
			contract.CitizenDeadlinesInput{ReminderBusinessDays: 2, CloseBusinessDays: 1}},
		{"override", ComplaintConfig{CitizenDeadlineOverride: time.Minute}, casa(time.March, 5, 9, 1), casa(time.March, 5, 9, 2),
			contract.CitizenDeadlinesInput{ReminderBusinessDays: 10, CloseBusinessDays: 5, Override: time.Minute}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newCplHarness(t, cplOptions{config: tc.config})
			s := h.start
			d := cplDefaultDeadlines(s)
			claim := h.claim(time.Hour, "claim-1", "T1", cplOfficer)
			request := h.complete(requestAt, "request-info", "T1", cplOfficer, domain.OutcomeRequestInfo, 21)
			beforeReminder := h.queryAt((requestAt + tc.reminder.Sub(s)) / 2)
			afterReminder := h.queryAt(tc.reminder.Sub(s) + time.Second)

			res := h.run()

			assert.Equal(t, domain.ComplaintClosed, res)
			assert.True(t, h.env.Now().Equal(tc.closing), "ended at %v, want %v", h.env.Now(), tc.closing)
			requireAccepted(t, claim)
			requireAccepted(t, request)
			requestedAt := cplAt(s, requestAt)
			tc.wantIn.PausedAt = requestedAt
			assert.Equal(t, []contract.CitizenDeadlinesInput{tc.wantIn}, inputs[contract.CitizenDeadlinesInput](h.harness, a.CitizenDeadlines))

			st := beforeReminder.get(t)
			assert.Equal(t, domain.ComplaintWaitingForCitizen, st.Status)
			assert.Equal(t, tc.reminder, st.CitizenReminderAt)
			assert.Equal(t, tc.closing, st.CitizenCloseAt)
			assert.False(t, st.CitizenReminded)
			st = afterReminder.get(t)
			assert.Equal(t, domain.ComplaintWaitingForCitizen, st.Status)
			assert.True(t, st.CitizenReminded)

			assert.Equal(t, []string{"claimed", domain.OutcomeRequestInfo, "citizen_reminded", "closed_unanswered"}, h.actions())
			changes := h.changes()
			require.Len(t, changes, 4)
			waiting := store.ComplaintSnapshot{Reference: cplRef, Version: 4, Status: domain.ComplaintWaitingForCitizen,
				Cycle: 1, TaskID: "T1", FirstResponseDueAt: d.FirstResponseDue, ResolutionDueAt: d.ResolutionDue,
				FirstResponseAt: requestedAt, PausedAt: requestedAt}
			assert.Equal(t, contract.ApplyComplaintChangeInput{
				Snapshot: waiting, EventKey: cplEventKey(4, "citizen_reminded"), Actor: "system", Action: "citizen_reminded",
				FromStatus: domain.ComplaintWaitingForCitizen, Mail: "citizen_reminder", CloseAt: tc.closing, At: tc.reminder,
			}, changes[2])
			closed := waiting
			closed.Version, closed.Status, closed.PausedAt, closed.ClosedAt = 5, domain.ComplaintClosed, time.Time{}, tc.closing
			assert.Equal(t, contract.ApplyComplaintChangeInput{
				Snapshot: closed, EventKey: cplEventKey(5, "closed_unanswered"), Actor: "system", Action: "closed_unanswered",
				FromStatus: domain.ComplaintWaitingForCitizen,
				Task:       cplTaskChange("T1", 3, "cancelled", "closed-unanswered", 0, domain.TaskCancelled, domain.QueueOfficers, 0, 7, ""),
				Mail:       "closed_unanswered", At: tc.closing,
			}, changes[3])
			assert.Equal(t, []int64{cplCycleOutboxID(1), cplMailOutboxID(3), cplMailOutboxID(4), cplMailOutboxID(5)}, h.mailed())
			assert.Empty(t, h.notifications(), "the officers' clock was paused: no reminder nor escalation")
		})
	}
}

// 2d. The citizen answers before the closing (before or after the reminder): the complaint
// resumes as before, the pending reminder and closing are dropped, and it is resolved.
func TestComplaint_AnswerBeforeTheClosingResumes(t *testing.T) {
	requestAt := cplDay // Thursday 5 March, 09:00
	citizen := cplCitizenDeadlinesFrom(cplAt(cplWednesday, requestAt), 10, 5)
	for _, tc := range []struct {
		name     string
		replyAt  time.Time
		reminded bool
	}{
		{"before the reminder", citizen.ReminderAt.Add(-time.Hour), false},
		{"after the reminder", citizen.CloseAt.Add(-time.Minute), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newCplHarness(t, cplOptions{})
			s := h.start
			replyAt := tc.replyAt.Sub(s)
			claim := h.claim(time.Hour, "claim-1", "T1", cplOfficer)
			request := h.complete(requestAt, "request-info", "T1", cplOfficer, domain.OutcomeRequestInfo, 21)
			reply := h.reply(replyAt, "reply-1", 22)
			afterClosing := h.queryAt(citizen.CloseAt.Sub(s) + time.Hour)
			resolve := h.complete(citizen.CloseAt.Sub(s)+2*time.Hour, "resolve", "T1", cplOfficer, domain.OutcomeResolve, 23)

			res := h.run()

			assert.Equal(t, domain.ComplaintClosed, res)
			for _, o := range []*updateOutcome{claim, request, reply, resolve} {
				requireAccepted(t, o)
			}
			want := []string{"claimed", domain.OutcomeRequestInfo, "citizen_replied", domain.OutcomeResolve, "closed"}
			if tc.reminded {
				want = []string{"claimed", domain.OutcomeRequestInfo, "citizen_reminded", "citizen_replied", domain.OutcomeResolve, "closed"}
			}
			assert.Equal(t, want, h.actions(), "closed by the reopening window after the resolution, never unanswered")
			st := resultOf[ComplaintState](t, reply)
			assert.Equal(t, domain.ComplaintClaimed, st.Status)
			assert.True(t, st.CitizenReminderAt.IsZero())
			assert.True(t, st.CitizenCloseAt.IsZero())
			assert.False(t, st.CitizenReminded)
			st = afterClosing.get(t)
			assert.Equal(t, domain.ComplaintClaimed, st.Status, "still worked after the closing date")
			assert.Equal(t, domain.TaskClaimed, st.Task.State)
		})
	}
}

// 3. Nobody answers a complaint filed on a Friday: reminder on Monday evening, escalation to
// the supervisors on Tuesday at 10:00.
// TestComplaint_HolidayEnteredMovesTheFirstResponseTarget: a complaint filed on Friday is
// due on Tuesday; Monday is entered as a holiday after the filing (the Eid's date is known
// the day before). The target is computed again when it falls due: it moves to Wednesday,
// the officers' task and the read model with it, and the escalation waits for it. Runs
// from before the change escalate on Tuesday.
func TestComplaint_HolidayEnteredMovesTheFirstResponseTarget(t *testing.T) {
	monday := time.Date(2026, time.March, 9, 0, 0, 0, 0, domain.Casablanca)
	due := time.Date(2026, time.March, 10, 10, 0, 0, 0, domain.Casablanca).UTC()
	moved := time.Date(2026, time.March, 11, 10, 0, 0, 0, domain.Casablanca).UTC()
	for _, tc := range []struct {
		name   string
		before []string
		escAt  time.Time
	}{
		{"moved", nil, moved},
		{"runs before the change", []string{"complaint-recompute-due"}, due},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newCplHarness(t, cplOptions{start: cplFriday, lateHolidays: []time.Time{monday}, before: tc.before})
			s := h.start
			require.Equal(t, due, cplDefaultDeadlines(s).FirstResponseDue, "the target set at the filing")
			betweenDue := h.queryAt(moved.Sub(s) - time.Hour)
			afterEsc := h.queryAt(tc.escAt.Sub(s) + time.Minute)
			h.claim(tc.escAt.Sub(s)+time.Hour, "claim", "T1", cplSupervisor)
			h.complete(tc.escAt.Sub(s)+2*time.Hour, "resolve", "T1", cplSupervisor, domain.OutcomeResolve, 31)

			assert.Equal(t, domain.ComplaintClosed, h.run())

			st := afterEsc.get(t)
			assert.True(t, st.FirstResponseOverdue)
			assert.Equal(t, 1, st.EscalationLevel)
			assert.Equal(t, tc.escAt, st.FirstResponseDue)
			notes := h.notifications()
			require.Len(t, notes, 2, "a reminder, then the escalation")
			assert.Equal(t, tc.escAt, notes[1].At, "escalated at")
			assert.Equal(t, tc.escAt, notes[1].In.DueAt)
			if tc.before != nil {
				assert.Equal(t, "escalated_first_response", h.actions()[0])
				assert.Empty(t, h.callsOf(a.BusinessDeadline), "runs before the change do not recompute")
				return
			}
			st = betweenDue.get(t)
			assert.False(t, st.FirstResponseOverdue, "not overdue on the first date")
			assert.Equal(t, 0, st.EscalationLevel)
			assert.Equal(t, moved, st.FirstResponseDue)
			assert.Equal(t, moved, st.Task.DueAt)
			changes := h.changes()
			require.GreaterOrEqual(t, len(changes), 2)
			assert.Equal(t, "first_response_due_moved", changes[0].Action)
			assert.Equal(t, due, changes[0].At, "moved when the first date came")
			assert.Equal(t, moved, changes[0].Snapshot.FirstResponseDueAt, "the read model (and the task) follow")
			assert.False(t, changes[0].Snapshot.FirstResponseOverdue)
			assert.Equal(t, "escalated_first_response", changes[1].Action)
			assert.Len(t, h.callsOf(a.BusinessDeadline), 2, "checked on each date: the second keeps it")
		})
	}
}

func TestComplaint_FirstResponseEscalation(t *testing.T) {
	h := newCplHarness(t, cplOptions{start: cplFriday})
	s := h.start
	due := time.Date(2026, time.March, 10, 10, 0, 0, 0, domain.Casablanca).UTC()
	reminder := time.Date(2026, time.March, 9, 22, 0, 0, 0, domain.Casablanca).UTC()
	d := cplDefaultDeadlines(s)
	require.Equal(t, due, d.FirstResponseDue, "the mock's first response target")
	require.Equal(t, reminder, d.FirstResponseReminder, "the mock's reminder: 75% of 48 business hours")
	untilReminder, untilDue := reminder.Sub(s), due.Sub(s)

	beforeReminder := h.queryAt(untilReminder - time.Minute)
	afterReminder := h.queryAt(untilReminder + time.Minute)
	beforeDue := h.queryAt(untilDue - time.Minute)
	afterDue := h.queryAt(untilDue + time.Minute)
	officer := h.claim(untilDue+time.Hour, "claim-officer", "T1", cplOfficer)
	agent := h.claim(untilDue+time.Hour, "claim-agent", "T1", cplAgent)
	supervisor := h.claim(untilDue+2*time.Hour, "claim-supervisor", "T1", cplSupervisor)
	resolve := h.complete(untilDue+3*time.Hour, "resolve", "T1", cplSupervisor, domain.OutcomeResolve, 31)

	res := h.run()

	assert.Equal(t, domain.ComplaintClosed, res)
	st := beforeReminder.get(t)
	assert.False(t, st.FirstResponseReminded)
	assert.Equal(t, domain.ComplaintInQueue, st.Status)
	for _, q := range []*queried[ComplaintState]{afterReminder, beforeDue} {
		st := q.get(t)
		assert.True(t, st.FirstResponseReminded)
		assert.False(t, st.FirstResponseOverdue)
		assert.Equal(t, 0, st.EscalationLevel)
		assert.Equal(t, domain.QueueOfficers, st.Task.Queue)
	}
	st = afterDue.get(t)
	assert.True(t, st.FirstResponseOverdue)
	assert.Equal(t, 1, st.EscalationLevel)
	assert.Equal(t, domain.QueueSupervisors, st.Task.Queue)
	assert.Equal(t, 1, st.Task.EscalationLevel)
	assert.Equal(t, domain.TaskOpen, st.Task.State)
	assert.Equal(t, domain.ComplaintInQueue, st.Status)

	assert.Equal(t, []cplNotice{
		{At: reminder, In: contract.NotifyComplaintStaffInput{Reference: cplRef, Cycle: 1, Kind: "reminder",
			Target: "first_response", DueAt: due, Level: 0}},
		{At: due, In: contract.NotifyComplaintStaffInput{Reference: cplRef, Cycle: 1, Kind: "escalation",
			Target: "first_response", DueAt: due, Level: 1}},
	}, h.notifications())

	changes := h.changes()
	require.NotEmpty(t, changes)
	assert.Equal(t, contract.ApplyComplaintChangeInput{
		Snapshot: store.ComplaintSnapshot{Reference: cplRef, Version: 2, Status: domain.ComplaintInQueue,
			EscalationLevel: 1, Cycle: 1, TaskID: "T1", FirstResponseDueAt: due, ResolutionDueAt: d.ResolutionDue,
			FirstResponseOverdue: true},
		EventKey: cplEventKey(2, "escalated_first_response"), Actor: "system", Action: "escalated_first_response",
		FromStatus: domain.ComplaintInQueue,
		Task: cplTaskChange("T1", 1, "escalated", "escalated-first_response", 0, domain.TaskOpen,
			domain.QueueSupervisors, 1, 0, ""),
		At: due,
	}, changes[0])
	assert.Equal(t, []string{"escalated_first_response", "claimed", domain.OutcomeResolve, "closed"}, h.actions())

	requireRefused(t, officer, ErrTaskForbidden)
	requireRefused(t, agent, ErrTaskForbidden)
	requireAccepted(t, supervisor)
	assert.Equal(t, TaskResult{TaskID: "T1", State: domain.TaskClaimed, AssigneeID: 20, SubjectStatus: string(domain.ComplaintClaimed)},
		resultOf[TaskResult](t, supervisor))
	assert.Equal(t, cplTaskChange("T1", 2, "claimed", "claimed", 20, domain.TaskClaimed, domain.QueueSupervisors, 1, 20, ""),
		changes[1].Task)
	requireAccepted(t, resolve)
	last := changes[len(changes)-1].Snapshot
	assert.Equal(t, domain.ComplaintClosed, last.Status)
	assert.True(t, last.FirstResponseOverdue, "the breach stays recorded")
	assert.Equal(t, 1, last.EscalationLevel)
	assert.Equal(t, []int64{cplCycleOutboxID(1), 9011, 9012, 9021, 9022, cplMailOutboxID(4)}, h.mailed())
	assert.Len(t, h.cycles(), 1)
}

// 4a. The first response is given (request for information, then the reply) but the
// complaint is not resolved in 60 days plus the paused time: escalation from 0 to 1.
func TestComplaint_ResolutionEscalationFromOfficers(t *testing.T) {
	h := newCplHarness(t, cplOptions{})
	s := h.start
	d := cplDefaultDeadlines(s)
	paused := 5 * cplDay
	resDue, resReminder := d.ResolutionDue.Add(paused), d.ResolutionReminder.Add(paused)
	untilDue := resDue.Sub(s)

	claim := h.claim(time.Hour, "claim-1", "T1", cplOfficer)
	request := h.complete(2*time.Hour, "request-info", "T1", cplOfficer, domain.OutcomeRequestInfo, 51)
	reply := h.reply(2*time.Hour+paused, "reply", 52)
	beforeDue := h.queryAt(untilDue - time.Minute)
	afterDue := h.queryAt(untilDue + time.Minute)
	supervisorWhileClaimed := h.claim(untilDue+time.Hour, "claim-supervisor-early", "T1", cplSupervisor)
	release := h.release(untilDue+2*time.Hour, "release-officer", "T1", cplOfficer)
	officer2 := h.claim(untilDue+3*time.Hour, "claim-officer2", "T1", cplOfficer2)
	supervisor := h.claim(untilDue+4*time.Hour, "claim-supervisor", "T1", cplSupervisor)
	resolve := h.complete(untilDue+5*time.Hour, "resolve", "T1", cplSupervisor, domain.OutcomeResolve, 53)

	res := h.run()

	assert.Equal(t, domain.ComplaintClosed, res)
	for _, o := range []*updateOutcome{claim, request, reply, release, supervisor, resolve} {
		requireAccepted(t, o)
	}
	requireRefused(t, supervisorWhileClaimed, ErrTaskAlreadyClaimed)
	requireRefused(t, officer2, ErrTaskForbidden)

	st := beforeDue.get(t)
	assert.Equal(t, 0, st.EscalationLevel)
	assert.True(t, st.ResolutionReminded)
	assert.False(t, st.ResolutionOverdue)
	assert.False(t, st.FirstResponseOverdue)
	st = afterDue.get(t)
	assert.Equal(t, 1, st.EscalationLevel)
	assert.True(t, st.ResolutionOverdue)
	assert.False(t, st.FirstResponseOverdue, "the first response was given in time")
	assert.Equal(t, domain.QueueSupervisors, st.Task.Queue)

	assert.Equal(t, []cplNotice{
		{At: resReminder, In: contract.NotifyComplaintStaffInput{Reference: cplRef, Cycle: 1, Kind: "reminder",
			Target: "resolution", DueAt: resDue, Level: 0, AssigneeID: 7}},
		{At: resDue, In: contract.NotifyComplaintStaffInput{Reference: cplRef, Cycle: 1, Kind: "escalation",
			Target: "resolution", DueAt: resDue, Level: 1, AssigneeID: 7}},
	}, h.notifications())
	assert.Equal(t, []string{"claimed", domain.OutcomeRequestInfo, "citizen_replied", "escalated_resolution", "released",
		"claimed", domain.OutcomeResolve, "closed"}, h.actions())
	changes := h.changes()
	require.Len(t, changes, 8)
	requestedAt := cplAt(s, 2*time.Hour)
	assert.Equal(t, contract.ApplyComplaintChangeInput{
		Snapshot: store.ComplaintSnapshot{Reference: cplRef, Version: 5, Status: domain.ComplaintClaimed,
			EscalationLevel: 1, Cycle: 1, TaskID: "T1", FirstResponseDueAt: d.FirstResponseDue, ResolutionDueAt: resDue,
			FirstResponseAt: requestedAt, ResolutionOverdue: true},
		EventKey: cplEventKey(5, "escalated_resolution"), Actor: "system", Action: "escalated_resolution",
		FromStatus: domain.ComplaintClaimed,
		Task: cplTaskChange("T1", 3, "escalated", "escalated-resolution", 0, domain.TaskClaimed,
			domain.QueueSupervisors, 1, 7, ""),
		At: resDue,
	}, changes[3])
	assert.Equal(t, []int64{cplCycleOutboxID(1), cplMailOutboxID(3), 9011, 9021, 9022, cplMailOutboxID(8)}, h.mailed())
}

// 4b. Escalated to the supervisors for the first response, then to the head of unit for
// the resolution; after a reopening, further breaches keep the head of unit (level 2).
func TestComplaint_ResolutionEscalationCapsAtHeadOfUnit(t *testing.T) {
	h := newCplHarness(t, cplOptions{start: cplFriday})
	s := h.start
	d := cplDefaultDeadlines(s)
	frDue := d.FirstResponseDue.Sub(s)
	paused := 3 * cplDay
	resDue := d.ResolutionDue.Add(paused).Sub(s)

	supClaim := h.claim(frDue+time.Hour, "claim-supervisor", "T1", cplSupervisor)
	request := h.complete(frDue+2*time.Hour, "request-info", "T1", cplSupervisor, domain.OutcomeRequestInfo, 54)
	reply := h.reply(frDue+2*time.Hour+paused, "reply", 55)
	afterResDue := h.queryAt(resDue + time.Minute)
	supRelease := h.release(resDue+time.Hour, "release-supervisor", "T1", cplSupervisor)
	supAgain := h.claim(resDue+2*time.Hour, "claim-supervisor-again", "T1", cplSupervisor)
	headClaim := h.claim(resDue+3*time.Hour, "claim-head", "T1", cplHead)
	headResolve := h.complete(resDue+4*time.Hour, "resolve-head", "T1", cplHead, domain.OutcomeResolve, 56)
	reopenAt := resDue + 4*time.Hour + 2*cplDay
	reopen := h.reopen(reopenAt, "reopen", 57)
	d2 := cplDefaultDeadlines(s.Add(reopenAt))
	res2Due := d2.ResolutionDue.Sub(s)
	supCycle2 := h.claim(reopenAt+time.Hour, "claim-supervisor-cycle2", "T2", cplSupervisor)
	afterAll := h.queryAt(res2Due + time.Minute)
	headClaim2 := h.claim(res2Due+time.Hour, "claim-head-cycle2", "T2", cplHead)
	headReject := h.complete(res2Due+2*time.Hour, "reject-head", "T2", cplHead, domain.OutcomeReject, 58)

	res := h.run()

	assert.Equal(t, domain.ComplaintRejected, res)
	for _, o := range []*updateOutcome{supClaim, request, reply, supRelease, headClaim, headResolve, reopen, headClaim2, headReject} {
		requireAccepted(t, o)
	}
	requireRefused(t, supAgain, ErrTaskForbidden)
	requireRefused(t, supCycle2, ErrTaskForbidden)

	st := afterResDue.get(t)
	assert.Equal(t, 2, st.EscalationLevel)
	assert.Equal(t, domain.QueueHeadOfUnit, st.Task.Queue)
	assert.True(t, st.ResolutionOverdue)
	st = afterAll.get(t)
	assert.Equal(t, 2, st.EscalationLevel, "never above the head of unit")
	assert.Equal(t, 2, st.Cycle)
	assert.True(t, st.FirstResponseOverdue)
	assert.True(t, st.ResolutionOverdue)
	assert.Equal(t, domain.QueueHeadOfUnit, st.Task.Queue)

	cycles := h.cycles()
	require.Len(t, cycles, 2)
	assert.True(t, cycles[1].Reopen)
	assert.Equal(t, 2, cycles[1].Level)
	assert.Equal(t, domain.QueueHeadOfUnit, cycles[1].Queue)

	notice := func(at time.Time, cycle int, kind, target string, due time.Time, level int, assignee int64) cplNotice {
		return cplNotice{At: at, In: contract.NotifyComplaintStaffInput{Reference: cplRef, Cycle: cycle, Kind: kind,
			Target: target, DueAt: due, Level: level, AssigneeID: assignee}}
	}
	assert.Equal(t, []cplNotice{
		notice(d.FirstResponseReminder, 1, "reminder", "first_response", d.FirstResponseDue, 0, 0),
		notice(d.FirstResponseDue, 1, "escalation", "first_response", d.FirstResponseDue, 1, 0),
		notice(d.ResolutionReminder.Add(paused), 1, "reminder", "resolution", d.ResolutionDue.Add(paused), 1, 20),
		notice(d.ResolutionDue.Add(paused), 1, "escalation", "resolution", d.ResolutionDue.Add(paused), 2, 20),
		notice(d2.FirstResponseReminder, 2, "reminder", "first_response", d2.FirstResponseDue, 2, 0),
		notice(d2.FirstResponseDue, 2, "escalation", "first_response", d2.FirstResponseDue, 2, 0),
		notice(d2.ResolutionReminder, 2, "reminder", "resolution", d2.ResolutionDue, 2, 0),
		notice(d2.ResolutionDue, 2, "escalation", "resolution", d2.ResolutionDue, 2, 0),
	}, h.notifications())

	var escalations []contract.ApplyComplaintChangeInput
	for _, c := range h.changes() {
		assert.LessOrEqualf(t, c.Snapshot.EscalationLevel, 2, "%s", c.EventKey)
		if c.Task != nil {
			assert.LessOrEqualf(t, c.Task.EscalationLevel, 2, "%s", c.Task.EventKey)
		}
		if c.Actor == "system" && c.Action != "closed" {
			escalations = append(escalations, c)
		}
	}
	require.Len(t, escalations, 4)
	wantLevels := []int{1, 2, 2, 2}
	wantQueues := []domain.Queue{domain.QueueSupervisors, domain.QueueHeadOfUnit, domain.QueueHeadOfUnit, domain.QueueHeadOfUnit}
	wantActions := []string{"escalated_first_response", "escalated_resolution", "escalated_first_response", "escalated_resolution"}
	for i, e := range escalations {
		assert.Equalf(t, wantActions[i], e.Action, "escalation %d", i)
		assert.Equalf(t, wantLevels[i], e.Snapshot.EscalationLevel, "escalation %d", i)
		require.NotNilf(t, e.Task, "escalation %d", i)
		assert.Equalf(t, wantLevels[i], e.Task.EscalationLevel, "escalation %d", i)
		assert.Equalf(t, wantQueues[i], e.Task.Queue, "escalation %d", i)
	}
	assert.Equal(t, "T2", escalations[2].Task.TaskID)
	assert.Equal(t, domain.TaskOpen, escalations[2].Task.State)
}

// 5. Rejection with a text ends the workflow at once.
func TestComplaint_Reject(t *testing.T) {
	h := newCplHarness(t, cplOptions{})
	s := h.start
	d := cplDefaultDeadlines(s)
	claim := h.claim(time.Hour, "claim-1", "T1", cplOfficer)
	noText := h.complete(2*time.Hour, "reject-no-text", "T1", cplOfficer, domain.OutcomeReject, 0)
	badOutcome := h.complete(2*time.Hour+10*time.Minute, "approve", "T1", cplOfficer, domain.OutcomeApprove, 70)
	notAssignee := h.complete(2*time.Hour+20*time.Minute, "reject-officer2", "T1", cplOfficer2, domain.OutcomeReject, 70)
	wrongTask := h.complete(2*time.Hour+30*time.Minute, "reject-wrong-task", "T9", cplOfficer, domain.OutcomeReject, 70)
	reject := h.complete(3*time.Hour, "reject", "T1", cplOfficer, domain.OutcomeReject, 71)

	res := h.run()

	assert.Equal(t, domain.ComplaintRejected, res)
	assert.True(t, h.env.Now().Equal(s.Add(3*time.Hour)), "ended at %v", h.env.Now())
	requireAccepted(t, claim)
	requireRefused(t, noText, ErrTextRequired)
	requireRefused(t, badOutcome, ErrInvalidOutcome)
	requireRefused(t, notAssignee, ErrTaskNotAssignee)
	requireRefused(t, wrongTask, ErrTaskUnknown)
	requireAccepted(t, reject)
	assert.Equal(t, TaskResult{TaskID: "T1", State: domain.TaskDone, AssigneeID: 7, Outcome: domain.OutcomeReject,
		SubjectStatus: string(domain.ComplaintRejected)}, resultOf[TaskResult](t, reject))

	rejectedAt := cplAt(s, 3*time.Hour)
	assert.Equal(t, []string{"claimed", domain.OutcomeReject}, h.actions())
	assert.Equal(t, contract.ApplyComplaintChangeInput{
		Snapshot: store.ComplaintSnapshot{Reference: cplRef, Version: 3, Status: domain.ComplaintRejected, Cycle: 1,
			TaskID: "T1", FirstResponseDueAt: d.FirstResponseDue, ResolutionDueAt: d.ResolutionDue,
			FirstResponseAt: rejectedAt},
		EventKey: cplEventKey(3, domain.OutcomeReject), Actor: "staff", StaffID: 7, Action: domain.OutcomeReject,
		FromStatus: domain.ComplaintClaimed,
		Task: cplTaskChange("T1", 2, "completed", "completed", 7, domain.TaskDone, domain.QueueOfficers, 0, 7,
			domain.OutcomeReject),
		PublishID: 71, Mail: "rejected", At: rejectedAt,
	}, h.changes()[1])
	assert.Equal(t, []int64{cplCycleOutboxID(1), cplMailOutboxID(3)}, h.mailed())
	assert.Empty(t, h.notifications())
}

// 6a. A complaint escalated to the supervisors, resolved, then reopened within the window:
// a new cycle at the same level, with deadlines from the reopening, then resolved again.
func TestComplaint_ReopenWithinWindow(t *testing.T) {
	h := newCplHarness(t, cplOptions{start: cplFriday})
	s := h.start
	d := cplDefaultDeadlines(s)
	frDue := d.FirstResponseDue.Sub(s)
	claim := h.claim(frDue+time.Hour, "claim-supervisor", "T1", cplSupervisor)
	resolve := h.complete(frDue+2*time.Hour, "resolve-1", "T1", cplSupervisor, domain.OutcomeResolve, 61)
	reopenAt := frDue + 2*time.Hour + 3*cplDay
	noMessage := h.reopen(reopenAt-time.Minute, "reopen-no-message", 0)
	reopen := h.reopen(reopenAt, "reopen", 62)
	reopenAgain := h.reopen(reopenAt+time.Minute, "reopen-again", 64)
	reopened := h.queryAt(reopenAt + 5*time.Minute)
	officer := h.claim(reopenAt+30*time.Minute, "claim-officer-T2", "T2", cplOfficer)
	oldTask := h.claim(reopenAt+45*time.Minute, "claim-T1", "T1", cplSupervisor)
	claim2 := h.claim(reopenAt+time.Hour, "claim-supervisor-T2", "T2", cplSupervisor)
	resolve2 := h.complete(reopenAt+2*time.Hour, "resolve-2", "T2", cplSupervisor, domain.OutcomeResolve, 63)

	res := h.run()

	assert.Equal(t, domain.ComplaintClosed, res)
	closeAt := cplAt(s, reopenAt+2*time.Hour+14*cplDay)
	assert.True(t, h.env.Now().Equal(closeAt), "ended at %v, want %v", h.env.Now(), closeAt)
	for _, o := range []*updateOutcome{claim, resolve, reopen, claim2, resolve2} {
		requireAccepted(t, o)
	}
	requireRefused(t, noMessage, ErrInvalidState, ErrTextRequired)
	requireRefused(t, reopenAgain, ErrInvalidState)
	requireRefused(t, officer, ErrTaskForbidden)
	requireRefused(t, oldTask, ErrTaskUnknown)

	at := cplAt(s, reopenAt)
	d2 := cplDefaultDeadlines(at)
	cycles := h.cycles()
	require.Len(t, cycles, 2)
	c2 := cycles[1]
	assert.Equal(t, domain.ComplaintResolved, c2.FromStatus)
	assert.True(t, c2.Reopen)
	assert.Equal(t, 1, c2.Level, "reopened at the level it had")
	assert.Equal(t, domain.QueueSupervisors, c2.Queue)
	assert.Equal(t, int64(62), c2.PublishID)
	assert.Equal(t, at, c2.At)
	assert.Equal(t, "complaint/"+cplRef, c2.WorkflowID)
	assert.Equal(t, 2, c2.FirstResponseBusinessDays)
	assert.Equal(t, 60, c2.ResolutionDays)
	assert.Equal(t, 75, c2.ReminderPercent)
	sn := c2.Snapshot
	assert.Equal(t, 2, sn.Cycle)
	assert.Equal(t, 5, sn.Version)
	assert.Equal(t, domain.ComplaintInQueue, sn.Status)
	assert.Equal(t, 1, sn.EscalationLevel)
	assert.Equal(t, 1, sn.ReopenCount)
	assert.True(t, sn.ResolvedAt.IsZero())
	assert.True(t, sn.FirstResponseAt.IsZero())
	assert.False(t, sn.FirstResponseOverdue)
	assert.False(t, sn.ResolutionOverdue)

	want := ComplaintState{Status: domain.ComplaintInQueue, Version: 5, Cycle: 2,
		Task: task{ID: "T2", Kind: "complaint", State: domain.TaskOpen, Queue: domain.QueueSupervisors, EscalationLevel: 1,
			DueAt: d2.FirstResponseDue},
		EscalationLevel: 1, ReopenCount: 1,
		FirstResponseDue: d2.FirstResponseDue, FirstResponseReminder: d2.FirstResponseReminder,
		FirstResponseSince: at.UTC(), FirstResponseBusiness: 48 * time.Hour,
		ResolutionDue: d2.ResolutionDue, ResolutionReminder: d2.ResolutionReminder, ExchangePoint: cplExchangePoint}
	assert.Equal(t, want, resultOf[ComplaintState](t, reopen))
	assert.Equal(t, want, reopened.get(t))

	assert.Equal(t, []string{"escalated_first_response", "claimed", domain.OutcomeResolve, "claimed", domain.OutcomeResolve, "closed"},
		h.actions())
	changes := h.changes()
	assert.Equal(t, cplTaskChange("T2", 1, "claimed", "claimed", 20, domain.TaskClaimed, domain.QueueSupervisors, 1, 20, ""),
		changes[3].Task)
	assert.Equal(t, 2, changes[4].Snapshot.Cycle)
	assert.Equal(t, "T2", changes[4].Snapshot.TaskID)
	assert.Equal(t, d2.FirstResponseDue, changes[4].Snapshot.FirstResponseDueAt)
	assert.Equal(t, d2.ResolutionDue, changes[4].Snapshot.ResolutionDueAt)
	assert.Equal(t, "resolved", changes[4].Mail)
	assert.Equal(t, 1, changes[5].Snapshot.ReopenCount)
	assert.Equal(t, []int64{cplCycleOutboxID(1), 9011, 9012, 9021, 9022, cplMailOutboxID(4), cplCycleOutboxID(2),
		cplMailOutboxID(7)}, h.mailed())
	// The second cycle was resolved two hours after the reopening: no reminder in it.
	assert.Len(t, h.notifications(), 2)
}

// 6b. A reopening at or after the end of the window is refused.
func TestComplaint_ReopenAfterWindow(t *testing.T) {
	t.Run("at the end of the window", func(t *testing.T) {
		h := newCplHarness(t, cplOptions{})
		s := h.start
		claim := h.claim(time.Hour, "claim-1", "T1", cplOfficer)
		resolve := h.complete(2*time.Hour, "resolve", "T1", cplOfficer, domain.OutcomeResolve, 41)
		noText := h.reopen(2*time.Hour+14*cplDay-time.Second, "reopen-no-text", 0)
		atEnd := h.reopen(2*time.Hour+14*cplDay, "reopen-at-end", 42)
		after := h.reopen(2*time.Hour+15*cplDay, "reopen-after", 43)

		res := h.run()

		assert.Equal(t, domain.ComplaintClosed, res)
		requireAccepted(t, claim)
		requireAccepted(t, resolve)
		requireRefused(t, noText, ErrInvalidState, ErrTextRequired) // a reopening needs the citizen's reason
		// The auto-close timer and the Update fall in the same instant: either the
		// validator sees the window closed, or the complaint already closed.
		assert.Falsef(t, atEnd.accepted, "reopening at the end of the window accepted")
		if atEnd.sent && atEnd.rejected != nil {
			var appErr *temporal.ApplicationError
			require.ErrorAs(t, atEnd.rejected, &appErr)
			assert.Contains(t, []string{ErrReopenWindowClosed, ErrInvalidState}, appErr.Type())
		}
		assert.False(t, after.accepted, "reopening after the window accepted")
		assert.False(t, after.sent, "the workflow had closed")
		assert.Len(t, h.cycles(), 1, "no new cycle")
		assert.Equal(t, []string{"claimed", domain.OutcomeResolve, "closed"}, h.actions())
		assert.Equal(t, cplAt(s, 2*time.Hour+14*cplDay), h.changes()[2].Snapshot.ClosedAt)
	})

	t.Run("window closed while still running", func(t *testing.T) {
		// Continued as new with a resolution 14 days old: the reopening reaches the
		// validator before the auto-close timer has fired.
		s := cplWednesday
		resolvedAt := s.Add(-14 * cplDay).UTC()
		d := cplDefaultDeadlines(s.Add(-20 * cplDay))
		state := &ComplaintState{Status: domain.ComplaintResolved, Version: 3, Cycle: 1,
			Task: task{ID: "T1", Kind: "complaint", State: domain.TaskDone, Queue: domain.QueueOfficers, Assignee: 7,
				DueAt: d.FirstResponseDue, Version: 2},
			FirstResponseDue: d.FirstResponseDue, FirstResponseReminder: d.FirstResponseReminder,
			ResolutionDue: d.ResolutionDue, ResolutionReminder: d.ResolutionReminder,
			FirstResponseAt: resolvedAt, ResolvedAt: resolvedAt}
		h := newCplHarness(t, cplOptions{start: s, state: state})
		late := h.reopen(0, "reopen-late", 42)

		res := h.run()

		assert.Equal(t, domain.ComplaintClosed, res)
		requireRefused(t, late, ErrReopenWindowClosed)
		assert.Empty(t, h.cycles(), "no new cycle, and none at the start of a continued run")
		assert.Equal(t, []string{"closed"}, h.actions())
		assert.Equal(t, 4, h.changes()[0].Snapshot.Version)
	})
}

// 6c. A reopening accepted a moment before the window closes must win over the auto-close,
// even when its StartComplaintCycle is still being retried when the window ends.
//
// The reopening marks the run as starting a cycle (nextEvent then waits for nothing), so the
// auto-close timer cannot fire while StartComplaintCycle is retried.
func TestComplaint_ReopenRacingAutoClose(t *testing.T) {
	h := newCplHarness(t, cplOptions{failReopenOnce: true})
	claim := h.claim(time.Hour, "claim-1", "T1", cplOfficer)
	resolve := h.complete(2*time.Hour, "resolve", "T1", cplOfficer, domain.OutcomeResolve, 41)
	reopenAt := 2*time.Hour + 14*cplDay - 500*time.Millisecond
	reopen := h.reopen(reopenAt, "reopen", 42)
	claim2 := h.claim(reopenAt+time.Hour, "claim-T2", "T2", cplOfficer)
	reject := h.complete(reopenAt+2*time.Hour, "reject-T2", "T2", cplOfficer, domain.OutcomeReject, 43)

	res := h.run()

	requireAccepted(t, claim)
	requireAccepted(t, resolve)
	requireAccepted(t, reopen)
	cycles := h.cycles()
	require.Len(t, cycles, 3, "the first cycle and two attempts of the reopening")
	assert.True(t, cycles[2].Reopen)
	calls := h.callsOf(a.StartComplaintCycle)
	assert.Equal(t, []int32{1, 1, 2}, []int32{calls[0].Attempt, calls[1].Attempt, calls[2].Attempt}, "the reopening is retried")
	assert.Equal(t, domain.ComplaintInQueue, resultOf[ComplaintState](t, reopen).Status, "state answered to the reopening")
	assert.NotContains(t, h.actions(), "closed", "a reopened complaint was auto-closed")
	assert.Equal(t, domain.ComplaintRejected, res, "the reopened cycle should have been handled")
	assert.NoError(t, claim2.rejected, "claim of the reopened cycle's task")
	assert.NoError(t, reject.rejected, "rejection in the reopened cycle")
}

// 7. Two officers claim at the same instant: one wins, the other is refused.
func TestComplaint_ClaimRace(t *testing.T) {
	h := newCplHarness(t, cplOptions{})
	claim7 := h.claim(time.Hour, "claim-7", "T1", cplOfficer)
	claim8 := h.claim(time.Hour, "claim-8", "T1", cplOfficer2)
	after := h.queryAt(time.Hour + time.Minute)
	// Both try to complete with an unknown outcome: the assignee check comes first, so only
	// the loser is told that he is not the assignee. Then both reject: only the winner may.
	probe7 := h.complete(2*time.Hour, "probe-7", "T1", cplOfficer, "bogus", 70)
	probe8 := h.complete(2*time.Hour, "probe-8", "T1", cplOfficer2, "bogus", 70)
	reject7 := h.complete(3*time.Hour, "reject-7", "T1", cplOfficer, domain.OutcomeReject, 71)
	reject8 := h.complete(3*time.Hour, "reject-8", "T1", cplOfficer2, domain.OutcomeReject, 72)

	res := h.run()

	assert.Equal(t, domain.ComplaintRejected, res)
	winner, loser := claim7, claim8
	winnerProbe, loserProbe := probe7, probe8
	winnerReject, loserReject := reject7, reject8
	winnerID, winnerMsg := int64(7), int64(71)
	if claim8.accepted {
		winner, loser = claim8, claim7
		winnerProbe, loserProbe = probe8, probe7
		winnerReject, loserReject = reject8, reject7
		winnerID, winnerMsg = 8, 72
	}
	requireAccepted(t, winner)
	requireRefused(t, loser, ErrTaskAlreadyClaimed)
	assert.Equal(t, TaskResult{TaskID: "T1", State: domain.TaskClaimed, AssigneeID: winnerID,
		SubjectStatus: string(domain.ComplaintClaimed)}, resultOf[TaskResult](t, winner))
	st := after.get(t)
	assert.Equal(t, domain.ComplaintClaimed, st.Status)
	assert.Equal(t, winnerID, st.Task.Assignee)
	assert.Equal(t, 1, st.Task.Version, "one claim mirrored")
	requireRefused(t, winnerProbe, ErrInvalidOutcome)
	requireRefused(t, loserProbe, ErrTaskNotAssignee)
	requireAccepted(t, winnerReject)
	if loserReject.sent {
		// Refused as not the assignee, or (sent after the winner's) as closed.
		require.Error(t, loserReject.rejected)
		var appErr *temporal.ApplicationError
		require.ErrorAs(t, loserReject.rejected, &appErr)
		assert.Contains(t, []string{ErrTaskNotAssignee, ErrTaskClosed}, appErr.Type())
		assert.False(t, loserReject.accepted)
	}

	changes := h.changes()
	assert.Equal(t, []string{"claimed", domain.OutcomeReject}, h.actions())
	require.Len(t, changes, 2)
	assert.Equal(t, cplTaskChange("T1", 1, "claimed", "claimed", winnerID, domain.TaskClaimed, domain.QueueOfficers, 0,
		winnerID, ""), changes[0].Task)
	assert.Equal(t, winnerID, changes[1].StaffID)
	assert.Equal(t, winnerMsg, changes[1].PublishID)
}

// cplHistoryGrowth makes GetCurrentHistoryLength grow as a real history would: the test
// environment does not count events. Each Update is about 8 events (accepted, activity
// scheduled/started/completed, completed, and a workflow task); the length is set a second
// before the Update is sent.
func (h *cplHarness) historyGrowth(at time.Duration, length int) {
	h.env.RegisterDelayedCallback(func() { h.env.SetCurrentHistoryLength(length) }, at-time.Second)
}

// 8a. Past MaxHistoryEvents the workflow continues as new with its whole state; the next
// run resumes from it without a new cycle and keeps handling Updates.
func TestComplaint_ContinueAsNewCarriesState(t *testing.T) {
	cfg := ComplaintConfig{MaxHistoryEvents: 40}
	h := newCplHarness(t, cplOptions{config: cfg})
	s := h.start
	d := cplDefaultDeadlines(s)
	length := 3
	var updates []*updateOutcome
	for i := range 10 {
		at := time.Hour + time.Duration(i)*10*time.Minute
		length += 8
		h.historyGrowth(at, length)
		if i%2 == 0 {
			updates = append(updates, h.claim(at, "claim-"+strconv.Itoa(i), "T1", cplOfficer))
		} else {
			updates = append(updates, h.release(at, "release-"+strconv.Itoa(i), "T1", cplOfficer))
		}
	}

	err := h.execute(h.in)

	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, err, &can, "the workflow should have continued as new")
	require.NotNil(t, can.WorkflowType)
	assert.Equal(t, "Complaint", can.WorkflowType.Name)
	// The fifth Update (a claim) took the history to 43 > 40.
	for i, o := range updates[:5] {
		requireAccepted(t, o)
		assert.Equalf(t, cplAt(s, time.Hour+time.Duration(i)*10*time.Minute), o.completedAt.UTC(), "update %d", i)
	}
	for _, o := range updates[5:] {
		assert.Falsef(t, o.sent, "update %s sent after continue-as-new", o.name)
	}
	assert.True(t, h.env.Now().Equal(s.Add(time.Hour+40*time.Minute)), "continued as new at %v", h.env.Now())

	var next ComplaintInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	wantState := ComplaintState{Status: domain.ComplaintClaimed, Version: 6, Cycle: 1,
		Task: task{ID: "T1", Kind: "complaint", State: domain.TaskClaimed, Queue: domain.QueueOfficers, Assignee: 7,
			DueAt: d.FirstResponseDue, Version: 5},
		FirstResponseDue: d.FirstResponseDue, FirstResponseReminder: d.FirstResponseReminder,
		FirstResponseSince: s.UTC(), FirstResponseBusiness: 48 * time.Hour,
		ResolutionDue: d.ResolutionDue, ResolutionReminder: d.ResolutionReminder, ExchangePoint: cplExchangePoint}
	assert.Equal(t, utc(ComplaintInput{Reference: cplRef, Config: ComplaintConfig{FirstResponseBusinessDays: 2,
		ResolutionDays: 60, ReminderPercent: 75, ReopenWindow: 14 * cplDay, MaxHistoryEvents: 40,
		CitizenReminderBusinessDays: 10, CitizenCloseBusinessDays: 5}, State: &wantState}),
		utc(next))
	assert.Len(t, h.cycles(), 1)
	assert.Equal(t, []string{"claimed", "released", "claimed", "released", "claimed"}, h.actions())

	// The next run.
	require.NotNil(t, next.State)
	h2 := newCplHarness(t, cplOptions{start: h.env.Now(), config: next.Config, state: next.State})
	s2 := h2.start
	first := h2.queryAt(time.Minute)
	steal := h2.claim(5*time.Minute, "claim-officer2", "T1", cplOfficer2)
	resolve := h2.complete(10*time.Minute, "resolve", "T1", cplOfficer, domain.OutcomeResolve, 81)

	res := h2.run()

	assert.Equal(t, domain.ComplaintClosed, res)
	assert.Equal(t, utc(wantState), first.get(t))
	requireRefused(t, steal, ErrTaskAlreadyClaimed)
	requireAccepted(t, resolve)
	assert.Empty(t, h2.cycles(), "a continued run starts no new cycle")
	assert.Equal(t, []string{domain.OutcomeResolve, "closed"}, h2.actions())
	changes := h2.changes()
	require.Len(t, changes, 2)
	assert.Equal(t, 7, changes[0].Snapshot.Version)
	assert.Equal(t, cplTaskChange("T1", 6, "completed", "completed", 7, domain.TaskDone, domain.QueueOfficers, 0, 7,
		domain.OutcomeResolve), changes[0].Task)
	assert.Equal(t, d.ResolutionDue, changes[0].Snapshot.ResolutionDueAt)
	assert.Equal(t, cplAt(s2, 10*time.Minute+14*cplDay), changes[1].At)
	assert.Equal(t, []int64{cplMailOutboxID(7)}, h2.mailed())
}

// 8b. The SDK's suggestion alone also continues as new.
func TestComplaint_ContinueAsNewWhenSuggested(t *testing.T) {
	h := newCplHarness(t, cplOptions{})
	claim := h.claim(time.Hour, "claim-1", "T1", cplOfficer)
	h.env.RegisterDelayedCallback(func() { h.env.SetContinueAsNewSuggested(true) }, 90*time.Minute)
	release := h.release(2*time.Hour, "release-1", "T1", cplOfficer)
	claimAgain := h.claim(3*time.Hour, "claim-2", "T1", cplOfficer)

	err := h.execute(h.in)

	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, err, &can)
	requireAccepted(t, claim)
	requireAccepted(t, release)
	assert.False(t, claimAgain.sent)
	var next ComplaintInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.NotNil(t, next.State)
	assert.Equal(t, domain.ComplaintInQueue, next.State.Status)
	assert.Equal(t, 3, next.State.Version)
	assert.Equal(t, domain.TaskOpen, next.State.Task.State)
	assert.Equal(t, int64(0), next.State.Task.Assignee)
	assert.Equal(t, 2, next.State.Task.Version)
}

// 8c. A run started with a State keeps the carried timers: the first response reminder
// already sent is not sent again, the breach escalates at the carried deadline.
func TestComplaint_StartFromStateResumesTimers(t *testing.T) {
	s := cplWednesday
	frDue := s.Add(time.Hour).UTC()
	state := &ComplaintState{Status: domain.ComplaintInQueue, Version: 7, Cycle: 1,
		Task:             task{ID: "T1", Kind: "complaint", State: domain.TaskOpen, Queue: domain.QueueOfficers, DueAt: frDue, Version: 2},
		FirstResponseDue: frDue, FirstResponseReminder: s.Add(-11 * time.Hour).UTC(), FirstResponseReminded: true,
		ResolutionDue: s.Add(50 * cplDay).UTC(), ResolutionReminder: s.Add(35 * cplDay).UTC()}
	h := newCplHarness(t, cplOptions{start: s, state: state})
	first := h.queryAt(30 * time.Minute)
	officer := h.claim(90*time.Minute, "claim-officer", "T1", cplOfficer)
	supervisor := h.claim(2*time.Hour, "claim-supervisor", "T1", cplSupervisor)
	resolve := h.complete(3*time.Hour, "resolve", "T1", cplSupervisor, domain.OutcomeResolve, 91)

	res := h.run()

	assert.Equal(t, domain.ComplaintClosed, res)
	assert.Equal(t, utc(*state), first.get(t))
	requireRefused(t, officer, ErrTaskForbidden)
	requireAccepted(t, supervisor)
	requireAccepted(t, resolve)
	assert.Empty(t, h.cycles(), "no new cycle")
	assert.Equal(t, []cplNotice{{At: frDue, In: contract.NotifyComplaintStaffInput{Reference: cplRef, Cycle: 1,
		Kind: "escalation", Target: "first_response", DueAt: frDue, Level: 1}}}, h.notifications())
	assert.Equal(t, []string{"escalated_first_response", "claimed", domain.OutcomeResolve, "closed"}, h.actions())
	changes := h.changes()
	require.Len(t, changes, 4)
	assert.Equal(t, 8, changes[0].Snapshot.Version)
	assert.Equal(t, frDue, changes[0].At)
	assert.Equal(t, cplTaskChange("T1", 3, "escalated", "escalated-first_response", 0, domain.TaskOpen,
		domain.QueueSupervisors, 1, 0, ""), changes[0].Task)
	assert.Equal(t, cplTaskChange("T1", 4, "claimed", "claimed", 20, domain.TaskClaimed, domain.QueueSupervisors, 1, 20, ""),
		changes[1].Task)
	assert.Equal(t, 11, changes[3].Snapshot.Version)
}

// 9. The "state" query answers the workflow's current state at each step.
func TestComplaint_QueryState(t *testing.T) {
	h := newCplHarness(t, cplOptions{})
	s := h.start
	d := cplDefaultDeadlines(s)
	queued := h.queryAt(30 * time.Minute)
	claim := h.claim(time.Hour, "claim-1", "T1", cplOfficer)
	claimed := h.queryAt(90 * time.Minute)
	request := h.complete(2*time.Hour, "request-info", "T1", cplOfficer, domain.OutcomeRequestInfo, 21)
	waiting := h.queryAt(150 * time.Minute)
	reply := h.reply(2*time.Hour+3*cplDay, "reply", 22)
	replied := h.queryAt(2*time.Hour + 3*cplDay + time.Minute)
	resolve := h.complete(3*time.Hour+3*cplDay, "resolve", "T1", cplOfficer, domain.OutcomeResolve, 23)
	resolved := h.queryAt(3*time.Hour + 3*cplDay + time.Minute)

	res := h.run()

	assert.Equal(t, domain.ComplaintClosed, res)
	for _, o := range []*updateOutcome{claim, request, reply, resolve} {
		requireAccepted(t, o)
	}
	st := ComplaintState{Status: domain.ComplaintInQueue, Version: 1, Cycle: 1,
		Task: task{ID: "T1", Kind: "complaint", State: domain.TaskOpen, Queue: domain.QueueOfficers,
			DueAt: d.FirstResponseDue},
		FirstResponseDue: d.FirstResponseDue, FirstResponseReminder: d.FirstResponseReminder,
		FirstResponseSince: s.UTC(), FirstResponseBusiness: 48 * time.Hour,
		ResolutionDue: d.ResolutionDue, ResolutionReminder: d.ResolutionReminder, ExchangePoint: cplExchangePoint}
	assert.Equal(t, st, queued.get(t))

	st.Status, st.Version = domain.ComplaintClaimed, 2
	st.Task.State, st.Task.Assignee, st.Task.Version = domain.TaskClaimed, 7, 1
	assert.Equal(t, st, claimed.get(t))

	requestedAt := cplAt(s, 2*time.Hour)
	st.Status, st.Version, st.FirstResponseAt, st.PausedAt = domain.ComplaintWaitingForCitizen, 3, requestedAt, requestedAt
	citizen := cplCitizenDeadlinesFrom(requestedAt, 10, 5)
	st.CitizenReminderAt, st.CitizenCloseAt = citizen.ReminderAt, citizen.CloseAt
	st.Task.Version = 2
	assert.Equal(t, st, waiting.get(t))

	st.Status, st.Version, st.PausedAt = domain.ComplaintClaimed, 4, time.Time{}
	st.CitizenReminderAt, st.CitizenCloseAt = time.Time{}, time.Time{}
	st.ResolutionDue, st.ResolutionReminder = d.ResolutionDue.Add(3*cplDay), d.ResolutionReminder.Add(3*cplDay)
	assert.Equal(t, st, replied.get(t))
	assert.Equal(t, st, resultOf[ComplaintState](t, reply), "the reply answers the new state")

	st.Status, st.Version, st.ResolvedAt = domain.ComplaintResolved, 5, cplAt(s, 3*time.Hour+3*cplDay)
	st.Task.State, st.Task.Version = domain.TaskDone, 3
	assert.Equal(t, st, resolved.get(t))
}

// The demonstration override of the first response target is passed to the activity and
// its deadlines drive the timers.
func TestComplaint_FirstResponseOverride(t *testing.T) {
	h := newCplHarness(t, cplOptions{config: ComplaintConfig{FirstResponseOverride: 2 * time.Minute}})
	s := h.start
	supervisor := h.claim(3*time.Minute, "claim-supervisor", "T1", cplSupervisor)
	reject := h.complete(4*time.Minute, "reject", "T1", cplSupervisor, domain.OutcomeReject, 5)

	res := h.run()

	assert.Equal(t, domain.ComplaintRejected, res)
	requireAccepted(t, supervisor)
	requireAccepted(t, reject)
	cycles := h.cycles()
	require.Len(t, cycles, 1)
	assert.Equal(t, 2*time.Minute, cycles[0].FirstResponseOverride)
	due := cplAt(s, 2*time.Minute)
	assert.Equal(t, []cplNotice{
		{At: cplAt(s, 90*time.Second), In: contract.NotifyComplaintStaffInput{Reference: cplRef, Cycle: 1,
			Kind: "reminder", Target: "first_response", DueAt: due}},
		{At: due, In: contract.NotifyComplaintStaffInput{Reference: cplRef, Cycle: 1, Kind: "escalation",
			Target: "first_response", DueAt: due, Level: 1}},
	}, h.notifications())
	assert.Equal(t, []string{"escalated_first_response", "claimed", domain.OutcomeReject}, h.actions())
}
