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
	Role              string
	Email             string
	ExchangePointCode string // agents only, required for them
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
	ID       int64
	Password string
	Mailed   bool
}

// Create validates the request, stores the account with the hash of a random initial
// password (valid TTL), and mails that password when a mailer is set.
func (s *Service) Create(ctx context.Context, req Request) (Created, error) {
	email := strings.ToLower(strings.TrimSpace(req.Email))
	switch {
	case !domain.ValidRole(req.Role):
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
	id, err := s.Store.CreateStaff(ctx, store.Staff{
		Email: email, Role: req.Role,
		ExchangePointCode:  sql.NullString{String: req.ExchangePointCode, Valid: req.ExchangePointCode != ""},
		PasswordHash:       hash,
		MustChangePassword: true,
		PasswordExpiresAt:  sql.NullTime{Time: expires, Valid: true},
		CreatedAt:          now,
	})
	if err != nil {
		return Created{}, err
	}
	if s.Mailer == nil {
		return Created{ID: id, Password: password}, nil
	}
	msg, err := mail.RenderStaffCredentials(mail.StaffCredentialsData{Email: email, Role: req.Role, Password: password, ExpiresAt: expires})
	if err != nil {
		return Created{}, fmt.Errorf("render staff e-mail: %w", err)
	}
	if err := s.Mailer.Send(ctx, email, msg, fmt.Sprintf("staff-%d-credentials", id)); err != nil {
		return Created{ID: id}, fmt.Errorf("the account was created but the e-mail failed (re-issue the password once SMTP works): %w", err)
	}
	return Created{ID: id, Mailed: true}, nil
}
