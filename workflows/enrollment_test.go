package workflows

import (
	"context"
	"errors"
	"occonnect/activities/contract"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"occonnect/activities"
	"occonnect/domain"
)

// The activities are mocked; the workflow refers to them through the package's nil
// *activities.Activities `a` (declared in activities_test.go), and so do the mocks below.

const (
	testEnrollmentID = "enr-1"
	testTTL          = 24 * time.Hour
	testWelcomeID    = int64(900)
	// testExchangePoint is the enrollment's exchange point IssueCredentials returns.
	testExchangePoint = "EP-0001"
)

// credentialsOutboxID is the outbox id the IssueCredentials mock returns for an issue.
func credentialsOutboxID(issueNo int) int64 { return int64(100 + issueNo) }

// activityCall is one (mocked) activity execution, attempts included.
type activityCall struct {
	At       time.Time
	Activity string
	Input    any
}

type harnessOptions struct {
	// sendEmail, when set, decides the outcome of the n-th attempt (1-based, counted per
	// outbox id) of SendEmail; nil means every attempt succeeds.
	sendEmail func(in contract.SendEmailInput, n int) error
	// completeEnrollment, when set, decides the outcome of the n-th CompleteEnrollment call.
	completeEnrollment func(n int) error
	// completeDelay is how long CompleteEnrollment runs on the workflow clock.
	completeDelay time.Duration
}

type harness struct {
	t     *testing.T
	env   *testsuite.TestWorkflowEnvironment
	start time.Time

	mu          sync.Mutex
	calls       []activityCall
	emailTries  map[int64]int
	completions int
}

func newHarness(t *testing.T, opts harnessOptions) *harness {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(Enrollment)
	env.RegisterActivity(&activities.Activities{})
	h := &harness{t: t, env: env, emailTries: map[int64]int{}}

	env.OnActivity(a.IssueCredentials, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.IssueCredentialsInput) (contract.IssueCredentialsResult, error) {
			h.record("IssueCredentials", in)
			return contract.IssueCredentialsResult{
				ExpiresAt:         env.Now().Add(testTTL),
				OutboxID:          credentialsOutboxID(in.IssueNo),
				ExchangePointCode: testExchangePoint,
			}, nil
		})
	env.OnActivity(a.SendEmail, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.SendEmailInput) error {
			h.record("SendEmail", in)
			h.mu.Lock()
			h.emailTries[in.OutboxID]++
			n := h.emailTries[in.OutboxID]
			h.mu.Unlock()
			if opts.sendEmail != nil {
				return opts.sendEmail(in, n)
			}
			return nil
		})
	env.OnActivity(a.SetEnrollmentStatus, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.SetEnrollmentStatusInput) error {
			h.record("SetEnrollmentStatus", in)
			return nil
		})
	env.OnActivity(a.ConfirmActivation, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.ConfirmActivationInput) error {
			h.record("ConfirmActivation", in)
			return nil
		})
	env.OnActivity(a.CompleteEnrollment, mock.Anything, mock.Anything).After(opts.completeDelay).Return(
		func(_ context.Context, enrollmentID string) (contract.CompleteEnrollmentResult, error) {
			h.record("CompleteEnrollment", enrollmentID)
			h.mu.Lock()
			h.completions++
			n := h.completions
			h.mu.Unlock()
			if opts.completeEnrollment != nil {
				if err := opts.completeEnrollment(n); err != nil {
					return contract.CompleteEnrollmentResult{}, err
				}
			}
			return contract.CompleteEnrollmentResult{WelcomeOutboxID: testWelcomeID}, nil
		})
	return h
}

func (h *harness) record(activity string, in any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, activityCall{At: h.env.Now(), Activity: activity, Input: in})
}

// run executes the workflow to completion and returns its result.
func (h *harness) run(in EnrollmentInput) EnrollmentResult {
	h.t.Helper()
	h.start = h.env.Now()
	h.env.ExecuteWorkflow(Enrollment, in)
	require.True(h.t, h.env.IsWorkflowCompleted(), "workflow did not complete")
	require.NoError(h.t, h.env.GetWorkflowError())
	var res EnrollmentResult
	require.NoError(h.t, h.env.GetWorkflowResult(&res))
	return res
}

func (h *harness) callsOf(activity string) []activityCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []activityCall
	for _, c := range h.calls {
		if c.Activity == activity {
			out = append(out, c)
		}
	}
	return out
}

func (h *harness) order() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]string, len(h.calls))
	for i, c := range h.calls {
		out[i] = c.Activity
	}
	return out
}

func (h *harness) issueNos() []int {
	var out []int
	for _, c := range h.callsOf("IssueCredentials") {
		in := c.Input.(contract.IssueCredentialsInput)
		assert.Equal(h.t, testEnrollmentID, in.EnrollmentID)
		out = append(out, in.IssueNo)
	}
	return out
}

func (h *harness) emails() []contract.SendEmailInput {
	var out []contract.SendEmailInput
	for _, c := range h.callsOf("SendEmail") {
		out = append(out, c.Input.(contract.SendEmailInput))
	}
	return out
}

func (h *harness) statuses() []contract.SetEnrollmentStatusInput {
	var out []contract.SetEnrollmentStatusInput
	for _, c := range h.callsOf("SetEnrollmentStatus") {
		out = append(out, c.Input.(contract.SetEnrollmentStatusInput))
	}
	return out
}

func (h *harness) activations() []contract.ConfirmActivationInput {
	var out []contract.ConfirmActivationInput
	for _, c := range h.callsOf("ConfirmActivation") {
		out = append(out, c.Input.(contract.ConfirmActivationInput))
	}
	return out
}

// updateOutcome collects the callbacks of one Update.
type updateOutcome struct {
	name      string
	sent      bool
	accepted  bool
	rejected  error
	completed bool
	result    any
	err       error
}

// update sends an Update `at` after the start of the workflow.
func (h *harness) update(at time.Duration, name, id string, args ...any) *updateOutcome {
	o := &updateOutcome{name: name}
	h.env.RegisterDelayedCallback(func() {
		o.sent = true
		h.env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{
			OnAccept: func() { o.accepted = true },
			OnReject: func(err error) { o.rejected = err },
			OnComplete: func(r any, err error) {
				o.completed = true
				o.result = r
				o.err = err
			},
		}, args...)
	}, at)
	return o
}

// state is the EnrollmentState an accepted update returned.
func (o *updateOutcome) state(t *testing.T) EnrollmentState {
	t.Helper()
	st, ok := o.result.(EnrollmentState)
	require.Truef(t, ok, "update %s returned %T, not EnrollmentState", o.name, o.result)
	return st
}

func requireAccepted(t *testing.T, o *updateOutcome) {
	t.Helper()
	require.Truef(t, o.sent, "update %s was never sent", o.name)
	require.NoErrorf(t, o.rejected, "update %s rejected", o.name)
	require.Truef(t, o.accepted, "update %s not accepted", o.name)
	require.Truef(t, o.completed, "update %s did not complete", o.name)
	require.NoErrorf(t, o.err, "update %s failed", o.name)
}

func requireRejected(t *testing.T, o *updateOutcome, contains string) {
	t.Helper()
	require.Truef(t, o.sent, "update %s was never sent", o.name)
	require.Errorf(t, o.rejected, "update %s should have been rejected", o.name)
	assert.Contains(t, o.rejected.Error(), contains)
	assert.Falsef(t, o.accepted, "rejected update %s was accepted", o.name)
	assert.Falsef(t, o.completed, "rejected update %s ran its handler", o.name)
}

func (h *harness) query(t *testing.T) EnrollmentState {
	t.Helper()
	v, err := h.env.QueryWorkflow(QueryEnrollmentState)
	require.NoError(t, err)
	var st EnrollmentState
	require.NoError(t, v.Get(&st))
	return st
}

func credentialsEmail(issueNo int) contract.SendEmailInput {
	return contract.SendEmailInput{
		OutboxID: credentialsOutboxID(issueNo), EnrollmentID: testEnrollmentID,
		Step: domain.StepCredentialsEmailed, StepKey: domain.StepCredentialsEmailed + "/" + strconv.Itoa(issueNo),
	}
}

var welcomeEmail = contract.SendEmailInput{OutboxID: testWelcomeID, EnrollmentID: testEnrollmentID}

func TestEnrollment_HappyPath(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	activate := h.update(time.Hour, UpdateActivate, "activate-1", ActivateRequest{IssueNo: 1})
	changed := h.update(2*time.Hour, UpdatePasswordChanged, "password-changed-1")

	res := h.run(EnrollmentInput{EnrollmentID: testEnrollmentID})

	assert.Equal(t, domain.EnrollmentActive, res.Status)
	requireAccepted(t, activate)
	assert.Equal(t, domain.EnrollmentPasswordChangeRequired, activate.state(t).Status)
	assert.Equal(t, 1, activate.state(t).IssueNo)
	assert.True(t, activate.state(t).ExpiresAt.Equal(h.start.Add(testTTL)))
	requireAccepted(t, changed)
	assert.Equal(t, domain.EnrollmentActive, changed.state(t).Status)

	assert.Equal(t, []int{1}, h.issueNos())
	assert.Equal(t, []contract.ConfirmActivationInput{{EnrollmentID: testEnrollmentID, IssueNo: 1}}, h.activations())
	completes := h.callsOf("CompleteEnrollment")
	require.Len(t, completes, 1)
	assert.Equal(t, testEnrollmentID, completes[0].Input)
	assert.True(t, completes[0].At.Equal(h.start.Add(2*time.Hour)), "completed at %v", completes[0].At.Sub(h.start))
	assert.Equal(t, []contract.SendEmailInput{credentialsEmail(1), welcomeEmail}, h.emails())
	assert.Empty(t, h.statuses(), "no status change besides the activities' own")
	// The welcome e-mail goes out only once the enrollment is complete.
	assert.Equal(t, []string{"IssueCredentials", "SendEmail", "ConfirmActivation", "CompleteEnrollment", "SendEmail"}, h.order())
	assert.Less(t, h.env.Now().Sub(h.start), testTTL, "the workflow waited for the expiry")
}

func TestEnrollment_ExpiryThenResend(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	const resendAt = 3 * 24 * time.Hour
	expiredActivate := h.update(2*24*time.Hour, UpdateActivate, "activate-expired", ActivateRequest{IssueNo: 1})
	resend := h.update(resendAt, UpdateResendCredentials, "resend-1", ResendRequest{By: "agent"})
	staleActivate := h.update(resendAt+time.Hour, UpdateActivate, "activate-stale", ActivateRequest{IssueNo: 1})
	activate := h.update(resendAt+2*time.Hour, UpdateActivate, "activate-2", ActivateRequest{IssueNo: 2})
	changed := h.update(resendAt+3*time.Hour, UpdatePasswordChanged, "password-changed-1")

	res := h.run(EnrollmentInput{EnrollmentID: testEnrollmentID})

	assert.Equal(t, domain.EnrollmentActive, res.Status)

	statuses := h.callsOf("SetEnrollmentStatus")
	require.Len(t, statuses, 1)
	assert.Equal(t, contract.SetEnrollmentStatusInput{
		EnrollmentID: testEnrollmentID, Status: domain.EnrollmentCredentialsExpired,
		Step: domain.StepCredentialsExpired, StepKey: domain.StepCredentialsExpired + "/1",
	}, statuses[0].Input)
	assert.True(t, statuses[0].At.Equal(h.start.Add(testTTL)), "expired at %v", statuses[0].At.Sub(h.start))

	requireRejected(t, expiredActivate, "not awaiting activation")
	requireAccepted(t, resend)
	assert.Equal(t, domain.EnrollmentCredentialsExpired, resend.state(t).Status)
	requireRejected(t, staleActivate, "credentials issue 1 is not the current one")
	requireAccepted(t, activate)
	assert.Equal(t, domain.EnrollmentPasswordChangeRequired, activate.state(t).Status)
	assert.Equal(t, 2, activate.state(t).IssueNo)
	assert.True(t, activate.state(t).ExpiresAt.Equal(h.start.Add(resendAt+testTTL)))
	requireAccepted(t, changed)

	issues := h.callsOf("IssueCredentials")
	require.Len(t, issues, 2)
	assert.Equal(t, []int{1, 2}, h.issueNos())
	assert.True(t, issues[1].At.Equal(h.start.Add(resendAt)), "re-issued at %v", issues[1].At.Sub(h.start))
	assert.Equal(t, []contract.SendEmailInput{credentialsEmail(1), credentialsEmail(2), welcomeEmail}, h.emails())
	assert.Equal(t, []contract.ConfirmActivationInput{{EnrollmentID: testEnrollmentID, IssueNo: 2}}, h.activations())
	assert.Len(t, h.callsOf("CompleteEnrollment"), 1)
}

func TestEnrollment_Lapse(t *testing.T) {
	tests := []struct {
		name   string
		window time.Duration
		want   time.Duration
	}{
		{name: "default window", window: 0, want: 30 * 24 * time.Hour},
		{name: "custom window", window: 48 * time.Hour, want: 48 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{})

			res := h.run(EnrollmentInput{EnrollmentID: testEnrollmentID, ReissueWindow: tt.window})

			assert.Equal(t, domain.EnrollmentLapsed, res.Status)
			elapsed := h.env.Now().Sub(h.start)
			assert.GreaterOrEqual(t, elapsed, testTTL+tt.want)
			assert.Less(t, elapsed, testTTL+tt.want+time.Hour, "waited longer than the re-issue window")

			statuses := h.callsOf("SetEnrollmentStatus")
			require.Len(t, statuses, 2)
			assert.Equal(t, domain.EnrollmentCredentialsExpired, statuses[0].Input.(contract.SetEnrollmentStatusInput).Status)
			assert.True(t, statuses[0].At.Equal(h.start.Add(testTTL)))
			assert.Equal(t, contract.SetEnrollmentStatusInput{
				EnrollmentID: testEnrollmentID, Status: domain.EnrollmentLapsed,
				Step: domain.StepLapsed, StepKey: domain.StepLapsed,
			}, statuses[1].Input)
			assert.True(t, statuses[1].At.Equal(h.start.Add(testTTL+tt.want)), "lapsed at %v", statuses[1].At.Sub(h.start))

			assert.Equal(t, []int{1}, h.issueNos())
			assert.Equal(t, []contract.SendEmailInput{credentialsEmail(1)}, h.emails(), "no welcome e-mail")
			assert.Empty(t, h.activations())
			assert.Empty(t, h.callsOf("CompleteEnrollment"))
		})
	}
}

func TestEnrollment_UpdatesRejectedInWrongState(t *testing.T) {
	type step struct {
		at   time.Duration
		name string
		args []any
		// reject is a substring of the expected rejection; "" means accepted and completed.
		reject string
	}
	tests := []struct {
		name            string
		maxIssues       int
		completeDelay   time.Duration
		steps           []step
		wantIssues      []int
		wantActivations int
	}{
		{
			name: "password changed before activation",
			steps: []step{
				{at: time.Hour, name: UpdatePasswordChanged, reject: "not waiting for a password change"},
				{at: 2 * time.Hour, name: UpdateActivate, args: []any{ActivateRequest{IssueNo: 1}}},
				{at: 3 * time.Hour, name: UpdatePasswordChanged},
			},
			wantIssues: []int{1}, wantActivations: 1,
		},
		{
			name: "activate twice",
			steps: []step{
				{at: time.Hour, name: UpdateActivate, args: []any{ActivateRequest{IssueNo: 1}}},
				{at: 2 * time.Hour, name: UpdateActivate, args: []any{ActivateRequest{IssueNo: 1}}, reject: "not awaiting activation"},
				{at: 3 * time.Hour, name: UpdatePasswordChanged},
			},
			wantIssues: []int{1}, wantActivations: 1,
		},
		{
			name:      "resend after MaxIssues issues",
			maxIssues: 2,
			steps: []step{
				{at: time.Hour, name: UpdateResendCredentials, args: []any{ResendRequest{By: "agent"}}},
				{at: 2 * time.Hour, name: UpdateResendCredentials, args: []any{ResendRequest{By: "citizen"}}, reject: "issued 2 times, the maximum"},
				{at: 3 * time.Hour, name: UpdateActivate, args: []any{ActivateRequest{IssueNo: 2}}},
				{at: 4 * time.Hour, name: UpdatePasswordChanged},
			},
			wantIssues: []int{1, 2}, wantActivations: 1,
		},
		{
			name:          "password changed or resend while the change is completing",
			completeDelay: time.Minute,
			steps: []step{
				{at: time.Hour, name: UpdateActivate, args: []any{ActivateRequest{IssueNo: 1}}},
				{at: 2 * time.Hour, name: UpdatePasswordChanged},
				{at: 2*time.Hour + 20*time.Second, name: UpdatePasswordChanged, reject: "not waiting for a password change"},
				{at: 2*time.Hour + 40*time.Second, name: UpdateResendCredentials, args: []any{ResendRequest{By: "agent"}}, reject: "enrollment is"},
			},
			wantIssues: []int{1}, wantActivations: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{completeDelay: tt.completeDelay})
			outcomes := make([]*updateOutcome, len(tt.steps))
			for i, s := range tt.steps {
				outcomes[i] = h.update(s.at, s.name, s.name+"-"+strconv.Itoa(i), s.args...)
			}

			res := h.run(EnrollmentInput{EnrollmentID: testEnrollmentID, MaxIssues: tt.maxIssues})

			assert.Equal(t, domain.EnrollmentActive, res.Status)
			for i, s := range tt.steps {
				if s.reject == "" {
					requireAccepted(t, outcomes[i])
				} else {
					requireRejected(t, outcomes[i], s.reject)
				}
			}
			assert.Equal(t, tt.wantIssues, h.issueNos())
			assert.Len(t, h.activations(), tt.wantActivations)
			assert.Len(t, h.callsOf("CompleteEnrollment"), 1)
			emails := h.emails()
			require.NotEmpty(t, emails)
			assert.Equal(t, welcomeEmail, emails[len(emails)-1])
		})
	}
}

func TestEnrollment_EmailRetriesDoNotReissue(t *testing.T) {
	h := newHarness(t, harnessOptions{
		sendEmail: func(in contract.SendEmailInput, n int) error {
			if in.OutboxID == credentialsOutboxID(1) && n <= 2 {
				return errors.New("421 service not available")
			}
			return nil
		},
	})
	activate := h.update(time.Hour, UpdateActivate, "activate-1", ActivateRequest{IssueNo: 1})
	changed := h.update(2*time.Hour, UpdatePasswordChanged, "password-changed-1")

	res := h.run(EnrollmentInput{EnrollmentID: testEnrollmentID})

	assert.Equal(t, domain.EnrollmentActive, res.Status)
	requireAccepted(t, activate)
	requireAccepted(t, changed)
	assert.Equal(t, []int{1}, h.issueNos(), "an e-mail retry must not issue a new password")
	assert.Len(t, h.callsOf("IssueCredentials"), 1)

	sends := h.callsOf("SendEmail")
	require.Len(t, sends, 4, "3 attempts of the credentials e-mail, then the welcome")
	for _, s := range sends[:3] {
		assert.Equal(t, credentialsEmail(1), s.Input)
	}
	assert.Equal(t, welcomeEmail, sends[3].Input)
	// The activity's retry policy backs off 2s then 4s.
	assert.GreaterOrEqual(t, sends[2].At.Sub(h.start), 6*time.Second)
	assert.Empty(t, h.statuses(), "a transient failure is not recorded as a failed step")
}

func TestEnrollment_CredentialsEmailRejected(t *testing.T) {
	tests := []struct {
		name string
		err  error
	}{
		{
			name: "non-retryable application error",
			err:  temporal.NewNonRetryableApplicationError("550 mailbox unavailable", contract.ErrTypeEmailRejected, nil),
		},
		{
			// Not flagged non-retryable: the retry policy's NonRetryableErrorTypes stops it.
			name: "application error of the rejected type",
			err:  temporal.NewApplicationError("550 mailbox unavailable", contract.ErrTypeEmailRejected),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{
				sendEmail: func(in contract.SendEmailInput, _ int) error {
					if in.OutboxID == credentialsOutboxID(1) {
						return tt.err
					}
					return nil
				},
			})
			var waiting EnrollmentState
			h.env.RegisterDelayedCallback(func() { waiting = h.query(t) }, time.Hour)
			resend := h.update(2*time.Hour, UpdateResendCredentials, "resend-1", ResendRequest{By: "agent"})
			activate := h.update(3*time.Hour, UpdateActivate, "activate-2", ActivateRequest{IssueNo: 2})
			changed := h.update(4*time.Hour, UpdatePasswordChanged, "password-changed-1")

			res := h.run(EnrollmentInput{EnrollmentID: testEnrollmentID})

			assert.Equal(t, domain.EnrollmentActive, res.Status)
			assert.Equal(t, domain.EnrollmentAwaitingActivation, waiting.Status, "still waiting after the rejection")
			assert.Equal(t, 1, waiting.IssueNo)

			statuses := h.callsOf("SetEnrollmentStatus")
			require.Len(t, statuses, 1)
			assert.Equal(t, contract.SetEnrollmentStatusInput{
				EnrollmentID: testEnrollmentID, Status: domain.EnrollmentAwaitingActivation,
				Step: domain.StepEmailFailed, StepKey: domain.StepEmailFailed + "/" + strconv.FormatInt(credentialsOutboxID(1), 10),
			}, statuses[0].Input)
			assert.True(t, statuses[0].At.Equal(h.start), "recorded at %v", statuses[0].At.Sub(h.start))

			requireAccepted(t, resend)
			requireAccepted(t, activate)
			requireAccepted(t, changed)
			assert.Equal(t, []int{1, 2}, h.issueNos())
			assert.Equal(t, []contract.SendEmailInput{credentialsEmail(1), credentialsEmail(2), welcomeEmail}, h.emails(),
				"the rejected e-mail is not retried")
			assert.Equal(t, []contract.ConfirmActivationInput{{EnrollmentID: testEnrollmentID, IssueNo: 2}}, h.activations())
		})
	}
}

func TestEnrollment_QueryState(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	var awaiting, changing EnrollmentState
	h.env.RegisterDelayedCallback(func() { awaiting = h.query(t) }, time.Hour)
	activate := h.update(2*time.Hour, UpdateActivate, "activate-1", ActivateRequest{IssueNo: 1})
	h.env.RegisterDelayedCallback(func() { changing = h.query(t) }, 3*time.Hour)
	changed := h.update(4*time.Hour, UpdatePasswordChanged, "password-changed-1")

	res := h.run(EnrollmentInput{EnrollmentID: testEnrollmentID})

	assert.Equal(t, domain.EnrollmentActive, res.Status)
	requireAccepted(t, activate)
	requireAccepted(t, changed)
	assert.Equal(t, domain.EnrollmentAwaitingActivation, awaiting.Status)
	assert.Equal(t, 1, awaiting.IssueNo)
	assert.True(t, awaiting.ExpiresAt.Equal(h.start.Add(testTTL)), "expires at %v", awaiting.ExpiresAt.Sub(h.start))
	assert.Equal(t, domain.EnrollmentPasswordChangeRequired, changing.Status)
	assert.Equal(t, 1, changing.IssueNo)
}

// A password-changed Update whose CompleteEnrollment fails (e.g. InvalidState: the API had
// not stored the new password) leaves the current credentials in force, so that a second,
// valid password change completes the enrollment without a re-issue.
func TestEnrollment_FailedPasswordChangeKeepsCurrentCredentials(t *testing.T) {
	h := newHarness(t, harnessOptions{
		completeEnrollment: func(n int) error {
			if n == 1 {
				return temporal.NewNonRetryableApplicationError("no new password submitted", contract.ErrTypeInvalidState, nil)
			}
			return nil
		},
	})
	activate := h.update(time.Hour, UpdateActivate, "activate-1", ActivateRequest{IssueNo: 1})
	failed := h.update(2*time.Hour, UpdatePasswordChanged, "password-changed-1")
	var afterFailure EnrollmentState
	h.env.RegisterDelayedCallback(func() { afterFailure = h.query(t) }, 2*time.Hour+time.Minute)
	changed := h.update(3*time.Hour, UpdatePasswordChanged, "password-changed-2")

	res := h.run(EnrollmentInput{EnrollmentID: testEnrollmentID})

	requireAccepted(t, activate)
	require.True(t, failed.accepted)
	require.Error(t, failed.err, "the first password change fails")
	assert.Equal(t, domain.EnrollmentPasswordChangeRequired, afterFailure.Status)
	assert.Equal(t, 1, afterFailure.IssueNo)
	assert.Equal(t, []int{1}, h.issueNos(), "no credentials issued without a resend request")
	requireAccepted(t, changed)
	assert.Equal(t, domain.EnrollmentActive, res.Status)
	assert.Less(t, h.env.Now().Sub(h.start), testTTL)
}
