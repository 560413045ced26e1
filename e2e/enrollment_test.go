package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"

	"occonnect/domain"
	"occonnect/internal/passhash"
	"occonnect/service"
	"occonnect/store"
	"occonnect/workflows"
)

// TestEnrollmentToActivation is the walk-through of docs/walkthrough.md: the agent enrols, the
// citizen reads the e-mail, activates, is forced to change the password, and logs in.
func TestEnrollmentToActivation(t *testing.T) {
	agent := staffToken(t, "agent@e2e.oc.local")
	c := newCitizen(t)

	r := call(t, "POST", "/api/v1/enrollments", agent, c.EnrollmentBody(), "Idempotency-Key", "walk-"+c.CIN)
	expect(t, r, http.StatusAccepted, "")
	enrollmentID := r.str("enrollment_id")
	if enrollmentID == "" || r.str("status") != "credentials_pending" {
		t.Fatalf("enrol: %s", r.Raw)
	}
	// The double tap of the agent: the same key and body replay the answer.
	again := call(t, "POST", "/api/v1/enrollments", agent, c.EnrollmentBody(), "Idempotency-Key", "walk-"+c.CIN)
	if again.Status != http.StatusAccepted || again.str("enrollment_id") != enrollmentID || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %s", again.Status, again.Raw)
	}
	other := c.EnrollmentBody()
	other["first_name"] = "Autre"
	expect(t, call(t, "POST", "/api/v1/enrollments", agent, other, "Idempotency-Key", "walk-"+c.CIN), http.StatusUnprocessableEntity, "idempotency_key_reused")

	password := initialPassword(t, c, 1)
	if len(password) < 12 {
		t.Fatalf("initial password of %d characters", len(password))
	}

	// Activation with the CIN as a citizen types it (lower case, spaces).
	r = call(t, "POST", "/api/v1/activation", "", map[string]string{"cin": " " + lowerSpaced(c.CIN), "password": password})
	expect(t, r, http.StatusOK, "")
	if r.str("status") != "password_change_required" {
		t.Fatalf("activation: %s", r.Raw)
	}
	restricted := r.str("token")
	// The restricted token only changes the password.
	expect(t, call(t, "GET", "/api/v1/me", restricted, nil), http.StatusForbidden, "password_change_required")
	// A double tap on activation answers the same way.
	expect(t, call(t, "POST", "/api/v1/activation", "", map[string]string{"cin": c.CIN, "password": password}), http.StatusOK, "")
	// Login with the initial password: 403 with a restricted token.
	r = call(t, "POST", "/api/v1/auth/login", "", map[string]string{"cin": c.CIN, "password": password})
	expect(t, r, http.StatusForbidden, "password_change_required")
	otherSession := r.str("token")
	if otherSession == "" {
		t.Fatalf("no restricted token in %s", r.Raw)
	}

	// Policy: a common password, one containing the CIN, the initial one.
	for _, tc := range []struct{ pw, code string }{
		{"password1234", "common_password"},
		{"my-" + c.CIN + "-secret", "contains_cin"},
		{password, "same_as_previous"},
		{"short", "too_short"},
	} {
		r = call(t, "PUT", "/api/v1/me/password", restricted, map[string]string{"current_password": password, "new_password": tc.pw})
		expect(t, r, http.StatusBadRequest, "validation_failed")
		errs, _ := r.Body["errors"].([]any)
		found := false
		for _, e := range errs {
			if m, _ := e.(map[string]any); m["field"] == "new_password" && m["code"] == tc.code {
				found = true
			}
		}
		if !found {
			t.Errorf("new password %q: want %s in %s", tc.pw, tc.code, r.Raw)
		}
	}
	newPassword := "Thé à la menthe sur la terrasse"
	remember(newPassword)
	r = call(t, "PUT", "/api/v1/me/password", restricted, map[string]string{"current_password": password, "new_password": newPassword})
	expect(t, r, http.StatusNoContent, "")

	// The change revoked the other session, and widened this one; the enrollment is complete.
	expect(t, call(t, "PUT", "/api/v1/me/password", otherSession, map[string]string{"current_password": newPassword, "new_password": newPassword + "!"}), http.StatusUnauthorized, "unauthorized")
	r = call(t, "GET", "/api/v1/me", restricted, nil)
	expect(t, r, http.StatusOK, "")
	if r.str("status") != "active" || r.str("first_name") != c.FirstName || r.str("cin_masked") == c.CIN {
		t.Fatalf("me: %s", r.Raw)
	}
	// The initial password is spent; the new one logs in.
	expect(t, call(t, "POST", "/api/v1/auth/login", "", map[string]string{"cin": c.CIN, "password": password}), http.StatusUnauthorized, "invalid_credentials")
	r = call(t, "POST", "/api/v1/auth/login", "", map[string]string{"cin": c.CIN, "password": newPassword})
	expect(t, r, http.StatusOK, "")
	token := r.str("token")
	r = call(t, "GET", "/api/v1/me", token, nil)
	if r.Status != http.StatusOK || r.str("status") != "active" {
		t.Fatalf("me after login: %d %s", r.Status, r.Raw)
	}
	r = call(t, "GET", "/api/v1/me/enrollment", token, nil)
	expect(t, r, http.StatusOK, "")
	steps := map[string]bool{}
	for _, s := range r.Body["steps"].([]any) {
		m := s.(map[string]any)
		steps[m["name"].(string)] = m["status"] == "done"
	}
	for _, name := range []string{"enrolled", "credentials_issued", "credentials_emailed", "activated", "password_changed"} {
		if !steps[name] {
			t.Errorf("step %s not done: %s", name, r.Raw)
		}
	}
	// The agent sees the same read model; the citizen cannot enrol again.
	r = call(t, "GET", "/api/v1/enrollments/"+enrollmentID, agent, nil)
	if r.Status != http.StatusOK || r.str("status") != "active" {
		t.Fatalf("agent view: %d %s", r.Status, r.Raw)
	}
	expect(t, call(t, "POST", "/api/v1/enrollments", agent, c.EnrollmentBody()), http.StatusConflict, "conflict")

	// The welcome e-mail arrives, and the workflow completed.
	if _, err := env.mailpit.WaitForMessages(context.Background(), c.Email, 2, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	run := env.temporal.GetWorkflow(context.Background(), workflows.EnrollmentWorkflowID(enrollmentID), "")
	var res workflows.EnrollmentResult
	if err := run.Get(context.Background(), &res); err != nil || res.Status != "active" {
		t.Fatalf("workflow result %+v, %v", res, err)
	}
	// Logout revokes the token.
	expect(t, call(t, "POST", "/api/v1/auth/logout", token, nil), http.StatusNoContent, "")
	expect(t, call(t, "GET", "/api/v1/me", token, nil), http.StatusUnauthorized, "unauthorized")

	recordHistory(t, workflows.EnrollmentWorkflowID(enrollmentID), "enrollment_happy_path.json")
}

func lowerSpaced(cin string) string {
	out := []rune{}
	for i, r := range cin {
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
		if i == 2 {
			out = append(out, ' ')
		}
		out = append(out, r)
	}
	return string(out)
}

// recordHistory writes a workflow's history as JSON for the replay test when
// OCC_RECORD_HISTORY names a folder (workflows/testdata).
func recordHistory(t *testing.T, workflowID, name string) { recordRun(t, workflowID, "", name) }

// recordRun is recordHistory for one run of the workflow ("": the latest).
func recordRun(t *testing.T, workflowID, runID, name string) {
	dir := os.Getenv("OCC_RECORD_HISTORY")
	if dir == "" {
		return
	}
	path := filepath.Join(dir, name)
	h, err := collectHistory(env.temporal.GetWorkflowHistory(context.Background(), workflowID, runID, false, 0))
	if err != nil {
		t.Fatal(err)
	}
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %s", path)
}

// TestLockoutAndUnknownCIN: five wrong passwords lock the account (423 with Retry-After);
// an unknown CIN gets exactly the same answers.
func TestLockoutAndUnknownCIN(t *testing.T) {
	agent := staffToken(t, "agent@e2e.oc.local")
	known := newCitizen(t)
	enrol(t, agent, known)
	password := initialPassword(t, known, 1)
	unknown := newCitizen(t) // never enrolled

	type answer struct {
		status     int
		code       string
		retryAfter bool
	}
	attempt := func(cin string) (answer, time.Duration) {
		start := time.Now()
		r := call(t, "POST", "/api/v1/activation", "", map[string]string{"cin": cin, "password": "wrong-password-123"})
		return answer{r.Status, r.str("code"), r.Header.Get("Retry-After") != ""}, time.Since(start)
	}
	var knownTimes, unknownTimes []time.Duration
	for i := 1; i <= 6; i++ {
		a, dk := attempt(known.CIN)
		b, du := attempt(unknown.CIN)
		knownTimes, unknownTimes = append(knownTimes, dk), append(unknownTimes, du)
		want := answer{http.StatusUnauthorized, "invalid_credentials", false}
		if i >= 5 {
			want = answer{http.StatusLocked, "account_locked", true}
		}
		if a != want || b != want {
			t.Fatalf("attempt %d: known CIN %+v, unknown CIN %+v, want %+v", i, a, b, want)
		}
	}
	t.Logf("answer times, known CIN: %v; unknown CIN: %v", knownTimes, unknownTimes)
	// Locked: even the right password is refused until the lock ends.
	r := call(t, "POST", "/api/v1/activation", "", map[string]string{"cin": known.CIN, "password": password})
	expect(t, r, http.StatusLocked, "account_locked")
	if secs, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || secs < 14*60 || secs > 15*60 {
		t.Fatalf("Retry-After %q, want about 900 s", r.Header.Get("Retry-After"))
	}
}

// TestSameCINConcurrently: twenty concurrent identical enrolments make one enrollment and
// one e-mail.
func TestSameCINConcurrently(t *testing.T) {
	agent := staffToken(t, "agent@e2e.oc.local")
	c := newCitizen(t)
	answers := atOnce(20, func() response { return call(t, "POST", "/api/v1/enrollments", agent, c.EnrollmentBody()) })
	ids := map[string]int{}
	created := 0
	for _, a := range answers {
		if a.Status != http.StatusAccepted && a.Status != http.StatusOK {
			t.Fatalf("answer %d %s", a.Status, a.Raw)
		}
		if a.Status == http.StatusAccepted {
			created++
		}
		ids[a.str("enrollment_id")]++
	}
	if len(ids) != 1 || created != 1 {
		t.Fatalf("%d enrollment ids and %d creations for one CIN: %v", len(ids), created, ids)
	}
	initialPassword(t, c, 1)
	time.Sleep(2 * time.Second) // a second e-mail, if any, would be here by now
	msgs, err := env.mailpit.Messages(context.Background(), c.Email)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("%d e-mails for one enrollment (%v)", len(msgs), err)
	}
	// Later, the same pending CIN answers 200 with the same enrollment.
	r := call(t, "POST", "/api/v1/enrollments", agent, c.EnrollmentBody())
	expect(t, r, http.StatusOK, "")
	for id := range ids {
		if r.str("enrollment_id") != id {
			t.Fatalf("got %s, want %s", r.str("enrollment_id"), id)
		}
	}
}

// TestActivationConcurrently: the double (or triple) tap on "Activate", and the app's retry
// while the first activation is still being confirmed, all get the restricted session; the
// workflow runs one activation (one Update, joined by the others through its ID).
func TestActivationConcurrently(t *testing.T) {
	agent := staffToken(t, "agent@e2e.oc.local")
	c := newCitizen(t)
	enrol(t, agent, c)
	enrollmentID := c.EnrollmentID
	password := initialPassword(t, c, 1)

	answers := atOnce(6, func() response {
		return call(t, "POST", "/api/v1/activation", "", map[string]string{"cin": c.CIN, "password": password})
	})
	for i, a := range answers {
		if a.Status != http.StatusOK || a.str("status") != "password_change_required" || a.str("token") == "" {
			t.Errorf("activation %d of %d at once: %d %s", i+1, len(answers), a.Status, a.Raw)
		}
		remember(a.str("token"))
	}

	h, err := collectHistory(env.temporal.GetWorkflowHistory(context.Background(), workflows.EnrollmentWorkflowID(enrollmentID), "", false, 0))
	if err != nil {
		t.Fatal(err)
	}
	accepted := 0
	for _, e := range h.Events {
		if a := e.GetWorkflowExecutionUpdateAcceptedEventAttributes(); a != nil && a.GetAcceptedRequest().GetInput().GetName() == workflows.UpdateActivate {
			accepted++
			if id := a.GetProtocolInstanceId(); id != workflows.ActivateUpdateID(1) {
				t.Errorf("activation Update ID %q, want %q", id, workflows.ActivateUpdateID(1))
			}
		}
	}
	if accepted != 1 {
		t.Errorf("%d activation Updates accepted by the workflow, want 1", accepted)
	}
}

// TestResendAfterExpiry: the credentials expire; the activation says so; the agent
// re-issues; the new password activates and the old one does not.
func TestResendAfterExpiry(t *testing.T) {
	agent := staffToken(t, "agent@e2e.oc.local")
	c := newCitizen(t)
	enrol(t, agent, c)
	id := c.EnrollmentID
	first := initialPassword(t, c, 1)

	deadline := time.Now().Add(credentialTTL + 30*time.Second)
	for {
		r := call(t, "GET", "/api/v1/enrollments/"+id, agent, nil)
		if r.str("status") == "credentials_expired" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not expired: %s", r.Raw)
		}
		time.Sleep(500 * time.Millisecond)
	}
	expect(t, call(t, "POST", "/api/v1/activation", "", map[string]string{"cin": c.CIN, "password": first}), http.StatusUnauthorized, "credentials_expired")

	expect(t, call(t, "POST", "/api/v1/enrollments/"+id+"/resend", agent, nil), http.StatusAccepted, "")
	second := initialPassword(t, c, 2)
	if second == first {
		t.Fatal("the re-issue mailed the same password")
	}
	expect(t, call(t, "POST", "/api/v1/activation", "", map[string]string{"cin": c.CIN, "password": first}), http.StatusUnauthorized, "invalid_credentials")
	must(t, env.client.ChangePassword(t.Context(), activate(t, c, second), second, c.Password))
	expect(t, call(t, "POST", "/api/v1/auth/login", "", map[string]string{"cin": c.CIN, "password": c.Password}), http.StatusOK, "")
	var res workflows.EnrollmentResult
	if err := env.temporal.GetWorkflow(context.Background(), workflows.EnrollmentWorkflowID(id), "").Get(context.Background(), &res); err != nil || res.Status != "active" {
		t.Fatalf("workflow result %+v, %v", res, err)
	}
	recordHistory(t, workflows.EnrollmentWorkflowID(id), "enrollment_expiry_resend.json")
}

// TestCitizenResend: /activation/resend answers 202 whatever the input; only a matching
// CIN and e-mail of a pending enrollment get new credentials (after the cooldown).
func TestCitizenResend(t *testing.T) {
	agent := staffToken(t, "agent@e2e.oc.local")
	c := newCitizen(t)
	enrol(t, agent, c)
	initialPassword(t, c, 1)
	for _, body := range []map[string]string{
		{"cin": c.CIN, "email": "someone.else@example.ma"},
		{"cin": "ZZ999999", "email": c.Email},
		{"cin": c.CIN, "email": c.Email}, // within the cooldown: nothing new
	} {
		expect(t, call(t, "POST", "/api/v1/activation/resend", "", body), http.StatusAccepted, "")
	}
	time.Sleep(2 * time.Second)
	if msgs, _ := env.mailpit.Messages(context.Background(), c.Email); len(msgs) != 1 {
		t.Fatalf("%d e-mails, want 1", len(msgs))
	}
	expect(t, call(t, "POST", "/api/v1/activation/resend", "", map[string]string{"cin": "not a cin", "email": "x"}), http.StatusBadRequest, "validation_failed")
}

// TestBadInput: problem+json with stable codes, field errors and languages.
func TestBadInput(t *testing.T) {
	agent := staffToken(t, "agent@e2e.oc.local")
	r := call(t, "POST", "/api/v1/enrollments", agent, map[string]string{"cin": "123", "first_name": "", "last_name": "X",
		"email": "nope", "birth_date": time.Now().AddDate(-17, 0, 0).Format(time.DateOnly), "language": "en"}, "Accept-Language", "ar")
	expect(t, r, http.StatusBadRequest, "validation_failed")
	if r.Header.Get("Content-Type") != "application/problem+json" || r.Header.Get("Content-Language") != "ar" {
		t.Fatalf("headers %v", r.Header)
	}
	got := map[string]string{}
	for _, e := range r.Body["errors"].([]any) {
		m := e.(map[string]any)
		got[m["field"].(string)] = m["code"].(string)
	}
	want := map[string]string{"cin": "invalid_format", "first_name": "required", "email": "invalid_format", "birth_date": "underage", "language": "invalid"}
	for f, code := range want {
		if got[f] != code {
			t.Errorf("field %s: got %q want %q (%s)", f, got[f], code, r.Raw)
		}
	}
	expect(t, call(t, "POST", "/api/v1/enrollments", agent, map[string]any{"cin": "AB1", "extra": true}), http.StatusBadRequest, "unknown_field")
	big := map[string]string{"cin": string(make([]byte, 70<<10))}
	expect(t, call(t, "POST", "/api/v1/activation", "", big), http.StatusRequestEntityTooLarge, "payload_too_large")
	expect(t, call(t, "POST", "/api/v1/enrollments", "", map[string]string{}), http.StatusUnauthorized, "unauthorized")
	officer := staffToken(t, "officer@e2e.oc.local")
	expect(t, call(t, "POST", "/api/v1/enrollments", officer, map[string]string{}), http.StatusForbidden, "forbidden")
	expect(t, call(t, "GET", "/api/v1/enrollments/01NOTEXISTING", agent, nil), http.StatusNotFound, "not_found")
	r = call(t, "GET", "/readyz", "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("readyz %d %s", r.Status, r.Raw)
	}
}

// TestStaffAccountForcedChange: an account made by `occonnect staff create` logs in with
// its one-time password, must change it, then logs in with the new one.
func TestStaffAccountForcedChange(t *testing.T) {
	ctx := context.Background()
	hasher, err := passhash.NewHasher(passhash.DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	svc := service.NewStaffAccounts(env.store, hasher, nil, time.Hour) // as the command line: the password is returned
	email := fmt.Sprintf("officer.%d@e2e.oc.local", time.Now().UnixNano())
	refused := func(err error, reason service.Reason, field, code string) bool {
		r := service.Explain(err)
		if r == nil || r.Reason != reason {
			return false
		}
		return field == "" || (len(r.Fields) == 1 && r.Fields[0] == service.FieldError{Field: field, Code: code})
	}
	if _, err := svc.Create(ctx, nil, service.NewStaff{Role: "agent", Email: email}); !refused(err, service.Invalid, "exchange_point_code", "exchange_point_required") {
		t.Fatalf("agent without exchange point: %v", err)
	}
	if _, err := svc.Create(ctx, nil, service.NewStaff{Role: "agent", Email: email, ExchangePointCode: "EP-9999"}); !refused(err, service.Invalid, "exchange_point_code", "unknown_exchange_point") {
		t.Fatalf("unknown exchange point: %v", err)
	}
	created, err := svc.Create(ctx, nil, service.NewStaff{Role: "officer", Email: email})
	if err != nil || created.Password == "" {
		t.Fatalf("create: %+v %v", created, err)
	}
	remember(email, created.Password)
	if _, err := svc.Create(ctx, nil, service.NewStaff{Role: "officer", Email: email}); !refused(err, service.Conflict, "", "") {
		t.Fatalf("second account with the same e-mail: %v", err)
	}
	r := call(t, "POST", "/api/v1/staff/login", "", map[string]string{"email": email, "password": created.Password})
	expect(t, r, http.StatusForbidden, "password_change_required")
	restricted := r.str("token")
	expect(t, call(t, "GET", "/api/v1/enrollments/x", restricted, nil), http.StatusForbidden, "")
	newPassword := "Les remparts de Taroudant au soleil"
	remember(newPassword)
	expect(t, call(t, "PUT", "/api/v1/me/password", restricted, map[string]string{"current_password": created.Password, "new_password": newPassword}), http.StatusNoContent, "")
	expect(t, call(t, "POST", "/api/v1/staff/login", "", map[string]string{"email": email, "password": created.Password}), http.StatusUnauthorized, "invalid_credentials")
	r = call(t, "POST", "/api/v1/staff/login", "", map[string]string{"email": strings.ToUpper(email), "password": newPassword})
	expect(t, r, http.StatusOK, "")
	if r.str("role") != "officer" {
		t.Fatalf("login: %s", r.Raw)
	}
	// The same lockout as citizens, for known and unknown e-mails alike.
	for _, login := range []string{email, "nobody." + email} {
		for i := 1; i <= 5; i++ {
			r = call(t, "POST", "/api/v1/staff/login", "", map[string]string{"email": login, "password": "not-the-password"})
			if want := map[bool]int{true: http.StatusLocked, false: http.StatusUnauthorized}[i == 5]; r.Status != want {
				t.Fatalf("attempt %d on %s: %d %s, want %d", i, map[bool]string{true: "a known e-mail", false: "an unknown e-mail"}[login == email], r.Status, r.Raw, want)
			}
		}
	}
	expect(t, call(t, "POST", "/api/v1/staff/login", "", map[string]string{"email": email, "password": newPassword}), http.StatusLocked, "account_locked")
}

// TestEmailWaitsForSMTP: with SMTP down, the credentials e-mail is retried with backoff,
// not lost, and the password it finally carries is the one issued at first (a retry never
// makes another).
func TestEmailWaitsForSMTP(t *testing.T) {
	agent := staffToken(t, "agent@e2e.oc.local")
	c := newCitizen(t)
	env.smtp.SetOpen(false)
	defer env.smtp.SetOpen(true)
	enrol(t, agent, c)
	id := c.EnrollmentID

	var attempts int
	deadline := time.Now().Add(20 * time.Second)
	for attempts < 2 {
		if err := env.store.DB().Get(&attempts, `SELECT COALESCE(MAX(attempts), 0) FROM email_outbox WHERE message_key LIKE ?`, "enrollment/"+id+"/%"); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d failed attempts to send while SMTP is down, want at least 2", attempts)
		}
		time.Sleep(200 * time.Millisecond)
	}
	r := call(t, "GET", "/api/v1/enrollments/"+id, agent, nil)
	for _, s := range r.Body["steps"].([]any) {
		if m := s.(map[string]any); m["name"] == "credentials_emailed" && m["status"] == "done" {
			t.Fatalf("e-mailed while SMTP is down: %s", r.Raw)
		}
	}
	if msgs, _ := env.mailpit.Messages(context.Background(), c.Email); len(msgs) != 0 {
		t.Fatalf("%d e-mails while SMTP is down", len(msgs))
	}

	env.smtp.SetOpen(true)
	password := initialPassword(t, c, 1)
	activate(t, c, password)
	var credentials int
	if err := env.store.DB().Get(&credentials, `SELECT COUNT(*) FROM initial_credentials WHERE enrollment_id = ?`, id); err != nil || credentials != 1 {
		t.Fatalf("%d credentials issued (%v), want 1", credentials, err)
	}
	t.Logf("e-mail delivered after %d failed attempts", attempts)
}

// TestEnrollmentLapses: credentials that expire and are not re-issued within the window
// (2 s here; 30 days in service) end the enrollment as lapsed, the citizen still pending.
// Its history feeds the replay test (OCC_RECORD_HISTORY).
func TestEnrollmentLapses(t *testing.T) {
	ctx := context.Background()
	c := newCitizen(t)
	agent, err := env.store.StaffByEmail(ctx, "agent@e2e.oc.local")
	if err != nil {
		t.Fatal(err)
	}
	id := ulid.Make().String()
	if _, err := env.store.Enroll(ctx, store.NewEnrollment{ID: id, CIN: c.CIN, FirstName: c.FirstName, LastName: c.LastName,
		Email: c.Email, BirthDate: time.Date(1988, 3, 14, 0, 0, 0, 0, time.UTC), Language: "fr", AgentStaffID: agent.ID,
		ExchangePointCode: "EP-0001", Now: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	run, err := env.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.EnrollmentWorkflowID(id),
		TaskQueue: workflows.TaskQueue}, workflows.Enrollment, workflows.EnrollmentInput{EnrollmentID: id, ReissueWindow: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, credentialTTL+time.Minute)
	defer cancel()
	var res workflows.EnrollmentResult
	if err := run.Get(wctx, &res); err != nil || res.Status != domain.EnrollmentLapsed {
		t.Fatalf("workflow result %+v, %v; want lapsed", res, err)
	}
	r := call(t, "GET", "/api/v1/enrollments/"+id, staffToken(t, "agent@e2e.oc.local"), nil)
	if r.str("status") != "lapsed" {
		t.Fatalf("the agent's view: %s", r.Raw)
	}
	recordHistory(t, workflows.EnrollmentWorkflowID(id), "enrollment_lapsed.json")
}
