// Package activities holds the side effects of the workflows: each activity does one thing,
// is idempotent, and reads personal data from MySQL itself so that workflow inputs and
// results carry opaque ids only.
package activities

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"

	"occonnect/activities/contract"
	"occonnect/domain"
	"occonnect/internal/metrics"
	"occonnect/internal/passhash"
	"occonnect/internal/scrub"
	"occonnect/mail"
	"occonnect/store"
)

// Activities carries the dependencies. The worker registers one built from config; the
// workflows refer to its methods through a nil *Activities.
type Activities struct {
	Store         *store.Store
	Mailer        mail.Sender
	Hasher        *passhash.Hasher
	Now           func() time.Time
	CredentialTTL time.Duration
	Metrics       *metrics.Activities // nil: not counted
	// Starts starts the workflows of rows left without one (the reconciler: the
	// service's Reconciler); nil in a worker that does not run it.
	Starts Starter
	// Bodies seals the e-mails' bodies in the outbox (the payload keys: a credentials
	// e-mail carries a live password) and opens them to send; nil stores them in clear
	// (only where payloads may be in clear too, OCC_ALLOW_PLAINTEXT_PAYLOADS).
	Bodies Sealer
}

// Sealer encrypts a text at rest and reads it back (codec.Keyring).
type Sealer interface {
	Seal(plain string) (string, error)
	Open(sealed string) (string, error)
}

func (a *Activities) now() time.Time {
	if a.Now != nil {
		return a.Now().UTC()
	}
	return time.Now().UTC()
}

// logger is the activity's logger, or the process's default one outside an activity (an
// activity called by a test or a command).
func logger(ctx context.Context) log.Logger {
	if activity.IsActivity(ctx) {
		return activity.GetLogger(ctx)
	}
	return slog.Default()
}

// keepAlive heartbeats every few seconds until stop is called, for a long activity whose
// work cannot report progress itself (a scheduled run's batch). With a HeartbeatTimeout,
// Temporal then notices within seconds a worker that died, or a completion lost while
// the server was away, and retries, instead of waiting for the StartToClose timeout
// while the Schedule skips the runs that overlap it. Outside an activity it does nothing.
func keepAlive(ctx context.Context, every time.Duration) (stop func()) {
	if !activity.IsActivity(ctx) {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return func() { close(done) }
}

func notFoundIsFinal(what string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return temporal.NewNonRetryableApplicationError(what+" not found", contract.ErrTypeNotFound, nil)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// IssueCredentials generates a random initial password, stores only its Argon2id hash with
// its expiry, and queues the bilingual e-mail that carries it, in one transaction. A retry
// of the same issue finds it stored and returns it: never a second password.
func (a *Activities) IssueCredentials(ctx context.Context, in contract.IssueCredentialsInput) (contract.IssueCredentialsResult, error) {
	enrollment, err := a.Store.EnrollmentByID(ctx, in.EnrollmentID)
	if err != nil {
		return contract.IssueCredentialsResult{}, notFoundIsFinal("enrollment", err)
	}
	ep := enrollment.ExchangePointCode.String
	if existing, err := a.Store.CredentialByIssue(ctx, in.EnrollmentID, in.IssueNo); err == nil {
		m, err := a.outboxIDFor(ctx, in)
		return contract.IssueCredentialsResult{ExpiresAt: existing.ExpiresAt, OutboxID: m, ExchangePointCode: ep}, err
	} else if !errors.Is(err, store.ErrNotFound) {
		return contract.IssueCredentialsResult{}, fmt.Errorf("read credential: %w", err)
	}
	citizen, err := a.Store.CitizenForEnrollment(ctx, in.EnrollmentID)
	if err != nil {
		return contract.IssueCredentialsResult{}, notFoundIsFinal("enrollment", err)
	}
	password, err := passhash.GenerateInitialPassword()
	if err != nil {
		return contract.IssueCredentialsResult{}, err
	}
	hash, err := a.Hasher.Hash(password)
	if err != nil {
		return contract.IssueCredentialsResult{}, err
	}
	now := a.now()
	expires := now.Add(a.CredentialTTL)
	msg, err := mail.RenderCitizenCredentials(mail.CredentialsData{
		FirstName: citizen.FirstName, LastName: citizen.LastName, Password: password,
		ExpiresAt: expires, Language: citizen.Language,
	})
	if err != nil {
		return contract.IssueCredentialsResult{}, temporal.NewNonRetryableApplicationError("render credentials e-mail", "Template", err)
	}
	queued, err := a.outboxMessage(store.CredentialsMessageKey(in.EnrollmentID, in.IssueNo), "citizen_credentials", citizen.Email, msg, now)
	if err != nil {
		return contract.IssueCredentialsResult{}, err
	}
	issued, created, err := a.Store.IssueCredential(ctx, store.Credential{
		EnrollmentID: in.EnrollmentID, CitizenID: citizen.ID, IssueNo: in.IssueNo,
		PasswordHash: hash, CreatedAt: now, ExpiresAt: expires,
	}, queued)
	if err != nil {
		return contract.IssueCredentialsResult{}, fmt.Errorf("store credential: %w", err)
	}
	if created { // false when a concurrent attempt stored it first
		a.Metrics.CredentialsIssued(in.IssueNo)
	}
	return contract.IssueCredentialsResult{ExpiresAt: issued.ExpiresAt, OutboxID: issued.OutboxID, ExchangePointCode: ep}, nil
}

func (a *Activities) outboxIDFor(ctx context.Context, in contract.IssueCredentialsInput) (int64, error) {
	id, err := a.Store.OutboxIDByKey(ctx, store.CredentialsMessageKey(in.EnrollmentID, in.IssueNo))
	if err != nil {
		return 0, fmt.Errorf("read outbox id: %w", err)
	}
	return id, nil
}

// outboxMessage is a rendered e-mail to queue, its bodies sealed (Bodies): the outbox never
// holds a readable password or a complaint's text.
func (a *Activities) outboxMessage(key, kind, to string, m mail.Message, now time.Time) (store.OutboxMessage, error) {
	text, html := m.Text, m.HTML
	if a.Bodies != nil {
		var err error
		if text, err = a.Bodies.Seal(text); err != nil {
			return store.OutboxMessage{}, fmt.Errorf("seal e-mail: %w", err)
		}
		if html, err = a.Bodies.Seal(html); err != nil {
			return store.OutboxMessage{}, fmt.Errorf("seal e-mail: %w", err)
		}
	}
	return store.OutboxMessage{
		MessageKey: key, Kind: kind, To: to, Subject: m.Subject,
		Text: sql.NullString{String: text, Valid: true}, HTML: sql.NullString{String: html, Valid: true},
		CreatedAt: now,
	}, nil
}

// openBodies reads a queued e-mail's bodies (sealed, or in clear from before sealing).
func (a *Activities) openBodies(m store.OutboxMessage) (mail.Message, error) {
	out := mail.Message{Subject: m.Subject, Text: m.Text.String, HTML: m.HTML.String}
	if a.Bodies == nil {
		return out, nil
	}
	var err error
	if out.Text, err = a.Bodies.Open(out.Text); err != nil {
		return out, fmt.Errorf("open e-mail %d: %w", m.ID, err)
	}
	if out.HTML, err = a.Bodies.Open(out.HTML); err != nil {
		return out, fmt.Errorf("open e-mail %d: %w", m.ID, err)
	}
	return out, nil
}

// SendEmail hands a queued e-mail to the SMTP server. Transient failures (server down, 4xx)
// are returned for Temporal to retry with backoff; a permanent refusal (5xx) is a
// non-retryable EmailRejected error. An e-mail already sent or cancelled is not sent again.
func (a *Activities) SendEmail(ctx context.Context, in contract.SendEmailInput) error {
	m, err := a.Store.OutboxByID(ctx, in.OutboxID)
	if err != nil {
		return notFoundIsFinal("outbox e-mail", err)
	}
	if m.CancelledAt.Valid {
		return nil
	}
	if !m.SentAt.Valid {
		msg, err := a.openBodies(m)
		if err != nil {
			// A key removed from the ring while e-mails waited: not retried, and said.
			return temporal.NewNonRetryableApplicationError("e-mail body cannot be opened", contract.ErrTypeEmailRejected, err)
		}
		err = a.Mailer.Send(ctx, m.To, msg, fmt.Sprintf("outbox-%d", m.ID))
		if err != nil {
			a.Metrics.EmailFailed(m.Kind, mail.IsPermanent(err))
			if ferr := a.Store.MarkOutboxFailed(ctx, m.ID, scrub.Message(err)); ferr != nil {
				logger(ctx).Warn("could not record e-mail failure", "outbox_id", m.ID, "error", ferr)
			}
			if mail.IsPermanent(err) {
				// Never sent: its bodies (a password perhaps) are erased rather than kept.
				if eerr := a.Store.EraseOutboxBodies(ctx, m.ID); eerr != nil {
					return eerr
				}
				return temporal.NewNonRetryableApplicationError("e-mail rejected by the SMTP server", contract.ErrTypeEmailRejected, err)
			}
			return fmt.Errorf("send e-mail %d: %w", m.ID, err)
		}
		a.Metrics.EmailSent(m.Kind)
		if err := a.Store.MarkOutboxSent(ctx, m.ID, a.now()); err != nil {
			return err
		}
	}
	if in.Step != "" {
		return a.Store.RecordStep(ctx, in.EnrollmentID, in.Step, in.StepKey, a.now())
	}
	return nil
}

// SetEnrollmentStatus writes the status (and the step, once) to the read model.
func (a *Activities) SetEnrollmentStatus(ctx context.Context, in contract.SetEnrollmentStatusInput) error {
	return a.Store.SetEnrollmentStatus(ctx, in.EnrollmentID, in.Status, in.Step, in.StepKey, a.now(), in.Version)
}

// ConfirmActivation records the activation in the read model.
func (a *Activities) ConfirmActivation(ctx context.Context, in contract.ConfirmActivationInput) (contract.ConfirmActivationResult, error) {
	now := a.now()
	if err := a.Store.ConfirmActivation(ctx, in.EnrollmentID, in.IssueNo, now, in.Version); err != nil || in.PasswordWindow <= 0 {
		return contract.ConfirmActivationResult{}, err
	}
	expires, err := a.Store.KeepCredentialUntil(ctx, in.EnrollmentID, in.IssueNo, now.Add(in.PasswordWindow))
	return contract.ConfirmActivationResult{ExpiresAt: expires}, err
}

// CompleteEnrollment makes the account active with the password the citizen chose (stored
// by the API as a pending hash), consumes the initial credentials, closes the enrollment and
// queues the welcome e-mail, in one transaction.
func (a *Activities) CompleteEnrollment(ctx context.Context, enrollmentID string) (contract.CompleteEnrollmentResult, error) {
	citizen, err := a.Store.CitizenForEnrollment(ctx, enrollmentID)
	if err != nil {
		return contract.CompleteEnrollmentResult{}, notFoundIsFinal("enrollment", err)
	}
	if citizen.Status != domain.CitizenActive && !citizen.PendingPasswordHash.Valid {
		return contract.CompleteEnrollmentResult{}, temporal.NewNonRetryableApplicationError("no new password submitted", contract.ErrTypeInvalidState, nil)
	}
	msg, err := mail.RenderCitizenWelcome(mail.WelcomeData{FirstName: citizen.FirstName, LastName: citizen.LastName, Language: citizen.Language})
	if err != nil {
		return contract.CompleteEnrollmentResult{}, temporal.NewNonRetryableApplicationError("render welcome e-mail", "Template", err)
	}
	now := a.now()
	queued, err := a.outboxMessage(store.WelcomeMessageKey(enrollmentID), "citizen_welcome", citizen.Email, msg, now)
	if err != nil {
		return contract.CompleteEnrollmentResult{}, err
	}
	id, err := a.Store.CompleteEnrollment(ctx, enrollmentID, queued, now)
	if err != nil {
		return contract.CompleteEnrollmentResult{}, err
	}
	return contract.CompleteEnrollmentResult{WelcomeOutboxID: id}, nil
}
