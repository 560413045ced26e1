package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"occonnect/domain"
	"occonnect/internal/passhash"
	"occonnect/internal/testenv"
	"occonnect/mail"
	"occonnect/store"
)

// staffAdminEnv is a Server on a fresh MariaDB database with a recording mailer, its
// handler, and full sessions for an admin and an officer.
type staffAdminEnv struct {
	st      *store.Store
	s       *Server
	h       http.Handler
	mailer  *mail.RecordingSender
	clock   *fakeClock
	adminID int64
	tokens  map[domain.Role]string // role → bearer token
}

// staffAdminRoutes registers the staff administration as in Router(); once Router() has
// these routes, the extra registrations are never reached (the first match wins).
func staffAdminRoutes(s *Server) http.Handler {
	r := s.Router()
	v1 := r.PathPrefix("/api/v1").Subrouter()
	v1.Handle("/staff", s.authed(staff("admin"), s.idempotent(s.createStaff))).Methods(http.MethodPost)
	v1.Handle("/admin/staff", s.authed(staff("admin"), s.adminListStaff)).Methods(http.MethodGet)
	v1.Handle("/admin/staff/{id}", s.authed(staff("admin"), s.adminGetStaff)).Methods(http.MethodGet)
	v1.Handle("/admin/staff/{id}/disable", s.authed(staff("admin"), s.disableStaff)).Methods(http.MethodPost)
	v1.Handle("/admin/staff/{id}/enable", s.authed(staff("admin"), s.enableStaff)).Methods(http.MethodPost)
	v1.Handle("/admin/staff/{id}/reissue-password", s.authed(staff("admin"), s.reissueStaffPassword)).Methods(http.MethodPost)
	return s.common(r)
}

// staffTestHasher is a cheap Argon2id (the cost is not what these tests are about).
func staffTestHasher(t *testing.T) *passhash.Hasher {
	t.Helper()
	h, err := passhash.NewHasher(passhash.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func newStaffAdminEnv(t *testing.T) *staffAdminEnv {
	t.Helper()
	ctx := context.Background()
	st := store.New(testenv.MySQL(t))
	clock := &fakeClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	mailer := &mail.RecordingSender{}
	s := New(Deps{Store: st, Hasher: staffTestHasher(t), Now: clock.Now, Logger: slog.New(slog.DiscardHandler),
		Mailer: mailer, CredentialTTL: 24 * time.Hour})
	env := &staffAdminEnv{st: st, s: s, h: staffAdminRoutes(s), mailer: mailer, clock: clock, tokens: map[domain.Role]string{}}
	for _, role := range []domain.Role{domain.RoleAdmin, domain.RoleOfficer} {
		id, err := st.CreateStaff(ctx, store.Staff{Email: string(role) + "@t.local", Role: role, PasswordHash: "x", CreatedAt: clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if role == domain.RoleAdmin {
			env.adminID = id
		}
		env.tokens[role] = env.session(t, id)
	}
	if err := st.UpsertExchangePoint(ctx, store.ExchangePoint{Code: "EP-0001", Name: "Rabat Agdal", City: "Rabat",
		Address: "1 av. de France", Lat: 34, Lon: -6.8, Active: true}); err != nil {
		t.Fatal(err)
	}
	return env
}

func (e *staffAdminEnv) session(t *testing.T, id int64) string {
	t.Helper()
	tok, err := e.s.newSession(context.Background(), domain.SubjectStaff, id, domain.ScopeFull)
	if err != nil {
		t.Fatal(err)
	}
	return tok.Token
}

// do sends a request with a bearer token ("" for none) and extra headers (name, value…).
func (e *staffAdminEnv) do(t *testing.T, token, method, path, body string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	var req *http.Request
	if body == "" {
		req = httptest.NewRequest(method, path, nil)
	} else {
		req = httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return w
}

func (e *staffAdminEnv) admin(t *testing.T, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	return e.do(t, e.tokens[domain.RoleAdmin], method, path, body)
}

type createdStaffJSON struct {
	staffJSON
	Mailed bool `json:"mailed"`
}

// create makes an account as admin and returns it with its e-mailed password.
func (e *staffAdminEnv) create(t *testing.T, body string) (createdStaffJSON, string) {
	t.Helper()
	w := e.admin(t, http.MethodPost, "/api/v1/staff", body)
	if w.Code != http.StatusCreated {
		t.Fatalf("create %s: %d %s", body, w.Code, w.Body)
	}
	var out createdStaffJSON
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	return out, e.lastPassword(t, out.Email)
}

var mailedPassword = regexp.MustCompile(`(?m)^Mot de passe provisoire : (\S+)$`)

// lastPassword reads the one-time password from the last e-mail, which must be to `to`.
func (e *staffAdminEnv) lastPassword(t *testing.T, to string) string {
	t.Helper()
	m, ok := e.mailer.Last()
	if !ok || m.To != to {
		t.Fatalf("no e-mail to %s (last: %+v)", to, m.To)
	}
	match := mailedPassword.FindStringSubmatch(m.Msg.Text)
	if match == nil {
		t.Fatalf("no password line in the e-mail:\n%s", m.Msg.Text)
	}
	return match[1]
}

// login tries POST /staff/login and returns the answer's status, code and token.
func (e *staffAdminEnv) login(t *testing.T, email, password string) (int, string, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	w := e.do(t, "", http.MethodPost, "/api/v1/staff/login", string(body))
	var out struct {
		Code  string `json:"code"`
		Token string `json:"token"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("login: %v in %s", err, w.Body)
	}
	return w.Code, out.Code, out.Token
}

// TestStaffAdminLifecycle: an admin creates an account (the password only reaches the
// e-mail), lists and reads it, disables it (its sessions die, login fails), enables it
// (login works), re-issues its password (the old one fails at once, the new one must be
// changed); every change has an audit row holding no password, hash or token.
func TestStaffAdminLifecycle(t *testing.T) {
	t.Parallel()
	e := newStaffAdminEnv(t)
	ctx := context.Background()
	secrets := []string{e.tokens[domain.RoleAdmin], e.tokens[domain.RoleOfficer]}

	// Create: 201, no password in the answer, one e-mail with it.
	w := e.admin(t, http.MethodPost, "/api/v1/staff", `{"role":"officer","email":"  Member@OC.gov.ma "}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	var created createdStaffJSON
	if err := json.Unmarshal(w.Body.Bytes(), &created); err != nil {
		t.Fatal(err)
	}
	wantExpiry := e.clock.Now().Add(24 * time.Hour)
	if created.ID == 0 || created.Email != "member@oc.gov.ma" || created.Role != "officer" || created.ExchangePointCode != nil ||
		!created.MustChangePassword || created.Disabled || !created.Mailed ||
		created.PasswordExpiresAt == nil || !created.PasswordExpiresAt.Equal(wantExpiry) {
		t.Fatalf("created = %+v", created)
	}
	if len(e.mailer.Messages()) != 1 {
		t.Fatalf("%d e-mails, want 1", len(e.mailer.Messages()))
	}
	password := e.lastPassword(t, "member@oc.gov.ma")
	secrets = append(secrets, password)
	if strings.Contains(w.Body.String(), password) || strings.Contains(w.Body.String(), "argon2") {
		t.Fatalf("the answer holds the password or its hash: %s", w.Body)
	}
	member, err := e.st.StaffByID(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, member.PasswordHash)
	memberPath := "/api/v1/admin/staff/" + strconv.FormatInt(created.ID, 10)

	// The e-mailed password logs in, restricted: 403 password_change_required.
	code, pcode, restricted := e.login(t, "member@oc.gov.ma", password)
	if code != http.StatusForbidden || pcode != "password_change_required" || restricted == "" {
		t.Fatalf("first login: %d %s", code, pcode)
	}
	secrets = append(secrets, restricted)
	// The member chooses a password, then logs in fully.
	chosen := "correct horse battery staple 2026"
	if w := e.do(t, restricted, http.MethodPut, "/api/v1/me/password",
		`{"current_password":"`+password+`","new_password":"`+chosen+`"}`); w.Code != http.StatusNoContent {
		t.Fatalf("password change: %d %s", w.Code, w.Body)
	}
	code, _, memberTok := e.login(t, "member@oc.gov.ma", chosen)
	if code != http.StatusOK {
		t.Fatalf("login with the chosen password: %d", code)
	}
	secrets = append(secrets, memberTok)
	if w := e.do(t, memberTok, http.MethodGet, "/api/v1/tasks", ""); w.Code != http.StatusOK {
		t.Fatalf("member token before disable: %d %s", w.Code, w.Body)
	}

	// Read and list.
	w = e.admin(t, http.MethodGet, memberPath, "")
	var got staffJSON
	if err := json.Unmarshal(w.Body.Bytes(), &got); w.Code != http.StatusOK || err != nil {
		t.Fatalf("get: %d %s", w.Code, w.Body)
	}
	if got.MustChangePassword || got.PasswordExpiresAt != nil || got.Email != "member@oc.gov.ma" {
		t.Errorf("after the password change: %+v", got)
	}
	if strings.Contains(w.Body.String(), "argon2") || strings.Contains(w.Body.String(), "password_hash") {
		t.Errorf("get shows the hash: %s", w.Body)
	}
	for _, p := range []string{"/api/v1/admin/staff/999999", "/api/v1/admin/staff/abc", "/api/v1/admin/staff/0"} {
		if w := e.admin(t, http.MethodGet, p, ""); w.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, w.Code)
		}
	}
	var ids []int64
	cursor := ""
	for range 10 {
		w := e.admin(t, http.MethodGet, "/api/v1/admin/staff?limit=2&cursor="+cursor, "")
		var page listResponse[staffJSON]
		if err := json.Unmarshal(w.Body.Bytes(), &page); w.Code != http.StatusOK || err != nil {
			t.Fatalf("list: %d %s", w.Code, w.Body)
		}
		for _, it := range page.Items {
			ids = append(ids, it.ID)
		}
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	if len(ids) != 3 || ids[0] != e.adminID || ids[2] != created.ID {
		t.Errorf("listed ids = %v, want admin, officer, member", ids)
	}
	w = e.admin(t, http.MethodGet, "/api/v1/admin/staff?role=officer", "")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "member@oc.gov.ma") || strings.Contains(w.Body.String(), "admin@t.local") {
		t.Errorf("role filter: %d %s", w.Code, w.Body)
	}
	for _, q := range []string{"?role=boss", "?cursor=!!", "?limit=0", "?cursor=" + *encodeCursor("x")} {
		if w := e.admin(t, http.MethodGet, "/api/v1/admin/staff"+q, ""); w.Code != http.StatusBadRequest {
			t.Errorf("list%s: %d, want 400", q, w.Code)
		}
	}

	// Disable: the member's token dies and login fails; an admin cannot disable themself.
	w = e.admin(t, http.MethodPost, memberPath+"/disable", "")
	if err := json.Unmarshal(w.Body.Bytes(), &got); w.Code != http.StatusOK || err != nil || !got.Disabled {
		t.Fatalf("disable: %d %s", w.Code, w.Body)
	}
	if w := e.do(t, memberTok, http.MethodGet, "/api/v1/tasks", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("member token after disable: %d, want 401", w.Code)
	}
	if code, pcode, _ := e.login(t, "member@oc.gov.ma", chosen); code != http.StatusUnauthorized || pcode != "invalid_credentials" {
		t.Errorf("login when disabled: %d %s, want 401 invalid_credentials", code, pcode)
	}
	w = e.admin(t, http.MethodPost, "/api/v1/admin/staff/"+strconv.FormatInt(e.adminID, 10)+"/disable", "")
	if w.Code != http.StatusConflict || decodeProblem(t, w.Body.Bytes()).Code != "conflict" {
		t.Errorf("self-disable: %d %s, want 409 conflict", w.Code, w.Body)
	}
	if w := e.admin(t, http.MethodPost, memberPath+"/reissue-password", ""); w.Code != http.StatusConflict {
		t.Errorf("reissue to a disabled account: %d %s, want 409", w.Code, w.Body)
	}
	if w := e.admin(t, http.MethodPost, "/api/v1/admin/staff/999999/disable", ""); w.Code != http.StatusNotFound {
		t.Errorf("disable unknown: %d, want 404", w.Code)
	}

	// Enable: login works again (the old token stays dead).
	w = e.admin(t, http.MethodPost, memberPath+"/enable", "")
	if err := json.Unmarshal(w.Body.Bytes(), &got); w.Code != http.StatusOK || err != nil || got.Disabled {
		t.Fatalf("enable: %d %s", w.Code, w.Body)
	}
	code, _, memberTok = e.login(t, "member@oc.gov.ma", chosen)
	if code != http.StatusOK {
		t.Fatalf("login after enable: %d", code)
	}
	secrets = append(secrets, memberTok)
	if w := e.do(t, memberTok, http.MethodGet, "/api/v1/tasks", ""); w.Code != http.StatusOK {
		t.Errorf("new token after enable: %d", w.Code)
	}

	// Reissue: 202 without the password; the chosen password and the session die at once;
	// the new password (from the e-mail) must be changed.
	e.clock.advance(20 * time.Minute) // under the 30 min idle limit of the admin session
	w = e.admin(t, http.MethodPost, memberPath+"/reissue-password", "")
	if w.Code != http.StatusAccepted {
		t.Fatalf("reissue: %d %s", w.Code, w.Body)
	}
	var reissued struct {
		ID                int64     `json:"id"`
		PasswordExpiresAt time.Time `json:"password_expires_at"`
		Mailed            bool      `json:"mailed"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &reissued); err != nil {
		t.Fatal(err)
	}
	if reissued.ID != created.ID || !reissued.Mailed || !reissued.PasswordExpiresAt.Equal(e.clock.Now().Add(24*time.Hour)) {
		t.Errorf("reissue answered %s", w.Body)
	}
	newPassword := e.lastPassword(t, "member@oc.gov.ma")
	secrets = append(secrets, newPassword)
	if newPassword == password || strings.Contains(w.Body.String(), newPassword) {
		t.Fatalf("reissue: same password, or the password in the answer: %s", w.Body)
	}
	if w := e.do(t, memberTok, http.MethodGet, "/api/v1/tasks", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("member token after reissue: %d, want 401", w.Code)
	}
	if code, pcode, _ := e.login(t, "member@oc.gov.ma", chosen); code != http.StatusUnauthorized || pcode != "invalid_credentials" {
		t.Errorf("old password after reissue: %d %s, want 401 invalid_credentials", code, pcode)
	}
	code, pcode, restricted = e.login(t, "member@oc.gov.ma", newPassword)
	if code != http.StatusForbidden || pcode != "password_change_required" {
		t.Errorf("new password: %d %s, want 403 password_change_required", code, pcode)
	}
	secrets = append(secrets, restricted)
	member, err = e.st.StaffByID(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, member.PasswordHash)
	if w := e.admin(t, http.MethodPost, "/api/v1/admin/staff/999999/reissue-password", ""); w.Code != http.StatusNotFound {
		t.Errorf("reissue unknown: %d, want 404", w.Code)
	}

	// The audit: one row per change, by the admin, with no secret.
	rows, err := e.st.AdminAudit(ctx, "staff", "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for i := len(rows) - 1; i >= 0; i-- {
		a := rows[i]
		actions = append(actions, a.Action)
		if a.StaffID != e.adminID || a.EntityID != strconv.FormatInt(created.ID, 10) || a.RequestID == nil || *a.RequestID == "" {
			t.Errorf("audit row %+v", a)
		}
		var decoded any
		if err := json.Unmarshal(a.Changes, &decoded); err != nil {
			t.Errorf("audit changes are not JSON: %s", a.Changes)
		}
		text := string(a.Changes)
		for _, secret := range secrets {
			if secret != "" && strings.Contains(text, secret) {
				t.Errorf("audit row %s holds a secret: %s", a.Action, text)
			}
		}
		for _, bad := range []string{"argon2", "password_hash", "token"} {
			if strings.Contains(text, bad) {
				t.Errorf("audit row %s mentions %q: %s", a.Action, bad, text)
			}
		}
	}
	want := []string{"staff.create", "staff.disable", "staff.enable", "staff.reissue_password"}
	if strings.Join(actions, ",") != strings.Join(want, ",") {
		t.Errorf("audit actions = %v, want %v", actions, want)
	}
	if !strings.Contains(string(rows[len(rows)-1].Changes), "member@oc.gov.ma") {
		t.Errorf("staff.create row lacks the login: %s", rows[len(rows)-1].Changes)
	}
}

// TestCreateStaffValidation: field errors, the exchange point rules, duplicates and
// Idempotency-Key.
func TestCreateStaffValidation(t *testing.T) {
	t.Parallel()
	e := newStaffAdminEnv(t)

	cases := []struct {
		body string
		want map[string]string
	}{
		{`{}`, map[string]string{"role": "required", "email": "required"}},
		{`{"role":"boss","email":"not-an-email"}`, map[string]string{"role": "invalid", "email": "invalid_format"}},
		{`{"role":"agent","email":"a@oc.gov.ma"}`, map[string]string{"exchange_point_code": "exchange_point_required"}},
		{`{"role":"agent","email":"a@oc.gov.ma","exchange_point_code":"EP-9999"}`, map[string]string{"exchange_point_code": "unknown_exchange_point"}},
		{`{"role":"supervisor","email":"a@oc.gov.ma","exchange_point_code":"EP-0001"}`, map[string]string{"exchange_point_code": "exchange_point_not_allowed"}},
		{`{"role":1,"email":"a@oc.gov.ma"}`, map[string]string{"role": "invalid"}},
	}
	for _, c := range cases {
		w := e.admin(t, http.MethodPost, "/api/v1/staff", c.body)
		if w.Code != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", c.body, w.Code, w.Body)
			continue
		}
		p := decodeProblem(t, w.Body.Bytes())
		if got := fieldCodes(p); p.Code != "validation_failed" || len(got) != len(c.want) {
			t.Errorf("%s: %s %v, want %v", c.body, p.Code, got, c.want)
		} else {
			for f, code := range c.want {
				if got[f] != code {
					t.Errorf("%s: %s = %q, want %q", c.body, f, got[f], code)
				}
			}
		}
	}
	if w := e.admin(t, http.MethodPost, "/api/v1/staff", `{"role":"officer","email":"a@oc.gov.ma","password":"x"}`); w.Code != http.StatusBadRequest ||
		decodeProblem(t, w.Body.Bytes()).Code != "unknown_field" {
		t.Errorf("a password in the body: %d %s, want 400 unknown_field", w.Code, w.Body)
	}
	if n := len(e.mailer.Messages()); n != 0 {
		t.Fatalf("refused requests sent %d e-mails", n)
	}

	// An agent with an exchange point; every role can be created.
	agent, _ := e.create(t, `{"role":"agent","email":"agent.rabat@oc.gov.ma","exchange_point_code":"EP-0001"}`)
	if agent.ExchangePointCode == nil || *agent.ExchangePointCode != "EP-0001" {
		t.Errorf("agent = %+v", agent)
	}
	for _, role := range []string{"officer", "supervisor", "head_of_unit", "admin"} {
		if got, _ := e.create(t, `{"role":"`+role+`","email":"`+role+`.x@oc.gov.ma"}`); string(got.Role) != role {
			t.Errorf("created %+v, want role %s", got, role)
		}
	}

	// The same e-mail, in another case: 409 conflict, no e-mail sent.
	sent := len(e.mailer.Messages())
	w := e.admin(t, http.MethodPost, "/api/v1/staff", `{"role":"officer","email":"AGENT.RABAT@oc.gov.ma"}`)
	if w.Code != http.StatusConflict || decodeProblem(t, w.Body.Bytes()).Code != "conflict" {
		t.Errorf("duplicate: %d %s, want 409 conflict", w.Code, w.Body)
	}
	if len(e.mailer.Messages()) != sent {
		t.Error("a duplicate sent an e-mail")
	}

	// Idempotency-Key: the replay is the first answer, and only one account and e-mail.
	body := `{"role":"officer","email":"retry@oc.gov.ma"}`
	first := e.do(t, e.tokens[domain.RoleAdmin], http.MethodPost, "/api/v1/staff", body, "Idempotency-Key", "k-1")
	again := e.do(t, e.tokens[domain.RoleAdmin], http.MethodPost, "/api/v1/staff", body, "Idempotency-Key", "k-1")
	if first.Code != http.StatusCreated || again.Code != http.StatusCreated || again.Header().Get("Idempotent-Replayed") != "true" ||
		first.Body.String() != again.Body.String() {
		t.Errorf("idempotent create: %d %s / %d %s", first.Code, first.Body, again.Code, again.Body)
	}
	if len(e.mailer.Messages()) != sent+1 {
		t.Errorf("%d e-mails for an idempotent retry, want 1", len(e.mailer.Messages())-sent)
	}
}

// TestStaffAdminForbidden: only admins; without a mailer nothing is created.
func TestStaffAdminForbidden(t *testing.T) {
	t.Parallel()
	e := newStaffAdminEnv(t)
	target := strconv.FormatInt(e.adminID, 10)
	calls := []struct{ method, path, body string }{
		{http.MethodPost, "/api/v1/staff", `{"role":"officer","email":"x@oc.gov.ma"}`},
		{http.MethodGet, "/api/v1/admin/staff", ""},
		{http.MethodGet, "/api/v1/admin/staff/" + target, ""},
		{http.MethodPost, "/api/v1/admin/staff/" + target + "/disable", ""},
		{http.MethodPost, "/api/v1/admin/staff/" + target + "/enable", ""},
		{http.MethodPost, "/api/v1/admin/staff/" + target + "/reissue-password", ""},
	}
	for _, c := range calls {
		if w := e.do(t, e.tokens[domain.RoleOfficer], c.method, c.path, c.body); w.Code != http.StatusForbidden ||
			decodeProblem(t, w.Body.Bytes()).Code != "forbidden" {
			t.Errorf("officer %s %s: %d %s, want 403 forbidden", c.method, c.path, w.Code, w.Body)
		}
		if w := e.do(t, "", c.method, c.path, c.body); w.Code != http.StatusUnauthorized {
			t.Errorf("anonymous %s %s: %d, want 401", c.method, c.path, w.Code)
		}
	}
	if admin, _ := e.st.StaffByID(context.Background(), e.adminID); admin.Disabled || admin.MustChangePassword {
		t.Errorf("an officer changed the admin: %+v", admin)
	}

	// No mailer: 503, no account.
	e.s.mailer = nil
	w := e.admin(t, http.MethodPost, "/api/v1/staff", `{"role":"officer","email":"nomail@oc.gov.ma"}`)
	if w.Code != http.StatusServiceUnavailable || decodeProblem(t, w.Body.Bytes()).Code != "unavailable" {
		t.Errorf("no mailer: %d %s, want 503 unavailable", w.Code, w.Body)
	}
	if _, err := e.st.StaffByEmail(context.Background(), "nomail@oc.gov.ma"); err == nil {
		t.Error("an account was created without a mailer")
	}
	if w := e.admin(t, http.MethodPost, "/api/v1/admin/staff/"+target+"/reissue-password", ""); w.Code != http.StatusServiceUnavailable {
		t.Errorf("reissue without a mailer: %d, want 503", w.Code)
	}
	if n := len(e.mailer.Messages()); n != 0 {
		t.Errorf("%d e-mails sent", n)
	}
}

// TestStaffMailFailure: a failed credentials e-mail. Creation keeps the account and says
// mailed: false; a re-issue answers 503 and a retry sends a working password.
func TestStaffMailFailure(t *testing.T) {
	t.Parallel()
	e := newStaffAdminEnv(t)
	e.mailer.SetFailTimes(1, nil)
	w := e.admin(t, http.MethodPost, "/api/v1/staff", `{"role":"officer","email":"unlucky@oc.gov.ma"}`)
	var created createdStaffJSON
	if err := json.Unmarshal(w.Body.Bytes(), &created); w.Code != http.StatusCreated || err != nil || created.Mailed {
		t.Fatalf("create with the mail down: %d %s, want 201 mailed false", w.Code, w.Body)
	}
	path := "/api/v1/admin/staff/" + strconv.FormatInt(created.ID, 10) + "/reissue-password"
	e.mailer.SetFailTimes(1, nil)
	if w := e.admin(t, http.MethodPost, path, ""); w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Fatalf("reissue with the mail down: %d %s, want 503 with Retry-After", w.Code, w.Body)
	}
	if w := e.admin(t, http.MethodPost, path, ""); w.Code != http.StatusAccepted {
		t.Fatalf("reissue retried: %d %s", w.Code, w.Body)
	}
	if code, pcode, _ := e.login(t, "unlucky@oc.gov.ma", e.lastPassword(t, "unlucky@oc.gov.ma")); code != http.StatusForbidden || pcode != "password_change_required" {
		t.Errorf("login with the re-issued password: %d %s", code, pcode)
	}
}
