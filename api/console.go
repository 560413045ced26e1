package api

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
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"occonnect/domain"
	"occonnect/internal/passhash"
	"occonnect/internal/scrub"
	"occonnect/store"
)

// The officer console: server-rendered pages at /console for officers, supervisors and the
// head of unit, on the same sessions, login service and task service as the JSON API. No
// script: every action is a form (POST, then a redirect), protected by a CSRF token.

//go:embed console
var consoleFiles embed.FS

// Cookies of the console, all HttpOnly, SameSite=Strict, path /console, and Secure outside
// local development (see consoleSecure).
const (
	consoleSessionCookie = "occ_console"       // the session token (the same sessions as bearer tokens)
	consoleLoginCookie   = "occ_console_login" // a random value the login form's CSRF token is bound to
	consoleLangCookie    = "occ_console_lang"  // fr or ar
)

// consoleCSP: styles and images from the console itself, no script, forms posted only to it.
const consoleCSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

// consoleRoles may use the console.
var consoleRoles = []domain.Role{domain.RoleOfficer, domain.RoleSupervisor, domain.RoleHeadOfUnit}

var (
	consoleTemplates = parseConsoleTemplates()
	consoleCSS, _    = consoleFiles.ReadFile("console/static/console.css")
	consoleCSSHash   = func() string { h := sha256.Sum256(consoleCSS); return hex.EncodeToString(h[:6]) }()
)

// parseConsoleTemplates parses each page with the layout.
func parseConsoleTemplates() map[string]*template.Template {
	pages, err := fs.Glob(consoleFiles, "console/templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, p := range pages {
		name := strings.TrimSuffix(strings.TrimPrefix(p, "console/templates/"), ".html")
		if name == "layout" {
			continue
		}
		out[name] = template.Must(template.New(name).ParseFS(consoleFiles, "console/templates/layout.html", p))
	}
	return out
}

// mountConsole adds the console's routes to the router (not to Router(): the OpenAPI
// document describes the JSON API only).
func (s *Server) mountConsole(r *mux.Router) {
	c := r.PathPrefix("/console").Subrouter()
	c.Handle("", http.RedirectHandler("/console/tasks", http.StatusSeeOther)).Methods(http.MethodGet)
	c.Handle("/", http.RedirectHandler("/console/tasks", http.StatusSeeOther)).Methods(http.MethodGet)
	c.HandleFunc("/static/console.css", serveConsoleCSS).Methods(http.MethodGet)
	c.Handle("/lang", s.consolePage(false, s.consoleSwitchLang)).Methods(http.MethodGet)
	c.Handle("/login", s.consolePage(false, s.consoleLoginForm)).Methods(http.MethodGet)
	c.Handle("/login", s.consolePage(false, s.consoleLogin)).Methods(http.MethodPost)
	c.Handle("/logout", s.consolePage(true, s.consoleLogout)).Methods(http.MethodPost)
	c.Handle("/tasks", s.consolePage(true, s.consoleTasks)).Methods(http.MethodGet)
	c.Handle("/tasks/{id}", s.consolePage(true, s.consoleTask)).Methods(http.MethodGet)
	c.Handle("/tasks/{id}/{action:claim|release|complete|reassign}", s.consolePage(true, s.consoleTaskAction)).Methods(http.MethodPost)
	c.PathPrefix("/").Handler(s.consolePage(false, func(w http.ResponseWriter, r *http.Request, v *consoleView) error {
		return problem(http.StatusNotFound, "not_found")
	}))
}

func serveConsoleCSS(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/css; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=86400") // the link carries the content's hash
	_, _ = w.Write(consoleCSS)
}

// consoleView is what every page template gets: the language, the signed-in staff member,
// the CSRF token, and the page's own data, alert and field errors.
type consoleView struct {
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

	principal *principal
	r         *http.Request
}

// T is the console text for key in the page's language.
func (v *consoleView) T(key string) string { return consoleText(v.Lang, key) }

// LangHref switches to the other language and comes back to this page.
func (v *consoleView) LangHref() string {
	return "/console/lang?to=" + v.T("switch_to") + "&next=" + url.QueryEscape(v.Path)
}

// Err is the error message of a field ("" when it has none).
func (v *consoleView) Err(field string) string { return v.Errors[field] }

// Value is the submitted value of a form field.
func (v *consoleView) Value(field string) string { return v.Form.Get(field) }

// Date shows a time (time.Time or *time.Time) in Africa/Casablanca.
func (v *consoleView) Date(t any) string {
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
func (v *consoleView) MAD(amount any) string {
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

// consoleHandler is a console page or form; an error is shown as an error page (or, for
// the forms, by the handler itself).
type consoleHandler func(w http.ResponseWriter, r *http.Request, v *consoleView) error

// consolePage wraps a console handler: the console's headers, the language, the session
// (authed: a valid console session of a console role, else the login page), and the CSRF
// check of every POST.
func (s *Server) consolePage(authed bool, h consoleHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", consoleCSP)
		hd.Set("Referrer-Policy", "same-origin") // so that form posts carry their Origin
		hd.Set("Vary", "Cookie")
		v := &consoleView{Lang: consoleLang(r), r: r, Path: consolePath(r), CSSHref: "/console/static/console.css?v=" + consoleCSSHash,
			Errors: map[string]string{}, Form: url.Values{}}
		v.Dir = map[bool]string{true: "rtl", false: "ltr"}[v.Lang == "ar"]
		if authed {
			p, err := s.consoleSession(r)
			if err != nil {
				if r.Method == http.MethodGet {
					http.Redirect(w, r, "/console/login?next="+url.QueryEscape(v.Path), http.StatusSeeOther)
					return
				}
				s.consoleError(w, r, v, err)
				return
			}
			v.principal, v.Staff = p, &p.staff
			if !slices.Contains(consoleRoles, p.staff.Role) {
				s.consoleError(w, r, v, problem(http.StatusForbidden, "console_role"))
				return
			}
			token, _ := r.Cookie(consoleSessionCookie)
			v.CSRF = csrfToken(token.Value, "session")
			r = r.WithContext(context.WithValue(r.Context(), ctxPrincipal, p))
			v.r = r
		}
		if r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil {
				s.consoleError(w, r, v, problem(http.StatusBadRequest, "malformed_form"))
				return
			}
			v.Form = r.PostForm
			if !s.consoleCSRFValid(r, v) {
				s.log.InfoContext(r.Context(), "console CSRF check failed", "request_id", requestID(r.Context()))
				s.consoleError(w, r, v, problem(http.StatusForbidden, "csrf"))
				return
			}
		}
		if err := h(w, r, v); err != nil {
			s.consoleError(w, r, v, err)
		}
	})
}

// consoleSession reads the session cookie: a full session (not a password-change one).
func (s *Server) consoleSession(r *http.Request) (*principal, error) {
	c, err := r.Cookie(consoleSessionCookie)
	if err != nil {
		return nil, problem(http.StatusUnauthorized, "unauthorized")
	}
	p, err := s.sessionPrincipal(r.Context(), c.Value)
	if err != nil {
		return nil, err
	}
	if p.kind != domain.SubjectStaff || p.scope != domain.ScopeFull {
		return nil, problem(http.StatusUnauthorized, "unauthorized")
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

// consoleCSRFValid checks a POST: not sent from another site (Sec-Fetch-Site, when the
// browser sends it), and a csrf field that matches the session (or, on the login form, the
// login cookie).
func (s *Server) consoleCSRFValid(r *http.Request, v *consoleView) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	want := v.CSRF
	if v.principal == nil {
		c, err := r.Cookie(consoleLoginCookie)
		if err != nil || c.Value == "" {
			return false
		}
		want = csrfToken(c.Value, "login")
	}
	got := r.PostForm.Get("csrf")
	return want != "" && hmac.Equal([]byte(got), []byte(want))
}

// consoleSecure: cookies are Secure except in local development, that is plain HTTP to a
// loopback address (as the browser sees it: the Origin of a form post, else the Host).
// Behind a TLS-terminating proxy, the browser's Origin is https, or the proxy is trusted
// and says so.
func (s *Server) consoleSecure(r *http.Request) bool {
	if behindTLS(r, s.trustedProxies) {
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

func (s *Server) setConsoleCookie(w http.ResponseWriter, r *http.Request, name, value string, expires time.Time) {
	c := &http.Cookie{Name: name, Value: value, Path: "/console", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: s.consoleSecure(r)}
	switch {
	case value == "":
		c.MaxAge = -1
	case !expires.IsZero():
		c.Expires = expires
	}
	http.SetCookie(w, c)
}

// consoleLang: the language chosen with the switch, else the browser's (Arabic or French).
func consoleLang(r *http.Request) string {
	if c, err := r.Cookie(consoleLangCookie); err == nil && (c.Value == "fr" || c.Value == "ar") {
		return c.Value
	}
	if lang(r) == "ar" {
		return "ar"
	}
	return "fr"
}

func consolePath(r *http.Request) string {
	p := r.URL.Path
	if r.URL.RawQuery != "" && r.Method == http.MethodGet {
		p += "?" + r.URL.RawQuery
	}
	return p
}

// consoleNext is a console path to go back to (else the task list): never another site.
func consoleNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/console") ||
		strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/console/tasks"
	}
	return next
}

// consoleSwitchLang: GET /console/lang?to=ar&next=… remembers the language (a year).
func (s *Server) consoleSwitchLang(w http.ResponseWriter, r *http.Request, v *consoleView) error {
	to := r.URL.Query().Get("to")
	if to != "fr" && to != "ar" {
		return problem(http.StatusBadRequest, "validation_failed", fieldErr("to", "invalid"))
	}
	s.setConsoleCookie(w, r, consoleLangCookie, to, s.clock().AddDate(1, 0, 0))
	http.Redirect(w, r, consoleNext(r.URL.Query().Get("next")), http.StatusSeeOther)
	return nil
}

// render writes a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, v *consoleView) {
	var buf bytes.Buffer
	if err := consoleTemplates[page].ExecuteTemplate(&buf, "layout", v); err != nil {
		s.log.ErrorContext(r.Context(), "console template", "request_id", requestID(r.Context()), "page", page, "error", scrub.Message(err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", v.Lang)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// consoleMessage turns an error into the page's alert and field errors and returns the
// HTTP status. Unexpected errors are logged (scrubbed) and shown as such.
func (s *Server) consoleMessage(r *http.Request, v *consoleView, err error) int {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
	case errors.Is(err, store.ErrNotFound):
		ae = problem(http.StatusNotFound, "not_found")
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		ae = problem(http.StatusServiceUnavailable, "unavailable")
	case isUnavailable(err):
		ae = problem(http.StatusServiceUnavailable, "unavailable")
	default:
		s.log.ErrorContext(r.Context(), "console request failed", "request_id", requestID(r.Context()), "error", scrub.Message(err))
		ae = problem(http.StatusInternalServerError, "internal")
	}
	for _, f := range ae.fields {
		v.Errors[f.Field] = message(v.Lang, "field."+f.Code)
	}
	if len(ae.fields) == 0 || ae.code != "validation_failed" {
		v.Alert = consoleProblemText(v.Lang, ae)
	}
	return ae.status
}

// consoleError shows an error page (the login page for an expired session).
func (s *Server) consoleError(w http.ResponseWriter, r *http.Request, v *consoleView, err error) {
	status := s.consoleMessage(r, v, err)
	if status == http.StatusUnauthorized {
		v.Alert = v.T("session_expired")
		s.renderLogin(w, r, v, status)
		return
	}
	v.Data = map[string]any{"Status": status}
	s.render(w, r, status, "error", v)
}

// renderLogin shows the login form, with a login cookie to bind its CSRF token to.
func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, v *consoleView, status int) {
	secret := ""
	if c, err := r.Cookie(consoleLoginCookie); err == nil && len(c.Value) >= 32 {
		secret = c.Value
	} else {
		var b [32]byte
		_, _ = rand.Read(b[:])
		secret = base64.RawURLEncoding.EncodeToString(b[:])
		s.setConsoleCookie(w, r, consoleLoginCookie, secret, time.Time{})
	}
	v.Staff, v.principal = nil, nil
	v.CSRF = csrfToken(secret, "login")
	next := r.URL.Query().Get("next")
	if r.Method == http.MethodPost {
		next = r.PostForm.Get("next")
	}
	v.Data = map[string]string{"Next": consoleNext(next)}
	s.render(w, r, status, "login", v)
}

// consoleLoginForm: GET /console/login (a signed-in staff member goes on to the tasks).
func (s *Server) consoleLoginForm(w http.ResponseWriter, r *http.Request, v *consoleView) error {
	if p, err := s.consoleSession(r); err == nil && slices.Contains(consoleRoles, p.staff.Role) {
		http.Redirect(w, r, consoleNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	s.renderLogin(w, r, v, http.StatusOK)
	return nil
}

// consoleLogin: POST /console/login {email, password}: the staff login service of POST
// /api/v1/staff/login (rate limits, lockout), then a session cookie.
func (s *Server) consoleLogin(w http.ResponseWriter, r *http.Request, v *consoleView) error {
	login := s.limitIP(func(w http.ResponseWriter, r *http.Request) error {
		tok, st, err := s.staffSignIn(r.Context(), r.PostForm.Get("email"), r.PostForm.Get("password"))
		if err != nil {
			return err
		}
		if !slices.Contains(consoleRoles, st.Role) {
			// The account is fine but the console is not for its role: end the new session.
			if err := s.store.RevokeSession(r.Context(), passhash.HashToken(tok.Token), s.clock()); err != nil {
				return err
			}
			return problem(http.StatusForbidden, "console_role")
		}
		s.setConsoleCookie(w, r, consoleSessionCookie, tok.Token, tok.ExpiresAt)
		s.setConsoleCookie(w, r, consoleLoginCookie, "", time.Time{})
		http.Redirect(w, r, consoleNext(r.PostForm.Get("next")), http.StatusSeeOther)
		return nil
	})
	if err := login(w, r); err != nil {
		status := s.consoleMessage(r, v, err)
		v.Form.Del("password")
		s.renderLogin(w, r, v, status)
	}
	return nil
}

// consoleLogout: POST /console/logout ends the session.
func (s *Server) consoleLogout(w http.ResponseWriter, r *http.Request, v *consoleView) error {
	if err := s.store.RevokeSession(r.Context(), v.principal.tokenHash, s.clock()); err != nil {
		return err
	}
	s.setConsoleCookie(w, r, consoleSessionCookie, "", time.Time{})
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
	return nil
}
