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
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"occonnect/activities/contract"
	"occonnect/domain"
)

// The DTS tests use the shared harness (harness_test.go) with the DTS's mocks. Every name
// here is prefixed with dts so as not to clash with the other workflows' tests.

const (
	dtsTestRequestID  = "req-1"
	dtsTestTaskID     = "T1"
	dtsTestSupplement = int64(12000)
	// dtsDecisionOutboxID is the citizen's e-mail DecideDTS queues for a decision.
	dtsDecisionOutboxID = int64(700)
	// dtsTestYear and dtsTestExchangePoint are the allowance year and the citizen's
	// enrolment point ComputeDTS returns.
	dtsTestYear          = 2026
	dtsTestExchangePoint = "EP-0003"
)

// dtsDefaultStart is a Wednesday morning, far from any holiday: the default deadline is
// Friday at the same time.
var dtsDefaultStart = time.Date(2026, time.March, 4, 9, 0, 0, 0, domain.Casablanca)

var (
	dtsOfficer    = TaskActor{StaffID: 7, Role: domain.RoleOfficer}
	dtsOfficer2   = TaskActor{StaffID: 8, Role: domain.RoleOfficer}
	dtsAgent      = TaskActor{StaffID: 9, Role: domain.RoleAgent}
	dtsSupervisor = TaskActor{StaffID: 20, Role: domain.RoleSupervisor}
)

type dtsOptions struct {
	start time.Time // zero: dtsDefaultStart
	// computeErr, when set, is ComputeDTS's error.
	computeErr error
	// decide, when set, decides the outcome of the n-th (1-based) DecideDTS attempt.
	decide func(in contract.DecideDTSInput, n int) (contract.DecideDTSResult, error)
	// decideDelay and emailDelay are how long DecideDTS and SendEmail run on the workflow clock.
	decideDelay time.Duration
	emailDelay  time.Duration
	// escalationOutboxIDs are the supervisors' notices EscalateTask returns (default 801, 802).
	escalationOutboxIDs []int64
	// lateHolidays are holidays entered after the task was opened: BusinessDeadline sees
	// them, CreateTask did not.
	lateHolidays []time.Time
	// before names workflow.GetVersion changes the run takes at DefaultVersion.
	before []string
}

// dtsHarness runs the DTS workflow with its activities mocked.
type dtsHarness struct{ *harness }

func newDTSHarness(t *testing.T, opts dtsOptions) *dtsHarness {
	t.Helper()
	start := opts.start
	if start.IsZero() {
		start = dtsDefaultStart
	}
	h := &dtsHarness{newHarness(t, DTS, start)}
	env := h.env
	escalationOutboxIDs := opts.escalationOutboxIDs
	if escalationOutboxIDs == nil {
		escalationOutboxIDs = []int64{801, 802}
	}

	computed := contract.ComputeDTSResult{SupplementMAD: dtsTestSupplement, Year: dtsTestYear, ExchangePointCode: dtsTestExchangePoint}
	env.OnActivity(a.ComputeDTS, mock.Anything, mock.Anything).Return(computed, opts.computeErr)
	env.OnActivity(a.CreateTask, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.CreateTaskInput) (contract.CreateTaskResult, error) {
			cal := domain.NewCalendar(nil)
			due := cal.AddBusinessDays(env.Now(), in.BusinessDays)
			return contract.CreateTaskResult{TaskID: dtsTestTaskID, DueAt: due, Since: env.Now(),
				Business: cal.BusinessDurationBetween(env.Now(), due)}, nil
		})
	env.OnActivity(a.BusinessDeadline, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.BusinessDeadlineInput) (contract.BusinessDeadlineResult, error) {
			return contract.BusinessDeadlineResult{Due: domain.NewCalendar(opts.lateHolidays).AddBusinessDuration(in.Since, in.Business)}, nil
		})
	for _, change := range opts.before {
		env.OnGetVersion(change, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	}
	env.OnActivity(a.ApplyTaskChange, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(a.EscalateTask, mock.Anything, mock.Anything).Return(
		contract.EscalateTaskResult{OutboxIDs: escalationOutboxIDs}, nil)
	env.OnActivity(a.DecideDTS, mock.Anything, mock.Anything).After(opts.decideDelay).Return(
		func(_ context.Context, in contract.DecideDTSInput) (contract.DecideDTSResult, error) {
			if opts.decide != nil {
				return opts.decide(in, len(h.callsOf(a.DecideDTS)))
			}
			if in.Status == domain.DTSCancelled {
				return contract.DecideDTSResult{}, nil
			}
			return contract.DecideDTSResult{OutboxID: dtsDecisionOutboxID}, nil
		})
	env.OnActivity(a.SendEmail, mock.Anything, mock.Anything).After(opts.emailDelay).Return(nil)
	return h
}

// run executes the workflow to completion and returns its result.
func (h *dtsHarness) run(in DTSInput) DTSResult {
	h.t.Helper()
	return runToResult[DTSResult](h.harness, in)
}

func (h *dtsHarness) decideInputs() []contract.DecideDTSInput {
	return inputs[contract.DecideDTSInput](h.harness, a.DecideDTS)
}

func (h *dtsHarness) taskChanges() []contract.TaskChangeInput {
	return inputs[contract.TaskChangeInput](h.harness, a.ApplyTaskChange)
}

// complete completes the task T1 with a decision.
func (h *dtsHarness) complete(at time.Duration, id string, actor TaskActor, outcome, comment string) *updateOutcome {
	return h.completeTask(at, id, CompleteTaskRequest{TaskID: dtsTestTaskID, Actor: actor, Outcome: outcome, Comment: comment})
}

func (h *dtsHarness) cancel(at time.Duration, id string) *updateOutcome {
	return h.update(at, UpdateCancelDTS, id, CancelDTSRequest{})
}

func (h *dtsHarness) queryAt(at time.Duration) *queried[DTSState] {
	return queryAt[DTSState](h.harness, at, QueryDTSState)
}

// dtsChange is the transition the workflow is expected to mirror for the task T1.
func dtsChange(version int, action, eventKey string, staffID int64, state domain.TaskState, queue domain.Queue, level int, assignee int64) contract.TaskChangeInput {
	return contract.TaskChangeInput{
		TaskID: dtsTestTaskID, EventKey: dtsTestTaskID + "/" + strconv.Itoa(version) + "/" + eventKey, Action: action,
		StaffID: staffID, State: state, Queue: queue, EscalationLevel: level, AssigneeStaffID: assignee, Version: version,
	}
}

func TestDTS_Approve(t *testing.T) {
	h := newDTSHarness(t, dtsOptions{})
	due := domain.NewCalendar(nil).AddBusinessDays(h.start, 2)
	claim := h.claim(time.Hour, "claim-1", dtsTestTaskID, dtsOfficer)
	complete := h.complete(2*time.Hour, "complete-1", dtsOfficer, domain.OutcomeApprove, "")

	res := h.run(DTSInput{RequestID: dtsTestRequestID})

	assert.Equal(t, DTSResult{Status: domain.DTSApproved, SupplementMAD: dtsTestSupplement}, res)

	computes := h.callsOf(a.ComputeDTS)
	require.Len(t, computes, 1)
	assert.Equal(t, dtsTestRequestID, computes[0].Input)
	creates := h.callsOf(a.CreateTask)
	require.Len(t, creates, 1)
	assert.Equal(t, contract.CreateTaskInput{Kind: "dts", SubjectID: dtsTestRequestID, WorkflowID: "dts/" + dtsTestRequestID,
		TaskKey: "dts/" + dtsTestRequestID + "/review", BusinessDays: 2}, creates[0].Input)
	assert.True(t, due.Equal(time.Date(2026, time.March, 6, 9, 0, 0, 0, domain.Casablanca)), "due %v", due)

	requireAccepted(t, claim)
	assert.Equal(t, TaskResult{TaskID: dtsTestTaskID, State: domain.TaskClaimed, AssigneeID: 7}, resultOf[TaskResult](t, claim))
	changes := h.callsOf(a.ApplyTaskChange)
	require.Len(t, changes, 1)
	assert.True(t, changes[0].At.Equal(h.start.Add(time.Hour)), "claim mirrored at %v", changes[0].At.Sub(h.start))
	assert.Equal(t, dtsChange(1, "claimed", "claimed", 7, domain.TaskClaimed, domain.QueueOfficers, 0, 7), changes[0].Input)

	requireAccepted(t, complete)
	assert.Equal(t, TaskResult{TaskID: dtsTestTaskID, State: domain.TaskDone, AssigneeID: 7, Outcome: domain.OutcomeApprove,
		SubjectStatus: string(domain.DTSApproved), SupplementMAD: dtsTestSupplement}, resultOf[TaskResult](t, complete))

	decisions := h.callsOf(a.DecideDTS)
	require.Len(t, decisions, 1)
	assert.True(t, decisions[0].At.Equal(h.start.Add(2*time.Hour)), "decided at %v", decisions[0].At.Sub(h.start))
	done := dtsChange(2, "completed", "completed", 7, domain.TaskDone, domain.QueueOfficers, 0, 7)
	done.Outcome = domain.OutcomeApprove
	assert.Equal(t, contract.DecideDTSInput{RequestID: dtsTestRequestID, Status: domain.DTSApproved, StaffID: 7, Task: &done},
		decisions[0].Input)

	assert.Equal(t, []contract.SendEmailInput{{OutboxID: dtsDecisionOutboxID}}, h.emails())
	assert.Empty(t, h.callsOf(a.EscalateTask))
	assert.Equal(t, activityNames(a.ComputeDTS, a.CreateTask, a.ApplyTaskChange, a.DecideDTS, a.SendEmail), h.order())
	assert.True(t, h.env.Now().Before(due), "the workflow waited for the deadline: ended at %v", h.env.Now())
}

func TestDTS_Reject(t *testing.T) {
	const reason = "Justificatif de l'impôt sur le revenu illisible."
	h := newDTSHarness(t, dtsOptions{})
	claim := h.claim(time.Hour, "claim-1", dtsTestTaskID, dtsOfficer)
	noComment := h.complete(2*time.Hour, "complete-no-comment", dtsOfficer, domain.OutcomeReject, "")
	badOutcome := h.complete(2*time.Hour+10*time.Minute, "complete-bad-outcome", dtsOfficer, "maybe", reason)
	afterRefusals := h.queryAt(2*time.Hour + 20*time.Minute)
	complete := h.complete(3*time.Hour, "complete-reject", dtsOfficer, domain.OutcomeReject, reason)

	res := h.run(DTSInput{RequestID: dtsTestRequestID})

	assert.Equal(t, domain.DTSRejected, res.Status)
	requireAccepted(t, claim)
	requireRefused(t, noComment, ErrInvalidOutcome)
	requireRefused(t, badOutcome, ErrInvalidOutcome)
	st := afterRefusals.get(t)
	assert.Equal(t, domain.DTSPending, st.Status)
	assert.Equal(t, domain.TaskClaimed, st.TaskState, "a refused completion leaves the task claimed")

	requireAccepted(t, complete)
	r := resultOf[TaskResult](t, complete)
	assert.Equal(t, string(domain.DTSRejected), r.SubjectStatus)
	assert.Equal(t, domain.TaskDone, r.State)
	assert.Equal(t, domain.OutcomeReject, r.Outcome)

	decisions := h.decideInputs()
	require.Len(t, decisions, 1, "the refused completions decided nothing")
	done := dtsChange(2, "completed", "completed", 7, domain.TaskDone, domain.QueueOfficers, 0, 7)
	done.Outcome, done.Comment = domain.OutcomeReject, reason
	assert.Equal(t, contract.DecideDTSInput{RequestID: dtsTestRequestID, Status: domain.DTSRejected, StaffID: 7,
		Comment: reason, Task: &done}, decisions[0])
	assert.Equal(t, []contract.SendEmailInput{{OutboxID: dtsDecisionOutboxID}}, h.emails())
}

func TestDTS_ClaimRacesAndRoles(t *testing.T) {
	h := newDTSHarness(t, dtsOptions{})
	// Two officers claim at the same instant: the first one wins.
	claim7 := h.claim(time.Hour, "claim-7", dtsTestTaskID, dtsOfficer)
	claim8 := h.claim(time.Hour, "claim-8", dtsTestTaskID, dtsOfficer2)
	release8 := h.release(time.Hour+10*time.Minute, "release-8", dtsTestTaskID, dtsOfficer2)
	complete8 := h.complete(time.Hour+20*time.Minute, "complete-8", dtsOfficer2, domain.OutcomeApprove, "")
	unknown := h.claim(time.Hour+30*time.Minute, "claim-unknown", "T-other", dtsOfficer2)
	release7 := h.release(time.Hour+40*time.Minute, "release-7", dtsTestTaskID, dtsOfficer)
	agent := h.claim(time.Hour+50*time.Minute, "claim-agent", dtsTestTaskID, dtsAgent)
	reclaim8 := h.claim(2*time.Hour, "reclaim-8", dtsTestTaskID, dtsOfficer2)
	staleComplete7 := h.complete(2*time.Hour+10*time.Minute, "complete-7", dtsOfficer, domain.OutcomeApprove, "")
	complete8b := h.complete(2*time.Hour+20*time.Minute, "complete-8b", dtsOfficer2, domain.OutcomeApprove, "")

	res := h.run(DTSInput{RequestID: dtsTestRequestID})

	assert.Equal(t, domain.DTSApproved, res.Status)
	requireAccepted(t, claim7)
	requireRefused(t, claim8, ErrTaskAlreadyClaimed)
	requireRefused(t, release8, ErrTaskNotAssignee)
	requireRefused(t, complete8, ErrTaskNotAssignee)
	requireRefused(t, unknown, ErrTaskUnknown)
	requireAccepted(t, release7)
	assert.Equal(t, TaskResult{TaskID: dtsTestTaskID, State: domain.TaskOpen}, resultOf[TaskResult](t, release7))
	requireRefused(t, agent, ErrTaskForbidden)
	requireAccepted(t, reclaim8)
	assert.Equal(t, TaskResult{TaskID: dtsTestTaskID, State: domain.TaskClaimed, AssigneeID: 8}, resultOf[TaskResult](t, reclaim8))
	requireRefused(t, staleComplete7, ErrTaskNotAssignee)
	requireAccepted(t, complete8b)

	assert.Equal(t, []contract.TaskChangeInput{
		dtsChange(1, "claimed", "claimed", 7, domain.TaskClaimed, domain.QueueOfficers, 0, 7),
		dtsChange(2, "released", "released", 7, domain.TaskOpen, domain.QueueOfficers, 0, 0),
		dtsChange(3, "claimed", "claimed", 8, domain.TaskClaimed, domain.QueueOfficers, 0, 8),
	}, h.taskChanges())
	decisions := h.decideInputs()
	require.Len(t, decisions, 1)
	done := dtsChange(4, "completed", "completed", 8, domain.TaskDone, domain.QueueOfficers, 0, 8)
	done.Outcome = domain.OutcomeApprove
	assert.Equal(t, contract.DecideDTSInput{RequestID: dtsTestRequestID, Status: domain.DTSApproved, StaffID: 8, Task: &done},
		decisions[0])
}

// TestDTS_HolidayEnteredMovesTheReviewDeadline: a request made on Friday is due for review
// on Tuesday; Monday is entered as a holiday after the task was opened. When Tuesday comes
// the due time is counted again: the task is due on Wednesday (its read model with it) and
// escalates then. A run from before the change escalates on Tuesday.
func TestDTS_HolidayEnteredMovesTheReviewDeadline(t *testing.T) {
	friday := time.Date(2026, time.March, 6, 10, 0, 0, 0, domain.Casablanca)
	monday := time.Date(2026, time.March, 9, 0, 0, 0, 0, domain.Casablanca)
	due := time.Date(2026, time.March, 10, 10, 0, 0, 0, domain.Casablanca)
	moved := time.Date(2026, time.March, 11, 10, 0, 0, 0, domain.Casablanca)
	for _, tc := range []struct {
		name   string
		before []string
		escAt  time.Time
	}{
		{"moved", nil, moved},
		{"runs before the change", []string{"dts-recompute-due"}, due},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newDTSHarness(t, dtsOptions{start: friday, lateHolidays: []time.Time{monday}, before: tc.before})
			between := h.queryAt(moved.Sub(friday) - time.Hour)
			h.claim(tc.escAt.Sub(friday)+time.Hour, "claim-supervisor", dtsTestTaskID, dtsSupervisor)
			h.complete(tc.escAt.Sub(friday)+2*time.Hour, "complete-supervisor", dtsSupervisor, domain.OutcomeApprove, "")

			res := h.run(DTSInput{RequestID: dtsTestRequestID})

			assert.Equal(t, domain.DTSApproved, res.Status)
			escalations := h.callsOf(a.EscalateTask)
			require.Len(t, escalations, 1)
			assert.True(t, escalations[0].At.Equal(tc.escAt), "escalated at %v, want %v", escalations[0].At, tc.escAt.UTC())
			assert.True(t, escalations[0].Input.(contract.EscalateTaskInput).DueAt.Equal(tc.escAt))
			var moves []contract.TaskChangeInput
			for _, c := range h.callsOf(a.ApplyTaskChange) {
				if in := c.Input.(contract.TaskChangeInput); in.Action == "due_moved" {
					moves = append(moves, in)
					assert.True(t, c.At.Equal(due), "moved at %v", c.At)
				}
			}
			if tc.before != nil {
				assert.Empty(t, moves)
				assert.Empty(t, h.callsOf(a.BusinessDeadline), "runs before the change do not recompute")
				return
			}
			require.Len(t, moves, 1)
			assert.True(t, moves[0].DueAt.Equal(moved), "the task's read model moved to %v", moves[0].DueAt)
			st := between.get(t)
			assert.Equal(t, 0, st.EscalationLevel, "escalated on the first date")
		})
	}
}

func TestDTS_EscalationOverWeekend(t *testing.T) {
	friday := time.Date(2026, time.March, 6, 10, 0, 0, 0, domain.Casablanca)
	require.Equal(t, time.Friday, friday.Weekday())
	due := domain.NewCalendar(nil).AddBusinessDays(friday, 2)
	require.True(t, due.Equal(time.Date(2026, time.March, 10, 10, 0, 0, 0, domain.Casablanca)), "due %v", due)
	untilDue := due.Sub(friday)

	h := newDTSHarness(t, dtsOptions{start: friday, escalationOutboxIDs: []int64{801, 802}})
	sunday := h.queryAt(48*time.Hour + time.Minute)
	beforeDue := h.queryAt(untilDue - time.Minute)
	officer := h.claim(untilDue+time.Hour, "claim-officer", dtsTestTaskID, dtsOfficer)
	escalated := h.queryAt(untilDue + time.Hour + time.Minute)
	supervisor := h.claim(untilDue+2*time.Hour, "claim-supervisor", dtsTestTaskID, dtsSupervisor)
	complete := h.complete(untilDue+3*time.Hour, "complete-supervisor", dtsSupervisor, domain.OutcomeApprove, "")

	res := h.run(DTSInput{RequestID: dtsTestRequestID})

	assert.Equal(t, DTSResult{Status: domain.DTSApproved, SupplementMAD: dtsTestSupplement}, res)
	for _, q := range []*queried[DTSState]{sunday, beforeDue} {
		st := q.get(t)
		assert.Equal(t, 0, st.EscalationLevel, "escalated before the deadline")
		assert.Equal(t, domain.TaskOpen, st.TaskState)
	}

	escalations := h.callsOf(a.EscalateTask)
	require.Len(t, escalations, 1)
	assert.True(t, escalations[0].At.Equal(due), "escalated at %v, want %v (Tuesday 10:00)",
		escalations[0].At.In(domain.Casablanca), due.In(domain.Casablanca))
	in := escalations[0].Input.(contract.EscalateTaskInput)
	assert.Equal(t, dtsChange(1, "escalated", "escalated", 0, domain.TaskOpen, domain.QueueSupervisors, 1, 0), in.Change)
	assert.Equal(t, domain.QueueSupervisors, in.Change.Queue)
	assert.Equal(t, 1, in.Change.EscalationLevel)
	assert.Equal(t, domain.TaskDTS, in.Kind)
	assert.Equal(t, dtsTestRequestID, in.Reference)
	assert.True(t, in.DueAt.Equal(due), "escalation DueAt %v", in.DueAt)

	emails := h.callsOf(a.SendEmail)
	require.Len(t, emails, 3)
	for i, id := range []int64{801, 802} {
		assert.Equal(t, contract.SendEmailInput{OutboxID: id}, emails[i].Input)
		assert.True(t, emails[i].At.Equal(due), "supervisor notice %d sent at %v", id, emails[i].At)
	}
	assert.Equal(t, contract.SendEmailInput{OutboxID: dtsDecisionOutboxID}, emails[2].Input)

	requireRefused(t, officer, ErrTaskForbidden)
	st := escalated.get(t)
	assert.Equal(t, 1, st.EscalationLevel)
	assert.Equal(t, domain.TaskOpen, st.TaskState)
	requireAccepted(t, supervisor)
	assert.Equal(t, []contract.TaskChangeInput{
		dtsChange(2, "claimed", "claimed", 20, domain.TaskClaimed, domain.QueueSupervisors, 1, 20),
	}, h.taskChanges())
	requireAccepted(t, complete)
	assert.Equal(t, string(domain.DTSApproved), resultOf[TaskResult](t, complete).SubjectStatus)
	decisions := h.decideInputs()
	require.Len(t, decisions, 1)
	done := dtsChange(3, "completed", "completed", 20, domain.TaskDone, domain.QueueSupervisors, 1, 20)
	done.Outcome = domain.OutcomeApprove
	assert.Equal(t, contract.DecideDTSInput{RequestID: dtsTestRequestID, Status: domain.DTSApproved, StaffID: 20, Task: &done},
		decisions[0])
	// The due time is checked against the holidays when it comes (none entered: it stays).
	assert.Equal(t, activityNames(a.ComputeDTS, a.CreateTask, a.BusinessDeadline, a.EscalateTask, a.SendEmail, a.SendEmail,
		a.ApplyTaskChange, a.DecideDTS, a.SendEmail), h.order())
}

func TestDTS_CancelledByCitizen(t *testing.T) {
	for _, tc := range []struct {
		name    string
		claimed bool
	}{{"open task", false}, {"claimed task", true}} {
		t.Run(tc.name, func(t *testing.T) {
			// DecideDTS takes a minute so that a claim arrives while the cancellation is applied.
			h := newDTSHarness(t, dtsOptions{decideDelay: time.Minute})
			var claim *updateOutcome
			if tc.claimed {
				claim = h.claim(30*time.Minute, "claim-1", dtsTestTaskID, dtsOfficer)
			}
			cancel := h.cancel(time.Hour, "cancel-1")
			lateClaim := h.claim(time.Hour+30*time.Second, "claim-late", dtsTestTaskID, dtsOfficer2)

			res := h.run(DTSInput{RequestID: dtsTestRequestID})

			assert.Equal(t, domain.DTSCancelled, res.Status)
			requireAccepted(t, cancel)
			assert.Equal(t, DTSState{Status: domain.DTSCancelled, SupplementMAD: dtsTestSupplement, TaskID: dtsTestTaskID,
				TaskState: domain.TaskCancelled}, resultOf[DTSState](t, cancel))
			requireRefused(t, lateClaim, ErrTaskClosed)

			version := 1
			if tc.claimed {
				requireAccepted(t, claim)
				version = 2
			}
			decisions := h.decideInputs()
			require.Len(t, decisions, 1)
			cancelled := dtsChange(version, "cancelled", "cancelled", 0, domain.TaskCancelled, domain.QueueOfficers, 0, 0)
			assert.Equal(t, contract.DecideDTSInput{RequestID: dtsTestRequestID, Status: domain.DTSCancelled, Task: &cancelled},
				decisions[0])
			assert.Empty(t, h.emails(), "a cancellation mails nothing (OutboxID 0)")
			assert.Empty(t, h.callsOf(a.EscalateTask))
		})
	}
}

func TestDTS_CancelAfterApprovalRefused(t *testing.T) {
	// The decision e-mail takes 10 minutes: the workflow is still running when the
	// citizen tries to cancel.
	h := newDTSHarness(t, dtsOptions{emailDelay: 10 * time.Minute})
	claim := h.claim(time.Hour, "claim-1", dtsTestTaskID, dtsOfficer)
	complete := h.complete(2*time.Hour, "complete-1", dtsOfficer, domain.OutcomeApprove, "")
	cancel := h.cancel(2*time.Hour+5*time.Minute, "cancel-1")
	lateClaim := h.claim(2*time.Hour+6*time.Minute, "claim-late", dtsTestTaskID, dtsOfficer2)

	res := h.run(DTSInput{RequestID: dtsTestRequestID})

	assert.Equal(t, DTSResult{Status: domain.DTSApproved, SupplementMAD: dtsTestSupplement}, res)
	requireAccepted(t, claim)
	requireAccepted(t, complete)
	requireRefused(t, cancel, ErrTaskClosed)
	requireRefused(t, lateClaim, ErrTaskClosed)
	decisions := h.decideInputs()
	require.Len(t, decisions, 1)
	assert.Equal(t, domain.DTSApproved, decisions[0].Status)
	assert.Equal(t, []contract.SendEmailInput{{OutboxID: dtsDecisionOutboxID}}, h.emails())
}

func TestDTS_CreditRetriedWithoutDoubleCredit(t *testing.T) {
	h := newDTSHarness(t, dtsOptions{
		decide: func(in contract.DecideDTSInput, n int) (contract.DecideDTSResult, error) {
			if n <= 2 {
				return contract.DecideDTSResult{}, errors.New("Error 1213: Deadlock found when trying to get lock")
			}
			return contract.DecideDTSResult{OutboxID: dtsDecisionOutboxID}, nil
		},
	})
	claim := h.claim(time.Hour, "claim-1", dtsTestTaskID, dtsOfficer)
	complete := h.complete(2*time.Hour, "complete-1", dtsOfficer, domain.OutcomeApprove, "")
	// While DecideDTS is being retried (attempts at +0s, +1s, +3s), the request is still
	// pending and a second completion is refused.
	duringRetries := h.queryAt(2*time.Hour + 2*time.Second)
	again := h.complete(2*time.Hour+2*time.Second, "complete-2", dtsOfficer, domain.OutcomeApprove, "")

	res := h.run(DTSInput{RequestID: dtsTestRequestID})

	assert.Equal(t, DTSResult{Status: domain.DTSApproved, SupplementMAD: dtsTestSupplement}, res)
	requireAccepted(t, claim)
	requireAccepted(t, complete)
	assert.Equal(t, string(domain.DTSApproved), resultOf[TaskResult](t, complete).SubjectStatus)
	requireRefused(t, again, ErrTaskClosed)
	st := duringRetries.get(t)
	assert.Equal(t, domain.DTSPending, st.Status)

	decisions := h.callsOf(a.DecideDTS)
	require.Len(t, decisions, 3)
	first := decisions[0].Input.(contract.DecideDTSInput)
	require.NotNil(t, first.Task)
	assert.Equal(t, dtsTestRequestID, first.RequestID)
	assert.Equal(t, "T1/2/completed", first.Task.EventKey)
	assert.Equal(t, 2, first.Task.Version)
	for i, c := range decisions {
		assert.Equalf(t, first, c.Input, "attempt %d has another input", i+1)
		assert.Equalf(t, int32(i+1), c.Attempt, "call %d is not a retry of the first", i+1)
		if i > 0 {
			assert.Truef(t, c.At.After(decisions[i-1].At), "attempt %d at %v", i+1, c.At.Sub(h.start))
		}
	}
	assert.False(t, complete.completedAt.Before(decisions[2].At),
		"the complete Update answered at %v, before the successful attempt at %v",
		complete.completedAt.Sub(h.start), decisions[2].At.Sub(h.start))
	assert.Equal(t, []contract.SendEmailInput{{OutboxID: dtsDecisionOutboxID}}, h.emails())
	assert.Len(t, h.taskChanges(), 1, "only the claim is mirrored outside DecideDTS")
}

func TestDTS_NoRulesRejects(t *testing.T) {
	h := newDTSHarness(t, dtsOptions{
		computeErr: temporal.NewNonRetryableApplicationError("no allowance rules for the year", contract.ErrTypeNoRules, nil),
	})

	res := h.run(DTSInput{RequestID: dtsTestRequestID})

	assert.Equal(t, domain.DTSRejected, res.Status)
	assert.Equal(t, int64(0), res.SupplementMAD)
	assert.Len(t, h.callsOf(a.ComputeDTS), 1, "a non-retryable error is not retried")
	assert.Empty(t, h.callsOf(a.CreateTask), "no task for a request without rules")
	decisions := h.decideInputs()
	require.Len(t, decisions, 1)
	assert.Equal(t, dtsTestRequestID, decisions[0].RequestID)
	assert.Equal(t, domain.DTSRejected, decisions[0].Status)
	assert.Equal(t, int64(0), decisions[0].StaffID)
	assert.Nil(t, decisions[0].Task)
	assert.NotEmpty(t, decisions[0].Comment, "the rejection gives the citizen a reason")
	assert.Equal(t, []contract.SendEmailInput{{OutboxID: dtsDecisionOutboxID}}, h.emails())
	assert.Equal(t, activityNames(a.ComputeDTS, a.DecideDTS, a.SendEmail), h.order())
}

func TestDTS_QueryState(t *testing.T) {
	h := newDTSHarness(t, dtsOptions{})
	open := h.queryAt(30 * time.Minute)
	claim := h.claim(time.Hour, "claim-1", dtsTestTaskID, dtsOfficer)
	claimed := h.queryAt(90 * time.Minute)
	complete := h.complete(2*time.Hour, "complete-1", dtsOfficer, domain.OutcomeApprove, "")

	res := h.run(DTSInput{RequestID: dtsTestRequestID})

	assert.Equal(t, domain.DTSApproved, res.Status)
	requireAccepted(t, claim)
	requireAccepted(t, complete)
	assert.Equal(t, DTSState{Status: domain.DTSPending, SupplementMAD: dtsTestSupplement, TaskID: dtsTestTaskID,
		TaskState: domain.TaskOpen}, open.get(t))
	assert.Equal(t, DTSState{Status: domain.DTSPending, SupplementMAD: dtsTestSupplement, TaskID: dtsTestTaskID,
		TaskState: domain.TaskClaimed}, claimed.get(t))
}

// A cancellation whose DecideDTS fails (e.g. a non-retryable NotFound) leaves the request
// pending: the task must stay as it was, so that officers can still work on it.
func TestDTS_FailedCancellationKeepsTaskOpen(t *testing.T) {
	h := newDTSHarness(t, dtsOptions{
		decide: func(in contract.DecideDTSInput, n int) (contract.DecideDTSResult, error) {
			if in.Status == domain.DTSCancelled && n == 1 {
				return contract.DecideDTSResult{}, temporal.NewNonRetryableApplicationError("DTS request not found",
					contract.ErrTypeNotFound, nil)
			}
			return contract.DecideDTSResult{OutboxID: dtsDecisionOutboxID}, nil
		},
	})
	cancel := h.cancel(time.Hour, "cancel-1")
	afterCancel := h.queryAt(time.Hour + 10*time.Minute)
	claim := h.claim(2*time.Hour, "claim-1", dtsTestTaskID, dtsOfficer)
	complete := h.complete(3*time.Hour, "complete-1", dtsOfficer, domain.OutcomeApprove, "")
	// Only reached if the task is stuck: ends the workflow (this second DecideDTS succeeds)
	// instead of leaving it waiting for ten years.
	fallback := h.cancel(4*time.Hour, "cancel-fallback")

	res := h.run(DTSInput{RequestID: dtsTestRequestID})

	require.Truef(t, cancel.sent && cancel.accepted && cancel.completed, "cancel: %+v", cancel)
	require.Error(t, cancel.err, "the failed cancellation is reported to the citizen")
	st := afterCancel.get(t)
	assert.Equal(t, domain.DTSPending, st.Status)
	assert.Equal(t, domain.TaskOpen, st.TaskState, "the failed cancellation left the task %s", st.TaskState)
	assert.NoError(t, claim.rejected, "claim after a failed cancellation")
	assert.NoError(t, complete.rejected, "complete after a failed cancellation")
	assert.False(t, fallback.sent && fallback.accepted, "the request had to be cancelled again to end the workflow")
	assert.Equal(t, domain.DTSApproved, res.Status)
	changes := h.taskChanges()
	if assert.NotEmpty(t, changes) {
		// The claim after the failed cancellation must be version 1: the failed change
		// was never mirrored.
		assert.Equal(t, dtsChange(1, "claimed", "claimed", 7, domain.TaskClaimed, domain.QueueOfficers, 0, 7), changes[0])
	}
}
