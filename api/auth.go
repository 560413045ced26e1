package api

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"occonnect/domain"
	"occonnect/internal/passhash"
	"occonnect/store"
)

// Session lifetimes (DESIGN.md): 30 min idle and 12 h absolute; a restricted session (its
// only right: change the password) lasts 15 min.
const (
	sessionIdle          = 30 * time.Minute
	sessionAbsolute      = 12 * time.Hour
	restrictedSessionTTL = 15 * time.Minute
	touchEvery           = time.Minute
)

type principal struct {
	kind      domain.SubjectKind
	id        int64
	scope     domain.SessionScope
	tokenHash []byte
	staff     store.Staff // for staff
}

func principalFrom(ctx context.Context) *principal {
	p, _ := ctx.Value(ctxPrincipal).(*principal)
	return p
}

// access says who may call a route.
type access struct {
	citizens        bool
	roles           []domain.Role // staff roles; empty: no staff
	allowRestricted bool          // a password-change-only session may call it
}

func citizens() access                  { return access{citizens: true} }
func staff(roles ...domain.Role) access { return access{roles: roles} }
func anyone(allowRestricted bool) access {
	return access{citizens: true, roles: domain.Roles, allowRestricted: allowRestricted}
}

// authed checks the bearer token and the caller's kind, role and scope, then runs h.
func (s *Server) authed(a access, h handlerFunc) http.Handler {
	return s.serve(func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.authenticate(r)
		if err != nil {
			return err
		}
		if err := a.admit(p); err != nil {
			return err
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), ctxPrincipal, p)))
	})
}

// admit says whether the access lets p in.
func (a access) admit(p *principal) error {
	switch {
	case p.kind == domain.SubjectCitizen && !a.citizens,
		p.kind == domain.SubjectStaff && !slices.Contains(a.roles, p.staff.Role):
		return problem(http.StatusForbidden, "forbidden")
	case p.scope != domain.ScopeFull && !a.allowRestricted:
		return problem(http.StatusForbidden, "password_change_required")
	}
	return nil
}

// polled serves the routes the app polls, whose handler reads the caller's session with
// its data in one query (store.SessionLatestEnrollment, store.SessionBalances): one round
// trip to MySQL a poll instead of two. h gets the bearer token's hash; before it uses the
// data it must pass the session it read to checkSession, which applies the same checks as
// authed.
func (s *Server) polled(h func(w http.ResponseWriter, r *http.Request, hash []byte) error) http.Handler {
	return s.serve(func(w http.ResponseWriter, r *http.Request) error {
		hash, err := bearerHash(r)
		if err != nil {
			return err
		}
		return h(w, r, hash)
	})
}

// checkSession admits the caller of a polled route, given the session row its query read
// (err: that query's error, store.ErrNotFound for no session), with access a.
func (s *Server) checkSession(r *http.Request, a access, hash []byte, se store.Session, err error) error {
	p, err := s.admitSession(r.Context(), hash, se, err)
	if err != nil {
		return err
	}
	return a.admit(p)
}

func (s *Server) authenticate(r *http.Request) (*principal, error) {
	hash, err := bearerHash(r)
	if err != nil {
		return nil, err
	}
	return s.principalByHash(r.Context(), hash)
}

// bearerHash is the hash of the request's bearer token, under which its session is stored.
func bearerHash(r *http.Request) ([]byte, error) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return nil, problem(http.StatusUnauthorized, "unauthorized")
	}
	return tokenHash(token)
}

func tokenHash(token string) ([]byte, error) {
	if token == "" || len(token) > 128 {
		return nil, problem(http.StatusUnauthorized, "unauthorized")
	}
	return passhash.HashToken(strings.TrimSpace(token)), nil
}

// sessionPrincipal checks a session token (a bearer token, or the console's cookie).
func (s *Server) sessionPrincipal(ctx context.Context, token string) (*principal, error) {
	hash, err := tokenHash(token)
	if err != nil {
		return nil, err
	}
	return s.principalByHash(ctx, hash)
}

func (s *Server) principalByHash(ctx context.Context, hash []byte) (*principal, error) {
	se, err := s.store.SessionByHash(ctx, hash)
	return s.admitSession(ctx, hash, se, err)
}

// admitSession checks the session read for a token (err: the read's error): not revoked,
// within its idle and absolute lifetimes, of an enabled account.
func (s *Server) admitSession(ctx context.Context, hash []byte, se store.Session, err error) (*principal, error) {
	if errors.Is(err, store.ErrNotFound) {
		return nil, problem(http.StatusUnauthorized, "unauthorized")
	} else if err != nil {
		return nil, err
	}
	now := s.clock()
	if se.RevokedAt.Valid || !now.Before(se.ExpiresAt) || now.Sub(se.LastSeenAt) > sessionIdle {
		return nil, problem(http.StatusUnauthorized, "unauthorized")
	}
	p := &principal{kind: se.SubjectKind, id: se.SubjectID, scope: se.Scope, tokenHash: hash}
	if se.SubjectKind == domain.SubjectStaff {
		st, err := s.store.StaffByID(ctx, se.SubjectID)
		if err != nil {
			return nil, err
		}
		if st.Disabled {
			return nil, problem(http.StatusUnauthorized, "unauthorized")
		}
		p.staff = st
	}
	if now.Sub(se.LastSeenAt) > touchEvery {
		if err := s.store.TouchSession(ctx, hash, now); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// issuedToken is a new session's bearer token.
type issuedToken struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (s *Server) newSession(ctx context.Context, kind domain.SubjectKind, id int64, scope domain.SessionScope) (*issuedToken, error) {
	token, hash, err := passhash.NewToken()
	if err != nil {
		return nil, err
	}
	now := s.clock()
	ttl := sessionAbsolute
	if scope != domain.ScopeFull {
		ttl = restrictedSessionTTL
	}
	se := store.Session{TokenHash: hash, SubjectKind: kind, SubjectID: id, Scope: scope, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(ttl)}
	if err := s.store.CreateSession(ctx, se); err != nil {
		return nil, err
	}
	return &issuedToken{Token: token, ExpiresAt: se.ExpiresAt}, nil
}

// loginKey is what failures are counted against: a hash of the login name, so that unknown
// names are counted (and locked) exactly like known ones.
func loginKey(kind domain.SubjectKind, name string) []byte {
	h := sha256.Sum256([]byte(string(kind) + ":" + name))
	return h[:]
}

func (s *Server) checkLock(ctx context.Context, key []byte) error {
	now := s.clock()
	until, err := s.store.LockedUntil(ctx, key, now)
	if err != nil {
		return err
	}
	if !until.IsZero() {
		return &apiError{status: http.StatusLocked, code: "account_locked", retryAfter: until.Sub(now)}
	}
	return nil
}

// failed counts a failed attempt and answers it: 401, or 423 when it locked the key.
func (s *Server) failed(ctx context.Context, key []byte) error {
	now := s.clock()
	until, err := s.store.RecordFailure(ctx, key, now)
	if err != nil {
		return err
	}
	if !until.IsZero() {
		return &apiError{status: http.StatusLocked, code: "account_locked", retryAfter: until.Sub(now)}
	}
	return problem(http.StatusUnauthorized, "invalid_credentials")
}

// citizenLogin is a verified citizen password: the permanent one (active account) or the
// current initial credential (pending account).
type citizenLogin struct {
	citizen store.Citizen
	cred    *store.Credential
}

// verifyCitizen checks a CIN and password against MySQL. An unknown CIN costs the same
// queries and the same Argon2id work as a wrong password, and answers the same.
func (s *Server) verifyCitizen(ctx context.Context, cin, password string) (*citizenLogin, error) {
	key := loginKey(domain.SubjectCitizen, cin)
	if err := s.limitAccount(ctx, key); err != nil {
		return nil, err
	}
	if err := s.checkLock(ctx, key); err != nil {
		return nil, err
	}
	c, err := s.store.CitizenByCIN(ctx, cin)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	var hash string
	var cred *store.Credential
	if c.Status == domain.CitizenActive {
		hash = c.PasswordHash.String
	} else {
		cr, err := s.store.CurrentCredential(ctx, c.ID) // c.ID is 0 for an unknown CIN: same query
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if err == nil {
			hash, cred = cr.PasswordHash, &cr
		}
	}
	if !s.hasher.Verify(password, hash) {
		return nil, s.failed(ctx, key)
	}
	if err := s.store.ResetFailures(ctx, key); err != nil {
		return nil, err
	}
	return &citizenLogin{citizen: c, cred: cred}, nil
}

type credentialsRequest struct {
	CIN      string `json:"cin"`
	Password string `json:"password"`
}

func (req *credentialsRequest) validate() (string, error) {
	var v validation
	cin, err := domain.NormalizeCIN(req.CIN)
	switch {
	case strings.TrimSpace(req.CIN) == "":
		v.add("cin", "required")
	case err != nil:
		v.add("cin", "invalid_format")
	}
	switch {
	case req.Password == "":
		v.add("password", "required")
	case len(req.Password) > 4*domain.MaxPasswordLen:
		v.add("password", "too_long")
	}
	return cin, v.err()
}

// activate: POST /activation {cin, password} with the e-mailed initial password.
func (s *Server) activate(w http.ResponseWriter, r *http.Request) error {
	var req credentialsRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	cin, err := req.validate()
	if err != nil {
		return err
	}
	login, err := s.verifyCitizen(r.Context(), cin, req.Password)
	if err != nil {
		return err
	}
	if login.citizen.Status == domain.CitizenActive {
		return problem(http.StatusConflict, "already_active")
	}
	tok, err := s.activateCitizen(r.Context(), login)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		*issuedToken
		Status string `json:"status"`
	}{tok, string(domain.EnrollmentPasswordChangeRequired)})
	return nil
}

// activateCitizen turns a verified initial password into a restricted session, telling the
// enrollment workflow the first time (an Update: the workflow validates its state).
func (s *Server) activateCitizen(ctx context.Context, login *citizenLogin) (*issuedToken, error) {
	cred := login.cred
	if !s.clock().Before(cred.ExpiresAt) {
		return nil, problem(http.StatusUnauthorized, "credentials_expired")
	}
	if !cred.ActivatedAt.Valid {
		if err := s.notifyActivation(ctx, cred); err != nil {
			return nil, err
		}
	}
	return s.newSession(ctx, domain.SubjectCitizen, login.citizen.ID, domain.ScopePasswordChange)
}

// login: POST /auth/login {cin, password}.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var req credentialsRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	cin, err := req.validate()
	if err != nil {
		return err
	}
	login, err := s.verifyCitizen(r.Context(), cin, req.Password)
	if err != nil {
		return err
	}
	if login.citizen.Status != domain.CitizenActive {
		tok, err := s.activateCitizen(r.Context(), login)
		if err != nil {
			return err
		}
		return &apiError{status: http.StatusForbidden, code: "password_change_required", token: tok}
	}
	tok, err := s.newSession(r.Context(), domain.SubjectCitizen, login.citizen.ID, domain.ScopeFull)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, tok)
	return nil
}

// logout: POST /auth/logout ends the caller's session.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	p := principalFrom(r.Context())
	if err := s.store.RevokeSession(r.Context(), p.tokenHash, s.clock()); err != nil {
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
func (s *Server) staffLogin(w http.ResponseWriter, r *http.Request) error {
	var req staffLoginRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	tok, st, err := s.staffSignIn(r.Context(), req.Email, req.Password)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		*issuedToken
		Role domain.Role `json:"role"`
	}{tok, st.Role})
	return nil
}

// staffSignIn is the staff login service, behind POST /staff/login and the console's
// login form: validation, the per-account rate limit, the lockout, the password check and
// a full session. A one-time password answers 403 password_change_required with a
// restricted session's token.
func (s *Server) staffSignIn(ctx context.Context, email, password string) (*issuedToken, store.Staff, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	var v validation
	if email == "" {
		v.add("email", "required")
	} else if !domain.ValidEmail(email) {
		v.add("email", "invalid_format")
	}
	if password == "" {
		v.add("password", "required")
	} else if len(password) > 4*domain.MaxPasswordLen {
		v.add("password", "too_long")
	}
	if err := v.err(); err != nil {
		return nil, store.Staff{}, err
	}
	key := loginKey(domain.SubjectStaff, email)
	if err := s.limitAccount(ctx, key); err != nil {
		return nil, store.Staff{}, err
	}
	if err := s.checkLock(ctx, key); err != nil {
		return nil, store.Staff{}, err
	}
	st, err := s.store.StaffByEmail(ctx, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, store.Staff{}, err
	}
	hash := st.PasswordHash
	if st.Disabled {
		hash = ""
	}
	if !s.hasher.Verify(password, hash) {
		return nil, store.Staff{}, s.failed(ctx, key)
	}
	if err := s.store.ResetFailures(ctx, key); err != nil {
		return nil, store.Staff{}, err
	}
	if st.MustChangePassword {
		if st.PasswordExpiresAt.Valid && !s.clock().Before(st.PasswordExpiresAt.Time) {
			return nil, store.Staff{}, problem(http.StatusUnauthorized, "credentials_expired")
		}
		tok, err := s.newSession(ctx, domain.SubjectStaff, st.ID, domain.ScopePasswordChange)
		if err != nil {
			return nil, store.Staff{}, err
		}
		return nil, store.Staff{}, &apiError{status: http.StatusForbidden, code: "password_change_required", token: tok}
	}
	tok, err := s.newSession(ctx, domain.SubjectStaff, st.ID, domain.ScopeFull)
	if err != nil {
		return nil, store.Staff{}, err
	}
	return tok, st, nil
}
