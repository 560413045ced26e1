package service

import (
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"occonnect/domain"
	"occonnect/internal/passhash"
	"occonnect/internal/ratelimit"
	"occonnect/store"
	"occonnect/workflows"
)

// Session lifetimes (DESIGN.md): 30 min idle and 12 h absolute; a restricted session (its
// only right: change the password) lasts 15 min. A session's last use is written at most
// once a minute.
const (
	SessionIdle          = 30 * time.Minute
	SessionAbsolute      = 12 * time.Hour
	RestrictedSessionTTL = 15 * time.Minute
	touchEvery           = time.Minute
)

// Principal is who calls: a citizen or a staff member, through one of their sessions.
type Principal struct {
	Kind  domain.SubjectKind
	ID    int64
	Scope domain.SessionScope
	// Staff is the staff member's account (staff sessions only).
	Staff     store.Staff
	tokenHash []byte
}

// Role is the staff member's role ("" for a citizen).
func (p *Principal) Role() domain.Role { return p.Staff.Role }

// Access says who may use a route or a page.
type Access struct {
	Citizens        bool
	Roles           []domain.Role // staff roles; none: no staff
	AllowRestricted bool          // a password-change-only session may use it
}

// CitizensOnly admits citizens with a full session.
func CitizensOnly() Access { return Access{Citizens: true} }

// StaffWith admits staff members of these roles with a full session.
func StaffWith(roles ...domain.Role) Access { return Access{Roles: roles} }

// Anyone admits every citizen and staff member; allowRestricted, a password-change
// session too.
func Anyone(allowRestricted bool) Access {
	return Access{Citizens: true, Roles: domain.Roles, AllowRestricted: allowRestricted}
}

// Admit says whether the access lets p in: Forbidden for another kind or role,
// PasswordChangeRequired for a restricted session where a full one is needed.
func (a Access) Admit(p *Principal) error {
	switch {
	case p.Kind == domain.SubjectCitizen && !a.Citizens,
		p.Kind == domain.SubjectStaff && !slices.Contains(a.Roles, p.Staff.Role):
		return refuse(Forbidden)
	case p.Scope != domain.ScopeFull && !a.AllowRestricted:
		return refuse(PasswordChangeRequired)
	}
	return nil
}

// Token is a new session's bearer token: given once, stored only as its hash.
type Token struct {
	Token     string
	ExpiresAt time.Time
}

// Auth signs citizens and staff in and out, checks sessions, applies the lockout and the
// per-account rate limit, and changes passwords.
type Auth struct {
	store          *store.Store
	hasher         *passhash.Hasher
	clock          clock
	wf             workflowClient
	accountLimiter ratelimit.Limiter // nil: no limit
	// addressLock is the failure budget of a client address (nil: none).
	addressLock *domain.LockPolicy
	// mfa says who must have a second factor; secrets seals their TOTP secrets (nil:
	// stored in clear, where payloads may be).
	mfa     MFAPolicy
	secrets Sealer
}

// TokenHash is the hash under which a bearer token's session is stored; a token that
// cannot be one is Unauthorized.
func TokenHash(token string) ([]byte, error) {
	if token == "" || len(token) > 128 {
		return nil, refuse(Unauthorized)
	}
	return passhash.HashToken(strings.TrimSpace(token)), nil
}

// Authenticate checks a session token (a bearer token, or the console's cookie): not
// revoked, within its idle and absolute lifetimes, of an enabled account. Unauthorized
// otherwise.
func (a *Auth) Authenticate(ctx context.Context, token string) (*Principal, error) {
	hash, err := TokenHash(token)
	if err != nil {
		return nil, err
	}
	se, err := a.store.SessionByHash(ctx, hash)
	return a.admitSession(ctx, hash, se, err)
}

// admitSession checks the session read for a token (err: the read's error).
func (a *Auth) admitSession(ctx context.Context, hash []byte, se store.Session, err error) (*Principal, error) {
	if errors.Is(err, store.ErrNotFound) {
		return nil, refuse(Unauthorized)
	} else if err != nil {
		return nil, err
	}
	now := a.clock.now()
	if se.RevokedAt.Valid || !now.Before(se.ExpiresAt) || now.Sub(se.LastSeenAt) > SessionIdle {
		return nil, refuse(Unauthorized)
	}
	p := &Principal{Kind: se.SubjectKind, ID: se.SubjectID, Scope: se.Scope, tokenHash: hash}
	if se.SubjectKind == domain.SubjectStaff {
		st, err := a.store.StaffByID(ctx, se.SubjectID)
		if err != nil {
			return nil, err
		}
		if st.Disabled {
			return nil, refuse(Unauthorized)
		}
		p.Staff = st
	}
	if now.Sub(se.LastSeenAt) > touchEvery {
		if err := a.store.TouchSession(ctx, hash, now); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// admitPolled admits the caller of a polled use case, whose query read the session with
// its data (err: that query's error), with the checks of Authenticate and access.
func (a *Auth) admitPolled(ctx context.Context, hash []byte, se store.Session, err error, access Access) error {
	p, err := a.admitSession(ctx, hash, se, err)
	if err != nil {
		return err
	}
	return access.Admit(p)
}

// Logout ends the caller's session.
func (a *Auth) Logout(ctx context.Context, p *Principal) error {
	return a.store.RevokeSession(ctx, p.tokenHash, a.clock.now())
}

// EndSession ends the session of a token just issued (the console refuses a role it does
// not serve).
func (a *Auth) EndSession(ctx context.Context, t *Token) error {
	return a.store.RevokeSession(ctx, passhash.HashToken(t.Token), a.clock.now())
}

func (a *Auth) newSession(ctx context.Context, kind domain.SubjectKind, id int64, scope domain.SessionScope) (*Token, error) {
	token, hash, err := passhash.NewToken()
	if err != nil {
		return nil, err
	}
	now := a.clock.now()
	ttl := SessionAbsolute
	if scope != domain.ScopeFull {
		ttl = RestrictedSessionTTL
	}
	se := store.Session{TokenHash: hash, SubjectKind: kind, SubjectID: id, Scope: scope, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(ttl),
		UserAgent: userAgentOf(ctx)}
	if err := a.store.CreateSession(ctx, se); err != nil {
		return nil, err
	}
	return &Token{Token: token, ExpiresAt: se.ExpiresAt}, nil
}

// loginKey is what failures are counted against: a hash of the login name, so that unknown
// names are counted (and locked) exactly like known ones.
func loginKey(kind domain.SubjectKind, name string) []byte {
	h := sha256.Sum256([]byte(string(kind) + ":" + name))
	return h[:]
}

// guard is what a password check is counted against: the login name's key (loginKey),
// the client's source (sourceOf: its address; nil when the adapter gave none) and the
// source's own key as a subject of the address budget.
type guard struct {
	key, source, address []byte
}

func (a *Auth) guardFor(ctx context.Context, kind domain.SubjectKind, name string) guard {
	g := guard{key: loginKey(kind, name), source: sourceOf(ctx)}
	if g.source != nil && a.addressLock != nil {
		h := sha256.Sum256(append([]byte("address:"), g.source...))
		g.address = h[:]
	}
	return g
}

// limitAccount spends one attempt of a login name from the client's source (a flood
// guard keyed by the hashes, never the name or address themselves: attempts from one
// address never use up another's). It runs before the lockout check, so a rate-limited
// attempt neither costs Argon2id work nor counts as a failure.
func (a *Auth) limitAccount(ctx context.Context, g guard) error {
	wait, err := ratelimit.Take(ctx, a.accountLimiter, string(g.key)+string(g.source), a.clock.now())
	if err != nil {
		return err
	}
	if wait > 0 {
		// Rounded up to whole seconds: a client that waits that long finds an attempt.
		return &Refusal{Reason: RateLimited, RetryAfter: (wait + time.Second - 1).Truncate(time.Second)}
	}
	return nil
}

// checkLock refuses a check the lockout holds: the account locked for this source
// (AccountLocked), or the source's failure budget spent (RateLimited: it is the address
// that waits, whatever the account).
func (a *Auth) checkLock(ctx context.Context, g guard) error {
	now := a.clock.now()
	until, err := a.store.LockedUntil(ctx, g.key, g.source, now)
	if err != nil {
		return err
	}
	if !until.IsZero() {
		return &Refusal{Reason: AccountLocked, RetryAfter: until.Sub(now)}
	}
	if g.address == nil {
		return nil
	}
	if until, err = a.store.LockedUntil(ctx, g.address, nil, now); err != nil {
		return err
	}
	if !until.IsZero() {
		return &Refusal{Reason: RateLimited, RetryAfter: until.Sub(now).Round(time.Second)}
	}
	return nil
}

// failed counts a failed attempt, for the account from this source (domain.SourceLock)
// and for the source's own budget (domain.AddressLock), and answers it:
// InvalidCredentials, or AccountLocked when it locked the account for the source.
func (a *Auth) failed(ctx context.Context, g guard) error {
	now := a.clock.now()
	if g.address != nil {
		if _, err := a.store.RecordFailure(ctx, g.address, nil, now, *a.addressLock); err != nil {
			return err
		}
	}
	until, err := a.store.RecordFailure(ctx, g.key, g.source, now, domain.SourceLock)
	if err != nil {
		return err
	}
	if !until.IsZero() {
		return &Refusal{Reason: AccountLocked, RetryAfter: until.Sub(now)}
	}
	return refuse(InvalidCredentials)
}

// passed forgets the account's failures from this source after a right password; the
// source's budget is not refilled by it (a guesser cannot earn attempts with an account
// of his own).
func (a *Auth) passed(ctx context.Context, g guard) error {
	return a.store.ResetFailures(ctx, g.key, g.source)
}

// verified checks password against hash under the lockout of g: a failure is counted
// (and may lock), a success resets the count.
func (a *Auth) verified(ctx context.Context, g guard, password, hash string) error {
	if !a.hasher.Verify(password, hash) {
		return a.failed(ctx, g)
	}
	return a.passed(ctx, g)
}

// upgradeHash hashes a password just verified again when its hash was made with other
// parameters than the hasher's (they were raised since): the account moves to the current
// cost at its next sign-in, without a password reset. Best effort: a failure leaves the
// old hash, which still verifies.
func (a *Auth) upgradeHash(ctx context.Context, kind domain.SubjectKind, id int64, password, hash string) {
	if !passhash.NeedsRehash(hash, a.hasher.Params) {
		return
	}
	if fresh, err := a.hasher.Hash(password); err == nil {
		_ = a.store.UpgradePasswordHash(ctx, kind, id, hash, fresh)
	}
}

// verifiedChange checks the current password of a password change against hash, under
// the lockout, as verified does. When hash is the account's own password (accountHash), a
// change whose current password fails but whose new one is already the account's is the
// retry of a change that completed, its answer lost (Temporal or the network away while
// the first request waited): it is done, not a failure, and the retry succeeds as the
// first request did. Knowing the account's password is what a change proves anyway.
func (a *Auth) verifiedChange(ctx context.Context, g guard, c PasswordChange, hash string, accountHash bool) (done bool, err error) {
	if a.hasher.Verify(c.Current, hash) {
		return false, a.passed(ctx, g)
	}
	if accountHash && a.hasher.Verify(c.New, hash) {
		return true, a.passed(ctx, g)
	}
	return false, a.failed(ctx, g)
}

// Credentials are a citizen's sign-in: a CIN and a password (the e-mailed initial one, or
// the account's).
type Credentials struct {
	CIN, Password string
}

// validate normalizes the CIN. Lengths are checked before any Argon2id work.
func (c Credentials) validate() (string, error) {
	var v fieldErrors
	cin, err := domain.NormalizeCIN(c.CIN)
	switch {
	case strings.TrimSpace(c.CIN) == "":
		v.add("cin", "required")
	case err != nil:
		v.add("cin", "invalid_format")
	}
	switch {
	case c.Password == "":
		v.add("password", "required")
	case len(c.Password) > 4*domain.MaxPasswordLen:
		v.add("password", "too_long")
	}
	return cin, v.err()
}

// citizenLogin is a verified citizen password: the permanent one (active account) or the
// current initial credential (pending account).
type citizenLogin struct {
	citizen store.Citizen
	cred    *store.Credential
}

// verifyCitizen checks a CIN and password against MySQL. An unknown CIN costs the same
// queries and the same Argon2id work as a wrong password, and answers the same.
func (a *Auth) verifyCitizen(ctx context.Context, c Credentials) (*citizenLogin, error) {
	cin, err := c.validate()
	if err != nil {
		return nil, err
	}
	g := a.guardFor(ctx, domain.SubjectCitizen, cin)
	if err := a.limitAccount(ctx, g); err != nil {
		return nil, err
	}
	if err := a.checkLock(ctx, g); err != nil {
		return nil, err
	}
	citizen, err := a.store.CitizenByCIN(ctx, cin)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	var hash string
	var cred *store.Credential
	if citizen.Status == domain.CitizenActive {
		hash = citizen.PasswordHash.String
	} else {
		cr, err := a.store.CurrentCredential(ctx, citizen.ID) // ID 0 for an unknown CIN: the same query
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if err == nil {
			hash, cred = cr.PasswordHash, &cr
		}
	}
	if err := a.verified(ctx, g, c.Password, hash); err != nil {
		return nil, err
	}
	if citizen.Status == domain.CitizenActive {
		a.upgradeHash(ctx, domain.SubjectCitizen, citizen.ID, c.Password, hash)
	}
	return &citizenLogin{citizen: citizen, cred: cred}, nil
}

// Activate turns a citizen's e-mailed initial password into a password-change session
// (the account's only next step), telling the enrollment workflow the first time.
// AlreadyActive for an active account.
func (a *Auth) Activate(ctx context.Context, c Credentials) (*Token, error) {
	login, err := a.verifyCitizen(ctx, c)
	if err != nil {
		return nil, err
	}
	if login.citizen.Status == domain.CitizenActive {
		return nil, refuse(AlreadyActive)
	}
	return a.activate(ctx, login)
}

// activate opens the restricted session of a verified initial password (an Update: the
// workflow validates its state).
func (a *Auth) activate(ctx context.Context, login *citizenLogin) (*Token, error) {
	cred := login.cred
	if !a.clock.now().Before(cred.ExpiresAt) {
		return nil, refuse(CredentialsExpired)
	}
	if !cred.ActivatedAt.Valid {
		if err := a.notifyActivation(ctx, cred); err != nil {
			return nil, err
		}
	}
	return a.newSession(ctx, domain.SubjectCitizen, login.citizen.ID, domain.ScopePasswordChange)
}

// notifyActivation tells the workflow that the initial password of cred was verified.
//
// The Update ID is the same for every request that activates one credentials issue, so a
// double tap, or the app's retry after a 503 while the first activation is still being
// confirmed (a worker restarted mid-step), joins that activation and gets its outcome
// rather than a refusal. If the workflow refuses because the activation already completed
// and the enrollment moved on, the activation stands.
func (a *Auth) notifyActivation(ctx context.Context, cred *store.Credential) error {
	var state workflows.EnrollmentState
	err := a.wf.update(ctx, workflows.EnrollmentWorkflowID(cred.EnrollmentID), workflows.ActivateUpdateID(cred.IssueNo),
		workflows.UpdateActivate, &state, workflows.ActivateRequest{IssueNo: cred.IssueNo})
	if isWorkflowRefusal(err) {
		now, rerr := a.store.CredentialByIssue(ctx, cred.EnrollmentID, cred.IssueNo)
		if rerr == nil && now.ActivatedAt.Valid && !now.RevokedAt.Valid {
			return nil
		}
		return &Refusal{Reason: CredentialsExpired, cause: err}
	}
	return err
}

// SignIn signs an active citizen in (a full session). A pending account signing in with
// its initial password is activated and answered PasswordChangeRequired with the
// password-change session's token.
func (a *Auth) SignIn(ctx context.Context, c Credentials) (*Token, error) {
	login, err := a.verifyCitizen(ctx, c)
	if err != nil {
		return nil, err
	}
	if login.citizen.Status != domain.CitizenActive {
		tok, err := a.activate(ctx, login)
		if err != nil {
			return nil, err
		}
		return nil, &Refusal{Reason: PasswordChangeRequired, Token: tok}
	}
	return a.newSession(ctx, domain.SubjectCitizen, login.citizen.ID, domain.ScopeFull)
}

// StaffSignIn signs a staff member in with the citizens' lockout rules: validation, the
// per-account rate limit, the lockout, the password check and a full session. A one-time
// password answers PasswordChangeRequired with a password-change session's token;
// CredentialsExpired once it expired. A staff member with a second factor, or whose role
// requires one (MFAPolicy), is answered MFARequired with a challenge (and the secret to
// enrol, the first time): StaffSignInMFA gives the session.
func (a *Auth) StaffSignIn(ctx context.Context, email, password string) (*Token, store.Staff, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	var v fieldErrors
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
	g := a.guardFor(ctx, domain.SubjectStaff, email)
	if err := a.limitAccount(ctx, g); err != nil {
		return nil, store.Staff{}, err
	}
	if err := a.checkLock(ctx, g); err != nil {
		return nil, store.Staff{}, err
	}
	st, err := a.store.StaffByEmail(ctx, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, store.Staff{}, err
	}
	hash := st.PasswordHash
	if st.Disabled {
		hash = ""
	}
	if err := a.verified(ctx, g, password, hash); err != nil {
		return nil, store.Staff{}, err
	}
	a.upgradeHash(ctx, domain.SubjectStaff, st.ID, password, hash)
	if st.MustChangePassword {
		if st.PasswordExpiresAt.Valid && !a.clock.now().Before(st.PasswordExpiresAt.Time) {
			return nil, store.Staff{}, refuse(CredentialsExpired)
		}
		tok, err := a.newSession(ctx, domain.SubjectStaff, st.ID, domain.ScopePasswordChange)
		if err != nil {
			return nil, store.Staff{}, err
		}
		return nil, store.Staff{}, &Refusal{Reason: PasswordChangeRequired, Token: tok}
	}
	if ch, err := a.mfaChallenge(ctx, g, st); err != nil {
		return nil, store.Staff{}, err
	} else if ch != nil {
		return nil, store.Staff{}, &Refusal{Reason: MFARequired, Challenge: ch}
	}
	tok, err := a.newSession(ctx, domain.SubjectStaff, st.ID, domain.ScopeFull)
	if err != nil {
		return nil, store.Staff{}, err
	}
	return tok, st, nil
}

// PasswordChange is a password change: the current password and the new one.
type PasswordChange struct {
	Current, New string
}

// ChangePassword sets the caller's new password under the password policy, after checking
// the current one under the lockout. For a citizen whose enrollment waits for it, the new
// hash is stored as pending and the enrollment workflow makes it the password (and the
// account active). Either way the caller's other sessions are revoked.
func (a *Auth) ChangePassword(ctx context.Context, p *Principal, c PasswordChange) error {
	// Lengths are checked before the current password is: no Argon2id work on a 64 KiB
	// string, and no failed attempt counted for a request that could never succeed.
	var v fieldErrors
	switch {
	case c.Current == "":
		v.add("current_password", "required")
	case len(c.Current) > 4*domain.MaxPasswordLen:
		v.add("current_password", "too_long")
	}
	switch {
	case c.New == "":
		v.add("new_password", "required")
	case utf8.RuneCountInString(c.New) > domain.MaxPasswordLen:
		v.add("new_password", "too_long")
	}
	if err := v.err(); err != nil {
		return err
	}
	var err error
	if p.Kind == domain.SubjectStaff {
		err = a.changeStaffPassword(ctx, p, c)
	} else {
		err = a.changeCitizenPassword(ctx, p, c)
	}
	if err != nil {
		return err
	}
	return a.store.RevokeOtherSessions(ctx, p.Kind, p.ID, p.tokenHash, a.clock.now())
}

func policyErrors(newPassword, cin, current string) error {
	var v fieldErrors
	for _, violation := range domain.CheckPassword(newPassword, cin, current) {
		v.add("new_password", string(violation))
	}
	return v.err()
}

func (a *Auth) changeStaffPassword(ctx context.Context, p *Principal, c PasswordChange) error {
	g := a.guardFor(ctx, domain.SubjectStaff, p.Staff.Email)
	if err := a.checkLock(ctx, g); err != nil {
		return err
	}
	if done, err := a.verifiedChange(ctx, g, c, p.Staff.PasswordHash, true); done || err != nil {
		return err
	}
	if err := policyErrors(c.New, "", c.Current); err != nil {
		return err
	}
	hash, err := a.hasher.Hash(c.New)
	if err != nil {
		return err
	}
	return a.store.SetStaffPassword(ctx, p.ID, hash, a.clock.now())
}

func (a *Auth) changeCitizenPassword(ctx context.Context, p *Principal, c PasswordChange) error {
	citizen, err := a.store.CitizenByID(ctx, p.ID)
	if err != nil {
		return err
	}
	g := a.guardFor(ctx, domain.SubjectCitizen, citizen.CIN)
	if err := a.checkLock(ctx, g); err != nil {
		return err
	}
	var current string
	var cred store.Credential
	if citizen.Status == domain.CitizenActive {
		current = citizen.PasswordHash.String
	} else {
		cred, err = a.store.CurrentCredential(ctx, citizen.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		current = cred.PasswordHash // "" when none: the dummy hash is checked
	}
	if done, err := a.verifiedChange(ctx, g, c, current, citizen.Status == domain.CitizenActive); done || err != nil {
		return err
	}
	if citizen.Status != domain.CitizenActive && !a.clock.now().Before(cred.ExpiresAt) {
		return refuse(CredentialsExpired)
	}
	if err := policyErrors(c.New, citizen.CIN, c.Current); err != nil {
		return err
	}
	hash, err := a.hasher.Hash(c.New)
	if err != nil {
		return err
	}
	if citizen.Status == domain.CitizenActive {
		return a.store.SetCitizenPassword(ctx, citizen.ID, hash, a.clock.now())
	}
	if err := a.store.SetPendingPassword(ctx, citizen.ID, hash); err != nil {
		return err
	}
	return a.notifyPasswordChanged(ctx, citizen.ID, cred.EnrollmentID)
}

// notifyPasswordChanged asks the workflow to make the pending password the account's. A
// refusal because a concurrent request (a double tap) completed it first is a success.
func (a *Auth) notifyPasswordChanged(ctx context.Context, citizenID int64, enrollmentID string) error {
	var state workflows.EnrollmentState
	err := a.wf.update(ctx, workflows.EnrollmentWorkflowID(enrollmentID), "", workflows.UpdatePasswordChanged, &state)
	if isWorkflowRefusal(err) {
		if c, rerr := a.store.CitizenByID(ctx, citizenID); rerr == nil && c.Status == domain.CitizenActive {
			return nil
		}
		return &Refusal{Reason: Conflict, cause: err}
	}
	return err
}

// Me is the citizen's own account, with the status the app shows: the account's once
// active, the latest enrollment's before.
type Me struct {
	Citizen store.Citizen
	Status  string
}

// Me reads the calling citizen's account.
func (a *Auth) Me(ctx context.Context, p *Principal) (Me, error) {
	c, err := a.store.CitizenByID(ctx, p.ID)
	if err != nil {
		return Me{}, err
	}
	status := string(c.Status)
	if c.Status != domain.CitizenActive {
		e, err := a.store.LatestEnrollment(ctx, c.ID)
		if err != nil {
			return Me{}, err
		}
		status = string(e.Status)
	}
	return Me{Citizen: c, Status: status}, nil
}
