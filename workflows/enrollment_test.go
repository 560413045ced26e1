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
	"go.temporal.io/sdk/temporal"

	"occonnect/activities/contract"
	"occonnect/domain"
)

// The activities are mocked with the shared harness (harness_test.go); the workflow refers
// to them by name, the mocks below through the package's nil *activities.Activities `a`
// (declared in activities_test.go).

const (
	testEnrollmentID = "enr-1"
	testTTL          = 24 * time.Hour
	testWelcomeID    = int64(900)
	// testExchangePoint is the enrollment's exchange point IssueCredentials returns.
	testExchangePoint = "EP-0001"
)

// credentialsOutboxID is the outbox id the IssueCredentials mock returns for an issue.
func credentialsOutboxID(issueNo int) int64 { return int64(100 + issueNo) }

type enrollmentOptions struct {
	start time.Time // zero: now
	// sendEmail, when set, decides the outcome of the n-th attempt (1-based) of a SendEmail
	// execution; nil means every attempt succeeds.
	sendEmail func(in contract.SendEmailInput, attempt int) error
	// completeEnrollment, when set, decides the outcome of the n-th CompleteEnrollment call.
	completeEnrollment func(n int) error
	// completeDelay is how long CompleteEnrollment runs on the workflow clock.
	completeDelay time.Duration
}

// enrollmentHarness runs the Enrollment workflow with its activities mocked.
type enrollmentHarness struct{ *harness }

func newEnrollmentHarness(t *testing.T, opts enrollmentOptions) *enrollmentHarness {
	t.Helper()
	h := &enrollmentHarness{newHarness(t, Enrollment, opts.start)}
	env := h.env
	env.OnActivity(a.IssueCredentials, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.IssueCredentialsInput) (contract.IssueCredentialsResult, error) {
			return contract.IssueCredentialsResult{
				ExpiresAt:         env.Now().Add(testTTL),
				OutboxID:          credentialsOutboxID(in.IssueNo),
				ExchangePointCode: testExchangePoint,
			}, nil
		})
	env.OnActivity(a.SendEmail, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in contract.SendEmailInput) error {
			if opts.sendEmail != nil {
				return opts.sendEmail(in, int(activity.GetInfo(ctx).Attempt))
			}
			return nil
		})
	env.OnActivity(a.SetEnrollmentStatus, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(a.ConfirmActivation, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.ConfirmActivationInput) (contract.ConfirmActivationResult, error) {
			// As the store does: valid at least PasswordWindow from now (the issue's own
			// expiry when later, which the workflow keeps).
			if in.PasswordWindow <= 0 {
				return contract.ConfirmActivationResult{}, nil
			}
			return contract.ConfirmActivationResult{ExpiresAt: env.Now().Add(in.PasswordWindow)}, nil
		})
	env.OnActivity(a.CompleteEnrollment, mock.Anything, mock.Anything).After(opts.completeDelay).Return(
		func(context.Context, string) (contract.CompleteEnrollmentResult, error) {
			if opts.completeEnrollment != nil {
				if err := opts.completeEnrollment(len(h.callsOf(a.CompleteEnrollment))); err != nil {
					return contract.CompleteEnrollmentResult{}, err
				}
			}
			return contract.CompleteEnrollmentResult{WelcomeOutboxID: testWelcomeID}, nil
		})
	return h
}

// run executes the workflow to completion and returns its result.
func (h *enrollmentHarness) run(in EnrollmentInput) EnrollmentResult {
	h.t.Helper()
	return runToResult[EnrollmentResult](h.harness, in)
}

func (h *enrollmentHarness) queryAt(at time.Duration) *queried[EnrollmentState] {
	return queryAt[EnrollmentState](h.harness, at, QueryEnrollmentState)
}

func (h *enrollmentHarness) issueNos() []int {
	var out []int
	for _, in := range inputs[contract.IssueCredentialsInput](h.harness, a.IssueCredentials) {
		assert.Equal(h.t, testEnrollmentID, in.EnrollmentID)
		out = append(out, in.IssueNo)
	}
	return out
}

func (h *enrollmentHarness) statuses() []contract.SetEnrollmentStatusInput {
	return inputs[contract.SetEnrollmentStatusInput](h.harness, a.SetEnrollmentStatus)
}

func (h *enrollmentHarness) activations() []contract.ConfirmActivationInput {
	return inputs[contract.ConfirmActivationInput](h.harness, a.ConfirmActivation)
}

func credentialsEmail(issueNo int) contract.SendEmailInput {
	return contract.SendEmailInput{
		OutboxID: credentialsOutboxID(issueNo), EnrollmentID: testEnrollmentID,
		Step: domain.StepCredentialsEmailed, StepKey: domain.StepCredentialsEmailed + "/" + strconv.Itoa(issueNo),
	}
}

var welcomeEmail = contract.SendEmailInput{OutboxID: testWelcomeID, EnrollmentID: testEnrollmentID}

// TestEnrollment_ActivationJustBeforeExpiry: activated a minute before the credentials
// expire, the citizen still has the password change window to choose a password.
func TestEnrollment_ActivationJustBeforeExpiry(t *testing.T) {
	h := newEnrollmentHarness(t, enrollmentOptions{})
	activate := h.update(testTTL-time.Minute, UpdateActivate, "activate-1", ActivateRequest{IssueNo: 1})
	changed := h.update(testTTL+5*time.Minute, UpdatePasswordChanged, "password-changed-1")

	res := h.run(EnrollmentInput{EnrollmentID: testEnrollmentID})

	assert.Equal(t, domain.EnrollmentActive, res.Status)
	requireAccepted(t, activate)
	assert.True(t, resultOf[EnrollmentState](t, activate).ExpiresAt.Equal(h.start.Add(testTTL-time.Minute+PasswordChangeWindow)),
		"expires %v after the start", resultOf[EnrollmentState](t, activate).ExpiresAt.Sub(h.start))
	requireAccepted(t, changed)
	assert.Equal(t, []int{1}, h.issueNos(), "no re-issue")
	assert.Empty(t, h.statuses(), "never expired")
}

func TestEnrollment_HappyPath(t *testing.T) {
	h := newEnrollmentHarness(t, enrollmentOptions{})
	activate := h.update(time.Hour, UpdateActivate, "activate-1", ActivateRequest{IssueNo: 1})
	changed := h.update(2*time.Hour, UpdatePasswordChanged, "password-changed-1")

	res := h.run(EnrollmentInput{EnrollmentID: testEnrollmentID})

	assert.Equal(t, domain.EnrollmentActive, res.Status)
	requireAccepted(t, activate)
	assert.Equal(t, domain.EnrollmentPasswordChangeRequired, resultOf[EnrollmentState](t, activate).Status)
	assert.Equal(t, 1, resultOf[EnrollmentState](t, activate).IssueNo)
	assert.True(t, resultOf[EnrollmentState](t, activate).ExpiresAt.Equal(h.start.Add(testTTL)))
	requireAccepted(t, changed)
	assert.Equal(t, domain.EnrollmentActive, resultOf[EnrollmentState](t, changed).Status)

	assert.Equal(t, []int{1}, h.issueNos())
	assert.Equal(t, []contract.ConfirmActivationInput{{EnrollmentID: testEnrollmentID, IssueNo: 1, PasswordWindow: PasswordChangeWindow}}, h.activations())
	completes := h.callsOf(a.CompleteEnrollment)
	require.Len(t, completes, 1)
	assert.Equal(t, testEnrollmentID, completes[0].Input)
	assert.True(t, completes[0].At.Equal(h.start.Add(2*time.Hour)), "completed at %v", completes[0].At.Sub(h.start))
	assert.Equal(t, []contract.SendEmailInput{credentialsEmail(1), welcomeEmail}, h.emails())
	assert.Empty(t, h.statuses(), "no status change besides the activities' own")
	// The welcome e-mail goes out only once the enrollment is complete.
	assert.Equal(t, activityNames(a.IssueCredentials, a.SendEmail, a.ConfirmActivation, a.CompleteEnrollment, a.SendEmail), h.order())
	assert.Less(t, h.env.Now().Sub(h.start), testTTL, "the workflow waited for the expiry")
}

func TestEnrollment_ExpiryThenResend(t *testing.T) {
	h := newEnrollmentHarness(t, enrollmentOptions{})
	const resendAt = 3 * 24 * time.Hour
	expiredActivate := h.update(2*24*time.Hour, UpdateActivate, "activate-expired", ActivateRequest{IssueNo: 1})
	resend := h.update(resendAt, UpdateResendCredentials, "resend-1", ResendRequest{By: "agent"})
	staleActivate := h.update(resendAt+time.Hour, UpdateActivate, "activate-stale", ActivateRequest{IssueNo: 1})
	activate := h.update(resendAt+2*time.Hour, UpdateActivate, "activate-2", ActivateRequest{IssueNo: 2})
	changed := h.update(resendAt+3*time.Hour, UpdatePasswordChanged, "password-changed-1")

	res := h.run(EnrollmentInput{EnrollmentID: testEnrollmentID})

	assert.Equal(t, domain.EnrollmentActive, res.Status)

	statuses := h.callsOf(a.SetEnrollmentStatus)
	require.Len(t, statuses, 1)
	assert.Equal(t, contract.SetEnrollmentStatusInput{
		EnrollmentID: testEnrollmentID, Status: domain.EnrollmentCredentialsExpired,
		Step: domain.StepCredentialsExpired, StepKey: domain.StepCredentialsExpired + "/1",
	}, statuses[0].Input)
	assert.True(t, statuses[0].At.Equal(h.start.Add(testTTL)), "expired at %v", statuses[0].At.Sub(h.start))

	requireRefusedSaying(t, expiredActivate, "not awaiting activation")
	requireAccepted(t, resend)
	assert.Equal(t, domain.EnrollmentCredentialsExpired, resultOf[EnrollmentState](t, resend).Status)
	requireRefusedSaying(t, staleActivate, "credentials issue 1 is not the current one")
	requireAccepted(t, activate)
	assert.Equal(t, domain.EnrollmentPasswordChangeRequired, resultOf[EnrollmentState](t, activate).Status)
	assert.Equal(t, 2, resultOf[EnrollmentState](t, activate).IssueNo)
	assert.True(t, resultOf[EnrollmentState](t, activate).ExpiresAt.Equal(h.start.Add(resendAt+testTTL)))
	requireAccepted(t, changed)

	issues := h.callsOf(a.IssueCredentials)
	require.Len(t, issues, 2)
	assert.Equal(t, []int{1, 2}, h.issueNos())
	assert.True(t, issues[1].At.Equal(h.start.Add(resendAt)), "re-issued at %v", issues[1].At.Sub(h.start))
	assert.Equal(t, []contract.SendEmailInput{credentialsEmail(1), credentialsEmail(2), welcomeEmail}, h.emails())
	assert.Equal(t, []contract.ConfirmActivationInput{{EnrollmentID: testEnrollmentID, IssueNo: 2, PasswordWindow: PasswordChangeWindow}}, h.activations())
	assert.Len(t, h.callsOf(a.CompleteEnrollment), 1)
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
			h := newEnrollmentHarness(t, enrollmentOptions{})

			res := h.run(EnrollmentInput{EnrollmentID: testEnrollmentID, ReissueWindow: tt.window})

			assert.Equal(t, domain.EnrollmentLapsed, res.Status)
			elapsed := h.env.Now().Sub(h.start)
			assert.GreaterOrEqual(t, elapsed, testTTL+tt.want)
			assert.Less(t, elapsed, testTTL+tt.want+time.Hour, "waited longer than the re-issue window")

			statuses := h.callsOf(a.SetEnrollmentStatus)
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
			assert.Empty(t, h.callsOf(a.CompleteEnrollment))
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
			h := newEnrollmentHarness(t, enrollmentOptions{completeDelay: tt.completeDelay})
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
					requireRefusedSaying(t, outcomes[i], s.reject)
				}
			}
			assert.Equal(t, tt.wantIssues, h.issueNos())
			assert.Len(t, h.activations(), tt.wantActivations)
			assert.Len(t, h.callsOf(a.CompleteEnrollment), 1)
			emails := h.emails()
			require.NotEmpty(t, emails)
			assert.Equal(t, welcomeEmail, emails[len(emails)-1])
		})
	}
}

func TestEnrollment_EmailRetriesDoNotReissue(t *testing.T) {
	h := newEnrollmentHarness(t, enrollmentOptions{
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
	assert.Len(t, h.callsOf(a.IssueCredentials), 1)

	sends := h.callsOf(a.SendEmail)
	require.Len(t, sends, 4, "3 attempts of the credentials e-mail, then the welcome")
	for i, s := range sends[:3] {
		assert.Equal(t, credentialsEmail(1), s.Input)
		assert.Equal(t, int32(i+1), s.Attempt, "retried, not sent again")
	}
	assert.Equal(t, welcomeEmail, sends[3].Input)
	assert.Equal(t, int32(1), sends[3].Attempt)
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
			h := newEnrollmentHarness(t, enrollmentOptions{
				sendEmail: func(in contract.SendEmailInput, _ int) error {
					if in.OutboxID == credentialsOutboxID(1) {
						return tt.err
					}
					return nil
				},
			})
			waiting := h.queryAt(time.Hour)
			resend := h.update(2*time.Hour, UpdateResendCredentials, "resend-1", ResendRequest{By: "agent"})
			activate := h.update(3*time.Hour, UpdateActivate, "activate-2", ActivateRequest{IssueNo: 2})
			changed := h.update(4*time.Hour, UpdatePasswordChanged, "password-changed-1")

			res := h.run(EnrollmentInput{EnrollmentID: testEnrollmentID})

			assert.Equal(t, domain.EnrollmentActive, res.Status)
			st := waiting.get(t)
			assert.Equal(t, domain.EnrollmentAwaitingActivation, st.Status, "still waiting after the rejection")
			assert.Equal(t, 1, st.IssueNo)

			statuses := h.callsOf(a.SetEnrollmentStatus)
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
			assert.Equal(t, []contract.ConfirmActivationInput{{EnrollmentID: testEnrollmentID, IssueNo: 2, PasswordWindow: PasswordChangeWindow}}, h.activations())
		})
	}
}

func TestEnrollment_QueryState(t *testing.T) {
	h := newEnrollmentHarness(t, enrollmentOptions{})
	awaiting := h.queryAt(time.Hour)
	activate := h.update(2*time.Hour, UpdateActivate, "activate-1", ActivateRequest{IssueNo: 1})
	changing := h.queryAt(3 * time.Hour)
	changed := h.update(4*time.Hour, UpdatePasswordChanged, "password-changed-1")

	res := h.run(EnrollmentInput{EnrollmentID: testEnrollmentID})

	assert.Equal(t, domain.EnrollmentActive, res.Status)
	requireAccepted(t, activate)
	requireAccepted(t, changed)
	st := awaiting.get(t)
	assert.Equal(t, domain.EnrollmentAwaitingActivation, st.Status)
	assert.Equal(t, 1, st.IssueNo)
	assert.True(t, st.ExpiresAt.Equal(h.start.Add(testTTL)), "expires at %v", st.ExpiresAt.Sub(h.start))
	st = changing.get(t)
	assert.Equal(t, domain.EnrollmentPasswordChangeRequired, st.Status)
	assert.Equal(t, 1, st.IssueNo)
}

// A password-changed Update whose CompleteEnrollment fails (e.g. InvalidState: the API had
// not stored the new password) leaves the current credentials in force, so that a second,
// valid password change completes the enrollment without a re-issue.
func TestEnrollment_FailedPasswordChangeKeepsCurrentCredentials(t *testing.T) {
	h := newEnrollmentHarness(t, enrollmentOptions{
		completeEnrollment: func(n int) error {
			if n == 1 {
				return temporal.NewNonRetryableApplicationError("no new password submitted", contract.ErrTypeInvalidState, nil)
			}
			return nil
		},
	})
	activate := h.update(time.Hour, UpdateActivate, "activate-1", ActivateRequest{IssueNo: 1})
	failed := h.update(2*time.Hour, UpdatePasswordChanged, "password-changed-1")
	afterFailure := h.queryAt(2*time.Hour + time.Minute)
	changed := h.update(3*time.Hour, UpdatePasswordChanged, "password-changed-2")

	res := h.run(EnrollmentInput{EnrollmentID: testEnrollmentID})

	requireAccepted(t, activate)
	require.True(t, failed.accepted)
	require.Error(t, failed.err, "the first password change fails")
	st := afterFailure.get(t)
	assert.Equal(t, domain.EnrollmentPasswordChangeRequired, st.Status)
	assert.Equal(t, 1, st.IssueNo)
	assert.Equal(t, []int{1}, h.issueNos(), "no credentials issued without a resend request")
	requireAccepted(t, changed)
	assert.Equal(t, domain.EnrollmentActive, res.Status)
	assert.Less(t, h.env.Now().Sub(h.start), testTTL)
}
