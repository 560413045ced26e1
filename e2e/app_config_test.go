package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"occonnect/internal/config"
)

// TestAppConfig: the app reads the Office's contacts from the configuration, the same the
// e-mails' footers print.
func TestAppConfig(t *testing.T) {
	r := call(t, http.MethodGet, "/api/v1/app-config", "", nil)
	expect(t, r, http.StatusOK, "")
	want := config.DefaultContacts()
	if r.str("support_email") != want.SupportEmail || r.str("support_phone") != want.SupportPhone ||
		r.str("contact_email") != want.ContactEmail || r.str("website") != want.Website || r.Header.Get("Cache-Control") == "" {
		t.Fatalf("app-config: %s", r.Raw)
	}
	c, _ := activeCitizen(t)
	msgs, err := env.mailpit.WaitForMessages(t.Context(), c.Email, 2, 30*time.Second)
	must(t, err)
	if !strings.Contains(msgs[0].Text, want.SupportEmail) || !strings.Contains(msgs[0].Text, want.SupportPhone) {
		t.Fatalf("the welcome e-mail does not print the configured contacts:\n%s", msgs[0].Text)
	}
}
