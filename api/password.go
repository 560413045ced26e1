package api

import (
	"context"
	"errors"
	"net/http"
	"unicode/utf8"

	"occonnect/domain"
	"occonnect/store"
)

type changePasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// changePassword: PUT /me/password. For a citizen whose enrollment waits for it, the new
// hash is stored as pending and the enrollment workflow makes it the password (and the
// account active); otherwise it is stored directly. Either way the other sessions are
// revoked and the caller's session becomes a full one.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	var req changePasswordRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	// Lengths are checked before the current password is: no Argon2id work on a 64 KiB
	// string, and no failed attempt counted for a request that could never succeed.
	var v validation
	switch {
	case req.CurrentPassword == "":
		v.add("current_password", "required")
	case len(req.CurrentPassword) > 4*domain.MaxPasswordLen:
		v.add("current_password", "too_long")
	}
	switch {
	case req.NewPassword == "":
		v.add("new_password", "required")
	case utf8.RuneCountInString(req.NewPassword) > domain.MaxPasswordLen:
		v.add("new_password", "too_long")
	}
	if err := v.err(); err != nil {
		return err
	}
	ctx := r.Context()
	p := principalFrom(ctx)
	var err error
	if p.kind == domain.SubjectStaff {
		err = s.changeStaffPassword(ctx, p, req)
	} else {
		err = s.changeCitizenPassword(ctx, p, req)
	}
	if err != nil {
		return err
	}
	if err := s.store.RevokeOtherSessions(ctx, p.kind, p.id, p.tokenHash, s.clock()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func policyErrors(newPassword, cin, current string) error {
	var v validation
	for _, violation := range domain.CheckPassword(newPassword, cin, current) {
		v.add("new_password", string(violation))
	}
	return v.err()
}

func (s *Server) changeStaffPassword(ctx context.Context, p *principal, req changePasswordRequest) error {
	key := loginKey(domain.SubjectStaff, p.staff.Email)
	if err := s.checkLock(ctx, key); err != nil {
		return err
	}
	if !s.hasher.Verify(req.CurrentPassword, p.staff.PasswordHash) {
		return s.failed(ctx, key)
	}
	if err := s.store.ResetFailures(ctx, key); err != nil {
		return err
	}
	if err := policyErrors(req.NewPassword, "", req.CurrentPassword); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(req.NewPassword)
	if err != nil {
		return err
	}
	return s.store.SetStaffPassword(ctx, p.id, hash, s.clock())
}

func (s *Server) changeCitizenPassword(ctx context.Context, p *principal, req changePasswordRequest) error {
	c, err := s.store.CitizenByID(ctx, p.id)
	if err != nil {
		return err
	}
	key := loginKey(domain.SubjectCitizen, c.CIN)
	if err := s.checkLock(ctx, key); err != nil {
		return err
	}
	var current string
	var cred store.Credential
	if c.Status == domain.CitizenActive {
		current = c.PasswordHash.String
	} else {
		cred, err = s.store.CurrentCredential(ctx, c.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		current = cred.PasswordHash // "" when none: the dummy hash is checked
	}
	if !s.hasher.Verify(req.CurrentPassword, current) {
		return s.failed(ctx, key)
	}
	if err := s.store.ResetFailures(ctx, key); err != nil {
		return err
	}
	if c.Status != domain.CitizenActive && !s.clock().Before(cred.ExpiresAt) {
		return problem(http.StatusUnauthorized, "credentials_expired")
	}
	if err := policyErrors(req.NewPassword, c.CIN, req.CurrentPassword); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(req.NewPassword)
	if err != nil {
		return err
	}
	if c.Status == domain.CitizenActive {
		return s.store.SetCitizenPassword(ctx, c.ID, hash, s.clock())
	}
	if err := s.store.SetPendingPassword(ctx, c.ID, hash); err != nil {
		return err
	}
	return s.notifyPasswordChanged(ctx, c.ID, cred.EnrollmentID)
}
