package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"occonnect/domain"
	"occonnect/internal/totp"
)

// TestConsoleMFA: with the second factor required of the console's roles, a new
// officer's first sign-in to the console in headless Chromium shows the QR code (drawn:
// the CSP lets the data: image through) and the secret; the code of the app signs in and
// shows the ten recovery codes once, then the task list. Signed out and in again, the
// page asks for a code without the QR code; a wrong code is said so on that page; a
// recovery code signs in.
func TestConsoleMFA(t *testing.T) {
	api := secondAPI{mfaRoles: []domain.Role{domain.RoleOfficer, domain.RoleSupervisor, domain.RoleHeadOfUnit, domain.RoleAdmin}}.start(t)
	email, _ := mfaStaff(t, domain.RoleOfficer)
	ctx := newBrowser(t, "fr-FR")

	// The first sign-in: the enrolment.
	consolePassword(t, ctx, api.BaseURL, email)
	step(t, ctx, "the enrolment page", chromedp.WaitVisible(chromedp.ID("qr")), chromedp.WaitVisible(chromedp.ID("secret")))
	if h := read(t, ctx, "the heading", chromedp.Text(chromedp.CSS("main h1"))); h != "Activer la vérification en deux étapes" {
		t.Fatalf("heading %q", h)
	}
	if text := read(t, ctx, "the instructions", chromedp.Text(chromedp.CSS("ol.steps"))); !strings.Contains(text,
		"FreeOTP, Google Authenticator ou Microsoft Authenticator") {
		t.Fatalf("instructions %q", text)
	}
	if src := read(t, ctx, "the QR code's source", chromedp.AttributeValue(chromedp.ID("qr"), "src")); !strings.HasPrefix(src.Value, "data:image/png;base64,") {
		t.Fatalf("QR code src %.60q", src.Value)
	}
	read(t, ctx, "the QR code loaded", chromedp.Poll[bool](`document.getElementById("qr").complete`))
	if w := read(t, ctx, "the QR code's width", chromedp.Evaluate[int64](`document.getElementById("qr").naturalWidth`)); w != 240 {
		t.Fatalf("the QR code is not drawn (natural width %d): blocked by the CSP?", w)
	}
	grouped := read(t, ctx, "the secret", chromedp.Text(chromedp.ID("secret")))
	secret := strings.ReplaceAll(grouped, " ", "")
	challenge := read(t, ctx, "the challenge", chromedp.AttributeValue(chromedp.CSS(`input[name="challenge"]`), "value")).Value
	remember(secret, challenge) // never in a log line (checkLogs)
	if !totp.ValidSecret(secret) || !strings.Contains(grouped, " ") {
		t.Fatalf("secret %q", grouped)
	}
	if loc := read(t, ctx, "the page's address", chromedp.Location()); strings.Contains(loc, secret) || strings.Contains(loc, challenge) {
		t.Fatalf("the address %q holds the secret or the challenge", loc)
	}
	screenshot(t, ctx, "console-mfa-enrol-fr")

	submit(t, ctx, "enter the app's code",
		chromedp.SendKeys(chromedp.ID("code"), codeAt(t, secret, time.Now())),
		chromedp.Click(chromedp.ID("verify")))
	if h := read(t, ctx, "the heading", chromedp.Text(chromedp.CSS("main h1"))); h != "Vos codes de secours" {
		t.Fatalf("heading after the first code %q", h)
	}
	codes := read(t, ctx, "the recovery codes", chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("#recovery-codes li")].map(li => li.textContent.trim())`))
	remember(codes...)
	distinct := map[string]bool{}
	for _, c := range codes {
		if !totp.IsRecoveryCode(c) {
			t.Fatalf("recovery code %q", c)
		}
		distinct[c] = true
	}
	if len(codes) != 10 || len(distinct) != 10 {
		t.Fatalf("recovery codes %q", codes)
	}
	if text := read(t, ctx, "the advice", chromedp.Text(chromedp.CSS("main"))); !strings.Contains(text, "Conservez-les en lieu sûr") ||
		!strings.Contains(text, "chaque code remplace une seule fois le code de l'application") {
		t.Fatalf("the page lacks the advice: %q", text)
	}
	screenshot(t, ctx, "console-mfa-recovery-fr")
	submit(t, ctx, "continue", chromedp.Click(chromedp.ID("continue")))
	step(t, ctx, "the task list", chromedp.WaitVisible(chromedp.CSS("table.tasks")))
	if who := read(t, ctx, "who is signed in", chromedp.Text(chromedp.CSS(".who"))); !strings.Contains(who, email) {
		t.Fatalf("signed in as %q", who)
	}

	// Signed out and in again: a code is asked, the QR code not shown.
	submit(t, ctx, "sign out", chromedp.Click(chromedp.ID("logout")))
	consolePassword(t, ctx, api.BaseURL, email)
	step(t, ctx, "the code page", chromedp.WaitVisible(chromedp.ID("code")))
	if h := read(t, ctx, "the heading", chromedp.Text(chromedp.CSS("main h1"))); h != "Code de vérification" {
		t.Fatalf("heading %q", h)
	}
	if n := read(t, ctx, "the QR code and secret", chromedp.Evaluate[int64](`document.querySelectorAll("#qr, #secret").length`)); n != 0 {
		t.Fatalf("an enrolled officer is shown the secret again (%d elements)", n)
	}
	submitExpecting(t, ctx, http.StatusUnauthorized, "a wrong code",
		chromedp.SendKeys(chromedp.ID("code"), wrongCode(t, secret)),
		chromedp.Click(chromedp.ID("verify")))
	if alert := read(t, ctx, "the error", chromedp.Text(chromedp.ID("alert"))); !strings.HasPrefix(alert, "Ce code est incorrect, déjà utilisé ou expiré.") {
		t.Fatalf("alert %q", alert)
	}
	screenshot(t, ctx, "console-mfa-wrong-code-fr")
	submit(t, ctx, "a recovery code",
		chromedp.SendKeys(chromedp.ID("code"), codes[3]),
		chromedp.Click(chromedp.ID("verify")))
	step(t, ctx, "the task list", chromedp.WaitVisible(chromedp.CSS("table.tasks")))
	if who := read(t, ctx, "who is signed in", chromedp.Text(chromedp.CSS(".who"))); !strings.Contains(who, email) {
		t.Fatalf("signed in as %q", who)
	}
}

// consolePassword opens the console's login form at base and posts the password of a
// staff member (the agents' password, as mfaStaff seeds it).
func consolePassword(t *testing.T, ctx context.Context, base, email string) {
	t.Helper()
	step(t, ctx, "open the login page", chromedp.Navigate(base+"/console/login"), chromedp.WaitVisible(chromedp.ID("email")))
	submit(t, ctx, "sign in as "+email,
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), agentPassword),
		chromedp.Click(chromedp.ID("login")))
}
