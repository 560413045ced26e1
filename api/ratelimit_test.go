package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"occonnect/domain"
	"occonnect/internal/apitest"
	"occonnect/internal/ratelimit"
)

// The limiter itself is tested in internal/ratelimit, the client address behind proxies in
// internal/web; these tests check the limits as the API applies them.

// postFrom sends a JSON body to a route from a client address.
func postFrom(s *apitest.Server, path, remote, body string, headers ...string) *httptest.ResponseRecorder {
	r := apitest.NewRequest("", http.MethodPost, path, body, headers...)
	r.RemoteAddr = remote
	return s.Serve(r)
}

func expectRateLimited(t *testing.T, w *httptest.ResponseRecorder, retryAfter string) {
	t.Helper()
	apitest.WantProblem(t, w, http.StatusTooManyRequests, "rate_limited")
	if got := w.Header().Get("Retry-After"); got != retryAfter {
		t.Fatalf("Retry-After = %q, want %q", got, retryAfter)
	}
}

// TestRateLimitIP: the per-address limit answers 429 with Retry-After before the body is
// even read (not JSON at all: still 429, not 400), per address, X-Forwarded-For believed
// only from a trusted proxy, and the attempt passes again after Retry-After.
func TestRateLimitIP(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"/api/v1/activation", "/api/v1/activation/resend", "/api/v1/auth/login", "/api/v1/staff/login"} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			s := apitest.New(t, apitest.Options{RateLimitIP: ratelimit.Rate{Requests: 7, Per: time.Minute},
				TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
			for i := range 7 {
				// Spoofed X-Forwarded-For from an untrusted peer: still counted against the peer.
				w := postFrom(s, path, "192.0.2.7:4000", `{}`, "X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i))
				if w.Code != http.StatusBadRequest {
					t.Fatalf("attempt %d: %d %s, want 400 validation_failed", i+1, w.Code, w.Body.String())
				}
			}
			w := postFrom(s, path, "192.0.2.7:4000", `not even JSON`, "Accept-Language", "fr")
			expectRateLimited(t, w, "9") // 60 s / 7 = 8.57 s, rounded up
			if !strings.Contains(w.Body.String(), "Trop de tentatives") {
				t.Errorf("French text expected: %s", w.Body.String())
			}
			if w := postFrom(s, path, "192.0.2.8:4000", `{}`); w.Code != http.StatusBadRequest {
				t.Errorf("another address: %d, want 400", w.Code)
			}
			// Behind the trusted proxy, each forwarded client has its own bucket…
			for range 7 {
				postFrom(s, path, "10.0.0.1:4000", `{}`, "X-Forwarded-For", "203.0.113.5")
			}
			expectRateLimited(t, postFrom(s, path, "10.0.0.1:4000", `{}`, "X-Forwarded-For", "203.0.113.5"), "9")
			if w := postFrom(s, path, "10.0.0.1:4000", `{}`, "X-Forwarded-For", "203.0.113.6"); w.Code != http.StatusBadRequest {
				t.Errorf("another client behind the proxy: %d, want 400", w.Code)
			}
			s.Clock.Advance(8 * time.Second)
			expectRateLimited(t, postFrom(s, path, "192.0.2.7:4000", `{}`), "1")
			s.Clock.Advance(time.Second)
			if w := postFrom(s, path, "192.0.2.7:4000", `{}`); w.Code != http.StatusBadRequest {
				t.Errorf("after Retry-After: %d %s, want 400 (the attempt passes)", w.Code, w.Body.String())
			}
		})
	}
}

// TestRateLimitAccountBeforeLockout: the per-login-name check comes before the lockout and
// the database: with the bucket of a name at an address empty, each sign-in route answers
// 429 while the database is closed (reaching the lockout check would be a 500), for the
// login name written as the lockout normalizes it (CIN upper-cased and trimmed, e-mail
// lower-cased).
func TestRateLimitAccountBeforeLockout(t *testing.T) {
	t.Parallel()
	s := apitest.New(t, apitest.Options{AccountLimit: ratelimit.Rate{Requests: 1, Per: 10 * time.Minute}})
	// One attempt each spends the buckets of the CIN and of the e-mail at their addresses.
	apitest.WantProblem(t, postFrom(s, "/api/v1/auth/login", "192.0.2.1:4000", `{"cin":"AB123456","password":"whatever-it-is"}`),
		http.StatusUnauthorized, "invalid_credentials")
	apitest.WantProblem(t, postFrom(s, "/api/v1/staff/login", "192.0.2.2:4000", `{"email":"agent@t.local","password":"whatever-it-is"}`),
		http.StatusUnauthorized, "invalid_credentials")
	if err := s.DB.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, from, body string }{
		{"/api/v1/activation", "192.0.2.1:4001", `{"cin":"ab123456","password":"whatever-it-is"}`},
		{"/api/v1/auth/login", "192.0.2.1:4002", `{"cin":" AB123456 ","password":"whatever-it-is"}`},
		{"/api/v1/activation/resend", "192.0.2.1:4003", `{"cin":"AB123456","email":"a@example.ma"}`},
		{"/api/v1/staff/login", "192.0.2.2:4001", `{"email":"Agent@T.local","password":"whatever-it-is"}`},
	} {
		expectRateLimited(t, postFrom(s, tc.path, tc.from, tc.body), "600")
	}
}

// TestRateLimitAccount: the per-account limit counts the attempts of a name from one
// address: it answers 429 there (a rate-limited attempt is not a failure for the
// lockout), never to the owner at another address, and after Retry-After the right
// password signs in.
func TestRateLimitAccount(t *testing.T) {
	t.Parallel()
	s := apitest.New(t, apitest.Options{AccountLimit: ratelimit.Rate{Requests: 4, Per: time.Minute}})
	s.NewStaff(t, domain.RoleAgent, "agent@t.local")
	login := func(from, email, password string) *httptest.ResponseRecorder {
		return postFrom(s, "/api/v1/staff/login", from+":4000", fmt.Sprintf(`{"email":%q,"password":%q}`, email, password))
	}
	for i := range 4 {
		if w := login("192.0.2.1", "agent@t.local", "wrong"); w.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d %s, want 401", i+1, w.Code, w.Body.String())
		}
	}
	// The fifth failure would lock (423); rate-limited, it is not counted.
	for range 10 {
		expectRateLimited(t, login("192.0.2.1", "AGENT@t.local", "wrong"), "15")
	}
	if w := login("192.0.2.1", "other@t.local", "wrong"); w.Code != http.StatusUnauthorized {
		t.Errorf("another account: %d, want 401", w.Code)
	}
	if w := login("198.51.100.7", "agent@t.local", apitest.Password); w.Code != http.StatusOK {
		t.Fatalf("the owner at another address: %d %s, want 200", w.Code, w.Body.String())
	}
	s.Clock.Advance(15 * time.Second)
	if w := login("192.0.2.1", "agent@t.local", apitest.Password); w.Code != http.StatusOK {
		t.Fatalf("after Retry-After with the right password: %d %s, want 200 (not locked)", w.Code, w.Body.String())
	}
}
