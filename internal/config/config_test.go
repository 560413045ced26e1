package config

import (
	"occonnect/domain"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestPublicURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "http://127.0.0.1:8080"}, // unset: the default
		{"https://api.occonnect.oc.gov.ma", "https://api.occonnect.oc.gov.ma"},
		{"https://api.occonnect.oc.gov.ma/", "https://api.occonnect.oc.gov.ma"},
		{" https://gw.oc.gov.ma/occonnect/ ", "https://gw.oc.gov.ma/occonnect"},
		{"HTTP://127.0.0.1:9000", "http://127.0.0.1:9000"},
		{"http://[::1]:8080", "http://[::1]:8080"},
	} {
		t.Setenv("OCC_PUBLIC_URL", tc.in) // restored at the end of the test
		if tc.in == "" {
			os.Unsetenv("OCC_PUBLIC_URL")
		}
		c, err := Load()
		if err != nil {
			t.Errorf("OCC_PUBLIC_URL=%q: %v", tc.in, err)
			continue
		}
		if c.PublicURL != tc.want {
			t.Errorf("OCC_PUBLIC_URL=%q: PublicURL = %q, want %q", tc.in, c.PublicURL, tc.want)
		}
	}
}

func TestPublicURLRefused(t *testing.T) {
	for _, in := range []string{
		"api.occonnect.oc.gov.ma",            // no scheme
		"/api/v1",                            // relative
		"ftp://api.occonnect.oc.gov.ma",      // not http(s)
		"https://",                           // no host
		"http://:8080",                       // no host
		"https://user:secret@api.oc.gov.ma",  // user
		"https://api.oc.gov.ma/?x=1",         // query
		"https://api.oc.gov.ma/#top",         // fragment
		"https://api.oc.gov.ma:port",         // bad port
		"mailto:ops@oc.gov.ma",               // opaque
		"https://api.oc.gov.ma/a b\nservers", // not a URL
		" ",
	} {
		t.Setenv("OCC_PUBLIC_URL", in)
		_, err := Load()
		if err == nil {
			t.Errorf("OCC_PUBLIC_URL=%q: accepted", in)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, "OCC_PUBLIC_URL must be an absolute http or https URL") {
			t.Errorf("OCC_PUBLIC_URL=%q: error %q does not say what OCC_PUBLIC_URL must be", in, msg)
		}
		if strings.Contains(msg, "secret") {
			t.Errorf("OCC_PUBLIC_URL=%q: the error repeats the password: %q", in, msg)
		}
	}
}

// TestPayloadKeysRequired: without OCC_PAYLOAD_KEYS the api and worker refuse to start,
// with a message naming both variables, unless OCC_ALLOW_PLAINTEXT_PAYLOADS=true.
func TestPayloadKeysRequired(t *testing.T) {
	t.Setenv("OCC_PAYLOAD_KEYS", "")
	os.Unsetenv("OCC_ALLOW_PLAINTEXT_PAYLOADS")
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.AllowPlaintextPayloads {
		t.Fatal("OCC_ALLOW_PLAINTEXT_PAYLOADS defaults to true")
	}
	err = c.RequirePayloadKeys()
	if err == nil || !strings.Contains(err.Error(), "OCC_PAYLOAD_KEYS") || !strings.Contains(err.Error(), "OCC_ALLOW_PLAINTEXT_PAYLOADS=true") {
		t.Fatalf("no keys: %v, want a refusal naming OCC_PAYLOAD_KEYS and OCC_ALLOW_PLAINTEXT_PAYLOADS", err)
	}
	t.Setenv("OCC_PAYLOAD_KEYS", "  ")
	if c, _ := Load(); c.RequirePayloadKeys() == nil {
		t.Fatal("blank keys accepted")
	}
	t.Setenv("OCC_ALLOW_PLAINTEXT_PAYLOADS", "true")
	if c, err := Load(); err != nil || c.RequirePayloadKeys() != nil {
		t.Fatalf("OCC_ALLOW_PLAINTEXT_PAYLOADS=true: %v %v", err, c.RequirePayloadKeys())
	}
	t.Setenv("OCC_ALLOW_PLAINTEXT_PAYLOADS", "false")
	t.Setenv("OCC_PAYLOAD_KEYS", "k1:c2VjcmV0LWtleS1ieXRlcy1mb3ItdGhlLXRlc3QtMDA=")
	if c, err := Load(); err != nil || c.RequirePayloadKeys() != nil {
		t.Fatalf("with keys: %v %v", err, c.RequirePayloadKeys())
	}
}

// TestFailClosedSwitches: the three exceptions default to false and take only true or
// false, with a message naming the variable.
func TestFailClosedSwitches(t *testing.T) {
	for _, name := range []string{"OCC_ALLOW_PLAINTEXT_PAYLOADS", "OCC_ALLOW_PLAINTEXT_SMTP", "OCC_DEV_SEED"} {
		os.Unsetenv(name)
		var v Var
		for _, x := range Vars {
			if x.Name == name {
				v = x
			}
		}
		if v.Default != "false" || v.Help == "" {
			t.Errorf("%s: default %q, help %q, want false and a description", name, v.Default, v.Help)
		}
		t.Setenv(name, "yes please")
		if _, err := Load(); err == nil || !strings.Contains(err.Error(), name+" must be true or false") {
			t.Errorf("%s=\"yes please\": %v", name, err)
		}
		t.Setenv(name, "true")
		c, err := Load()
		if err != nil {
			t.Fatal(err)
		}
		if got := map[string]bool{"OCC_ALLOW_PLAINTEXT_PAYLOADS": c.AllowPlaintextPayloads, "OCC_ALLOW_PLAINTEXT_SMTP": c.AllowPlaintextSMTP,
			"OCC_DEV_SEED": c.DevSeed}[name]; !got {
			t.Errorf("%s=true not read", name)
		}
		os.Unsetenv(name)
	}
	if !strings.Contains(ErrDevSeed.Error(), "OCC_DEV_SEED=true") {
		t.Errorf("ErrDevSeed does not name the variable: %v", ErrDevSeed)
	}
}

// TestStaffMFA: every role needs a second factor by default; agents and officers can be
// left out, admins, the head of unit and supervisors cannot; optional requires nobody.
func TestStaffMFA(t *testing.T) {
	os.Unsetenv("OCC_STAFF_MFA")
	os.Unsetenv("OCC_STAFF_MFA_ROLES")
	c, err := Load()
	if err != nil || len(c.StaffMFARoles) != len(domain.Roles) {
		t.Fatalf("default: %v %v, want every role", c.StaffMFARoles, err)
	}
	t.Setenv("OCC_STAFF_MFA_ROLES", "admin, head_of_unit,supervisor")
	if c, err := Load(); err != nil || len(c.StaffMFARoles) != 3 || slices.Contains(c.StaffMFARoles, domain.RoleAgent) {
		t.Fatalf("agents and officers left out: %v %v", c.StaffMFARoles, err)
	}
	for _, bad := range []string{"admin,head_of_unit", "admin,head_of_unit,supervisor,janitor"} {
		t.Setenv("OCC_STAFF_MFA_ROLES", bad)
		if _, err := Load(); err == nil || !strings.Contains(err.Error(), "OCC_STAFF_MFA_ROLES") {
			t.Errorf("%q: %v, want a refusal naming OCC_STAFF_MFA_ROLES", bad, err)
		}
	}
	t.Setenv("OCC_STAFF_MFA", "optional")
	if c, err := Load(); err != nil || len(c.StaffMFARoles) != 0 {
		t.Fatalf("optional: %v %v", c.StaffMFARoles, err)
	}
	t.Setenv("OCC_STAFF_MFA", "sometimes")
	if _, err := Load(); err == nil || !strings.Contains(err.Error(), "OCC_STAFF_MFA") {
		t.Fatalf("sometimes: %v", err)
	}
}
