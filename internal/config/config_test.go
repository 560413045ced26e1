package config

import (
	"os"
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
