package api

import (
	"net/http"
	"time"

	"occonnect/domain"
	"occonnect/internal/web"
	"occonnect/service"
	"occonnect/store"
)

// authHandlers: activation, sign-in and sign-out, the citizen's account, passwords.
type authHandlers struct {
	svc      *service.Auth
	recovery *service.Recovery
	exports  *service.Exports
}

type credentialsRequest struct {
	CIN      string `json:"cin"`
	Password string `json:"password"`
}

// tokenJSON is a new session's bearer token.
type tokenJSON struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

func tokenView(t *service.Token) tokenJSON { return tokenJSON{Token: t.Token, ExpiresAt: t.ExpiresAt} }

// activate: POST /activation {cin, password} with the e-mailed initial password: a
// password-change session.
func (h authHandlers) activate(w http.ResponseWriter, r *http.Request) error {
	var req credentialsRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	tok, err := h.svc.Activate(r.Context(), service.Credentials{CIN: req.CIN, Password: req.Password})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		tokenJSON
		Status domain.EnrollmentStatus `json:"status"`
	}{tokenView(tok), domain.EnrollmentPasswordChangeRequired})
	return nil
}

// login: POST /auth/login {cin, password}; 403 password_change_required with a restricted
// token for a pending account.
func (h authHandlers) login(w http.ResponseWriter, r *http.Request) error {
	var req credentialsRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	tok, err := h.svc.SignIn(r.Context(), service.Credentials{CIN: req.CIN, Password: req.Password})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, tokenView(tok))
	return nil
}

// logout: POST /auth/logout ends the caller's session.
func (h authHandlers) logout(w http.ResponseWriter, r *http.Request) error {
	if err := h.svc.Logout(r.Context(), principalFrom(r.Context())); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type staffLoginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// staffLogin: POST /staff/login {email, password}, with the citizens' lockout rules.
func (h authHandlers) staffLogin(w http.ResponseWriter, r *http.Request) error {
	var req staffLoginRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	tok, st, err := h.svc.StaffSignIn(r.Context(), req.Email, req.Password)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		tokenJSON
		Role domain.Role `json:"role"`
	}{tokenView(tok), st.Role})
	return nil
}

type staffMFARequest struct {
	Challenge string `json:"challenge"`
	Code      string `json:"code"`
}

// staffLoginMFA: POST /staff/login/mfa {challenge, code} completes a sign-in answered 401
// mfa_required; the first code of an enrolment also gives the recovery codes, once.
func (h authHandlers) staffLoginMFA(w http.ResponseWriter, r *http.Request) error {
	var req staffMFARequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	s, err := h.svc.StaffSignInMFA(r.Context(), req.Challenge, req.Code)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		tokenJSON
		Role          domain.Role `json:"role"`
		RecoveryCodes []string    `json:"recovery_codes,omitempty"`
	}{tokenView(s.Token), s.Staff.Role, s.RecoveryCodes})
	return nil
}

type recoveryRequest struct {
	CIN   string `json:"cin"`
	Email string `json:"email"`
}

// requestRecovery: POST /auth/recovery {cin, email}. Always 202 {}: whether the pair
// matches an active account is never told; when it does, a code is e-mailed.
func (h authHandlers) requestRecovery(w http.ResponseWriter, r *http.Request) error {
	var req recoveryRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.recovery.Request(r.Context(), req.CIN, req.Email, web.RequestID(r.Context())); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, struct{}{})
	return nil
}

type recoveryConfirmRequest struct {
	CIN         string `json:"cin"`
	Code        string `json:"code"`
	NewPassword string `json:"new_password"`
}

// confirmRecovery: POST /auth/recovery/confirm {cin, code, new_password}: 204, the
// password set, every session revoked, the lockout cleared, a notice e-mailed.
func (h authHandlers) confirmRecovery(w http.ResponseWriter, r *http.Request) error {
	var req recoveryConfirmRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.recovery.Confirm(r.Context(), req.CIN, req.Code, req.NewPassword); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type changePasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// changePassword: PUT /me/password; the first change completes a citizen's activation.
func (h authHandlers) changePassword(w http.ResponseWriter, r *http.Request) error {
	var req changePasswordRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	err := h.svc.ChangePassword(r.Context(), principalFrom(r.Context()), service.PasswordChange{Current: req.CurrentPassword, New: req.NewPassword})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type meResponse struct {
	CINMasked   string `json:"cin_masked"`
	FirstName   string `json:"first_name"`
	LastName    string `json:"last_name"`
	EmailMasked string `json:"email_masked"`
	Status      string `json:"status"`
	Language    string `json:"language"`
}

// me: GET /me, the citizen's own account.
func (h authHandlers) me(w http.ResponseWriter, r *http.Request) error {
	me, err := h.svc.Me(r.Context(), principalFrom(r.Context()))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, meView(me))
	return nil
}

// meView is the citizen's own account as GET and PATCH /me show it.
func meView(me service.Me) meResponse {
	c := me.Citizen
	return meResponse{
		CINMasked: domain.MaskCIN(c.CIN), FirstName: c.FirstName, LastName: c.LastName,
		EmailMasked: domain.MaskEmail(c.Email), Status: me.Status, Language: c.Language,
	}
}

// myDataExport: GET /me/data-export, everything held about the calling citizen, as a
// JSON file to keep.
func (h authHandlers) myDataExport(w http.ResponseWriter, r *http.Request) error {
	out, err := h.exports.Mine(r.Context(), principalFrom(r.Context()))
	if err != nil {
		return err
	}
	writeExport(w, out)
	return nil
}

type citizenExportRequest struct {
	CIN string `json:"cin"`
}

// citizenDataExport: POST /admin/citizens/data-export {cin} (admin), the export of a
// citizen who asked at a counter or by post; audited. The CIN goes in the body, never in
// a URL that proxies log.
func (h authHandlers) citizenDataExport(w http.ResponseWriter, r *http.Request) error {
	var req citizenExportRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	out, err := h.exports.ForCitizen(r.Context(), principalFrom(r.Context()), req.CIN)
	if err != nil {
		return err
	}
	writeExport(w, out)
	return nil
}

// writeExport sends an export as an attachment that no cache keeps.
func writeExport(w http.ResponseWriter, out store.CitizenExport) {
	w.Header().Set("Content-Disposition", `attachment; filename="occonnect-data-export.json"`)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}
