package api

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func send(h http.Handler, method, target string, headers ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func corsHeaders(h http.Header) []string {
	var out []string
	for k := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			out = append(out, k)
		}
	}
	return out
}

func preflight(h http.Handler, origin string) *httptest.ResponseRecorder {
	return send(h, http.MethodOptions, "/api/v1/auth/login", "Origin", origin,
		"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization,content-type")
}

// TestCORSClosedByDefault: without OCC_API_CORS_ORIGINS no answer has a CORS header, and a
// preflight gets the route's ordinary answer (a problem document, never a 5xx).
func TestCORSClosedByDefault(t *testing.T) {
	h := New(Deps{}).Handler()
	w := preflight(h, "https://app.example.ma")
	if w.Code >= 500 || w.Code == http.StatusNoContent || w.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("preflight: %d %s, want the route's ordinary problem answer", w.Code, w.Header().Get("Content-Type"))
	}
	if got := corsHeaders(w.Header()); len(got) > 0 {
		t.Errorf("preflight: CORS headers %v, want none", got)
	}
	w = send(h, http.MethodGet, "/api/v1/openapi.yaml", "Origin", "https://app.example.ma")
	if got := corsHeaders(w.Header()); w.Code != http.StatusOK || len(got) > 0 {
		t.Errorf("GET: %d with CORS headers %v, want 200 and none", w.Code, got)
	}
}

func TestCORSListedOrigins(t *testing.T) {
	h := New(Deps{CORSOrigins: []string{"https://app.example.ma", "http://127.0.0.1:5173"}}).Handler()

	w := preflight(h, "https://app.example.ma")
	if w.Code != http.StatusNoContent {
		t.Fatalf("listed preflight: %d, want 204", w.Code)
	}
	hd := w.Header()
	if got := hd.Get("Access-Control-Allow-Origin"); got != "https://app.example.ma" {
		t.Errorf("Allow-Origin = %q", got)
	}
	for _, m := range []string{"GET", "POST", "PUT", "DELETE"} {
		if !strings.Contains(hd.Get("Access-Control-Allow-Methods"), m) {
			t.Errorf("Allow-Methods %q lacks %s", hd.Get("Access-Control-Allow-Methods"), m)
		}
	}
	for _, name := range []string{"Authorization", "Content-Type", "Idempotency-Key", "Accept-Language", "X-Request-ID"} {
		if !strings.Contains(hd.Get("Access-Control-Allow-Headers"), name) {
			t.Errorf("Allow-Headers %q lacks %s", hd.Get("Access-Control-Allow-Headers"), name)
		}
	}
	if hd.Get("Access-Control-Allow-Credentials") != "" {
		t.Error("credentials must not be allowed: tokens are bearer tokens")
	}
	if !strings.Contains(strings.Join(hd.Values("Vary"), ","), "Origin") {
		t.Errorf("Vary = %v, want Origin", hd.Values("Vary"))
	}

	// The actual request from a listed origin: allowed, with the headers a client needs.
	w = send(h, http.MethodGet, "/api/v1/openapi.yaml", "Origin", "http://127.0.0.1:5173")
	if w.Code != http.StatusOK || w.Header().Get("Access-Control-Allow-Origin") != "http://127.0.0.1:5173" {
		t.Errorf("listed GET: %d, Allow-Origin %q", w.Code, w.Header().Get("Access-Control-Allow-Origin"))
	}
	if !strings.Contains(w.Header().Get("Access-Control-Expose-Headers"), "Retry-After") {
		t.Errorf("Expose-Headers = %q, want Retry-After", w.Header().Get("Access-Control-Expose-Headers"))
	}

	// Unlisted origins, close ones included: no CORS header, never a 5xx, Vary: Origin.
	for _, origin := range []string{"https://evil.example", "https://app.example.ma/", "http://app.example.ma", "https://APP.example.ma.evil", "null", ""} {
		w := preflight(h, origin)
		if w.Code >= 500 || w.Code == http.StatusNoContent {
			t.Errorf("preflight from %q: %d, want the route's ordinary answer", origin, w.Code)
		}
		if got := corsHeaders(w.Header()); len(got) > 0 {
			t.Errorf("preflight from %q: CORS headers %v", origin, got)
		}
		if w.Header().Get("Vary") != "Origin" {
			t.Errorf("preflight from %q: Vary = %q, want Origin", origin, w.Header().Get("Vary"))
		}
		w = send(h, http.MethodGet, "/api/v1/openapi.yaml", "Origin", origin)
		if got := corsHeaders(w.Header()); len(got) > 0 {
			t.Errorf("GET from %q: CORS headers %v", origin, got)
		}
	}
}

// TestSecurityHeaders: every answer, problem documents, 404, 405, 429 and preflights
// included, carries the security headers; HSTS only over TLS.
func TestSecurityHeaders(t *testing.T) {
	s := New(Deps{CORSOrigins: []string{"https://app.example.ma"}, RateLimitIP: RateLimit{Requests: 1, Per: time.Hour},
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	h := s.Handler()
	for _, tc := range []struct {
		name string
		w    *httptest.ResponseRecorder
		code int
	}{
		{"document", send(h, http.MethodGet, "/api/v1/openapi.yaml"), 200},
		{"404", send(h, http.MethodGet, "/api/v1/nowhere"), 404},
		{"405", send(h, http.MethodDelete, "/healthz"), 405},
		{"401", send(h, http.MethodGet, "/api/v1/me"), 401},
		{"400", post(h, "/api/v1/auth/login", "192.0.2.1:1", `{`), 400},
		{"429", post(h, "/api/v1/auth/login", "192.0.2.1:1", `{`), 429},
		{"preflight", preflight(h, "https://app.example.ma"), 204},
	} {
		if tc.w.Code != tc.code {
			t.Errorf("%s: status %d, want %d", tc.name, tc.w.Code, tc.code)
		}
		hd := tc.w.Header()
		for _, kv := range securityHeaders {
			if kv[0] == "Cache-Control" && tc.name == "document" {
				continue // the document is cacheable on purpose
			}
			if got := hd.Get(kv[0]); got != kv[1] {
				t.Errorf("%s: %s = %q, want %q", tc.name, kv[0], got, kv[1])
			}
		}
		if hd.Get("Content-Security-Policy") != "default-src 'none'; frame-ancestors 'none'" || hd.Get("X-Request-ID") == "" {
			t.Errorf("%s: CSP %q, X-Request-ID %q", tc.name, hd.Get("Content-Security-Policy"), hd.Get("X-Request-ID"))
		}
		if hd.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain HTTP", tc.name)
		}
	}

	hstsFor := func(target, remote, proto string) string {
		r := httptest.NewRequest(http.MethodGet, target, nil)
		r.RemoteAddr = remote
		if proto != "" {
			r.Header.Set("X-Forwarded-Proto", proto)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Header().Get("Strict-Transport-Security")
	}
	if got := hstsFor("https://api.example.ma/api/v1/nowhere", "192.0.2.1:1", ""); got != hsts {
		t.Errorf("over TLS: HSTS %q, want %q", got, hsts)
	}
	if got := hstsFor("/api/v1/nowhere", "10.0.0.2:1", "https"); got != hsts {
		t.Errorf("behind a trusted TLS proxy: HSTS %q, want %q", got, hsts)
	}
	if got := hstsFor("/api/v1/nowhere", "192.0.2.1:1", "https"); got != "" {
		t.Errorf("X-Forwarded-Proto from an untrusted peer: HSTS %q, want none", got)
	}
	if got := hstsFor("/api/v1/nowhere", "10.0.0.2:1", "http"); got != "" {
		t.Errorf("behind a trusted plain-HTTP proxy: HSTS %q, want none", got)
	}
}
