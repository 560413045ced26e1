package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"occonnect/domain"
	"occonnect/internal/passhash"
	"occonnect/internal/totp"
	"occonnect/store"
)

// MFAPolicy says which staff roles must sign in with a second factor (TOTP). A staff
// member of another role who enrolled uses it all the same; with no role listed nobody
// is made to enrol (development: OCC_STAFF_MFA=optional).
type MFAPolicy struct {
	Required []domain.Role
}

func (p MFAPolicy) requires(r domain.Role) bool { return slices.Contains(p.Required, r) }

// Second-factor challenges: a verified password waits this long for its code, and a few
// wrong codes burn it (the password is asked again; the failures count in the lockout).
const (
	MFAChallengeTTL         = 5 * time.Minute
	MFAChallengeMaxAttempts = 5
)

// TOTPSealPurpose is what the staff's TOTP secrets are sealed for (codec.Keyring.For).
const TOTPSealPurpose = "occonnect/staff-totp"

// Sealer encrypts a text at rest and reads it back (the payload keys: codec.Keyring).
type Sealer interface {
	Seal(plain string) (string, error)
	Open(sealed string) (string, error)
}

// MFAChallenge is what a sign-in whose password was right continues with: the challenge
// to send back with the code, and, when the second factor is still to be enrolled, the
// secret to add to an authenticator app.
type MFAChallenge struct {
	Challenge string
	ExpiresAt time.Time
	Enrolment *MFAEnrolment
}

// MFAEnrolment is a new TOTP secret: as text, as its otpauth:// URI, and as the PNG of
// its QR code (rendered here: the secret never goes to a third-party service).
type MFAEnrolment struct {
	Secret, URI string
	QRPNG       []byte
}

// StaffSession is a staff sign-in's outcome: the session, the account, and the recovery
// codes of a second factor enrolled by this sign-in (shown once, never stored in clear).
type StaffSession struct {
	Token         *Token
	Staff         store.Staff
	RecoveryCodes []string
}

// mfaChallenge asks for the second factor of st, whose password was just verified from
// g's source: nil when st has none and the policy does not require one; otherwise a new
// challenge, with the secret to enrol when it is not confirmed yet (the same secret
// until it is, so that a scan followed by a lost page still works).
func (a *Auth) mfaChallenge(ctx context.Context, g guard, st store.Staff) (*MFAChallenge, error) {
	now := a.clock.now()
	m, err := a.store.MFAOf(ctx, st.ID)
	switch {
	case errors.Is(err, store.ErrNotFound) && !a.mfa.requires(st.Role):
		return nil, nil
	case errors.Is(err, store.ErrNotFound):
		secret, err := totp.NewSecret()
		if err != nil {
			return nil, err
		}
		sealed, err := a.seal(secret)
		if err != nil {
			return nil, err
		}
		if m, err = a.store.StartMFAEnrolment(ctx, st.ID, sealed, now); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	case !m.Confirmed() && !a.mfa.requires(st.Role):
		return nil, nil // an enrolment begun under a stricter policy, never finished
	}
	token, hash, err := passhash.NewToken()
	if err != nil {
		return nil, err
	}
	ch := &MFAChallenge{Challenge: token, ExpiresAt: now.Add(MFAChallengeTTL)}
	if err := a.store.CreateMFAChallenge(ctx, store.MFAChallenge{TokenHash: hash, StaffID: st.ID, SourceKey: g.source,
		CreatedAt: now, ExpiresAt: ch.ExpiresAt}); err != nil {
		return nil, err
	}
	if !m.Confirmed() {
		secret, err := a.open(m.SecretSealed)
		if err != nil {
			return nil, err
		}
		uri := totp.URI(secret, st.Email)
		png, err := totp.QRPNG(uri, 240)
		if err != nil {
			return nil, err
		}
		ch.Enrolment = &MFAEnrolment{Secret: secret, URI: uri, QRPNG: png}
	}
	return ch, nil
}

// StaffSignInMFA completes a sign-in that answered MFARequired: the challenge it gave and
// a code of the staff member's authenticator app, or one of the recovery codes. The
// first code of an enrolment confirms it and gives the ten recovery codes. A code is good
// once (a TOTP's time step, a recovery code); a wrong one counts in the account's lockout
// from the caller's source, and MFAChallengeMaxAttempts of them burn the challenge. Every
// refusal is InvalidCode (the detail says when the password must be given again), or
// AccountLocked.
func (a *Auth) StaffSignInMFA(ctx context.Context, challenge, code string) (StaffSession, error) {
	var v fieldErrors
	challenge, code = strings.TrimSpace(challenge), strings.TrimSpace(code)
	switch {
	case challenge == "":
		v.add("challenge", "required")
	case len(challenge) > 128:
		v.add("challenge", "too_long")
	}
	switch {
	case code == "":
		v.add("code", "required")
	case len(code) > 32:
		v.add("code", "too_long")
	}
	if err := v.err(); err != nil {
		return StaffSession{}, err
	}
	expired := &Refusal{Reason: InvalidCode, Detail: "mfa_challenge_expired"}
	now := a.clock.now()
	hash := passhash.HashToken(challenge)
	ch, err := a.store.MFAChallengeByHash(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return StaffSession{}, expired
	} else if err != nil {
		return StaffSession{}, err
	}
	if ch.UsedAt.Valid || !now.Before(ch.ExpiresAt) || ch.Attempts >= MFAChallengeMaxAttempts {
		return StaffSession{}, expired
	}
	st, err := a.store.StaffByID(ctx, ch.StaffID)
	if err != nil {
		return StaffSession{}, err
	}
	if st.Disabled {
		return StaffSession{}, expired
	}
	g := a.guardFor(ctx, domain.SubjectStaff, st.Email)
	if err := a.checkLock(ctx, g); err != nil {
		return StaffSession{}, err
	}
	m, err := a.store.MFAOf(ctx, st.ID)
	if errors.Is(err, store.ErrNotFound) {
		return StaffSession{}, expired // reset by an admin meanwhile
	} else if err != nil {
		return StaffSession{}, err
	}
	secret, err := a.open(m.SecretSealed)
	if err != nil {
		return StaffSession{}, err
	}
	var recovery []string
	ok := false
	switch {
	case !m.Confirmed():
		// Enrolment: the first code proves the app holds the secret.
		if step, match := totp.Match(secret, code, now, 0); match {
			codes, hashes, err := totp.NewRecoveryCodes(totp.RecoveryCodes)
			if err != nil {
				return StaffSession{}, err
			}
			if ok, err = a.store.ConfirmMFA(ctx, st.ID, step, hashes, now); err != nil {
				return StaffSession{}, err
			}
			recovery = codes
		}
	case totp.IsRecoveryCode(code):
		if ok, err = a.store.UseRecoveryCode(ctx, st.ID, totp.RecoveryHash(code), now); err != nil {
			return StaffSession{}, err
		}
	default:
		if step, match := totp.Match(secret, code, now, m.LastStep); match {
			if ok, err = a.store.UseTOTPStep(ctx, st.ID, step); err != nil {
				return StaffSession{}, err
			}
		}
	}
	if !ok {
		if _, err := a.store.FailMFAChallenge(ctx, hash); err != nil {
			return StaffSession{}, err
		}
		err := a.failed(ctx, g) // InvalidCredentials, AccountLocked, or MySQL's error
		if r := Explain(err); r == nil || r.Reason == AccountLocked {
			return StaffSession{}, err
		}
		return StaffSession{}, refuse(InvalidCode)
	}
	if used, err := a.store.UseMFAChallenge(ctx, hash, MFAChallengeMaxAttempts, now); err != nil {
		return StaffSession{}, err
	} else if !used {
		return StaffSession{}, expired // a concurrent request spent it first
	}
	tok, err := a.newSession(ctx, domain.SubjectStaff, st.ID, domain.ScopeFull)
	if err != nil {
		return StaffSession{}, err
	}
	return StaffSession{Token: tok, Staff: st, RecoveryCodes: recovery}, nil
}

// seal encrypts a second-factor secret for MySQL (in clear only where payloads may be:
// OCC_ALLOW_PLAINTEXT_PAYLOADS without keys, in development).
func (a *Auth) seal(secret string) (string, error) {
	if a.secrets == nil {
		return secret, nil
	}
	s, err := a.secrets.Seal(secret)
	if err != nil {
		return "", fmt.Errorf("seal the second factor: %w", err)
	}
	return s, nil
}

func (a *Auth) open(sealed string) (string, error) {
	if a.secrets == nil {
		return sealed, nil
	}
	s, err := a.secrets.Open(sealed)
	if err != nil {
		return "", fmt.Errorf("open the second factor: %w", err)
	}
	return s, nil
}

// ResetMFA removes a staff member's second factor (a lost phone; the recovery codes
// lost too), audited as staff.mfa_reset by `by`: the next sign-in enrols a new one.
// false when the account had none.
func (s *Staff) ResetMFA(ctx context.Context, by store.AdminActor, id int64) (bool, error) {
	if _, err := s.store.StaffByID(ctx, id); err != nil {
		return false, err
	}
	return s.store.ResetMFA(ctx, id, s.clock.now(), by)
}
