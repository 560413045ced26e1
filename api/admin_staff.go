package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"occonnect/domain"
	"occonnect/internal/scrub"
	"occonnect/internal/staffaccounts"
	"occonnect/store"
)

// staffJSON is a staff account as admins see it: never its password or hash.
type staffJSON struct {
	ID                 int64       `json:"id"`
	Email              string      `json:"email"`
	Role               domain.Role `json:"role"`
	ExchangePointCode  *string     `json:"exchange_point_code"` // agents only; null otherwise
	MustChangePassword bool        `json:"must_change_password"`
	PasswordExpiresAt  *time.Time  `json:"password_expires_at"` // the one-time password's end; null once changed
	Disabled           bool        `json:"disabled"`
	CreatedAt          time.Time   `json:"created_at"`
}

func toStaffJSON(st store.Staff) staffJSON {
	out := staffJSON{ID: st.ID, Email: st.Email, Role: st.Role, MustChangePassword: st.MustChangePassword,
		Disabled: st.Disabled, CreatedAt: st.CreatedAt}
	if st.ExchangePointCode.Valid {
		code := st.ExchangePointCode.String
		out.ExchangePointCode = &code
	}
	if st.PasswordExpiresAt.Valid {
		at := st.PasswordExpiresAt.Time
		out.PasswordExpiresAt = &at
	}
	return out
}

type createStaffRequest struct {
	Role              domain.Role `json:"role"`
	Email             string      `json:"email"`
	ExchangePointCode string      `json:"exchange_point_code"`
}

// staffAccounts is the account service on the server's store, hasher, mailer and clock.
func (s *Server) staffAccounts() *staffaccounts.Service {
	return &staffaccounts.Service{Store: s.store, Hasher: s.hasher, Mailer: s.mailer, TTL: s.credentialTTL, Now: s.clock}
}

func adminActor(r *http.Request) store.AdminActor {
	return store.AdminActor{StaffID: principalFrom(r.Context()).id, RequestID: requestID(r.Context())}
}

// createStaff: POST /staff (admin) {role, email, exchange_point_code (agents only)}. The
// account gets a random one-time password, e-mailed to it and never shown to the admin.
func (s *Server) createStaff(w http.ResponseWriter, r *http.Request) error {
	if s.mailer == nil {
		// Without a mailer the password could reach nobody: create nothing.
		s.log.WarnContext(r.Context(), "staff creation refused: no mailer configured", "request_id", requestID(r.Context()))
		return problem(http.StatusServiceUnavailable, "unavailable")
	}
	var req createStaffRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	email := strings.ToLower(strings.TrimSpace(req.Email))
	code := strings.TrimSpace(req.ExchangePointCode)
	var v validation
	switch {
	case req.Role == "":
		v.add("role", "required")
	case !domain.ValidRole(string(req.Role)):
		v.add("role", "invalid")
	}
	switch {
	case email == "":
		v.add("email", "required")
	case !domain.ValidEmail(email):
		v.add("email", "invalid_format")
	}
	switch {
	case req.Role == domain.RoleAgent && code == "":
		v.add("exchange_point_code", "exchange_point_required")
	case req.Role != domain.RoleAgent && code != "":
		if domain.ValidRole(string(req.Role)) {
			v.add("exchange_point_code", "exchange_point_not_allowed")
		}
	case code != "":
		ok, err := s.store.ExchangePointExists(ctx, code)
		if err != nil {
			return err
		}
		if !ok {
			v.add("exchange_point_code", "unknown_exchange_point")
		}
	}
	if err := v.err(); err != nil {
		return err
	}
	created, err := s.staffAccounts().Create(ctx, staffaccounts.Request{Role: req.Role, Email: email, ExchangePointCode: code, By: new(adminActor(r))})
	switch {
	case errors.Is(err, store.ErrDuplicate):
		return &apiError{status: http.StatusConflict, code: "conflict", detailKey: "staff_email_taken"}
	case errors.Is(err, staffaccounts.ErrExchangePointUnknown): // deactivated since the check above
		return problem(http.StatusBadRequest, "validation_failed", fieldErr("exchange_point_code", "unknown_exchange_point"))
	case err != nil && created.ID != 0:
		// The account exists but the e-mail failed: say so (mailed: false); the admin
		// re-issues the password once mail works.
		s.log.ErrorContext(ctx, "staff credentials e-mail failed", "request_id", requestID(ctx), "staff_id", created.ID, "error", scrub.Message(err))
	case err != nil:
		return err
	}
	st, err := s.store.StaffByID(ctx, created.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, struct {
		staffJSON
		Mailed bool `json:"mailed"`
	}{toStaffJSON(st), created.Mailed})
	return nil
}

// adminListStaff: GET /admin/staff?role=&cursor=&limit= (admin), by id.
func (s *Server) adminListStaff(w http.ResponseWriter, r *http.Request) error {
	var v validation
	limit, cursor := page(r, &v)
	var after int64
	if cursor != "" {
		n, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || n < 1 {
			v.add("cursor", "invalid")
		}
		after = n
	}
	role := domain.Role(r.URL.Query().Get("role"))
	if role != "" && !domain.ValidRole(string(role)) {
		v.add("role", "invalid")
	}
	if err := v.err(); err != nil {
		return err
	}
	list, err := s.store.ListStaff(r.Context(), store.StaffFilter{Role: role, AfterID: after, Limit: limit + 1})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageItems(list, limit,
		func(st store.Staff) *string { return encodeCursor(strconv.FormatInt(st.ID, 10)) }, toStaffJSON))
	return nil
}

// staffIDParam reads {id}; anything but a positive integer is an account that does not
// exist (404).
func staffIDParam(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(mux.Vars(r)["id"], 10, 64)
	if err != nil || id < 1 {
		return 0, problem(http.StatusNotFound, "not_found")
	}
	return id, nil
}

// adminGetStaff: GET /admin/staff/{id} (admin).
func (s *Server) adminGetStaff(w http.ResponseWriter, r *http.Request) error {
	id, err := staffIDParam(r)
	if err != nil {
		return err
	}
	st, err := s.store.StaffByID(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toStaffJSON(st))
	return nil
}

// disableStaff: POST /admin/staff/{id}/disable (admin). The account can no longer log in
// and all its sessions are revoked; an admin cannot disable themself (409).
func (s *Server) disableStaff(w http.ResponseWriter, r *http.Request) error {
	return s.setStaffDisabled(w, r, true)
}

// enableStaff: POST /admin/staff/{id}/enable (admin). The account may log in again with
// its password (its revoked sessions stay revoked).
func (s *Server) enableStaff(w http.ResponseWriter, r *http.Request) error {
	return s.setStaffDisabled(w, r, false)
}

func (s *Server) setStaffDisabled(w http.ResponseWriter, r *http.Request, disabled bool) error {
	id, err := staffIDParam(r)
	if err != nil {
		return err
	}
	if disabled && id == principalFrom(r.Context()).id {
		return &apiError{status: http.StatusConflict, code: "conflict", detailKey: "cannot_disable_self"}
	}
	st, err := s.store.SetStaffDisabled(r.Context(), id, disabled, s.clock(), adminActor(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toStaffJSON(st))
	return nil
}

// reissueStaffPassword: POST /admin/staff/{id}/reissue-password (admin). A new random
// one-time password replaces the old one (invalid at once), must be changed at the next
// login, and is e-mailed to the account; all its sessions are revoked. The answer never
// carries the password.
func (s *Server) reissueStaffPassword(w http.ResponseWriter, r *http.Request) error {
	id, err := staffIDParam(r)
	if err != nil {
		return err
	}
	if s.mailer == nil {
		s.log.WarnContext(r.Context(), "staff password re-issue refused: no mailer configured", "request_id", requestID(r.Context()))
		return problem(http.StatusServiceUnavailable, "unavailable")
	}
	ctx := r.Context()
	res, err := s.staffAccounts().Reissue(ctx, id, adminActor(r))
	switch {
	case errors.Is(err, store.ErrStaffDisabled):
		return &apiError{status: http.StatusConflict, code: "conflict", detailKey: "staff_disabled"}
	case err != nil && res.ID != 0:
		// The new password is in force but its e-mail failed: a retry issues another one.
		s.log.ErrorContext(ctx, "staff credentials e-mail failed", "request_id", requestID(ctx), "staff_id", id, "error", scrub.Message(err))
		return &apiError{status: http.StatusServiceUnavailable, code: "unavailable", retryAfter: 30 * time.Second}
	case err != nil:
		return err
	}
	writeJSON(w, http.StatusAccepted, struct {
		ID                int64     `json:"id"`
		PasswordExpiresAt time.Time `json:"password_expires_at"`
		Mailed            bool      `json:"mailed"`
	}{res.ID, res.ExpiresAt, res.Mailed})
	return nil
}
