package e2e

import (
	"net/http"
	"regexp"
	"testing"
	"time"

	"occonnect/domain"
	"occonnect/internal/testenv"
	"occonnect/workflows"
)

// recoveryRun waits for the citizen's recovery run to end and returns how.
func recoveryRun(t *testing.T, citizenID int64) workflows.RecoveryResult {
	t.Helper()
	var res workflows.RecoveryResult
	must(t, env.temporal.GetWorkflow(t.Context(), workflows.RecoveryWorkflowID(citizenID), "").Get(t.Context(), &res))
	return res
}

var recoveryCodeRE = regexp.MustCompile(`\b\d{8}\b`)

// recoveryCode asks for a recovery code and reads it from the citizen's n-th e-mail (the
// newest: Mailpit lists the newest first).
func recoveryCode(t *testing.T, cin, email string, n int) string {
	t.Helper()
	r := call(t, http.MethodPost, "/api/v1/auth/recovery", "", map[string]string{"cin": cin, "email": email})
	expect(t, r, http.StatusAccepted, "")
	msgs, err := env.mailpit.WaitForMessages(t.Context(), email, n, 30*time.Second)
	must(t, err)
	code := recoveryCodeRE.FindString(msgs[0].Text)
	if !regexp.MustCompile(`récupération`).MatchString(msgs[0].Subject) || code == "" {
		t.Fatalf("no recovery code in %q", msgs[0].Subject)
	}
	remember(code)
	return code
}

// TestPasswordRecovery: a citizen locked out by wrong passwords asks for a code by CIN and
// e-mail, and sets a new password with it: every session revoked, the lockout cleared, a
// notice e-mailed; the code works once; wrong codes are refused and five burn it; a
// request whose CIN and e-mail do not match an active account answers the same 202 and
// sends nothing.
func TestPasswordRecovery(t *testing.T) {
	c, token := activeCitizen(t) // two e-mails: the credentials, the welcome
	for range domain.MaxConsecutiveFailures {
		call(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"cin": c.CIN, "password": "not the password at all"})
	}
	expect(t, call(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"cin": c.CIN, "password": c.Password}),
		http.StatusLocked, "account_locked")

	code := recoveryCode(t, c.CIN, c.Email, 3)
	confirm := func(code, pw string) response {
		return call(t, http.MethodPost, "/api/v1/auth/recovery/confirm", "", map[string]string{"cin": c.CIN, "code": code, "new_password": pw})
	}
	wrong := "00000000"
	if code == wrong {
		wrong = "00000001"
	}
	expect(t, confirm(wrong, "Une nouvelle phrase de passe bien longue"), http.StatusBadRequest, "invalid_code")
	r := confirm(code, "court")
	expect(t, r, http.StatusBadRequest, "validation_failed") // the policy; the code stays live
	newPassword := "Une nouvelle phrase de passe bien longue " + c.CIN[len(c.CIN)-2:]
	expect(t, confirm(code, newPassword), http.StatusNoContent, "")
	expect(t, confirm(code, newPassword+"!"), http.StatusBadRequest, "invalid_code") // once

	expect(t, call(t, http.MethodGet, "/api/v1/me", token, nil), http.StatusUnauthorized, "unauthorized") // sessions revoked
	r = call(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"cin": c.CIN, "password": newPassword})
	expect(t, r, http.StatusOK, "") // the lockout cleared
	expect(t, call(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"cin": c.CIN, "password": c.Password}),
		http.StatusUnauthorized, "invalid_credentials")
	msgs, err := env.mailpit.WaitForMessages(t.Context(), c.Email, 4, 30*time.Second)
	must(t, err)
	citizenID := int64(testenv.Count(t, env.store.DB(), `SELECT id FROM citizens WHERE cin = ?`, c.CIN))
	if res := recoveryRun(t, citizenID); !res.Used || res.Issued != 1 {
		t.Fatalf("the recovery run ended %+v, want one code, used", res)
	}
	recordHistory(t, workflows.RecoveryWorkflowID(citizenID), "recovery_used.json")
	if got := msgs[0].Subject; !regexp.MustCompile(`mot de passe a été modifié|كلمة المرور`).MatchString(got) {
		t.Fatalf("the fourth e-mail is %q, want the notice of the change", got)
	}

	// Five wrong codes burn a fresh one.
	code = recoveryCode(t, c.CIN, c.Email, 5)
	for range 5 {
		expect(t, confirm(wrong, newPassword+" bis"), http.StatusBadRequest, "invalid_code")
	}
	expect(t, confirm(code, newPassword+" bis"), http.StatusBadRequest, "invalid_code")
	// A second request supersedes the code: the first stops working, the second sets the
	// password.
	first := recoveryCode(t, c.CIN, c.Email, 6)
	second := recoveryCode(t, c.CIN, c.Email, 7)
	if first != second {
		expect(t, confirm(first, newPassword+" ter"), http.StatusBadRequest, "invalid_code")
	}
	expect(t, confirm(second, newPassword+" ter"), http.StatusNoContent, "")
	_, err = env.mailpit.WaitForMessages(t.Context(), c.Email, 8, 30*time.Second)
	must(t, err)
	if res := recoveryRun(t, citizenID); !res.Used || res.Issued != 3 {
		t.Fatalf("the second recovery run ended %+v, want three codes (one burnt, one superseded), used", res)
	}
	recordHistory(t, workflows.RecoveryWorkflowID(citizenID), "recovery_reissued_used.json")

	// No match, same answer, nothing sent: a wrong e-mail, an unknown CIN, a pending account.
	other := newCitizen(t)
	enrol(t, staffToken(t, "agent@e2e.oc.local"), other)
	for _, req := range []map[string]string{{"cin": c.CIN, "email": "someone.else@example.ma"},
		{"cin": "ZZ999999", "email": c.Email}, {"cin": other.CIN, "email": other.Email}} {
		r := call(t, http.MethodPost, "/api/v1/auth/recovery", "", req)
		expect(t, r, http.StatusAccepted, "")
		if string(r.Raw) != "{}\n" && string(r.Raw) != "{}" {
			t.Fatalf("answer %q, want {}", r.Raw)
		}
	}
	time.Sleep(time.Second) // what would be sent in the background
	if n := testenv.Count(t, env.store.DB(), `SELECT COUNT(*) FROM citizen_recovery_codes r JOIN citizens c ON c.id = r.citizen_id
		WHERE c.cin IN (?, ?)`, other.CIN, "ZZ999999"); n != 0 {
		t.Fatalf("%d codes made without a match", n)
	}
	if msgs, _ := env.mailpit.WaitForMessages(t.Context(), c.Email, 9, 2*time.Second); len(msgs) > 8 {
		t.Fatalf("%d e-mails to the citizen, want 8", len(msgs))
	}
	// Bad requests are refused on their fields.
	expect(t, call(t, http.MethodPost, "/api/v1/auth/recovery", "", map[string]string{"cin": "x", "email": "nope"}),
		http.StatusBadRequest, "validation_failed")
	expect(t, call(t, http.MethodPost, "/api/v1/auth/recovery/confirm", "", map[string]string{}), http.StatusBadRequest, "validation_failed")
}
