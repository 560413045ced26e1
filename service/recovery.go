package service

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"occonnect/domain"
	"occonnect/internal/passhash"
	"occonnect/internal/scrub"
	"occonnect/mail"
	"occonnect/store"
)

// Password recovery (law 09-08 and plain decency: an active citizen who forgot the
// password gets back in without the call centre): a one-time 8-digit code e-mailed to the
// account's address, valid RecoveryCodeTTL, burnt by RecoveryMaxAttempts wrong tries.
const (
	RecoveryCodeTTL     = 15 * time.Minute
	RecoveryMaxAttempts = 5
)

// Recovery is the citizen's password recovery.
type Recovery struct {
	store      *store.Store
	hasher     *passhash.Hasher
	clock      clock
	auth       *Auth
	mailer     mail.Sender // nil: no e-mail can be sent (the request is logged, not done)
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
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := r.sendCode(ctx, c); err != nil {
			r.log.Warn("password recovery code not sent", "request_id", requestID, "reason", scrub.Message(err))
		}
	}()
	return nil
}

// sendCode makes a citizen's new code, stores its hash (the previous code is replaced) and
// e-mails it, in the citizen's language.
func (r *Recovery) sendCode(ctx context.Context, c store.Citizen) error {
	if r.mailer == nil {
		return errors.New("no mailer configured")
	}
	code, err := newRecoveryCode()
	if err != nil {
		return err
	}
	now := r.clock.now()
	expires := now.Add(RecoveryCodeTTL)
	msg, err := mail.RenderRecoveryCode(mail.RecoveryCodeData{FirstName: c.FirstName, LastName: c.LastName, Language: c.Language,
		Code: code, ExpiresAt: expires})
	if err != nil {
		return err
	}
	if err := r.store.PutRecoveryCode(ctx, store.RecoveryCode{CitizenID: c.ID, CodeHash: recoveryHash(c.ID, code),
		CreatedAt: now, ExpiresAt: expires}); err != nil {
		return err
	}
	return r.mailer.Send(ctx, c.Email, msg, fmt.Sprintf("citizen-%d-recovery-%d", c.ID, now.UnixNano()))
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
	hash := recoveryHash(c.ID, code)
	if err := r.store.CheckRecoveryCode(ctx, c.ID, hash, RecoveryMaxAttempts, now); errors.Is(err, store.ErrRecoveryCode) {
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
		LoginKey: loginKey(domain.SubjectCitizen, c.CIN), MaxAttempts: RecoveryMaxAttempts, At: now})
	if errors.Is(err, store.ErrRecoveryCode) {
		return refuse(InvalidRecoveryCode) // spent by a concurrent confirmation
	} else if err != nil {
		return err
	}
	r.background.Add(1)
	go func() {
		defer r.background.Done()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := r.sendNotice(ctx, c, now); err != nil {
			r.log.Warn("password recovery notice not sent", "reason", scrub.Message(err))
		}
	}()
	return nil
}

// sendNotice tells the account's address that its password was changed by recovery.
func (r *Recovery) sendNotice(ctx context.Context, c store.Citizen, at time.Time) error {
	if r.mailer == nil {
		return errors.New("no mailer configured")
	}
	msg, err := mail.RenderPasswordReset(mail.PasswordResetData{FirstName: c.FirstName, LastName: c.LastName, Language: c.Language, At: at})
	if err != nil {
		return err
	}
	return r.mailer.Send(ctx, c.Email, msg, fmt.Sprintf("citizen-%d-password-reset-%d", c.ID, at.UnixNano()))
}

// newRecoveryCode draws an 8-digit code, uniformly.
func newRecoveryCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(100_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%0*d", mail.RecoveryCodeLength, n.Int64()), nil
}

// recoveryHash binds a code to its citizen (a code is only ever checked against one).
func recoveryHash(citizenID int64, code string) []byte {
	return passhash.HashToken(fmt.Sprintf("occ-citizen-recovery:%d:%s", citizenID, code))
}
