package service

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"occonnect/domain"
	"occonnect/internal/passhash"
	"occonnect/internal/scrub"
	"occonnect/store"
	"occonnect/workflows"
)

// Recovery is the citizen's password recovery (an active citizen who forgot the password
// gets back in without the call centre): a one-time code e-mailed to the account's address
// by the Recovery workflow (domain.RecoveryCodeTTL, domain.RecoveryMaxAttempts).
type Recovery struct {
	store      *store.Store
	hasher     *passhash.Hasher
	clock      clock
	auth       *Auth
	wf         workflowClient
	background *sync.WaitGroup
	log        *slog.Logger
}

// recoveryGuard is what recovery requests and confirmations are rate limited against: the
// CIN's own budget, apart from its sign-ins.
func (r *Recovery) recoveryGuard(ctx context.Context, cin string) guard {
	return r.auth.guardFor(ctx, domain.SubjectCitizen, "recovery:"+cin)
}

// Request is a citizen's request for a recovery code, by CIN and e-mail. The answer is the
// same, in about the same time, whether or not they match an active account: the only
// refusals are about the request itself (invalid fields, the rate limits). Whether they
// match is read here, by one query either way; the code is made, stored and e-mailed in
// the background. requestID goes into the log line of a request that could not be done.
func (r *Recovery) Request(ctx context.Context, cin, email, requestID string) error {
	var v fieldErrors
	norm, err := domain.NormalizeCIN(cin)
	switch {
	case strings.TrimSpace(cin) == "":
		v.add("cin", "required")
	case err != nil:
		v.add("cin", "invalid_format")
	}
	email = strings.ToLower(strings.TrimSpace(email))
	switch {
	case email == "":
		v.add("email", "required")
	case !domain.ValidEmail(email):
		v.add("email", "invalid_format")
	}
	if err := v.err(); err != nil {
		return err
	}
	if err := r.auth.limitAccount(ctx, r.recoveryGuard(ctx, norm)); err != nil {
		return err
	}
	c, err := r.store.CitizenByCIN(ctx, norm)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (c.Status != domain.CitizenActive || !strings.EqualFold(c.Email, email))) {
		return nil
	} else if err != nil {
		return err
	}
	r.background.Add(1)
	go func() {
		defer r.background.Done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := r.wf.signalWithStart(ctx, workflows.RecoveryWorkflowID(c.ID), workflows.SignalRecoveryRequested, nil,
			workflows.Recovery, workflows.RecoveryInput{CitizenID: c.ID}); err != nil {
			r.log.Warn("password recovery not started", "request_id", requestID, "reason", scrub.Message(err))
		}
	}()
	return nil
}

// Confirm sets a new password with a recovery code: every session revoked, the sign-in
// failures forgotten (the way out of a lockout), a notice e-mailed. Any wrong, expired,
// used or burnt code, or a CIN without one, is InvalidRecoveryCode (a wrong try counted);
// a new password against the policy is Invalid, and leaves the code live.
func (r *Recovery) Confirm(ctx context.Context, cin, code, newPassword string) error {
	var v fieldErrors
	norm, err := domain.NormalizeCIN(cin)
	switch {
	case strings.TrimSpace(cin) == "":
		v.add("cin", "required")
	case err != nil:
		v.add("cin", "invalid_format")
	}
	code = strings.TrimSpace(code)
	switch {
	case code == "":
		v.add("code", "required")
	case len(code) > 32:
		v.add("code", "too_long")
	}
	switch {
	case newPassword == "":
		v.add("new_password", "required")
	case utf8.RuneCountInString(newPassword) > domain.MaxPasswordLen:
		v.add("new_password", "too_long")
	}
	if err := v.err(); err != nil {
		return err
	}
	if err := r.auth.limitAccount(ctx, r.recoveryGuard(ctx, norm)); err != nil {
		return err
	}
	c, err := r.store.CitizenByCIN(ctx, norm)
	if errors.Is(err, store.ErrNotFound) || (err == nil && c.Status != domain.CitizenActive) {
		return refuse(InvalidRecoveryCode)
	} else if err != nil {
		return err
	}
	now := r.clock.now()
	hash := domain.RecoveryCodeHash(c.ID, code)
	if err := r.store.CheckRecoveryCode(ctx, c.ID, hash, domain.RecoveryMaxAttempts, now); errors.Is(err, store.ErrRecoveryCode) {
		return refuse(InvalidRecoveryCode)
	} else if err != nil {
		return err
	}
	if err := policyErrors(newPassword, c.CIN, ""); err != nil {
		return err
	}
	pw, err := r.hasher.Hash(newPassword)
	if err != nil {
		return err
	}
	err = r.store.ResetByRecovery(ctx, store.RecoveryReset{CitizenID: c.ID, CodeHash: hash, PasswordHash: pw,
		LoginKey: loginKey(domain.SubjectCitizen, c.CIN), MaxAttempts: domain.RecoveryMaxAttempts, At: now})
	if errors.Is(err, store.ErrRecoveryCode) {
		return refuse(InvalidRecoveryCode) // spent by a concurrent confirmation
	} else if err != nil {
		return err
	}
	// The password is changed: the notice is the workflow's (started if the last code's
	// run ended meanwhile). Temporal away, the change stands and the notice is logged as
	// not sent.
	if err := r.wf.signalWithStart(ctx, workflows.RecoveryWorkflowID(c.ID), workflows.SignalRecoveryUsed, now,
		workflows.Recovery, workflows.RecoveryInput{CitizenID: c.ID}); err != nil {
		r.log.WarnContext(ctx, "password changed by recovery; its notice not sent", "request_id", requestIDOf(ctx), "reason", scrub.Message(err))
	}
	return nil
}
