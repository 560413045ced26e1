package api

import (
	"net/http"
	"strconv"
	"time"

	"occonnect/domain"
	"occonnect/service"
	"occonnect/store"
)

// staffHandlers: the admins' management of staff accounts.
type staffHandlers struct{ svc *service.Staff }

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

func staffView(st store.Staff) staffJSON {
	return staffJSON{ID: st.ID, Email: st.Email, Role: st.Role, ExchangePointCode: optional(st.ExchangePointCode),
		MustChangePassword: st.MustChangePassword, PasswordExpiresAt: timePtr(st.PasswordExpiresAt), Disabled: st.Disabled,
		CreatedAt: st.CreatedAt}
}

type createStaffRequest struct {
	Role              string `json:"role"`
	Email             string `json:"email"`
	ExchangePointCode string `json:"exchange_point_code"`
}

// create: POST /staff (admin) {role, email, exchange_point_code (agents only)}. The account
// gets a random one-time password, e-mailed to it and never shown to the admin; mailed
// false says the e-mail failed (re-issue the password once mail works).
func (h staffHandlers) create(w http.ResponseWriter, r *http.Request) error {
	var req createStaffRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	by := adminActor(r)
	created, err := h.svc.Create(ctx, &by, service.NewStaff{Role: req.Role, Email: req.Email, ExchangePointCode: req.ExchangePointCode})
	if err != nil {
		return err
	}
	st, err := h.svc.Get(ctx, created.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, struct {
		staffJSON
		Mailed bool `json:"mailed"`
	}{staffView(st), created.Mailed})
	return nil
}

// list: GET /admin/staff?role=&cursor=&limit= (admin), by id.
func (h staffHandlers) list(w http.ResponseWriter, r *http.Request) error {
	p, err := h.svc.List(r.Context(), service.StaffQuery{Role: r.URL.Query().Get("role"), Page: page(r)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(p, staffView))
	return nil
}

// staffID reads {id}; anything but a positive integer is an account that does not exist
// (404).
func staffID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(pathVar(r, "id"), 10, 64)
	if err != nil || id < 1 {
		return 0, problem(http.StatusNotFound, "not_found")
	}
	return id, nil
}

// get: GET /admin/staff/{id} (admin).
func (h staffHandlers) get(w http.ResponseWriter, r *http.Request) error {
	id, err := staffID(r)
	if err != nil {
		return err
	}
	st, err := h.svc.Get(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, staffView(st))
	return nil
}

// disable: POST /admin/staff/{id}/disable (admin): no more sign-in, sessions revoked; an
// admin cannot disable themself (409).
func (h staffHandlers) disable(w http.ResponseWriter, r *http.Request) error {
	return h.setDisabled(w, r, true)
}

// enable: POST /admin/staff/{id}/enable (admin): the account may sign in again.
func (h staffHandlers) enable(w http.ResponseWriter, r *http.Request) error {
	return h.setDisabled(w, r, false)
}

func (h staffHandlers) setDisabled(w http.ResponseWriter, r *http.Request, disabled bool) error {
	id, err := staffID(r)
	if err != nil {
		return err
	}
	st, err := h.svc.SetDisabled(r.Context(), adminActor(r), id, disabled)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, staffView(st))
	return nil
}

// unlock: POST /admin/staff/{id}/unlock (admin): the account's sign-in locks lifted from
// every address, audited.
func (h staffHandlers) unlock(w http.ResponseWriter, r *http.Request) error {
	id, err := staffID(r)
	if err != nil {
		return err
	}
	n, err := h.svc.Unlock(r.Context(), adminActor(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		ID                  int64 `json:"id"`
		SourcesWithFailures int64 `json:"sources_with_failures"`
	}{id, n})
	return nil
}

// resetMFA: POST /admin/staff/{id}/mfa/reset (admin): the account's second factor and
// recovery codes removed (a lost phone), audited; its next sign-in enrols a new one.
func (h staffHandlers) resetMFA(w http.ResponseWriter, r *http.Request) error {
	id, err := staffID(r)
	if err != nil {
		return err
	}
	removed, err := h.svc.ResetMFA(r.Context(), adminActor(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		ID      int64 `json:"id"`
		Removed bool  `json:"removed"`
	}{id, removed})
	return nil
}

// reissuePassword: POST /admin/staff/{id}/reissue-password (admin): a new one-time
// password, e-mailed; the answer never carries it.
func (h staffHandlers) reissuePassword(w http.ResponseWriter, r *http.Request) error {
	id, err := staffID(r)
	if err != nil {
		return err
	}
	res, err := h.svc.Reissue(r.Context(), adminActor(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, struct {
		ID                int64     `json:"id"`
		PasswordExpiresAt time.Time `json:"password_expires_at"`
		Mailed            bool      `json:"mailed"`
	}{res.ID, res.ExpiresAt, res.Mailed})
	return nil
}
