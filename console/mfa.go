package console

import (
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"occonnect/service"
)

// The second step of a staff sign-in (service.Auth.StaffSignInMFA): after the password,
// a page asks for the code of the authenticator app or a recovery code, the first time
// with the secret to add to the app. The challenge that ties the two steps together, the
// secret and the recovery codes only ever travel in page bodies and form posts, never in
// a URL (which ends up in logs, histories and Referer headers).

// codePage is what the code page shows besides the form.
type codePage struct {
	Next      string
	Restart   string // the login form, to start over with the password
	Challenge string
	// Enrolment is the secret to add to the app, on the page that follows the password;
	// Enrolling stays set on the pages after a wrong code, which no longer have it.
	Enrolment *service.MFAEnrolment
	Enrolling bool
}

// QR is the enrolment's QR code as an <img> source: a data: URI (the CSP allows data:
// images for it), so that the secret it holds is never fetched from a URL.
func (p codePage) QR() template.URL {
	if p.Enrolment == nil {
		return ""
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(p.Enrolment.QRPNG))
}

// Secret is the enrolment's secret in groups of four characters, to be read and typed
// into an app that cannot scan.
func (p codePage) Secret() string {
	if p.Enrolment == nil {
		return ""
	}
	return groupsOf(p.Enrolment.Secret, 4)
}

func groupsOf(s string, n int) string {
	var groups []string
	for len(s) > n {
		groups = append(groups, s[:n])
		s = s[n:]
	}
	return strings.Join(append(groups, s), " ")
}

// renderMFA shows the code page: the form posts the challenge back with the code, and the
// login cookie (kept until the sign-in ends) binds its CSRF token.
func (c *Console) renderMFA(w http.ResponseWriter, r *http.Request, v *view, status int, p codePage) {
	c.signedOut(w, r, v)
	p.Next = next(r.PostForm.Get("next"))
	p.Restart = "/console/login?next=" + url.QueryEscape(p.Next)
	v.Path = p.Restart // the language switch starts over (the same secret is shown again)
	v.Data = p
	c.render(w, r, status, "mfa", v)
}

// loginMFA: POST /console/login/mfa {challenge, code}: the second step of a sign-in that
// answered MFARequired, with the rate limit of the login form; the lockout and the tries
// a challenge allows are the use case's. Then the session cookie, and after an enrolment
// the recovery codes, shown this once, before going on. A wrong code shows the code page
// again; a challenge spent, expired or locked out goes back to the password.
func (c *Console) loginMFA(w http.ResponseWriter, r *http.Request, v *view) error {
	sess, err := c.verifyCode(w, r)
	if err != nil {
		status := c.message(r, v, err)
		if restart(err) {
			c.renderLogin(w, r, v, status)
			return nil
		}
		c.renderMFA(w, r, v, status, codePage{Challenge: r.PostForm.Get("challenge"), Enrolling: r.PostForm.Get("enrolling") != ""})
		return nil
	}
	to := next(r.PostForm.Get("next"))
	if len(sess.RecoveryCodes) == 0 {
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}
	// Signed in already: the page has the header of a session (its logout form included).
	v.Staff, v.CSRF = &sess.Staff, csrfToken(sess.Token.Token, "session")
	v.Path = to // the language switch goes on rather than back to the used challenge
	v.Notice = v.T("recovery.enrolled")
	v.Data = map[string]any{"Codes": sess.RecoveryCodes, "Next": to}
	c.render(w, r, http.StatusOK, "recovery", v)
	return nil
}

// verifyCode spends a sign-in attempt of the address, checks the code against the
// challenge and starts the console session.
func (c *Console) verifyCode(w http.ResponseWriter, r *http.Request) (service.StaffSession, error) {
	if err := c.takeAttempt(r); err != nil {
		return service.StaffSession{}, err
	}
	sess, err := c.auth.StaffSignInMFA(r.Context(), r.PostForm.Get("challenge"), r.PostForm.Get("code"))
	if err != nil {
		return service.StaffSession{}, err
	}
	if err := c.startSession(w, r, sess.Token, sess.Staff); err != nil {
		return service.StaffSession{}, err
	}
	return sess, nil
}

// restart says whether a refused code leaves nothing to retry on the code page: the
// challenge is spent, expired or missing from the form, the account is locked, or the
// console does not serve its role.
func restart(err error) bool {
	var ce *consoleError
	if errors.As(err, &ce) {
		return ce.code == "console_role"
	}
	refusal := service.Explain(err)
	switch {
	case refusal == nil:
		return false
	case refusal.Reason == service.AccountLocked, refusal.Detail == "mfa_challenge_expired":
		return true
	}
	return slices.ContainsFunc(refusal.Fields, func(f service.FieldError) bool { return f.Field == "challenge" })
}
