package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"occonnect/activities/contract"
	"occonnect/domain"
	"occonnect/mail"
	"occonnect/store"
)

// recoveryKey is the outbox key of a recovery run's e-mail: a retry of the activity finds
// what the first attempt queued.
func recoveryKey(ctx context.Context, what string, citizenID int64, n int) string {
	run := "test"
	if activity.IsActivity(ctx) {
		run = activity.GetInfo(ctx).WorkflowExecution.RunID
	}
	return fmt.Sprintf("recovery-%s/%d/%s/%d", what, citizenID, run, n)
}

// IssueRecoveryCode makes a citizen's new recovery code, stores its hash (the previous
// code stops working) and queues the bilingual e-mail that carries it, sealed. A retry
// that finds the e-mail queued returns it: never a second code for one issue. An account
// no longer active gets nothing (OutboxID 0).
func (a *Activities) IssueRecoveryCode(ctx context.Context, in contract.IssueRecoveryCodeInput) (contract.IssueRecoveryCodeResult, error) {
	key := recoveryKey(ctx, "code", in.CitizenID, in.IssueNo)
	if id, err := a.Store.OutboxIDByKey(ctx, key); err == nil && id != 0 {
		code, err := a.Store.RecoveryCodeOf(ctx, in.CitizenID)
		return contract.IssueRecoveryCodeResult{ExpiresAt: code.ExpiresAt, OutboxID: id}, err
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return contract.IssueRecoveryCodeResult{}, err
	}
	c, err := a.Store.CitizenByID(ctx, in.CitizenID)
	if err != nil {
		return contract.IssueRecoveryCodeResult{}, notFoundIsFinal("citizen", err)
	}
	if c.Status != domain.CitizenActive {
		return contract.IssueRecoveryCodeResult{}, nil
	}
	code, err := domain.NewRecoveryCode()
	if err != nil {
		return contract.IssueRecoveryCodeResult{}, err
	}
	now := a.now()
	expires := now.Add(domain.RecoveryCodeTTL)
	msg, err := mail.RenderRecoveryCode(mail.RecoveryCodeData{FirstName: c.FirstName, LastName: c.LastName, Language: c.Language,
		Code: code, ExpiresAt: expires})
	if err != nil {
		return contract.IssueRecoveryCodeResult{}, temporal.NewNonRetryableApplicationError("render recovery e-mail", "Template", err)
	}
	// The hash first: a crash before the e-mail is queued leaves a code nobody knows,
	// which the retry replaces.
	if err := a.Store.PutRecoveryCode(ctx, store.RecoveryCode{CitizenID: c.ID, CodeHash: domain.RecoveryCodeHash(c.ID, code),
		CreatedAt: now, ExpiresAt: expires}); err != nil {
		return contract.IssueRecoveryCodeResult{}, err
	}
	id, err := a.queue(ctx, key, "recovery_code", c.Email, msg, now)
	return contract.IssueRecoveryCodeResult{ExpiresAt: expires, OutboxID: id}, err
}

// QueueRecoveryNotice queues the notice that the password was changed by recovery, to the
// account's address.
func (a *Activities) QueueRecoveryNotice(ctx context.Context, in contract.QueueRecoveryNoticeInput) (int64, error) {
	key := recoveryKey(ctx, "notice", in.CitizenID, 0) // one notice a run: the run ends with it
	if id, err := a.Store.OutboxIDByKey(ctx, key); err == nil && id != 0 {
		return id, nil
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return 0, err
	}
	c, err := a.Store.CitizenByID(ctx, in.CitizenID)
	if err != nil {
		return 0, notFoundIsFinal("citizen", err)
	}
	msg, err := mail.RenderPasswordReset(mail.PasswordResetData{FirstName: c.FirstName, LastName: c.LastName, Language: c.Language, At: in.At})
	if err != nil {
		return 0, temporal.NewNonRetryableApplicationError("render password notice", "Template", err)
	}
	return a.queue(ctx, key, "password_reset", c.Email, msg, a.now())
}

// queue seals and queues an e-mail under key.
func (a *Activities) queue(ctx context.Context, key, kind, to string, msg mail.Message, now time.Time) (int64, error) {
	m, err := a.outboxMessage(key, kind, to, msg, now)
	if err != nil {
		return 0, err
	}
	return a.Store.Enqueue(ctx, m)
}
