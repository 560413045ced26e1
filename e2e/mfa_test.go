package e2e

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"occonnect/domain"
	"occonnect/internal/passhash"
	"occonnect/internal/testenv"
	"occonnect/internal/totp"
	"occonnect/store"
)

// mfaStaff seeds a staff member of role with the agents' password, for one test.
func mfaStaff(t *testing.T, role domain.Role) (email string, id int64) {
	t.Helper()
	cinCounter.Lock()
	cinCounter.n++
	email = fmt.Sprintf("mfa-%s-%d-%d@e2e.oc.local", role, cinCounter.n, time.Now().UnixNano()%1_000_000)
	cinCounter.Unlock()
	hasher, err := passhash.NewHasher(passhash.DefaultParams)
	must(t, err)
	hash, err := hasher.Hash(agentPassword)
	must(t, err)
	seed := testenv.StaffSeed{Email: email, Role: role}
	if role == domain.RoleAgent {
		seed.ExchangePoint = "EP-0001"
	}
	must(t, testenv.SeedStaff(t.Context(), env.store, hash, seed))
	st, err := env.store.StaffByEmail(t.Context(), email)
	must(t, err)
	return email, st.ID
}

// codeAt is the TOTP of secret at t.
func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.Code(secret, at)
	must(t, err)
	return c
}

// wrongCode is a six-digit code that is none of the secret's codes around now.
func wrongCode(t *testing.T, secret string) string {
	t.Helper()
	for n := 0; ; n++ {
		c := fmt.Sprintf("%06d", (n*7919+123457)%1_000_000)
		if _, ok := totp.Match(secret, c, time.Now(), 0); !ok {
			return c
		}
	}
}

// TestStaffSecondFactor: with the second factor required for supervisors, a supervisor's
// first sign-in enrols it (the secret as text, URI and QR code; sealed at rest), the first
// code gives the session and ten recovery codes; later sign-ins ask for a code, which is
// good once; a recovery code works once; wrong codes count in the lockout; an admin's reset
// (audited) makes the next sign-in enrol again; a role the policy leaves out signs in with
// the password alone.
func TestStaffSecondFactor(t *testing.T) {
	api := secondAPI{mfaRoles: []domain.Role{domain.RoleSupervisor, domain.RoleHeadOfUnit, domain.RoleAdmin}}.start(t)
	email, id := mfaStaff(t, domain.RoleSupervisor)
	login := func() response {
		return callWith(t, api, http.MethodPost, "/api/v1/staff/login", "", map[string]string{"email": email, "password": agentPassword})
	}
	verify := func(challenge, code string) response {
		return callWith(t, api, http.MethodPost, "/api/v1/staff/login/mfa", "", map[string]string{"challenge": challenge, "code": code})
	}

	// The first sign-in: enrolment.
	r := login()
	expect(t, r, http.StatusUnauthorized, "mfa_required")
	challenge := r.str("challenge")
	enrol, _ := r.Body["enrolment"].(map[string]any)
	if challenge == "" || enrol == nil {
		t.Fatalf("no challenge or enrolment: %s", r.Raw)
	}
	secret, _ := enrol["secret"].(string)
	uri, _ := enrol["otpauth_uri"].(string)
	qr, _ := enrol["qr_png"].(string)
	png, err := base64.StdEncoding.DecodeString(qr)
	if !totp.ValidSecret(secret) || !strings.Contains(uri, "secret="+secret) || err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("enrolment: secret %q, uri %q, QR %d bytes (%v)", secret, uri, len(png), err)
	}
	var sealed string
	must(t, env.store.DB().GetContext(t.Context(), &sealed, `SELECT secret_sealed FROM staff_mfa WHERE staff_id = ?`, id))
	if !strings.HasPrefix(sealed, "occ-sealed:v1:") || strings.Contains(sealed, secret) {
		t.Fatalf("the secret is not sealed at rest: %q", sealed)
	}
	// A second sign-in before the first code shows the same secret (a scan, then a lost page).
	again := login()
	expect(t, again, http.StatusUnauthorized, "mfa_required")
	if s, _ := again.Body["enrolment"].(map[string]any)["secret"].(string); s != secret {
		t.Fatalf("the pending secret changed: %q, then %q", secret, s)
	}
	expect(t, verify(challenge, wrongCode(t, secret)), http.StatusUnauthorized, "invalid_code")
	first := codeAt(t, secret, time.Now())
	r = verify(challenge, first)
	expect(t, r, http.StatusOK, "")
	codes, _ := r.Body["recovery_codes"].([]any)
	distinct := map[string]bool{}
	for _, c := range codes {
		s, _ := c.(string)
		distinct[s] = totp.IsRecoveryCode(s)
	}
	if len(codes) != 10 || len(distinct) != 10 || r.str("role") != "supervisor" || r.str("token") == "" {
		t.Fatalf("enrolment answer: %s", r.Raw)
	}
	expect(t, callWith(t, api, http.MethodGet, "/api/v1/tasks", r.str("token"), nil), http.StatusOK, "")
	if n := testenv.Count(t, env.store.DB(), `SELECT COUNT(*) FROM staff_recovery_codes WHERE staff_id = ? AND used_at IS NULL`, id); n != 10 {
		t.Fatalf("%d recovery codes stored", n)
	}
	// A challenge serves once.
	expect(t, verify(challenge, codeAt(t, secret, time.Now().Add(totp.Period))), http.StatusUnauthorized, "invalid_code")

	// Later sign-ins: a code, good once.
	r = login()
	expect(t, r, http.StatusUnauthorized, "mfa_required")
	if r.Body["enrolment"] != nil {
		t.Fatalf("an enrolled account was offered a new secret: %s", r.Raw)
	}
	challenge = r.str("challenge")
	expect(t, verify(challenge, first), http.StatusUnauthorized, "invalid_code") // the code already used
	expect(t, verify(challenge, codeAt(t, secret, time.Now().Add(totp.Period))), http.StatusOK, "")

	// A recovery code, once.
	var recovery string
	for c := range distinct {
		recovery = strings.ToUpper(c) // typed in capitals: the same code
		break
	}
	r = login()
	expect(t, verify(r.str("challenge"), recovery), http.StatusOK, "")
	r = login()
	expect(t, verify(r.str("challenge"), recovery), http.StatusUnauthorized, "invalid_code")
	if n := testenv.Count(t, env.store.DB(), `SELECT COUNT(*) FROM staff_recovery_codes WHERE staff_id = ? AND used_at IS NULL`, id); n != 9 {
		t.Fatalf("%d recovery codes left, want 9", n)
	}

	// Wrong codes count in the lockout: the password reset the count, four more wrong codes
	// are refused, the fifth locks the account from this source.
	r = login()
	challenge = r.str("challenge")
	for range domain.MaxConsecutiveFailures - 1 {
		expect(t, verify(challenge, wrongCode(t, secret)), http.StatusUnauthorized, "invalid_code")
	}
	expect(t, verify(challenge, wrongCode(t, secret)), http.StatusLocked, "account_locked")
	r = verify(challenge, codeAt(t, secret, time.Now().Add(totp.Period))) // the challenge is burnt
	expect(t, r, http.StatusUnauthorized, "invalid_code")
	expect(t, login(), http.StatusLocked, "account_locked") // and the password locked from here

	// An admin unlocks, then resets the second factor (a lost phone): audited, and the next
	// sign-in enrols a new secret.
	admin := staffToken(t, "admin@e2e.oc.local")
	expect(t, call(t, http.MethodPost, fmt.Sprintf("/api/v1/admin/staff/%d/unlock", id), admin, nil), http.StatusOK, "")
	r = call(t, http.MethodPost, fmt.Sprintf("/api/v1/admin/staff/%d/mfa/reset", id), admin, nil)
	expect(t, r, http.StatusOK, "")
	if r.Body["removed"] != true {
		t.Fatalf("reset: %s", r.Raw)
	}
	if n := testenv.Count(t, env.store.DB(), `SELECT COUNT(*) FROM admin_audit WHERE action = ? AND entity_id = ?`,
		store.AuditStaffMFAReset, fmt.Sprint(id)); n != 1 {
		t.Fatalf("%d staff.mfa_reset audit rows", n)
	}
	r = login()
	expect(t, r, http.StatusUnauthorized, "mfa_required")
	if s, _ := r.Body["enrolment"].(map[string]any)["secret"].(string); s == "" || s == secret {
		t.Fatalf("after the reset: secret %q (was %q)", s, secret)
	}

	// A role the policy leaves out signs in with the password alone.
	agent, _ := mfaStaff(t, domain.RoleAgent)
	r = callWith(t, api, http.MethodPost, "/api/v1/staff/login", "", map[string]string{"email": agent, "password": agentPassword})
	expect(t, r, http.StatusOK, "")
}

// TestSecondFactorBadRequests: a malformed or unknown challenge is refused with field
// errors or invalid_code, never a 500.
func TestSecondFactorBadRequests(t *testing.T) {
	api := secondAPI{mfaRoles: []domain.Role{domain.RoleSupervisor, domain.RoleHeadOfUnit, domain.RoleAdmin}}.start(t)
	r := callWith(t, api, http.MethodPost, "/api/v1/staff/login/mfa", "", map[string]string{})
	expect(t, r, http.StatusBadRequest, "validation_failed")
	r = callWith(t, api, http.MethodPost, "/api/v1/staff/login/mfa", "", map[string]string{"challenge": "unknown", "code": "123456"})
	expect(t, r, http.StatusUnauthorized, "invalid_code")
}
