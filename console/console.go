// Package console is the officer console: server-rendered pages at /console for officers,
// supervisors and the head of unit. It is the second thin adapter over the use cases of
// package service, beside the JSON API: the same sessions, sign-in and task use cases, so
// both check and refuse alike. No script: every action is a form (POST, then a redirect),
// protected by a CSRF token. Its words are the console's catalog (internal/i18n), in French
// and Arabic.
package console

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"occonnect/domain"
	"occonnect/internal/i18n"
	"occonnect/internal/ratelimit"
	"occonnect/internal/scrub"
	"occonnect/internal/web"
	"occonnect/service"
	"occonnect/store"
)

//go:embed templates static
var files embed.FS

// Cookies of the console, all HttpOnly, SameSite=Strict, path /console, and Secure outside
// local development (see secure).
const (
	sessionCookie = "occ_console"       // the session token (the same sessions as bearer tokens)
	loginCookie   = "occ_console_login" // a random value the login form's CSRF token is bound to
	langCookie    = "occ_console_lang"  // fr or ar
)

// csp: styles and images from the console itself (and data: images: the QR code of a
// second factor's enrolment, rendered on the server and inlined so that the secret it
// holds never travels in a URL), no script, forms posted only to it.
const csp = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

// roles may use the console: those who work tasks.
var roles = domain.TaskRoles

// access admits the console's roles with a full session.
var access = service.StaffWith(roles...)

var (
	templates = parseTemplates()
	css, _    = files.ReadFile("static/console.css")
	cssHash   = func() string { h := sha256.Sum256(css); return hex.EncodeToString(h[:6]) }()
)

// parseTemplates parses each page with the layout.
func parseTemplates() map[string]*template.Template {
	pages, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, p := range pages {
		name := strings.TrimSuffix(strings.TrimPrefix(p, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		out[name] = template.Must(template.New(name).ParseFS(files, "templates/layout.html", p))
	}
	return out
}

// Deps are the collaborators of the console.
type Deps struct {
	Auth  *service.Auth
	Tasks *service.Tasks
	// IPLimiter bounds the sign-in attempts per client address: the API's, so that both
	// count against one budget (nil: no limit).
	IPLimiter      ratelimit.Limiter
	TrustedProxies []netip.Prefix
	Logger         *slog.Logger
	// Now is the clock of the SLA states and the rate limit (time.Now when nil).
	Now func() time.Time
}

// Console is the console's pages.
type Console struct {
	auth           *service.Auth
	tasks          *service.Tasks
	ipLimiter      ratelimit.Limiter
	trustedProxies []netip.Prefix
	log            *slog.Logger
	now            func() time.Time
}

// New builds the console.
func New(d Deps) *Console {
	c := &Console{auth: d.Auth, tasks: d.Tasks, ipLimiter: d.IPLimiter, trustedProxies: d.TrustedProxies, log: d.Logger, now: d.Now}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c
}

// Register adds the console's routes, under /console, to r.
func (c *Console) Register(r *mux.Router) {
	s := r.PathPrefix("/console").Subrouter()
	s.Handle("", http.RedirectHandler("/console/tasks", http.StatusSeeOther)).Methods(http.MethodGet)
	s.Handle("/", http.RedirectHandler("/console/tasks", http.StatusSeeOther)).Methods(http.MethodGet)
	s.HandleFunc("/static/console.css", serveCSS).Methods(http.MethodGet)
	s.Handle("/lang", c.page(false, c.switchLang)).Methods(http.MethodGet)
	s.Handle("/login", c.page(false, c.loginForm)).Methods(http.MethodGet)
	s.Handle("/login", c.page(false, c.login)).Methods(http.MethodPost)
	// The code page is the answer of a POST; reloaded or reached by the language switch, it
	// starts over at the password (a signed-in staff member goes on from there).
	s.Handle("/login/mfa", http.RedirectHandler("/console/login", http.StatusSeeOther)).Methods(http.MethodGet)
	s.Handle("/login/mfa", c.page(false, c.loginMFA)).Methods(http.MethodPost)
	s.Handle("/logout", c.page(true, c.logout)).Methods(http.MethodPost)
	s.Handle("/tasks", c.page(true, c.taskList)).Methods(http.MethodGet)
	s.Handle("/tasks/{id}", c.page(true, c.task)).Methods(http.MethodGet)
	s.Handle("/tasks/{id}/{action:claim|release|complete|reassign}", c.page(true, c.taskAction)).Methods(http.MethodPost)
	s.PathPrefix("/").Handler(c.page(false, func(w http.ResponseWriter, r *http.Request, v *view) error {
		return pageError(http.StatusNotFound, "not_found")
	}))
}

func serveCSS(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/css; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=86400") // the link carries the content's hash
	_, _ = w.Write(css)
}

// consoleError is a refusal of the console itself (not of a use case): a form that does
// not parse, a CSRF check that fails, a role the console does not serve, a page that does
// not exist.
type consoleError struct {
	status int
	code   string
}

func (e *consoleError) Error() string { return e.code }

func pageError(status int, code string) error { return &consoleError{status: status, code: code} }

// view is what every page template gets: the language, the signed-in staff member, the
// CSRF token, and the page's own data, alert and field errors.
type view struct {
	Lang, Dir string
	Path      string // the current path and query, for the language switch
	CSSHref   string
	Staff     *store.Staff // nil on the login page
	CSRF      string
	Alert     string            // an error not tied to a field
	Notice    string            // the result of the last action
	Errors    map[string]string // field → message
	Form      url.Values        // the submitted form, to show it again after an error
	Data      any

	principal *service.Principal
}

// T is the console text for key in the page's language.
func (v *view) T(key string) string { return i18n.Console.Text(v.Lang, key) }

// LangHref switches to the other language and comes back to this page.
func (v *view) LangHref() string {
	return "/console/lang?to=" + v.T("switch_to") + "&next=" + url.QueryEscape(v.Path)
}

// Err is the error message of a field ("" when it has none).
func (v *view) Err(field string) string { return v.Errors[field] }

// Value is the submitted value of a form field.
func (v *view) Value(field string) string { return v.Form.Get(field) }

// Date shows a time (time.Time or *time.Time) in Africa/Casablanca.
func (v *view) Date(t any) string {
	var at time.Time
	switch t := t.(type) {
	case time.Time:
		at = t
	case *time.Time:
		if t != nil {
			at = *t
		}
	}
	if at.IsZero() {
		return "—"
	}
	return at.In(domain.Casablanca).Format("02/01/2006 15:04")
}

// MAD shows an amount (int64 or *int64) in dirhams with grouped thousands.
func (v *view) MAD(amount any) string {
	var n int64
	switch a := amount.(type) {
	case int64:
		n = a
	case *int64:
		if a == nil {
			return "—"
		}
		n = *a
	}
	digits := strconv.FormatInt(n, 10)
	sign := ""
	if n < 0 {
		sign, digits = "-", digits[1:]
	}
	var b strings.Builder
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteString("\u202f") // narrow no-break space
		}
		b.WriteRune(c)
	}
	return sign + b.String() + "\u00a0" + v.T("mad")
}

// handler is a console page or form; an error is shown as an error page (or, for the
// forms, by the handler itself).
type handler func(w http.ResponseWriter, r *http.Request, v *view) error

// page wraps a console handler: the console's headers, the language, the session (authed:
// a valid console session of a console role, else the login page), and the CSRF check of
// every POST.
func (c *Console) page(authed bool, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("Referrer-Policy", "same-origin") // so that form posts carry their Origin
		hd.Set("Vary", "Cookie")
		v := &view{Lang: lang(r), Path: currentPath(r), CSSHref: "/console/static/console.css?v=" + cssHash,
			Errors: map[string]string{}, Form: url.Values{}}
		v.Dir = map[bool]string{true: "rtl", false: "ltr"}[v.Lang == "ar"]
		if authed {
			p, err := c.session(r)
			if err != nil {
				if r.Method == http.MethodGet {
					http.Redirect(w, r, "/console/login?next="+url.QueryEscape(v.Path), http.StatusSeeOther)
					return
				}
				c.showError(w, r, v, err)
				return
			}
			v.principal, v.Staff = p, &p.Staff
			if err := access.Admit(p); err != nil {
				c.showError(w, r, v, pageError(http.StatusForbidden, "console_role"))
				return
			}
			token, _ := r.Cookie(sessionCookie)
			v.CSRF = csrfToken(token.Value, "session")
		}
		if r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil {
				c.showError(w, r, v, pageError(http.StatusBadRequest, "malformed_form"))
				return
			}
			v.Form = r.PostForm
			if !c.csrfValid(r, v) {
				c.log.InfoContext(r.Context(), "console CSRF check failed", "request_id", web.RequestID(r.Context()))
				c.showError(w, r, v, pageError(http.StatusForbidden, "csrf"))
				return
			}
		}
		if err := h(w, r, v); err != nil {
			c.showError(w, r, v, err)
		}
	})
}

// session reads the session cookie: a full session of a staff member (not a
// password-change one).
func (c *Console) session(r *http.Request) (*service.Principal, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, pageError(http.StatusUnauthorized, "unauthorized")
	}
	p, err := c.auth.Authenticate(r.Context(), ck.Value)
	if err != nil {
		return nil, err
	}
	if p.Kind != domain.SubjectStaff || p.Scope != domain.ScopeFull {
		return nil, pageError(http.StatusUnauthorized, "unauthorized")
	}
	return p, nil
}

// csrfToken binds a form to a secret the browser holds in an HttpOnly cookie (the session
// token, or the login cookie): another site can neither read it nor compute the token.
func csrfToken(secret, purpose string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("occonnect console csrf/" + purpose))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// csrfValid checks a POST: not sent from another site (Sec-Fetch-Site, when the browser
// sends it), and a csrf field that matches the session (or, on the login form, the login
// cookie).
func (c *Console) csrfValid(r *http.Request, v *view) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	want := v.CSRF
	if v.principal == nil {
		ck, err := r.Cookie(loginCookie)
		if err != nil || ck.Value == "" {
			return false
		}
		want = csrfToken(ck.Value, "login")
	}
	got := r.PostForm.Get("csrf")
	return want != "" && hmac.Equal([]byte(got), []byte(want))
}

// secure: cookies are Secure except in local development, that is plain HTTP to a
// loopback address (as the browser sees it: the Origin of a form post, else the Host).
// Behind a TLS-terminating proxy, the browser's Origin is https, or the proxy is trusted
// and says so.
func (c *Console) secure(r *http.Request) bool {
	if web.BehindTLS(r, c.trustedProxies) {
		return true
	}
	host := r.Host
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || u.Scheme != "http" {
			return true
		}
		host = u.Host
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

func (c *Console) setCookie(w http.ResponseWriter, r *http.Request, name, value string, expires time.Time) {
	ck := &http.Cookie{Name: name, Value: value, Path: "/console", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: c.secure(r)}
	switch {
	case value == "":
		ck.MaxAge = -1
	case !expires.IsZero():
		ck.Expires = expires
	}
	http.SetCookie(w, ck)
}

// lang: the language chosen with the switch, else the browser's (Arabic or French).
func lang(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == "fr" || c.Value == "ar") {
		return c.Value
	}
	if web.Lang(r) == "ar" {
		return "ar"
	}
	return "fr"
}

func currentPath(r *http.Request) string {
	p := r.URL.Path
	if r.URL.RawQuery != "" && r.Method == http.MethodGet {
		p += "?" + r.URL.RawQuery
	}
	return p
}

// next is a console path to go back to (else the task list): never another site.
func next(to string) string {
	u, err := url.Parse(to)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/console") ||
		strings.HasPrefix(to, "//") || strings.ContainsAny(to, "\\\r\n") {
		return "/console/tasks"
	}
	return to
}

// switchLang: GET /console/lang?to=ar&next=… remembers the language (a year).
func (c *Console) switchLang(w http.ResponseWriter, r *http.Request, v *view) error {
	to := r.URL.Query().Get("to")
	if to != "fr" && to != "ar" {
		return &service.Refusal{Reason: service.Invalid, Fields: []service.FieldError{{Field: "to", Code: "invalid"}}}
	}
	c.setCookie(w, r, langCookie, to, c.now().AddDate(1, 0, 0))
	http.Redirect(w, r, next(r.URL.Query().Get("next")), http.StatusSeeOther)
	return nil
}

// render writes a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, page string, v *view) {
	var buf bytes.Buffer
	if err := templates[page].ExecuteTemplate(&buf, "layout", v); err != nil {
		c.log.ErrorContext(r.Context(), "console template", "request_id", web.RequestID(r.Context()), "page", page, "error", scrub.Message(err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", v.Lang)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// message turns an error into the page's alert and field errors and returns the HTTP
// status. Unexpected errors are logged (scrubbed) and shown as such.
func (c *Console) message(r *http.Request, v *view, err error) int {
	var status int
	var code string
	var retryAfter time.Duration
	var fields []service.FieldError
	var ce *consoleError
	switch refusal := service.Explain(err); {
	case errors.As(err, &ce):
		status, code = ce.status, ce.code
	case refusal != nil:
		status, code, retryAfter, fields = web.Status(refusal.Reason), refusal.Reason.Code(), refusal.RetryAfter, refusal.Fields
		if refusal.Detail != "" && i18n.Console.Has("error."+refusal.Detail) {
			code = refusal.Detail // the console's words for a more specific refusal (mfa_challenge_expired)
		}
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		status, code = http.StatusServiceUnavailable, "unavailable"
	default:
		c.log.ErrorContext(r.Context(), "console request failed", "request_id", web.RequestID(r.Context()), "error", scrub.Message(err))
		status, code = http.StatusInternalServerError, "internal"
	}
	for _, f := range fields {
		v.Errors[f.Field] = i18n.API.Text(v.Lang, "field."+f.Code)
	}
	if len(fields) == 0 || code != "validation_failed" {
		v.Alert = problemText(v.Lang, code, retryAfter)
	}
	return status
}

// problemText is an error as the console says it: its own words for the login answers
// (with the delay to wait), else the API's title and detail.
func problemText(lang, code string, retryAfter time.Duration) string {
	if !i18n.Console.Has("error." + code) {
		return i18n.API.Text(lang, "title."+code) + " — " + i18n.API.Text(lang, "detail."+code)
	}
	t := i18n.Console.Text(lang, "error."+code)
	if code == "account_locked" || code == "rate_limited" {
		wait := retryAfter.Round(time.Second)
		d := i18n.Console.Plural(lang, "seconds", max(int(wait/time.Second), 1))
		if wait >= 2*time.Minute {
			d = i18n.Console.Plural(lang, "minutes", int((wait+time.Minute-1)/time.Minute))
		}
		return fmt.Sprintf(t, d)
	}
	return t
}

// showError shows an error page (the login page for an expired session).
func (c *Console) showError(w http.ResponseWriter, r *http.Request, v *view, err error) {
	status := c.message(r, v, err)
	if status == http.StatusUnauthorized {
		v.Alert = v.T("session_expired")
		c.renderLogin(w, r, v, status)
		return
	}
	v.Data = map[string]any{"Status": status}
	c.render(w, r, status, "error", v)
}

// renderLogin shows the login form, with a login cookie to bind its CSRF token to.
func (c *Console) renderLogin(w http.ResponseWriter, r *http.Request, v *view, status int) {
	c.signedOut(w, r, v)
	to := r.URL.Query().Get("next")
	if r.Method == http.MethodPost {
		to = r.PostForm.Get("next")
	}
	v.Data = map[string]string{"Next": next(to)}
	c.render(w, r, status, "login", v)
}

// signedOut readies v for a page of the sign-in (the login form, the code page): nobody
// signed in, and the CSRF token of the login cookie, which is set when the browser has
// none yet.
func (c *Console) signedOut(w http.ResponseWriter, r *http.Request, v *view) {
	secret := ""
	if ck, err := r.Cookie(loginCookie); err == nil && len(ck.Value) >= 32 {
		secret = ck.Value
	} else {
		var b [32]byte
		_, _ = rand.Read(b[:])
		secret = base64.RawURLEncoding.EncodeToString(b[:])
		c.setCookie(w, r, loginCookie, secret, time.Time{})
	}
	v.Staff, v.principal = nil, nil
	v.CSRF = csrfToken(secret, "login")
}

// loginForm: GET /console/login (a signed-in staff member goes on to the tasks).
func (c *Console) loginForm(w http.ResponseWriter, r *http.Request, v *view) error {
	if p, err := c.session(r); err == nil && slices.Contains(roles, p.Role()) {
		http.Redirect(w, r, next(r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	c.renderLogin(w, r, v, http.StatusOK)
	return nil
}

// login: POST /console/login {email, password}: the staff sign-in of POST
// /api/v1/staff/login (rate limits, lockout), then a session cookie, or the code page
// when the account has a second factor (or must enrol one now).
func (c *Console) login(w http.ResponseWriter, r *http.Request, v *view) error {
	err := c.signIn(w, r)
	if refusal := service.Explain(err); refusal != nil && refusal.Reason == service.MFARequired && refusal.Challenge != nil {
		c.renderMFA(w, r, v, http.StatusOK, codePage{Challenge: refusal.Challenge.Challenge,
			Enrolment: refusal.Challenge.Enrolment, Enrolling: refusal.Challenge.Enrolment != nil})
		return nil
	}
	if err != nil {
		status := c.message(r, v, err)
		v.Form.Del("password")
		c.renderLogin(w, r, v, status)
	}
	return nil
}

func (c *Console) signIn(w http.ResponseWriter, r *http.Request) error {
	if err := c.takeAttempt(r); err != nil {
		return err
	}
	tok, st, err := c.auth.StaffSignIn(r.Context(), r.PostForm.Get("email"), r.PostForm.Get("password"))
	if err != nil {
		return err
	}
	if err := c.startSession(w, r, tok, st); err != nil {
		return err
	}
	http.Redirect(w, r, next(r.PostForm.Get("next")), http.StatusSeeOther)
	return nil
}

// takeAttempt spends a sign-in attempt (a password or a code) of the client's address,
// from the budget the API spends from too: RateLimited when none is left.
func (c *Console) takeAttempt(r *http.Request) error {
	wait, err := ratelimit.Take(r.Context(), c.ipLimiter, web.IPKey(web.ClientIP(r, c.trustedProxies)), c.now())
	if err != nil {
		return err
	}
	if wait > 0 {
		return &service.Refusal{Reason: service.RateLimited, RetryAfter: (wait + time.Second - 1).Truncate(time.Second)}
	}
	return nil
}

// startSession gives the browser a new session of st, ending the login cookie. The
// account may be fine while the console is not for its role: then the new session is
// ended at once and the sign-in refused.
func (c *Console) startSession(w http.ResponseWriter, r *http.Request, tok *service.Token, st store.Staff) error {
	if !slices.Contains(roles, st.Role) {
		if err := c.auth.EndSession(r.Context(), tok); err != nil {
			return err
		}
		return pageError(http.StatusForbidden, "console_role")
	}
	c.setCookie(w, r, sessionCookie, tok.Token, tok.ExpiresAt)
	c.setCookie(w, r, loginCookie, "", time.Time{})
	return nil
}

// logout: POST /console/logout ends the session.
func (c *Console) logout(w http.ResponseWriter, r *http.Request, v *view) error {
	if err := c.auth.Logout(r.Context(), v.principal); err != nil {
		return err
	}
	c.setCookie(w, r, sessionCookie, "", time.Time{})
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
	return nil
}
