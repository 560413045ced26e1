package e2e

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"occonnect/internal/passhash"
	"occonnect/internal/stack"
)

const (
	appAgent    = "OCConnect/2.3.1 (Android 14; SM-A546B)"
	chromeAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)

// signIn signs the citizen in from a client that says userAgent and returns the token.
func signIn(t *testing.T, c *stack.Citizen, userAgent string) string {
	t.Helper()
	r := call(t, "POST", "/api/v1/auth/login", "", map[string]string{"cin": c.CIN, "password": c.Password}, "User-Agent", userAgent)
	expect(t, r, http.StatusOK, "")
	token := r.str("token")
	if token == "" {
		t.Fatalf("sign-in without a token: %s", r.Raw)
	}
	remember(token)
	return token
}

type mySession struct {
	ID, UserAgent string
	Current       bool
}

// mySessions lists the caller's sessions (200), newest first, and fails the test when the
// answer shows any of tokens or their hashes.
func mySessions(t *testing.T, token string, tokens ...string) []mySession {
	t.Helper()
	r := call(t, "GET", "/api/v1/me/sessions", token, nil)
	expect(t, r, http.StatusOK, "")
	body := string(r.Raw)
	for _, tok := range append(tokens, token) {
		h := passhash.HashToken(tok)
		for _, s := range []string{tok, hex.EncodeToString(h), strings.ToUpper(hex.EncodeToString(h)),
			base64.StdEncoding.EncodeToString(h), base64.RawURLEncoding.EncodeToString(h)} {
			if strings.Contains(body, s) {
				t.Fatalf("the list of sessions shows a token or its hash: %s", body)
			}
		}
	}
	items, _ := r.Body["items"].([]any)
	out := make([]mySession, 0, len(items))
	for _, it := range items {
		m, _ := it.(map[string]any)
		id, _ := m["id"].(string)
		ua, _ := m["user_agent"].(string)
		current, _ := m["current"].(bool)
		out = append(out, mySession{ID: id, UserAgent: ua, Current: current})
	}
	return out
}

// TestMeSessions: a citizen signed in from the app and from a browser sees both sessions
// (and the activation's) with a summary of each client, the current one marked, never a
// token; ends one by its id (its token is refused from then on), cannot end another
// citizen's, ends all the others at once, and may end their own (a sign-out).
func TestMeSessions(t *testing.T) {
	c, activation := activeCitizen(t)
	phone := signIn(t, c, appAgent)
	desktop := signIn(t, c, chromeAgent)
	all := []string{activation, phone, desktop}

	list := mySessions(t, phone, all...)
	if len(list) != 3 {
		t.Fatalf("%d sessions, want 3 (activation, app, browser): %+v", len(list), list)
	}
	// Newest first: the browser's, the app's, the activation's.
	if list[0].UserAgent != "Chrome on Windows" || list[1].UserAgent != "OC Connect Android 2.3" ||
		!list[1].Current || list[0].Current || list[2].Current {
		t.Fatalf("sessions seen from the app: %+v", list)
	}
	seen := map[string]bool{}
	for _, s := range list {
		if len(s.ID) < 16 || seen[s.ID] || strings.Contains(s.UserAgent, "SM-A546B") || len(s.UserAgent) > 60 {
			t.Fatalf("session %+v (ids must be distinct, summaries short and without the device)", s)
		}
		seen[s.ID] = true
	}
	browserID, phoneID, activationID := list[0].ID, list[1].ID, list[2].ID
	if fromDesktop := mySessions(t, desktop, all...); len(fromDesktop) != 3 || !fromDesktop[0].Current || fromDesktop[1].Current {
		t.Fatalf("sessions seen from the browser: %+v", fromDesktop)
	}

	// End the browser's session from the app.
	expect(t, call(t, "DELETE", "/api/v1/me/sessions/"+browserID, phone, nil), http.StatusNoContent, "")
	expect(t, call(t, "GET", "/api/v1/me", desktop, nil), http.StatusUnauthorized, "unauthorized")
	expect(t, call(t, "DELETE", "/api/v1/me/sessions/"+browserID, phone, nil), http.StatusNotFound, "not_found")
	if list := mySessions(t, phone, all...); len(list) != 2 || list[0].ID != phoneID || list[1].ID != activationID {
		t.Fatalf("after ending the browser's session: %+v", list)
	}

	// Another citizen's session: not found, and it goes on.
	_, otherToken := activeCitizen(t)
	otherList := mySessions(t, otherToken, all...)
	if len(otherList) != 1 || !otherList[0].Current || seen[otherList[0].ID] {
		t.Fatalf("the other citizen's sessions: %+v", otherList)
	}
	expect(t, call(t, "DELETE", "/api/v1/me/sessions/"+otherList[0].ID, phone, nil), http.StatusNotFound, "not_found")
	expect(t, call(t, "GET", "/api/v1/me", otherToken, nil), http.StatusOK, "")
	// Ending all of one's other sessions leaves another citizen's alone.
	tablet := signIn(t, c, "OC-Connect/2.4 (iPad; iOS 17.4)")
	all = append(all, tablet)
	expect(t, call(t, "DELETE", "/api/v1/me/sessions", phone, nil), http.StatusNoContent, "")
	for name, tok := range map[string]string{"activation": activation, "tablet": tablet} {
		if r := call(t, "GET", "/api/v1/me", tok, nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("the %s session after DELETE /me/sessions: %d %s", name, r.Status, r.Raw)
		}
	}
	expect(t, call(t, "GET", "/api/v1/me", otherToken, nil), http.StatusOK, "")
	if list := mySessions(t, phone, all...); len(list) != 1 || list[0].ID != phoneID || !list[0].Current {
		t.Fatalf("after ending the other sessions: %+v", list)
	}

	// Ending one's own session is a sign-out.
	expect(t, call(t, "DELETE", "/api/v1/me/sessions/"+phoneID, phone, nil), http.StatusNoContent, "")
	expect(t, call(t, "GET", "/api/v1/me/sessions", phone, nil), http.StatusUnauthorized, "unauthorized")
}

// TestMeLanguage: a citizen who chooses Arabic gets their next e-mail with Arabic first
// (the welcome e-mail, before, had French first); a language the e-mails are not written
// in is refused.
func TestMeLanguage(t *testing.T) {
	c, token := activeCitizen(t)
	welcome := mailAbout(t, c, 2, "compte est activé")
	if got := firstLanguage(welcome); got != "fr" || !strings.Contains(welcome.html, `<html lang="fr" dir="ltr">`) {
		t.Fatalf("the welcome e-mail (language fr) puts %q first: %q\n%s", got, welcome.subject, welcome.text)
	}

	r := call(t, "PATCH", "/api/v1/me", token, map[string]string{"language": "xx"})
	expect(t, r, http.StatusBadRequest, "validation_failed")
	if errs, _ := r.Body["errors"].([]any); len(errs) != 1 || !strings.Contains(string(r.Raw), `"field":"language","code":"invalid"`) {
		t.Fatalf("bad language: %s", r.Raw)
	}
	expect(t, call(t, "PATCH", "/api/v1/me", token, map[string]string{"language": "en"}), http.StatusBadRequest, "validation_failed")
	if got := call(t, "GET", "/api/v1/me", token, nil); got.str("language") != "fr" {
		t.Fatalf("a refused change changed the language: %s", got.Raw)
	}

	r = call(t, "PATCH", "/api/v1/me", token, map[string]string{"language": "ar"})
	expect(t, r, http.StatusOK, "")
	me := call(t, "GET", "/api/v1/me", token, nil)
	expect(t, me, http.StatusOK, "")
	if r.str("language") != "ar" || me.str("language") != "ar" || string(r.Raw) != string(me.Raw) {
		t.Fatalf("PATCH /me answered %s, GET /me %s", r.Raw, me.Raw)
	}

	body := map[string]string{"category": "other", "subject": "Question", "description": "Une question sur mon dossier."}
	r = call(t, "POST", "/api/v1/me/complaints", token, body, "Idempotency-Key", "lang-"+c.CIN)
	expect(t, r, http.StatusAccepted, "")
	ack := mailAbout(t, c, 3, r.str("reference"))
	if got := firstLanguage(ack); got != "ar" || !strings.Contains(ack.html, `<html lang="ar" dir="rtl">`) {
		t.Fatalf("the acknowledgement after choosing Arabic puts %q first: %q\n%s", got, ack.subject, ack.text)
	}
}

type mailParts struct{ subject, text, html string }

// mailAbout waits for the citizen's n-th e-mail and returns the one whose subject
// contains part.
func mailAbout(t testing.TB, c *stack.Citizen, n int, part string) mailParts {
	t.Helper()
	msgs, err := env.mailpit.WaitForMessages(context.Background(), c.Email, n, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if strings.Contains(m.Subject, part) {
			return mailParts{m.Subject, m.Text, m.HTML}
		}
	}
	t.Fatalf("no e-mail about %q among %d", part, len(msgs))
	return mailParts{}
}

// firstLanguage is the language an e-mail puts first, "fr" or "ar", when its subject
// ("French / Arabic" or the other way round) and its text (the greetings) agree; "" when
// they do not, or one language is missing.
func firstLanguage(m mailParts) string {
	hasArabic := func(s string) bool {
		return strings.IndexFunc(s, func(r rune) bool { return r >= 0x0600 && r <= 0x06FF }) >= 0
	}
	var subject string
	if first, second, ok := strings.Cut(m.subject, " / "); ok {
		switch {
		case !hasArabic(first) && hasArabic(second):
			subject = "fr"
		case hasArabic(first) && !hasArabic(second):
			subject = "ar"
		}
	}
	var text string
	switch fr, ar := strings.Index(m.text, "Bonjour"), strings.Index(m.text, "مرحبًا"); {
	case fr < 0 || ar < 0:
	case fr < ar:
		text = "fr"
	default:
		text = "ar"
	}
	if subject != text {
		return ""
	}
	return subject
}
