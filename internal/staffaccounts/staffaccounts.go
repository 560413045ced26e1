// Package staffaccounts creates back-office accounts with a one-time initial password that
// the staff member must change at first login, like citizens. The command line and (later)
// the admin API share it.
package staffaccounts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"occonnect/domain"
	"occonnect/internal/passhash"
	"occonnect/mail"
	"occonnect/store"
)

// Request describes the account to create.
type Request struct {
	Role              domain.Role
	Email             string
	ExchangePointCode string // agents only, required for them
	// By, when set (the admin API), is the admin creating the account: the account and its
	// staff.create audit row are then written in one transaction. Nil (the command line):
	// no audit row.
	By *store.AdminActor
}

// Errors of a bad request.
var (
	ErrInvalidRole          = errors.New("role must be agent, officer, supervisor or admin")
	ErrInvalidEmail         = errors.New("e-mail address is not valid")
	ErrExchangePointNeeded  = errors.New("agents need --exchange-point")
	ErrExchangePointUnknown = errors.New("unknown exchange point")
	ErrExchangePointUnused  = errors.New("only agents belong to an exchange point")
)

// Service creates accounts.
type Service struct {
	Store  *store.Store
	Hasher *passhash.Hasher
	Mailer mail.Sender // nil: the caller gets the password to hand over
	TTL    time.Duration
	Now    func() time.Time
}

// Created is the new account; Password is set only when it was not mailed.
type Created struct {
	ID        int64
	Password  string
	Mailed    bool
	ExpiresAt time.Time // end of the one-time password's validity
}

// Create validates the request, stores the account with the hash of a random initial
// password (valid TTL), and mails that password when a mailer is set.
func (s *Service) Create(ctx context.Context, req Request) (Created, error) {
	email := strings.ToLower(strings.TrimSpace(req.Email))
	switch {
	case !domain.ValidRole(string(req.Role)):
		return Created{}, ErrInvalidRole
	case !domain.ValidEmail(email):
		return Created{}, ErrInvalidEmail
	case req.Role == domain.RoleAgent && req.ExchangePointCode == "":
		return Created{}, ErrExchangePointNeeded
	case req.Role != domain.RoleAgent && req.ExchangePointCode != "":
		return Created{}, ErrExchangePointUnused
	}
	if req.ExchangePointCode != "" {
		ok, err := s.Store.ExchangePointExists(ctx, req.ExchangePointCode)
		if err != nil {
			return Created{}, err
		}
		if !ok {
			return Created{}, ErrExchangePointUnknown
		}
	}
	password, err := passhash.GenerateInitialPassword()
	if err != nil {
		return Created{}, err
	}
	hash, err := s.Hasher.Hash(password)
	if err != nil {
		return Created{}, err
	}
	now := time.Now().UTC()
	if s.Now != nil {
		now = s.Now().UTC()
	}
	expires := now.Add(s.TTL)
	account := store.Staff{
		Email: email, Role: req.Role,
		ExchangePointCode:  sql.NullString{String: req.ExchangePointCode, Valid: req.ExchangePointCode != ""},
		PasswordHash:       hash,
		MustChangePassword: true,
		PasswordExpiresAt:  sql.NullTime{Time: expires, Valid: true},
		CreatedAt:          now,
	}
	var id int64
	if req.By != nil {
		id, err = s.Store.CreateStaffAudited(ctx, account, *req.By)
	} else {
		id, err = s.Store.CreateStaff(ctx, account)
	}
	if err != nil {
		return Created{}, err
	}
	if s.Mailer == nil {
		return Created{ID: id, Password: password, ExpiresAt: expires}, nil
	}
	msg, err := mail.RenderStaffCredentials(mail.StaffCredentialsData{Email: email, Role: req.Role, Password: password, ExpiresAt: expires})
	if err != nil {
		return Created{}, fmt.Errorf("render staff e-mail: %w", err)
	}
	if err := s.Mailer.Send(ctx, email, msg, fmt.Sprintf("staff-%d-credentials", id)); err != nil {
		return Created{ID: id, ExpiresAt: expires}, fmt.Errorf("the account was created but the e-mail failed (re-issue the password once SMTP works): %w", err)
	}
	return Created{ID: id, Mailed: true, ExpiresAt: expires}, nil
}

// Reissued is the result of Reissue; Password is set only when it was not mailed.
type Reissued struct {
	ID        int64
	Password  string
	Mailed    bool
	ExpiresAt time.Time
}

// Reissue gives an account a new random one-time password (valid TTL, to be changed at
// the next login): its hash replaces the old one, which stops working at once, every
// session of the account is revoked, and a staff.reissue_password audit row by `by` is
// written, all in one transaction; then the password is mailed when a mailer is set.
// A disabled account gives store.ErrStaffDisabled, an unknown one store.ErrNotFound.
//
// When the e-mail fails, the new password is already in force and lost: the error says
// so, and calling Reissue again is the remedy.
func (s *Service) Reissue(ctx context.Context, id int64, by store.AdminActor) (Reissued, error) {
	st, err := s.Store.StaffByID(ctx, id)
	if err != nil {
		return Reissued{}, err
	}
	if st.Disabled {
		return Reissued{}, store.ErrStaffDisabled
	}
	password, err := passhash.GenerateInitialPassword()
	if err != nil {
		return Reissued{}, err
	}
	hash, err := s.Hasher.Hash(password)
	if err != nil {
		return Reissued{}, err
	}
	now := time.Now().UTC()
	if s.Now != nil {
		now = s.Now().UTC()
	}
	expires := now.Add(s.TTL).Truncate(time.Microsecond) // as MySQL keeps it
	var msg mail.Message
	if s.Mailer != nil {
		// Rendered before anything changes: a render failure leaves the old password.
		msg, err = mail.RenderStaffCredentials(mail.StaffCredentialsData{Email: st.Email, Role: st.Role, Password: password, ExpiresAt: expires})
		if err != nil {
			return Reissued{}, fmt.Errorf("render staff e-mail: %w", err)
		}
	}
	if _, err := s.Store.ReissueStaffPassword(ctx, id, hash, expires, now, by); err != nil {
		return Reissued{}, err
	}
	if s.Mailer == nil {
		return Reissued{ID: id, Password: password, ExpiresAt: expires}, nil
	}
	messageID := fmt.Sprintf("staff-%d-credentials-%d", id, now.UnixNano())
	if err := s.Mailer.Send(ctx, st.Email, msg, messageID); err != nil {
		return Reissued{ID: id, ExpiresAt: expires}, fmt.Errorf("the password was re-issued but the e-mail failed (re-issue it again once SMTP works): %w", err)
	}
	return Reissued{ID: id, Mailed: true, ExpiresAt: expires}, nil
}
