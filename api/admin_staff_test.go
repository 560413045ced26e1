package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"occonnect/api"
	"occonnect/internal/apitest"
)

type staffJSON = api.StaffJSON

// createdStaffJSON is the answer of POST /staff.
type createdStaffJSON struct {
	staffJSON
	Mailed bool `json:"mailed"`
}

// staffAdminEnv is the admin routes' server with the agents' exchange point.
type staffAdminEnv struct{ *adminEnv }

func newStaffAdminEnv(t *testing.T, o apitest.Options) staffAdminEnv {
	t.Helper()
	e := staffAdminEnv{newAdminEnv(t, o)}
	e.ExchangePoint(t, apitest.AgentPoint)
	return e
}

// create makes an account as admin and returns it with its e-mailed password.
func (e staffAdminEnv) create(t *testing.T, body string) (createdStaffJSON, string) {
	t.Helper()
	w := e.asAdmin(http.MethodPost, "/api/v1/staff", body)
	if w.Code != http.StatusCreated {
		t.Fatalf("create %s: %d %s", body, w.Code, w.Body)
	}
	out := apitest.Decode[createdStaffJSON](t, w)
	return out, e.lastPassword(t, out.Email)
}

var mailedPassword = regexp.MustCompile(`(?m)^Mot de passe provisoire : (\S+)$`)

// lastPassword reads the one-time password from the last e-mail, which must be to `to`.
func (e staffAdminEnv) lastPassword(t *testing.T, to string) string {
	t.Helper()
	m, ok := e.Mailer.Last()
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
func (e staffAdminEnv) login(t *testing.T, email, password string) (int, string, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	w := e.Call("", http.MethodPost, "/api/v1/staff/login", string(body))
	out := apitest.Decode[struct {
		Code  string `json:"code"`
		Token string `json:"token"`
	}](t, w)
	return w.Code, out.Code, out.Token
}

// TestStaffAdminLifecycle: an admin creates an account (the password only reaches the
// e-mail), lists and reads it, disables it (its sessions die, login fails), enables it
// (login works), re-issues its password (the old one fails at once, the new one must be
// changed); every change has an audit row holding no password, hash or token.
func TestStaffAdminLifecycle(t *testing.T) {
	t.Parallel()
	e := newStaffAdminEnv(t, apitest.Options{})
	ctx := context.Background()
	secrets := []string{e.admin.Token, e.officer.Token}

	// Create: 201, no password in the answer, one e-mail with it.
	w := e.asAdmin(http.MethodPost, "/api/v1/staff", `{"role":"officer","email":"  Member@OC.gov.ma "}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	created := apitest.Decode[createdStaffJSON](t, w)
	wantExpiry := e.Clock.Now().Add(24 * time.Hour)
	if created.ID == 0 || created.Email != "member@oc.gov.ma" || created.Role != "officer" || created.ExchangePointCode != nil ||
		!created.MustChangePassword || created.Disabled || !created.Mailed ||
		created.PasswordExpiresAt == nil || !created.PasswordExpiresAt.Equal(wantExpiry) {
		t.Fatalf("created = %+v", created)
	}
	if len(e.Mailer.Messages()) != 1 {
		t.Fatalf("%d e-mails, want 1", len(e.Mailer.Messages()))
	}
	password := e.lastPassword(t, "member@oc.gov.ma")
	secrets = append(secrets, password)
	if strings.Contains(w.Body.String(), password) || strings.Contains(w.Body.String(), "argon2") {
		t.Fatalf("the answer holds the password or its hash: %s", w.Body)
	}
	member, err := e.Store.StaffByID(ctx, created.ID)
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
	if w := e.Call(restricted, http.MethodPut, "/api/v1/me/password",
		`{"current_password":"`+password+`","new_password":"`+chosen+`"}`); w.Code != http.StatusNoContent {
		t.Fatalf("password change: %d %s", w.Code, w.Body)
	}
	code, _, memberTok := e.login(t, "member@oc.gov.ma", chosen)
	if code != http.StatusOK {
		t.Fatalf("login with the chosen password: %d", code)
	}
	secrets = append(secrets, memberTok)
	if w := e.Call(memberTok, http.MethodGet, "/api/v1/tasks", ""); w.Code != http.StatusOK {
		t.Fatalf("member token before disable: %d %s", w.Code, w.Body)
	}

	// Read and list.
	w = e.asAdmin(http.MethodGet, memberPath, "")
	got := apitest.Decode[staffJSON](t, w)
	if w.Code != http.StatusOK {
		t.Fatalf("get: %d %s", w.Code, w.Body)
	}
	if got.MustChangePassword || got.PasswordExpiresAt != nil || got.Email != "member@oc.gov.ma" {
		t.Errorf("after the password change: %+v", got)
	}
	if strings.Contains(w.Body.String(), "argon2") || strings.Contains(w.Body.String(), "password_hash") {
		t.Errorf("get shows the hash: %s", w.Body)
	}
	for _, p := range []string{"/api/v1/admin/staff/999999", "/api/v1/admin/staff/abc", "/api/v1/admin/staff/0"} {
		apitest.WantProblem(t, e.asAdmin(http.MethodGet, p, ""), http.StatusNotFound, "not_found")
	}
	var ids []int64
	cursor := ""
	for range 10 {
		w := e.asAdmin(http.MethodGet, "/api/v1/admin/staff?limit=2&cursor="+cursor, "")
		page := apitest.Decode[api.ListResponse[staffJSON]](t, w)
		if w.Code != http.StatusOK {
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
	if len(ids) != 3 || ids[0] != e.admin.ID || ids[2] != created.ID {
		t.Errorf("listed ids = %v, want admin, officer, member", ids)
	}
	w = e.asAdmin(http.MethodGet, "/api/v1/admin/staff?role=officer", "")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "member@oc.gov.ma") || strings.Contains(w.Body.String(), "admin@t.local") {
		t.Errorf("role filter: %d %s", w.Code, w.Body)
	}
	notAnID := base64.RawURLEncoding.EncodeToString([]byte("x")) // a well-formed cursor that holds no id
	for _, q := range []string{"?role=boss", "?cursor=!!", "?limit=0", "?cursor=" + notAnID} {
		apitest.WantProblem(t, e.asAdmin(http.MethodGet, "/api/v1/admin/staff"+q, ""), http.StatusBadRequest, "validation_failed")
	}

	// Disable: the member's token dies and login fails; an admin cannot disable themself.
	w = e.asAdmin(http.MethodPost, memberPath+"/disable", "")
	if got = apitest.Decode[staffJSON](t, w); w.Code != http.StatusOK || !got.Disabled {
		t.Fatalf("disable: %d %s", w.Code, w.Body)
	}
	apitest.WantProblem(t, e.Call(memberTok, http.MethodGet, "/api/v1/tasks", ""), http.StatusUnauthorized, "unauthorized")
	if code, pcode, _ := e.login(t, "member@oc.gov.ma", chosen); code != http.StatusUnauthorized || pcode != "invalid_credentials" {
		t.Errorf("login when disabled: %d %s, want 401 invalid_credentials", code, pcode)
	}
	apitest.WantProblem(t, e.asAdmin(http.MethodPost, "/api/v1/admin/staff/"+strconv.FormatInt(e.admin.ID, 10)+"/disable", ""),
		http.StatusConflict, "conflict")
	apitest.WantProblem(t, e.asAdmin(http.MethodPost, memberPath+"/reissue-password", ""), http.StatusConflict, "conflict")
	apitest.WantProblem(t, e.asAdmin(http.MethodPost, "/api/v1/admin/staff/999999/disable", ""), http.StatusNotFound, "not_found")

	// Enable: login works again (the old token stays dead).
	w = e.asAdmin(http.MethodPost, memberPath+"/enable", "")
	if got = apitest.Decode[staffJSON](t, w); w.Code != http.StatusOK || got.Disabled {
		t.Fatalf("enable: %d %s", w.Code, w.Body)
	}
	code, _, memberTok = e.login(t, "member@oc.gov.ma", chosen)
	if code != http.StatusOK {
		t.Fatalf("login after enable: %d", code)
	}
	secrets = append(secrets, memberTok)
	if w := e.Call(memberTok, http.MethodGet, "/api/v1/tasks", ""); w.Code != http.StatusOK {
		t.Errorf("new token after enable: %d", w.Code)
	}

	// Reissue: 202 without the password; the chosen password and the session die at once;
	// the new password (from the e-mail) must be changed.
	e.Clock.Advance(20 * time.Minute) // under the 30 min idle limit of the admin session
	w = e.asAdmin(http.MethodPost, memberPath+"/reissue-password", "")
	if w.Code != http.StatusAccepted {
		t.Fatalf("reissue: %d %s", w.Code, w.Body)
	}
	reissued := apitest.Decode[struct {
		ID                int64     `json:"id"`
		PasswordExpiresAt time.Time `json:"password_expires_at"`
		Mailed            bool      `json:"mailed"`
	}](t, w)
	if reissued.ID != created.ID || !reissued.Mailed || !reissued.PasswordExpiresAt.Equal(e.Clock.Now().Add(24*time.Hour)) {
		t.Errorf("reissue answered %s", w.Body)
	}
	newPassword := e.lastPassword(t, "member@oc.gov.ma")
	secrets = append(secrets, newPassword)
	if newPassword == password || strings.Contains(w.Body.String(), newPassword) {
		t.Fatalf("reissue: same password, or the password in the answer: %s", w.Body)
	}
	apitest.WantProblem(t, e.Call(memberTok, http.MethodGet, "/api/v1/tasks", ""), http.StatusUnauthorized, "unauthorized")
	if code, pcode, _ := e.login(t, "member@oc.gov.ma", chosen); code != http.StatusUnauthorized || pcode != "invalid_credentials" {
		t.Errorf("old password after reissue: %d %s, want 401 invalid_credentials", code, pcode)
	}
	code, pcode, restricted = e.login(t, "member@oc.gov.ma", newPassword)
	if code != http.StatusForbidden || pcode != "password_change_required" {
		t.Errorf("new password: %d %s, want 403 password_change_required", code, pcode)
	}
	secrets = append(secrets, restricted)
	member, err = e.Store.StaffByID(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, member.PasswordHash)
	apitest.WantProblem(t, e.asAdmin(http.MethodPost, "/api/v1/admin/staff/999999/reissue-password", ""), http.StatusNotFound, "not_found")

	// The audit: one row per change, by the admin, with no secret.
	rows, err := e.Store.AdminAudit(ctx, "staff", "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for i := len(rows) - 1; i >= 0; i-- {
		a := rows[i]
		actions = append(actions, a.Action)
		if a.StaffID != e.admin.ID || a.EntityID != strconv.FormatInt(created.ID, 10) || a.RequestID == nil || *a.RequestID == "" {
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
	e := newStaffAdminEnv(t, apitest.Options{})

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
		p := apitest.WantProblem(t, e.asAdmin(http.MethodPost, "/api/v1/staff", c.body), http.StatusBadRequest, "validation_failed")
		if got := apitest.Fields(p); len(got) != len(c.want) {
			t.Errorf("%s: %v, want %v", c.body, got, c.want)
		} else {
			for f, code := range c.want {
				if got[f] != code {
					t.Errorf("%s: %s = %q, want %q", c.body, f, got[f], code)
				}
			}
		}
	}
	apitest.WantProblem(t, e.asAdmin(http.MethodPost, "/api/v1/staff", `{"role":"officer","email":"a@oc.gov.ma","password":"x"}`),
		http.StatusBadRequest, "unknown_field")
	if n := len(e.Mailer.Messages()); n != 0 {
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
	sent := len(e.Mailer.Messages())
	apitest.WantProblem(t, e.asAdmin(http.MethodPost, "/api/v1/staff", `{"role":"officer","email":"AGENT.RABAT@oc.gov.ma"}`),
		http.StatusConflict, "conflict")
	if len(e.Mailer.Messages()) != sent {
		t.Error("a duplicate sent an e-mail")
	}

	// Idempotency-Key: the replay is the first answer, and only one account and e-mail.
	body := `{"role":"officer","email":"retry@oc.gov.ma"}`
	first := e.asAdmin(http.MethodPost, "/api/v1/staff", body, "Idempotency-Key", "k-1")
	again := e.asAdmin(http.MethodPost, "/api/v1/staff", body, "Idempotency-Key", "k-1")
	if first.Code != http.StatusCreated || again.Code != http.StatusCreated || again.Header().Get("Idempotent-Replayed") != "true" ||
		first.Body.String() != again.Body.String() {
		t.Errorf("idempotent create: %d %s / %d %s", first.Code, first.Body, again.Code, again.Body)
	}
	if len(e.Mailer.Messages()) != sent+1 {
		t.Errorf("%d e-mails for an idempotent retry, want 1", len(e.Mailer.Messages())-sent)
	}
}

// TestStaffAdminForbidden: only admins; without a mailer nothing is created.
func TestStaffAdminForbidden(t *testing.T) {
	t.Parallel()
	e := newStaffAdminEnv(t, apitest.Options{NoMailer: true})
	target := strconv.FormatInt(e.admin.ID, 10)
	calls := []struct{ method, path, body string }{
		{http.MethodPost, "/api/v1/staff", `{"role":"officer","email":"x@oc.gov.ma"}`},
		{http.MethodGet, "/api/v1/admin/staff", ""},
		{http.MethodGet, "/api/v1/admin/staff/" + target, ""},
		{http.MethodPost, "/api/v1/admin/staff/" + target + "/disable", ""},
		{http.MethodPost, "/api/v1/admin/staff/" + target + "/enable", ""},
		{http.MethodPost, "/api/v1/admin/staff/" + target + "/reissue-password", ""},
	}
	for _, c := range calls {
		apitest.WantProblem(t, e.Call(e.officer.Token, c.method, c.path, c.body), http.StatusForbidden, "forbidden")
		apitest.WantProblem(t, e.Call("", c.method, c.path, c.body), http.StatusUnauthorized, "unauthorized")
	}
	if admin, _ := e.Store.StaffByID(context.Background(), e.admin.ID); admin.Disabled || admin.MustChangePassword {
		t.Errorf("an officer changed the admin: %+v", admin)
	}

	// No mailer: 503, no account.
	apitest.WantProblem(t, e.asAdmin(http.MethodPost, "/api/v1/staff", `{"role":"officer","email":"nomail@oc.gov.ma"}`),
		http.StatusServiceUnavailable, "unavailable")
	if _, err := e.Store.StaffByEmail(context.Background(), "nomail@oc.gov.ma"); err == nil {
		t.Error("an account was created without a mailer")
	}
	apitest.WantProblem(t, e.asAdmin(http.MethodPost, "/api/v1/admin/staff/"+target+"/reissue-password", ""),
		http.StatusServiceUnavailable, "unavailable")
	if n := len(e.Mailer.Messages()); n != 0 {
		t.Errorf("%d e-mails sent", n)
	}
}

// TestStaffMailFailure: a failed credentials e-mail. Creation keeps the account and says
// mailed: false; a re-issue answers 503 and a retry sends a working password.
func TestStaffMailFailure(t *testing.T) {
	t.Parallel()
	e := newStaffAdminEnv(t, apitest.Options{})
	e.Mailer.SetFailTimes(1, nil)
	w := e.asAdmin(http.MethodPost, "/api/v1/staff", `{"role":"officer","email":"unlucky@oc.gov.ma"}`)
	if created := apitest.Decode[createdStaffJSON](t, w); w.Code != http.StatusCreated || created.Mailed {
		t.Fatalf("create with the mail down: %d %s, want 201 mailed false", w.Code, w.Body)
	} else {
		path := "/api/v1/admin/staff/" + strconv.FormatInt(created.ID, 10) + "/reissue-password"
		e.Mailer.SetFailTimes(1, nil)
		w := e.asAdmin(http.MethodPost, path, "")
		apitest.WantProblem(t, w, http.StatusServiceUnavailable, "unavailable")
		if w.Header().Get("Retry-After") == "" {
			t.Fatalf("reissue with the mail down: no Retry-After")
		}
		if w := e.asAdmin(http.MethodPost, path, ""); w.Code != http.StatusAccepted {
			t.Fatalf("reissue retried: %d %s", w.Code, w.Body)
		}
	}
	if code, pcode, _ := e.login(t, "unlucky@oc.gov.ma", e.lastPassword(t, "unlucky@oc.gov.ma")); code != http.StatusForbidden || pcode != "password_change_required" {
		t.Errorf("login with the re-issued password: %d %s", code, pcode)
	}
}
