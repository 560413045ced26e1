package workflows

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"occonnect/domain"
)

// saUpsert is one UpsertTypedSearchAttributes of a test run, at workflow time At. Attrs
// compares with assert.Equal including the unset attributes (nil values), which the
// accessors of temporal.SearchAttributes hide.
type saUpsert struct {
	At    time.Time
	Attrs temporal.SearchAttributes
}

// saRecorder records every upsert of a test run.
type saRecorder struct {
	mu      sync.Mutex
	upserts []saUpsert
}

func recordUpserts(env *testsuite.TestWorkflowEnvironment) *saRecorder {
	r := &saRecorder{}
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.upserts = append(r.upserts, saUpsert{At: env.Now().UTC(), Attrs: args.Get(0).(temporal.SearchAttributes)})
	}).Return()
	return r
}

func (r *saRecorder) all() []saUpsert {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]saUpsert(nil), r.upserts...)
}

// sa builds an expected upsert.
func sa(at time.Time, updates ...temporal.SearchAttributeUpdate) saUpsert {
	return saUpsert{At: at.UTC(), Attrs: temporal.NewSearchAttributes(updates...)}
}

// currentDetails reads a run's current details through the SDK's metadata query, as the
// Web UI does.
func currentDetails(t *testing.T, env *testsuite.TestWorkflowEnvironment) string {
	t.Helper()
	v, err := env.QueryWorkflow("__temporal_workflow_metadata")
	require.NoError(t, err)
	var md sdkpb.WorkflowMetadata
	require.NoError(t, v.Get(&md))
	return md.GetCurrentDetails()
}

func TestSearchAttributes_Names(t *testing.T) {
	assert.Equal(t, []string{
		"--search-attribute", "OccProcess=Keyword", "--search-attribute", "OccStatus=Keyword",
		"--search-attribute", "OccEscalationLevel=Int", "--search-attribute", "OccExchangePoint=Keyword",
		"--search-attribute", "OccYear=Int", "--search-attribute", "OccDueAt=Datetime",
	}, DevServerSearchAttributeArgs())
	assert.Equal(t, 2026, complaintYear("REC-2026-000123"))
	assert.Equal(t, 0, complaintYear("REC-26"))
}

// The enrollment shows its status from the start, then the credentials' expiry as its
// deadline and the agent's exchange point, and drops the deadline once active.
func TestSearchAttributes_EnrollmentHappyPath(t *testing.T) {
	start := time.Date(2026, time.December, 31, 23, 30, 0, 0, time.UTC) // 2027 in Casablanca (UTC+1)
	h := newEnrollmentHarness(t, enrollmentOptions{start: start})
	rec := recordUpserts(h.env)
	h.update(time.Hour, UpdateActivate, "activate-1", ActivateRequest{IssueNo: 1})
	h.update(2*time.Hour, UpdatePasswordChanged, "password-changed-1")

	res := h.run(EnrollmentInput{EnrollmentID: testEnrollmentID})

	assert.Equal(t, domain.EnrollmentActive, res.Status)
	assert.Equal(t, []saUpsert{
		sa(start, SearchProcess.ValueSet("enrollment"), SearchStatus.ValueSet("credentials_pending"), SearchYear.ValueSet(2027)),
		sa(start, SearchStatus.ValueSet("awaiting_activation"), SearchExchangePoint.ValueSet(testExchangePoint),
			SearchDueAt.ValueSet(start.Add(testTTL))),
		sa(start.Add(time.Hour), SearchStatus.ValueSet("password_change_required")),
		sa(start.Add(2*time.Hour), SearchStatus.ValueSet("active"), SearchDueAt.ValueUnset()),
	}, rec.all())
	assert.Equal(t, "**active**\n\nThe account is active.", currentDetails(t, h.env))
}

// Expired credentials show the lapse as the deadline; a re-issue shows the new expiry; an
// enrollment left alone lapses and has no deadline.
func TestSearchAttributes_EnrollmentExpiryReissueLapse(t *testing.T) {
	start := time.Date(2026, time.March, 4, 9, 0, 0, 0, time.UTC)
	h := newEnrollmentHarness(t, enrollmentOptions{start: start})
	rec := recordUpserts(h.env)
	const window = 10 * 24 * time.Hour
	resendAt := 2 * 24 * time.Hour
	h.update(resendAt, UpdateResendCredentials, "resend-1", ResendRequest{By: "agent"})

	res := h.run(EnrollmentInput{EnrollmentID: testEnrollmentID, ReissueWindow: window})

	assert.Equal(t, domain.EnrollmentLapsed, res.Status)
	expired2 := start.Add(resendAt + testTTL)
	assert.Equal(t, []saUpsert{
		sa(start, SearchProcess.ValueSet("enrollment"), SearchStatus.ValueSet("credentials_pending"), SearchYear.ValueSet(2026)),
		sa(start, SearchStatus.ValueSet("awaiting_activation"), SearchExchangePoint.ValueSet(testExchangePoint),
			SearchDueAt.ValueSet(start.Add(testTTL))),
		sa(start.Add(testTTL), SearchStatus.ValueSet("credentials_expired"), SearchDueAt.ValueSet(start.Add(testTTL+window))),
		sa(start.Add(resendAt), SearchStatus.ValueSet("awaiting_activation"), SearchDueAt.ValueSet(expired2)),
		sa(expired2, SearchStatus.ValueSet("credentials_expired"), SearchDueAt.ValueSet(expired2.Add(window))),
		sa(expired2.Add(window), SearchStatus.ValueSet("lapsed"), SearchDueAt.ValueUnset()),
	}, rec.all())
}

// A DTS request shows pending with level 0, then its year, the citizen's enrolment point
// and the task's due time; the escalation raises the level and leaves the deadline in the
// past (overdue); the decision drops it.
func TestSearchAttributes_DTSEscalationAndDecision(t *testing.T) {
	h := newDTSHarness(t, dtsOptions{})
	rec := recordUpserts(h.env)
	s := h.start
	due := domain.NewCalendar(nil).AddBusinessDays(s, 2)
	untilDue := due.Sub(s)
	escalated := h.queryAt(untilDue + time.Minute)
	h.claim(untilDue+time.Hour, "claim-supervisor", dtsTestTaskID, dtsSupervisor)
	h.complete(untilDue+2*time.Hour, "approve", dtsSupervisor, domain.OutcomeApprove, "")
	var details string
	h.env.RegisterDelayedCallback(func() { details = currentDetails(t, h.env) }, untilDue+2*time.Minute)

	res := h.run(DTSInput{RequestID: dtsTestRequestID})

	assert.Equal(t, domain.DTSApproved, res.Status)
	assert.Equal(t, 1, escalated.get(t).EscalationLevel)
	assert.Equal(t, []saUpsert{
		sa(s, SearchProcess.ValueSet("dts"), SearchStatus.ValueSet("pending"), SearchEscalationLevel.ValueSet(0)),
		sa(s, SearchExchangePoint.ValueSet(dtsTestExchangePoint), SearchYear.ValueSet(dtsTestYear), SearchDueAt.ValueSet(due)),
		sa(due, SearchEscalationLevel.ValueSet(1)),
		sa(due.Add(2*time.Hour), SearchStatus.ValueSet("approved"), SearchDueAt.ValueUnset()),
	}, rec.all())
	assert.Equal(t, "**pending**\n\nTask T1 in the supervisors queue, due "+fmtDue(due)+" (escalation level 1).", details)
}

// A cancelled request shows cancelled and no deadline.
func TestSearchAttributes_DTSCancelled(t *testing.T) {
	h := newDTSHarness(t, dtsOptions{})
	rec := recordUpserts(h.env)
	h.cancel(time.Hour, "cancel")

	res := h.run(DTSInput{RequestID: dtsTestRequestID})

	assert.Equal(t, domain.DTSCancelled, res.Status)
	ups := rec.all()
	require.NotEmpty(t, ups)
	assert.Equal(t, sa(h.start.Add(time.Hour), SearchStatus.ValueSet("cancelled"), SearchDueAt.ValueUnset()), ups[len(ups)-1])
}

// A complaint shows submitted, then in_queue with the first response target; a missed
// target escalates (level 1) and stays due (overdue); the request for information pauses
// it (no deadline); the answer shows the moved resolution target; resolved and closed
// have none.
func TestSearchAttributes_ComplaintLifecycle(t *testing.T) {
	h := newCplHarness(t, cplOptions{})
	rec := recordUpserts(h.env)
	s := h.start
	d := cplDefaultDeadlines(s)
	frDue := d.FirstResponseDue.Sub(s)
	h.claim(frDue+time.Hour, "claim", "T1", cplSupervisor)
	h.complete(frDue+2*time.Hour, "request-info", "T1", cplSupervisor, domain.OutcomeRequestInfo, 21)
	var paused string
	h.env.RegisterDelayedCallback(func() { paused = currentDetails(t, h.env) }, frDue+3*time.Hour)
	h.reply(frDue+2*time.Hour+cplDay, "reply", 22)
	h.complete(frDue+3*time.Hour+cplDay, "resolve", "T1", cplSupervisor, domain.OutcomeResolve, 23)

	res := h.run()

	assert.Equal(t, domain.ComplaintClosed, res)
	resolvedAt := s.Add(frDue + 3*time.Hour + cplDay)
	assert.Equal(t, []saUpsert{
		sa(s, SearchProcess.ValueSet("complaint"), SearchStatus.ValueSet("submitted"), SearchEscalationLevel.ValueSet(0),
			SearchYear.ValueSet(2026)),
		sa(s, SearchStatus.ValueSet("in_queue"), SearchExchangePoint.ValueSet(cplExchangePoint), SearchDueAt.ValueSet(d.FirstResponseDue)),
		sa(d.FirstResponseDue, SearchEscalationLevel.ValueSet(1)),
		sa(d.FirstResponseDue.Add(time.Hour), SearchStatus.ValueSet("claimed")),
		sa(d.FirstResponseDue.Add(2*time.Hour), SearchStatus.ValueSet("waiting_for_citizen"), SearchDueAt.ValueUnset()),
		sa(d.FirstResponseDue.Add(2*time.Hour+cplDay), SearchStatus.ValueSet("claimed"), SearchDueAt.ValueSet(d.ResolutionDue.Add(cplDay))),
		sa(resolvedAt, SearchStatus.ValueSet("resolved"), SearchDueAt.ValueUnset()),
		sa(resolvedAt.Add(14*cplDay), SearchStatus.ValueSet("closed")),
	}, rec.all())
	closes := cplCitizenDeadlinesFrom(d.FirstResponseDue.Add(2*time.Hour), 10, 5).CloseAt
	assert.Equal(t, "**waiting_for_citizen**\n\nWaiting for the citizen's answer: the clock is paused. Closes unanswered "+
		fmtDue(closes)+".", paused)
}

// A run continued as new shows everything again from the carried state.
func TestSearchAttributes_ComplaintContinuedRun(t *testing.T) {
	s := cplWednesday
	due := s.Add(time.Hour).UTC()
	state := &ComplaintState{Status: domain.ComplaintClaimed, Version: 7, Cycle: 1, EscalationLevel: 2,
		Task:             task{ID: "T1", Kind: "complaint", State: domain.TaskClaimed, Queue: domain.QueueHeadOfUnit, EscalationLevel: 2, Assignee: 30, DueAt: due, Version: 4},
		FirstResponseDue: due, FirstResponseReminder: s.Add(-time.Hour).UTC(), FirstResponseReminded: true, FirstResponseOverdue: true,
		ResolutionDue: s.Add(50 * cplDay).UTC(), ResolutionReminder: s.Add(35 * cplDay).UTC(), ExchangePoint: "EP-0005"}
	h := newCplHarness(t, cplOptions{start: s, state: state})
	rec := recordUpserts(h.env)
	h.complete(time.Hour, "reject", "T1", cplHead, domain.OutcomeReject, 5)

	res := h.run()

	assert.Equal(t, domain.ComplaintRejected, res)
	assert.Equal(t, []saUpsert{
		sa(s, SearchProcess.ValueSet("complaint"), SearchStatus.ValueSet("claimed"), SearchEscalationLevel.ValueSet(2),
			SearchExchangePoint.ValueSet("EP-0005"), SearchYear.ValueSet(2026), SearchDueAt.ValueSet(due)),
		sa(s.Add(time.Hour), SearchStatus.ValueSet("rejected"), SearchDueAt.ValueUnset()),
	}, rec.all())
	assert.True(t, strings.HasPrefix(currentDetails(t, h.env), "**rejected**"))
}
