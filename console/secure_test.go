package console

import (
	"net/http/httptest"
	"testing"
)

// TestSecureCookies: the console's cookies are Secure except in local development (plain
// HTTP to a loopback address, as the browser sees it).
func TestSecureCookies(t *testing.T) {
	c := New(Deps{})
	for _, tc := range []struct {
		host, origin string
		secure       bool
	}{
		{"console.oc.gov.ma", "", true},
		{"127.0.0.1:8080", "https://console.oc.gov.ma", true}, // behind a proxy that rewrote Host
		{"localhost:8080", "http://localhost:8080", false},
		{"[::1]:8080", "", false},
		{"127.0.0.1:8080", "", false},
	} {
		r := httptest.NewRequest("POST", "/console/login", nil)
		r.Host = tc.host
		if tc.origin != "" {
			r.Header.Set("Origin", tc.origin)
		}
		if got := c.secure(r); got != tc.secure {
			t.Errorf("Host %s Origin %q: Secure %v", tc.host, tc.origin, got)
		}
	}
}
