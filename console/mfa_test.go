package console_test

import (
	"bytes"
	"encoding/base64"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"occonnect/console"
	"occonnect/domain"
	"occonnect/internal/apitest"
	"occonnect/internal/ratelimit"
	"occonnect/internal/server"
	"occonnect/internal/totp"
	"occonnect/service"
)

// newMFAConsoleEnv is newConsoleEnv whose use cases require a second factor of every
// staff role that may sign in to the console, and of admins (apitest's leave it
// optional), with addressLimit on the sign-in attempts per address (zero: none).
func newMFAConsoleEnv(t *testing.T, addressLimit ratelimit.Rate) *consoleEnv {
	t.Helper()
	e := newConsoleEnv(t)
	svc := service.New(service.Deps{Store: e.Store, Temporal: e.Temporal, Hasher: e.Hasher, Now: e.Clock.Now,
		Logger: slog.New(slog.DiscardHandler), AddressLimit: addressLimit,
		StaffMFA: service.MFAPolicy{Required: []domain.Role{domain.RoleOfficer, domain.RoleSupervisor, domain.RoleHeadOfUnit, domain.RoleAdmin}}})
	t.Cleanup(svc.Wait)
	e.Handler = server.Handler(server.Options{Services: svc, Logger: slog.New(slog.DiscardHandler), Now: e.Clock.Now})
	return e
}

var (
	challengeField = regexp.MustCompile(`name="challenge" value="([^"]*)"`)
	qrImage        = regexp.MustCompile(`<img id="qr" class="qr" src="data:image/png;base64,([^"]+)"`)
	secretText     = regexp.MustCompile(`<code id="secret" class="secret" dir="ltr">([A-Z2-7 ]+)</code>`)
	recoveryCode   = regexp.MustCompile(`<li><code>([^<]+)</code></li>`)
)

// match is the first group of re on the page; the test fails without one.
func (p consoleResp) match(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	m := re.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("page (%d) lacks %s:\n%s", p.Status, re, p.Body)
	}
	return html.UnescapeString(m[1])
}

// password posts the login form of who (the form read first, for its CSRF token).
func (b *browser) password(t *testing.T, who, next string) consoleResp {
	t.Helper()
	p := b.do("GET", "/console/login", nil)
	expectStatus(t, p, http.StatusOK)
	return b.do("POST", "/console/login", url.Values{"csrf": {p.csrf(t)}, "email": {who + "@console.test"},
		"password": {apitest.Password}, "next": {next}})
}

var hiddenField = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// code posts the code page p's form, as a browser does: its hidden fields and code.
func (b *browser) code(t *testing.T, p consoleResp, code string) consoleResp {
	t.Helper()
	_, f, ok := strings.Cut(p.Body, `<form method="post" action="/console/login/mfa"`)
	if !ok {
		t.Fatalf("no code form on the page (%d):\n%s", p.Status, p.Body)
	}
	form := url.Values{"code": {code}}
	for _, m := range hiddenField.FindAllStringSubmatch(f, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	return b.do("POST", "/console/login/mfa", form)
}

// TestConsoleMFAEnrolment: with the second factor required, an officer's first sign-in
// shows the code page with the QR code (a data: image the CSP allows) and the secret in
// groups of four; the CSRF check guards the code's form; a wrong code shows the page
// again; the first right code signs in and shows the ten recovery codes once, with the
// way on; the challenge then serves no more. A role the console does not serve is
// refused after its code, without a session.
func TestConsoleMFAEnrolment(t *testing.T) {
	t.Parallel()
	e := newMFAConsoleEnv(t, ratelimit.Rate{})
	b := e.browser()

	p := b.password(t, "officer", "/console/tasks?kind=dts")
	expectStatus(t, p, http.StatusOK)
	p.has(t, "<h1>Activer la vérification en deux étapes</h1>", "FreeOTP, Google Authenticator ou Microsoft Authenticator",
		`action="/console/login/mfa"`, `name="next" value="/console/tasks?kind=dts"`, `name="enrolling" value="1"`)
	if csp := p.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data:;") || strings.Contains(csp, "script") {
		t.Fatalf("CSP %q", csp)
	}
	png, err := base64.StdEncoding.DecodeString(p.match(t, qrImage))
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("the QR code is not a PNG (%v): % x", err, png[:min(len(png), 8)])
	}
	grouped := p.match(t, secretText)
	secret := strings.ReplaceAll(grouped, " ", "")
	if !totp.ValidSecret(secret) || !regexp.MustCompile(`^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$`).MatchString(grouped) {
		t.Fatalf("secret %q", grouped)
	}
	challenge := p.match(t, challengeField)
	for name, values := range p.Header {
		if v := strings.Join(values, " "); strings.Contains(v, secret) || strings.Contains(v, challenge) {
			t.Fatalf("header %s carries the secret or the challenge: %q", name, v)
		}
	}
	if b.cookies[console.SessionCookie] != nil || b.cookies[console.LoginCookie] == nil {
		t.Fatal("a session before the code, or the login cookie gone")
	}

	// The code's form is CSRF-bound as the login form is.
	form := url.Values{"challenge": {challenge}, "code": {"000000"}}
	expectStatus(t, b.do("POST", "/console/login/mfa", form), http.StatusForbidden)
	form.Set("csrf", p.csrf(t))
	expectStatus(t, b.do("POST", "/console/login/mfa", form, "Sec-Fetch-Site", "cross-site"), http.StatusForbidden)
	other := e.browser()
	other.do("GET", "/console/login", nil)
	expectStatus(t, other.do("POST", "/console/login/mfa", form), http.StatusForbidden)

	// No code, then a wrong one: the page again, the error said, the challenge kept.
	empty := b.code(t, p, "")
	expectStatus(t, empty, http.StatusBadRequest)
	empty.has(t, `<p class="field-error" id="code-error">Ce champ est obligatoire.</p>`)
	wrong := b.code(t, p, wrongCode(t, secret, e.Clock.Now()))
	expectStatus(t, wrong, http.StatusUnauthorized)
	wrong.has(t, "Ce code est incorrect, déjà utilisé ou expiré.", "<h1>Activer la vérification en deux étapes</h1>",
		`id="enrol-lost"`, `name="challenge" value="`+challenge+`"`)
	wrong.hasNot(t, `id="qr"`, secret)

	// The first right code: signed in, and the recovery codes shown once.
	first, err := totp.Code(secret, e.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	p = b.code(t, wrong, first)
	expectStatus(t, p, http.StatusOK)
	p.has(t, "<h1>Vos codes de secours</h1>", "La vérification en deux étapes est activée.", "Conservez-les en lieu sûr",
		"chaque code remplace une seule fois", `<a id="continue" class="button primary" href="/console/tasks?kind=dts">Continuer</a>`,
		"officer@console.test", `id="logout"`)
	codes := recoveryCode.FindAllStringSubmatch(p.Body, -1)
	distinct := map[string]bool{}
	for _, c := range codes {
		if !totp.IsRecoveryCode(c[1]) {
			t.Fatalf("recovery code %q", c[1])
		}
		distinct[c[1]] = true
	}
	if len(codes) != 10 || len(distinct) != 10 {
		t.Fatalf("recovery codes %q", codes)
	}
	if b.cookies[console.SessionCookie] == nil || b.cookies[console.LoginCookie] != nil {
		t.Fatal("no session cookie after the code, or the login cookie kept")
	}
	expectStatus(t, b.do("GET", "/console/tasks?kind=dts", nil), http.StatusOK)

	// The challenge served: posted again, the password is asked anew.
	again := e.browser()
	again.do("GET", "/console/login", nil)
	p = again.do("POST", "/console/login/mfa", url.Values{"csrf": {console.CSRFToken(again.cookies[console.LoginCookie].Value, "login")},
		"challenge": {challenge}, "code": {first}})
	expectStatus(t, p, http.StatusUnauthorized)
	p.has(t, "La vérification a expiré ou a reçu trop de codes erronés", `id="password"`)

	// An admin enrols too, then is refused: the console is not for that role.
	a := e.browser()
	p = a.password(t, "admin", "")
	adminSecret := strings.ReplaceAll(p.match(t, secretText), " ", "")
	code, err := totp.Code(adminSecret, e.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	p = a.code(t, p, code)
	expectStatus(t, p, http.StatusForbidden)
	p.has(t, "La console est réservée", `id="password"`)
	if a.cookies[console.SessionCookie] != nil {
		t.Fatal("the admin got a console session")
	}
}

// wrongCode is a six-digit code that is none of secret's around now.
func wrongCode(t *testing.T, secret string, now time.Time) string {
	t.Helper()
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		if _, ok := totp.Match(secret, c, now, 0); !ok {
			return c
		}
	}
	t.Fatal("every candidate is a code of the secret")
	return ""
}

// TestConsoleMFASignIn: once enrolled, a sign-in asks for a code without showing the
// secret again; a code is good once; a recovery code signs in once; a challenge left too
// long sends back to the password.
func TestConsoleMFASignIn(t *testing.T) {
	t.Parallel()
	e := newMFAConsoleEnv(t, ratelimit.Rate{})
	b := e.browser()
	p := b.password(t, "supervisor", "")
	secret := strings.ReplaceAll(p.match(t, secretText), " ", "")
	first, err := totp.Code(secret, e.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	p = b.code(t, p, first)
	expectStatus(t, p, http.StatusOK)
	recovery := p.match(t, recoveryCode)

	// The next sign-in: the code page, without the secret; the used code is refused.
	b = e.browser()
	p = b.password(t, "supervisor", "")
	expectStatus(t, p, http.StatusOK)
	p.has(t, "<h1>Code de vérification</h1>", "ou un code de secours (xxxxx-xxxxx)")
	p.hasNot(t, `id="qr"`, `id="secret"`, secret, `name="enrolling"`)
	p = b.code(t, p, first)
	expectStatus(t, p, http.StatusUnauthorized)
	p.has(t, "Ce code est incorrect", "<h1>Code de vérification</h1>")
	e.Clock.Advance(totp.Period)
	next, err := totp.Code(secret, e.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	p = b.code(t, p, next)
	expectStatus(t, p, http.StatusSeeOther)
	if loc := p.Header.Get("Location"); loc != "/console/tasks" {
		t.Fatalf("after the code: %q", loc)
	}
	expectStatus(t, b.do("GET", "/console/tasks", nil), http.StatusOK)

	// A recovery code, typed in capitals, once.
	for i, want := range []int{http.StatusSeeOther, http.StatusUnauthorized} {
		b = e.browser()
		p = b.code(t, b.password(t, "supervisor", ""), strings.ToUpper(recovery))
		expectStatus(t, p, want)
		if (b.cookies[console.SessionCookie] != nil) != (i == 0) {
			t.Fatalf("use %d of the recovery code: session cookie %v", i+1, b.cookies[console.SessionCookie])
		}
	}

	// Too long on the code page: the password again.
	b = e.browser()
	p = b.password(t, "supervisor", "")
	e.Clock.Advance(service.MFAChallengeTTL + time.Second)
	code, err := totp.Code(secret, e.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	p = b.code(t, p, code)
	expectStatus(t, p, http.StatusUnauthorized)
	p.has(t, "La vérification a expiré", `id="password"`, `action="/console/login"`)
}

// TestConsoleMFARateLimit: the code's form spends from the sign-in budget of the address,
// as the login form does, and says how long to wait on the code page.
func TestConsoleMFARateLimit(t *testing.T) {
	t.Parallel()
	e := newMFAConsoleEnv(t, ratelimit.Rate{Requests: 2, Per: time.Minute})
	b := e.browser()
	p := b.password(t, "head", "")
	expectStatus(t, p, http.StatusOK)
	secret := strings.ReplaceAll(p.match(t, secretText), " ", "")
	p = b.code(t, p, wrongCode(t, secret, e.Clock.Now()))
	expectStatus(t, p, http.StatusUnauthorized)
	p = b.code(t, p, wrongCode(t, secret, e.Clock.Now()))
	expectStatus(t, p, http.StatusTooManyRequests)
	p.has(t, "Trop de tentatives en peu de temps : réessayez dans 30 s.", `action="/console/login/mfa"`)
}
