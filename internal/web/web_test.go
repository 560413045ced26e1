package web

import (
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"occonnect/internal/metrics"
)

// These tests run Common in front of a router built as the adapters build theirs (see
// routes); the API's own routes are checked behind it in package api.

// problem answers a problem document with that status, as the API does.
func problem(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"status":`+strconv.Itoa(status)+`}`)
	}
}

// routes is a router like the API's: route templates captured, a problem for an unknown
// path or method, and routes that answer a document (cacheable, as the OpenAPI document
// is), a status of the path (/status/{code}: 401, 429…), a conflict or nothing at all on a
// path with a variable, and a panic.
func routes() *mux.Router {
	r := mux.NewRouter()
	r.Use(CaptureRoute)
	r.NotFoundHandler = problem(http.StatusNotFound)
	r.MethodNotAllowedHandler = problem(http.StatusMethodNotAllowed)
	r.HandleFunc("/api/v1/openapi.yaml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = io.WriteString(w, "openapi: 3.1.0\n")
	}).Methods(http.MethodGet)
	r.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {}).Methods(http.MethodGet)
	r.HandleFunc("/api/v1/auth/login", problem(http.StatusBadRequest)).Methods(http.MethodPost)
	r.HandleFunc("/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(mux.Vars(r)["code"])
		problem(code)(w, r)
	})
	r.HandleFunc("/api/v1/things/{reference}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusConflict)
	}).Methods(http.MethodPost)
	r.HandleFunc("/api/v1/things/{reference}", func(w http.ResponseWriter, r *http.Request) {}).Methods(http.MethodGet)
	r.HandleFunc("/api/v1/things/{reference}/boom", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	return r
}

// handler is Common in front of routes.
func handler(o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Internal = problem(http.StatusInternalServerError)
	return Common(routes(), o)
}

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
	h := handler(Options{})
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
	h := handler(Options{CORSOrigins: []string{"https://app.example.ma", "http://127.0.0.1:5173"}})

	w := preflight(h, "https://app.example.ma")
	if w.Code != http.StatusNoContent {
		t.Fatalf("listed preflight: %d, want 204", w.Code)
	}
	hd := w.Header()
	if got := hd.Get("Access-Control-Allow-Origin"); got != "https://app.example.ma" {
		t.Errorf("Allow-Origin = %q", got)
	}
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
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

// TestSecurityHeaders: every answer, problem documents, 404, 405, 429, a panic's 500 and
// preflights included, carries the security headers and a request ID; HSTS only over TLS.
func TestSecurityHeaders(t *testing.T) {
	h := handler(Options{CORSOrigins: []string{"https://app.example.ma"}, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	for _, tc := range []struct {
		name string
		w    *httptest.ResponseRecorder
		code int
	}{
		{"document", send(h, http.MethodGet, "/api/v1/openapi.yaml"), 200},
		{"404", send(h, http.MethodGet, "/api/v1/nowhere"), 404},
		{"405", send(h, http.MethodDelete, "/healthz"), 405},
		{"401", send(h, http.MethodGet, "/status/401"), 401},
		{"400", send(h, http.MethodPost, "/api/v1/auth/login"), 400},
		{"429", send(h, http.MethodPost, "/status/429"), 429},
		{"500", send(h, http.MethodGet, "/api/v1/things/x/boom"), 500},
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

// TestRequestIDs: a well-formed X-Request-ID is kept, anything else replaced.
func TestRequestIDs(t *testing.T) {
	h := handler(Options{})
	if got := send(h, http.MethodGet, "/healthz", "X-Request-ID", "app-1234.abc_DEF").Header().Get("X-Request-ID"); got != "app-1234.abc_DEF" {
		t.Errorf("a well-formed id became %q", got)
	}
	for _, bad := range []string{"short", strings.Repeat("a", 65), "a b c d e f g h", "<script>alert(1)</script>"} {
		if got := send(h, http.MethodGet, "/healthz", "X-Request-ID", bad).Header().Get("X-Request-ID"); got == bad || !requestIDPattern.MatchString(got) {
			t.Errorf("X-Request-ID %q answered as %q", bad, got)
		}
	}
}

// TestRequestMetrics: Common counts every request by route template (never the path,
// which holds references), method and status, and times it.
func TestRequestMetrics(t *testing.T) {
	reg := metrics.NewRegistry()
	h := handler(Options{Metrics: metrics.NewHTTP(reg)})
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/api/v1/openapi.yaml", 200},
		{http.MethodGet, "/api/v1/openapi.yaml", 200},
		{http.MethodGet, "/api/v1/complaints-of/REC-2026-000123", 404},
		{http.MethodDelete, "/healthz", 405},
		{"BREW", "/healthz", 405},
		// A route with a variable: a conflict, an answer that writes nothing (net/http
		// sends 200) and a panic (500).
		{http.MethodPost, "/api/v1/things/REC-2026-000123", 409},
		{http.MethodPost, "/api/v1/things/REC-2026-000124", 409},
		{http.MethodPost, "/api/v1/things/REC-2026-000125", 409},
		{http.MethodGet, "/api/v1/things/REC-2026-000126", 200},
		{http.MethodGet, "/api/v1/things/REC-2026-000127/boom", 500},
	} {
		if w := send(h, c.method, c.path); w.Code != c.status {
			t.Fatalf("%s %s: %d, want %d", c.method, c.path, w.Code, c.status)
		}
	}

	requests, err := metrics.Values(reg, "occ_http_requests_total")
	if err != nil {
		t.Fatal(err)
	}
	wantRequests := map[string]float64{
		`method="GET",route="/api/v1/openapi.yaml",status="200"`:            2,
		`method="GET",route="unmatched",status="404"`:                       1,
		`method="DELETE",route="unmatched",status="405"`:                    1,
		`method="other",route="unmatched",status="405"`:                     1,
		`method="POST",route="/api/v1/things/{reference}",status="409"`:     3,
		`method="GET",route="/api/v1/things/{reference}",status="200"`:      1,
		`method="GET",route="/api/v1/things/{reference}/boom",status="500"`: 1,
	}
	if !maps.Equal(requests, wantRequests) {
		t.Errorf("occ_http_requests_total:\n got %v\nwant %v", requests, wantRequests)
	}
	latency, err := metrics.Values(reg, "occ_http_request_duration_seconds")
	if err != nil {
		t.Fatal(err)
	}
	wantLatency := map[string]float64{
		`method="GET",route="/api/v1/openapi.yaml"`:            2,
		`method="GET",route="unmatched"`:                       1,
		`method="DELETE",route="unmatched"`:                    1,
		`method="other",route="unmatched"`:                     1,
		`method="POST",route="/api/v1/things/{reference}"`:     3,
		`method="GET",route="/api/v1/things/{reference}"`:      1,
		`method="GET",route="/api/v1/things/{reference}/boom"`: 1,
	}
	if !maps.Equal(latency, wantLatency) {
		t.Errorf("occ_http_request_duration_seconds observations:\n got %v\nwant %v", latency, wantLatency)
	}

	// The exposition served on /metrics names no reference.
	w := send(metrics.Handler(reg, false), http.MethodGet, "/metrics")
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, `occ_http_request_duration_seconds_bucket{method="POST",route="/api/v1/things/{reference}",le="0.005"}`) {
		t.Fatalf("GET /metrics: %d\n%s", w.Code, body)
	}
	if strings.Contains(body, "REC-2026") {
		t.Error("a path reached the metrics")
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
			if got := ClientIP(r, tc.trusted).String(); got != tc.want {
				t.Errorf("ClientIP = %s, want %s", got, tc.want)
			}
		})
	}
	if got := IPKey(netip.MustParseAddr("2001:db8:1:2:aaaa::1")); got != "2001:db8:1:2::/64" {
		t.Errorf("IPv6 key = %s, want its /64", got)
	}
	if got := IPKey(netip.MustParseAddr("192.0.2.7")); got != "192.0.2.7" {
		t.Errorf("IPv4 key = %s", got)
	}
}
