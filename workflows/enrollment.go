package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"occonnect/activities/contract"
	"occonnect/domain"
)

// EnrollmentInput starts an enrollment. It carries no personal data: activities read the
// citizen from MySQL by enrollment id.
type EnrollmentInput struct {
	EnrollmentID string
	// ReissueWindow: how long expired credentials wait for a re-issue before the enrollment
	// lapses (default 30 days).
	ReissueWindow time.Duration
	// MaxIssues caps the number of credential issues (default 10).
	MaxIssues int
}

// EnrollmentResult is the final status: active or lapsed.
type EnrollmentResult struct {
	Status domain.EnrollmentStatus
}

// ActivateRequest is the Update the API sends once it has verified the initial password of
// issue IssueNo. It carries no secret.
type ActivateRequest struct {
	IssueNo int
}

// DefaultMaxIssues caps the credential issues of an enrollment (EnrollmentInput.MaxIssues).
const DefaultMaxIssues = 10

// ResendRequest asks for new credentials; By is "agent" or "citizen".
type ResendRequest struct {
	By string
}

// EnrollmentState answers updates and the state query.
type EnrollmentState struct {
	Status    domain.EnrollmentStatus
	IssueNo   int
	ExpiresAt time.Time
}

const (
	defaultReissueWindow = 30 * 24 * time.Hour
	defaultMaxIssues     = DefaultMaxIssues
)

// Enrollment drives one enrollment from the agent's recording to an active account:
// issue and mail initial credentials, wait for activation and the forced password change
// until the credentials expire, then wait for a re-issue or lapse.
func Enrollment(ctx workflow.Context, in EnrollmentInput) (EnrollmentResult, error) {
	if in.ReissueWindow <= 0 {
		in.ReissueWindow = defaultReissueWindow
	}
	if in.MaxIssues <= 0 {
		in.MaxIssues = defaultMaxIssues
	}
	e := &enrollment{in: in, state: EnrollmentState{Status: domain.EnrollmentCredentialsPending},
		year: workflow.Now(ctx).In(domain.Casablanca).Year()}
	if err := e.setup(ctx); err != nil {
		return EnrollmentResult{}, err
	}
	// Version 1: an activation a few seconds before the expiry no longer leaves the
	// password change to be refused as expired.
	e.passwordWindow = workflow.GetVersion(ctx, "enrollment-password-window", workflow.DefaultVersion, 1) == 1
	e.ops = newOpsAttributes(ctx)
	if err := e.show(ctx); err != nil {
		return EnrollmentResult{}, err
	}
	return e.run(ctx)
}

type enrollment struct {
	in    EnrollmentInput
	state EnrollmentState

	resendRequested bool
	completing      bool // the password-changed update is making the account active
	completed       bool
	welcomeOutboxID int64

	ops           *opsAttributes
	year          int       // of the start, in Casablanca
	exchangePoint string    // the enrolling agent's, from IssueCredentials
	lapsesAt      time.Time // while the credentials are expired

	// passwordWindow (version 1 of "enrollment-password-window"): an activation keeps the
	// credentials valid PasswordChangeWindow longer, and wakes the main loop (rearmed) to
	// wait until that new expiry.
	passwordWindow bool
	rearmed        int
}

// PasswordChangeWindow is how long after an activation the credentials stay valid at least,
// for the forced password change: the restricted session's lifetime.
const PasswordChangeWindow = 15 * time.Minute

// show publishes the enrollment's status to ops (search attributes, current details).
func (e *enrollment) show(ctx workflow.Context) error {
	v := opsView{Process: processEnrollment, Status: string(e.state.Status), Level: -1, ExchangePoint: e.exchangePoint, Year: e.year}
	var fact string
	switch e.state.Status {
	case domain.EnrollmentCredentialsPending:
		fact = fmt.Sprintf("Issuing the initial credentials (issue %d).", e.state.IssueNo+1)
	case domain.EnrollmentAwaitingActivation:
		v.DueAt = e.state.ExpiresAt
		fact = fmt.Sprintf("Credentials issue %d sent; they expire %s unless the citizen activates.", e.state.IssueNo, fmtDue(v.DueAt))
	case domain.EnrollmentPasswordChangeRequired:
		v.DueAt = e.state.ExpiresAt
		fact = fmt.Sprintf("Activated with issue %d; the new password is due before %s.", e.state.IssueNo, fmtDue(v.DueAt))
	case domain.EnrollmentCredentialsExpired:
		v.DueAt = e.lapsesAt
		fact = fmt.Sprintf("Credentials issue %d expired; the enrollment lapses %s without a re-issue.", e.state.IssueNo, fmtDue(v.DueAt))
	case domain.EnrollmentActive:
		fact = "The account is active."
	case domain.EnrollmentLapsed:
		fact = "No re-issue came: the enrollment lapsed."
	}
	v.Details = details(v.Status, fact)
	return e.ops.show(ctx, v)
}

// dbActivity: MySQL writes; an outage delays the process, it never fails it.
func dbActivity(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
}

// answerActivity: a MySQL write that a person is waiting on, through an Update the API
// waits 20 s for (activation, password change, claiming a task). Its start-to-close is
// short so that an attempt lost with a killed worker is tried again within that wait
// rather than after 30 s; the write is one small transaction, idempotent like every
// activity here.
func answerActivity(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 8 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    500 * time.Millisecond,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
}

// emailActivity: SMTP down for minutes or hours delays an e-mail, never loses it; a
// permanent refusal (EmailRejected) is not retried.
func emailActivity(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        2 * time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        2 * time.Minute,
			NonRetryableErrorTypes: []string{contract.ErrTypeEmailRejected},
		},
	})
}

func (e *enrollment) setup(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryEnrollmentState, func() (EnrollmentState, error) {
		return e.state, nil
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateActivate, e.activate, workflow.UpdateHandlerOptions{
		Validator: e.validateActivate,
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdatePasswordChanged, e.passwordChanged, workflow.UpdateHandlerOptions{
		Validator: e.validatePasswordChanged,
	}); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, UpdateResendCredentials, e.resend, workflow.UpdateHandlerOptions{
		Validator: e.validateResend,
	})
}

func (e *enrollment) run(ctx workflow.Context) (EnrollmentResult, error) {
	issue := true
	for !e.completed {
		if issue {
			if err := e.issueCredentials(ctx); err != nil {
				return EnrollmentResult{}, err
			}
		}
		issue = true
		// Wait for the password change (activation happens in between, in its handler), a
		// re-issue, or the expiry of these credentials (moved by an activation: version 1).
		rearmed := e.rearmed
		_, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
			Timeout:      e.state.ExpiresAt.Sub(workflow.Now(ctx)),
			TimerOptions: workflow.TimerOptions{Summary: "initial credentials expire"},
		}, func() bool { return e.completing || e.resendRequested || e.rearmed != rearmed })
		if err != nil {
			return EnrollmentResult{}, err
		}
		switch {
		case e.rearmed != rearmed && !e.completing && !e.resendRequested:
			issue = false // the same credentials, with their new expiry
			continue
		case e.completing:
			if err := workflow.Await(ctx, func() bool { return e.completed || !e.completing }); err != nil {
				return EnrollmentResult{}, err
			}
			if !e.completed {
				// The change failed: wait again on the same credentials and expiry.
				issue = false
				continue
			}
		case e.resendRequested:
			continue
		default:
			lapsed, err := e.expire(ctx)
			if err != nil || lapsed {
				return EnrollmentResult{Status: e.state.Status}, err
			}
		}
	}
	if err := e.show(ctx); err != nil {
		return EnrollmentResult{}, err
	}
	if err := e.sendEmail(ctx, "mail the welcome", e.welcomeOutboxID, "", "", ""); err != nil {
		return EnrollmentResult{}, err
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return EnrollmentResult{}, err
	}
	return EnrollmentResult{Status: domain.EnrollmentActive}, nil
}

// issueCredentials issues the next credentials and mails them.
func (e *enrollment) issueCredentials(ctx workflow.Context) error {
	e.resendRequested = false
	e.state.IssueNo++
	var issued contract.IssueCredentialsResult
	if err := workflow.ExecuteActivity(summarized(dbActivity(ctx), fmt.Sprintf("issue credentials (issue %d)", e.state.IssueNo)), contract.IssueCredentials, contract.IssueCredentialsInput{
		EnrollmentID: e.in.EnrollmentID, IssueNo: e.state.IssueNo,
	}).Get(ctx, &issued); err != nil {
		return fmt.Errorf("issue credentials: %w", err)
	}
	e.state.Status = domain.EnrollmentAwaitingActivation
	e.state.ExpiresAt = issued.ExpiresAt
	if issued.ExchangePointCode != "" {
		e.exchangePoint = issued.ExchangePointCode
	}
	if err := e.show(ctx); err != nil {
		return err
	}
	return e.sendEmail(ctx, fmt.Sprintf("mail credentials (issue %d)", e.state.IssueNo), issued.OutboxID, domain.StepCredentialsEmailed,
		fmt.Sprintf("%s/%d", domain.StepCredentialsEmailed, e.state.IssueNo), domain.StepEmailFailed)
}

// sendEmail sends a queued e-mail and records step once it is handed over. A permanent
// refusal is not a failure of the enrollment: it is recorded as failStep (when set) and the
// process goes on (the agent can re-issue).
func (e *enrollment) sendEmail(ctx workflow.Context, summary string, outboxID int64, step, stepKey, failStep string) error {
	err := workflow.ExecuteActivity(summarized(emailActivity(ctx), summary), contract.SendEmail, contract.SendEmailInput{
		OutboxID: outboxID, EnrollmentID: e.in.EnrollmentID, Step: step, StepKey: stepKey,
	}).Get(ctx, nil)
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == contract.ErrTypeEmailRejected {
		workflow.GetLogger(ctx).Warn("e-mail rejected", "outbox_id", outboxID)
		if failStep == "" {
			return nil
		}
		return e.setStatus(ctx, e.state.Status, failStep, fmt.Sprintf("%s/%d", failStep, outboxID))
	}
	if err != nil {
		return fmt.Errorf("send e-mail: %w", err)
	}
	return nil
}

// expire records the expiry and waits for a re-issue; without one the enrollment lapses.
func (e *enrollment) expire(ctx workflow.Context) (lapsed bool, err error) {
	e.state.Status = domain.EnrollmentCredentialsExpired
	if err := e.setStatus(ctx, e.state.Status, domain.StepCredentialsExpired,
		fmt.Sprintf("%s/%d", domain.StepCredentialsExpired, e.state.IssueNo)); err != nil {
		return false, err
	}
	e.lapsesAt = workflow.Now(ctx).Add(e.in.ReissueWindow)
	if err := e.show(ctx); err != nil {
		return false, err
	}
	ok, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
		Timeout:      e.in.ReissueWindow,
		TimerOptions: workflow.TimerOptions{Summary: "enrollment lapses without a re-issue"},
	}, func() bool { return e.resendRequested })
	if err != nil || ok {
		return false, err
	}
	e.state.Status = domain.EnrollmentLapsed
	if err := e.setStatus(ctx, e.state.Status, domain.StepLapsed, domain.StepLapsed); err != nil {
		return true, err
	}
	return true, e.show(ctx)
}

func (e *enrollment) setStatus(ctx workflow.Context, status domain.EnrollmentStatus, step, stepKey string) error {
	return workflow.ExecuteActivity(summarized(dbActivity(ctx), "record "+step), contract.SetEnrollmentStatus, contract.SetEnrollmentStatusInput{
		EnrollmentID: e.in.EnrollmentID, Status: status, Step: step, StepKey: stepKey, Version: writeVersion(ctx),
	}).Get(ctx, nil)
}

// writeVersion orders the workflow's read-model writes: its history length, which grows
// with every write and is the same on replay. The store ignores a write that lands after
// a later one (store.SetEnrollmentStatus).
func writeVersion(ctx workflow.Context) int64 {
	return int64(workflow.GetInfo(ctx).GetCurrentHistoryLength())
}

func (e *enrollment) validateActivate(req ActivateRequest) error {
	if e.state.Status != domain.EnrollmentAwaitingActivation {
		return fmt.Errorf("enrollment is %s, not awaiting activation", e.state.Status)
	}
	if req.IssueNo != e.state.IssueNo {
		return fmt.Errorf("credentials issue %d is not the current one", req.IssueNo)
	}
	return nil
}

func (e *enrollment) activate(ctx workflow.Context, req ActivateRequest) (EnrollmentState, error) {
	// Set before the activity so that a concurrent activation fails validation.
	e.state.Status = domain.EnrollmentPasswordChangeRequired
	in := contract.ConfirmActivationInput{EnrollmentID: e.in.EnrollmentID, IssueNo: req.IssueNo, Version: writeVersion(ctx)}
	if e.passwordWindow {
		in.PasswordWindow = PasswordChangeWindow
	}
	var res contract.ConfirmActivationResult
	if err := workflow.ExecuteActivity(summarized(answerActivity(ctx), "confirm the activation"), contract.ConfirmActivation, in).Get(ctx, &res); err != nil {
		e.state.Status = domain.EnrollmentAwaitingActivation
		return e.state, err
	}
	if e.passwordWindow && res.ExpiresAt.After(e.state.ExpiresAt) {
		e.state.ExpiresAt = res.ExpiresAt
		e.rearmed++
	}
	return e.state, e.show(ctx)
}

func (e *enrollment) validatePasswordChanged() error {
	if e.state.Status != domain.EnrollmentPasswordChangeRequired || e.completing {
		return fmt.Errorf("enrollment is %s, not waiting for a password change", e.state.Status)
	}
	return nil
}

func (e *enrollment) passwordChanged(ctx workflow.Context) (EnrollmentState, error) {
	e.completing = true
	var res contract.CompleteEnrollmentResult
	if err := workflow.ExecuteActivity(summarized(answerActivity(ctx), "make the account active"), contract.CompleteEnrollment, e.in.EnrollmentID).Get(ctx, &res); err != nil {
		e.completing = false
		return e.state, err
	}
	e.welcomeOutboxID = res.WelcomeOutboxID
	e.state.Status = domain.EnrollmentActive
	e.completed = true
	return e.state, nil
}

func (e *enrollment) validateResend(req ResendRequest) error {
	switch {
	case e.completing || e.state.Status.Final():
		return fmt.Errorf("enrollment is %s", e.state.Status)
	case e.state.IssueNo >= e.in.MaxIssues:
		return fmt.Errorf("credentials were issued %d times, the maximum", e.state.IssueNo)
	case e.resendRequested:
		return errors.New("a re-issue is already in progress")
	}
	return nil
}

func (e *enrollment) resend(ctx workflow.Context, req ResendRequest) (EnrollmentState, error) {
	workflow.GetLogger(ctx).Info("credentials re-issue requested", "by", req.By)
	e.resendRequested = true
	return e.state, nil
}
