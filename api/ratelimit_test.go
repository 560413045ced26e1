package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"occonnect/domain"
	"occonnect/internal/passhash"
	"occonnect/internal/testenv"
	"occonnect/store"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// TestKeyedLimiter: a burst of N, then one attempt every Per/N, per key; the wait until
// the next attempt is exact.
func TestKeyedLimiter(t *testing.T) {
	k := newKeyedLimiter(RateLimit{Requests: 20, Per: time.Minute}, 100)
	for i := range 20 {
		if wait := k.take("a", t0); wait != 0 {
			t.Fatalf("attempt %d: wait %v, want allowed", i+1, wait)
		}
	}
	if wait := k.take("a", t0); wait != 3*time.Second {
		t.Fatalf("21st attempt: wait %v, want 3s", wait)
	}
	if wait := k.take("a", t0.Add(time.Second)); wait != 2*time.Second {
		t.Fatalf("one second later: wait %v, want 2s (a refused attempt costs nothing)", wait)
	}
	if wait := k.take("b", t0); wait != 0 {
		t.Fatalf("another key: wait %v, want allowed", wait)
	}
	if wait := k.take("a", t0.Add(3*time.Second)); wait != 0 {
		t.Fatalf("after 3s: wait %v, want allowed", wait)
	}
	if wait := k.take("a", t0.Add(3*time.Second)); wait != 3*time.Second {
		t.Fatalf("right after: wait %v, want 3s", wait)
	}
	if newKeyedLimiter(RateLimit{}, 100) != nil || newKeyedLimiter(RateLimit{Requests: 5}, 100) != nil {
		t.Error("a zero rate limit must be no limiter")
	}
}

// TestKeyedLimiterBounded: a flood of distinct keys never holds more than max of them,
// and keys unseen for Per (whose bucket is full again) are dropped.
func TestKeyedLimiterBounded(t *testing.T) {
	k := newKeyedLimiter(RateLimit{Requests: 2, Per: time.Minute}, 1000)
	for i := range 50_000 {
		k.take(fmt.Sprintf("198.51.%d.%d", i/256, i%256), t0.Add(time.Duration(i)*time.Microsecond))
	}
	if n := k.len(); n != 1000 {
		t.Fatalf("after 50,000 distinct keys: %d held, want the bound 1000", n)
	}
	// The most recent keys are the ones kept, with their state.
	last := fmt.Sprintf("198.51.%d.%d", 49_999/256, 49_999%256)
	k.take(last, t0.Add(time.Second))
	if wait := k.take(last, t0.Add(time.Second)); wait == 0 {
		t.Error("the most recent key lost its state")
	}
	// A minute later everything has expired: one take leaves only its own key.
	k.take("203.0.113.1", t0.Add(2*time.Minute))
	if n := k.len(); n != 1 {
		t.Errorf("after the idle period: %d keys held, want 1", n)
	}
}

func TestClientIP(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::/48")}
	for _, tc := range []struct {
		name, remote string
		xff          []string
		trusted      []netip.Prefix
		want         string
	}{
		{"peer", "192.0.2.7:5100", nil, nil, "192.0.2.7"},
		{"forwarded-for ignored without trusted proxies", "192.0.2.7:5100", []string{"203.0.113.9"}, nil, "192.0.2.7"},
		{"forwarded-for ignored from an untrusted peer", "192.0.2.7:5100", []string{"203.0.113.9"}, proxies, "192.0.2.7"},
		{"trusted proxy", "10.1.2.3:5100", []string{"203.0.113.9"}, proxies, "203.0.113.9"},
		{"a client's spoofed entry is skipped", "10.1.2.3:5100", []string{"1.1.1.1, 203.0.113.9"}, proxies, "203.0.113.9"},
		{"a chain of trusted proxies", "10.1.2.3:5100", []string{"1.1.1.1, 203.0.113.9, 10.9.9.9"}, proxies, "203.0.113.9"},
		{"several headers", "10.1.2.3:5100", []string{"1.1.1.1", "203.0.113.9, 10.9.9.9"}, proxies, "203.0.113.9"},
		{"only proxies", "10.1.2.3:5100", []string{"10.4.4.4"}, proxies, "10.4.4.4"},
		{"garbage stops at the last trusted hop", "10.1.2.3:5100", []string{"203.0.113.9, nonsense"}, proxies, "10.1.2.3"},
		{"an entry with a port", "10.1.2.3:5100", []string{"[2001:db8::5]:443"}, proxies, "2001:db8::5"},
		{"no header from a proxy", "10.1.2.3:5100", nil, proxies, "10.1.2.3"},
		{"IPv4-mapped peer", "[::ffff:192.0.2.7]:5100", nil, nil, "192.0.2.7"},
		{"IPv6 proxy", "[2001:db8:ffff::1]:5100", []string{"2001:db8:1:2::9"}, proxies, "2001:db8:1:2::9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/api/v1/auth/login", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientIP(r, tc.trusted).String(); got != tc.want {
				t.Errorf("clientIP = %s, want %s", got, tc.want)
			}
		})
	}
	if got := ipKey(netip.MustParseAddr("2001:db8:1:2:aaaa::1")); got != "2001:db8:1:2::/64" {
		t.Errorf("IPv6 key = %s, want its /64", got)
	}
	if got := ipKey(netip.MustParseAddr("192.0.2.7")); got != "192.0.2.7" {
		t.Errorf("IPv4 key = %s", got)
	}
}

// post sends a JSON body to the handler from a client address.
func post(h http.Handler, path, remote, body string, headers ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.RemoteAddr = remote
	r.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func expectRateLimited(t *testing.T, w *httptest.ResponseRecorder, retryAfter string) {
	t.Helper()
	var p Problem
	_ = json.Unmarshal(w.Body.Bytes(), &p)
	if w.Code != http.StatusTooManyRequests || p.Code != "rate_limited" || w.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("got %d %s %s, want 429 rate_limited problem+json", w.Code, w.Header().Get("Content-Type"), w.Body.String())
	}
	if got := w.Header().Get("Retry-After"); got != retryAfter {
		t.Fatalf("Retry-After = %q, want %q", got, retryAfter)
	}
}

// TestRateLimitIP: the per-address limit answers 429 with Retry-After before the body is
// even read (the server here has no store: anything further would fail), per address,
// X-Forwarded-For believed only from a trusted proxy, and the attempt passes again after
// Retry-After.
func TestRateLimitIP(t *testing.T) {
	clock := &fakeClock{now: t0}
	s := New(Deps{Now: clock.Now, RateLimitIP: RateLimit{Requests: 7, Per: time.Minute},
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	h := s.Handler()
	for _, path := range []string{"/api/v1/activation", "/api/v1/activation/resend", "/api/v1/auth/login", "/api/v1/staff/login"} {
		t.Run(path, func(t *testing.T) {
			s.ipLimiter = newKeyedLimiter(RateLimit{Requests: 7, Per: time.Minute}, maxLimiterKeys)
			for i := range 7 {
				// Spoofed X-Forwarded-For from an untrusted peer: still counted against the peer.
				w := post(h, path, "192.0.2.7:4000", `{}`, "X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i))
				if w.Code != http.StatusBadRequest {
					t.Fatalf("attempt %d: %d %s, want 400 validation_failed", i+1, w.Code, w.Body.String())
				}
			}
			w := post(h, path, "192.0.2.7:4000", `not even JSON`, "Accept-Language", "fr")
			expectRateLimited(t, w, "9") // 60 s / 7 = 8.57 s, rounded up
			if !strings.Contains(w.Body.String(), "Trop de tentatives") {
				t.Errorf("French text expected: %s", w.Body.String())
			}
			if w := post(h, path, "192.0.2.8:4000", `{}`); w.Code != http.StatusBadRequest {
				t.Errorf("another address: %d, want 400", w.Code)
			}
			// Behind the trusted proxy, each forwarded client has its own bucket…
			for range 7 {
				post(h, path, "10.0.0.1:4000", `{}`, "X-Forwarded-For", "203.0.113.5")
			}
			expectRateLimited(t, post(h, path, "10.0.0.1:4000", `{}`, "X-Forwarded-For", "203.0.113.5"), "9")
			if w := post(h, path, "10.0.0.1:4000", `{}`, "X-Forwarded-For", "203.0.113.6"); w.Code != http.StatusBadRequest {
				t.Errorf("another client behind the proxy: %d, want 400", w.Code)
			}
			clock.advance(8 * time.Second)
			expectRateLimited(t, post(h, path, "192.0.2.7:4000", `{}`), "1")
			clock.advance(time.Second)
			if w := post(h, path, "192.0.2.7:4000", `{}`); w.Code != http.StatusBadRequest {
				t.Errorf("after Retry-After: %d %s, want 400 (the attempt passes)", w.Code, w.Body.String())
			}
		})
	}
}

// TestRateLimitAccountBeforeLockout: the per-login-name check comes before the lockout,
// the database and Argon2id: with its bucket empty, each endpoint answers 429 on a server
// without a store (reaching the lockout check would be a 500).
func TestRateLimitAccountBeforeLockout(t *testing.T) {
	clock := &fakeClock{now: t0}
	s := New(Deps{Now: clock.Now, RateLimitAccount: RateLimit{Requests: 1, Per: 10 * time.Minute}})
	h := s.Handler()
	citizen := loginKey(domain.SubjectCitizen, "AB123456")
	staffKey := loginKey(domain.SubjectStaff, "agent@t.local")
	s.accountLimiter.take(string(citizen), t0)
	s.accountLimiter.take(string(staffKey), t0)
	for _, tc := range []struct{ path, body string }{
		{"/api/v1/activation", `{"cin":"ab123456","password":"whatever-it-is"}`},
		{"/api/v1/auth/login", `{"cin":" AB123456 ","password":"whatever-it-is"}`},
		{"/api/v1/activation/resend", `{"cin":"AB123456","email":"a@example.ma"}`},
		{"/api/v1/staff/login", `{"email":"Agent@T.local","password":"whatever-it-is"}`},
	} {
		expectRateLimited(t, post(h, tc.path, fmt.Sprintf("192.0.2.%d:4000", len(tc.path)), tc.body), "600")
	}
	if s.accountLimiter.len() != 2 {
		t.Errorf("%d account keys, want 2: the CIN and e-mail are normalized as the lockout does", s.accountLimiter.len())
	}
	for key := range s.accountLimiter.keys {
		if strings.Contains(key, "AB123456") || strings.Contains(key, "agent@") {
			t.Errorf("a login name in clear is a limiter key")
		}
	}
}

// TestRateLimitAccount, against real MariaDB: the per-account limit answers 429 whatever
// the address, a rate-limited attempt is not a failure for the lockout, and after
// Retry-After the right password signs in.
func TestRateLimitAccount(t *testing.T) {
	ctx := context.Background()
	st := store.New(testenv.MySQL(t))
	clock := &fakeClock{now: t0}
	hasher, err := passhash.NewHasher(passhash.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := hasher.Hash("the right passphrase 2026")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateStaff(ctx, store.Staff{Email: "agent@t.local", Role: "agent", PasswordHash: hash, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	s := New(Deps{Store: st, Hasher: hasher, Now: clock.Now, RateLimitAccount: RateLimit{Requests: 4, Per: time.Minute}})
	h := s.Handler()
	login := func(n int, email, password string) *httptest.ResponseRecorder {
		return post(h, "/api/v1/staff/login", fmt.Sprintf("192.0.2.%d:4000", n), fmt.Sprintf(`{"email":%q,"password":%q}`, email, password))
	}
	for i := range 4 {
		if w := login(i, "agent@t.local", "wrong"); w.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d %s, want 401", i+1, w.Code, w.Body.String())
		}
	}
	// The fifth failure would lock (423); rate-limited, from any address, it is not counted.
	for i := range 10 {
		expectRateLimited(t, login(10+i, "AGENT@t.local", "wrong"), "15")
	}
	if w := login(30, "other@t.local", "wrong"); w.Code != http.StatusUnauthorized {
		t.Errorf("another account: %d, want 401", w.Code)
	}
	clock.advance(15 * time.Second)
	if w := login(31, "agent@t.local", "the right passphrase 2026"); w.Code != http.StatusOK {
		t.Fatalf("after Retry-After with the right password: %d %s, want 200 (not locked)", w.Code, w.Body.String())
	}
}
