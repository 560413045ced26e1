package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"occonnect/internal/apitest"
	"occonnect/internal/metrics"
	"occonnect/internal/ratelimit"
)

// The common middleware (internal/web) is tested there in front of a stand-in router;
// these tests check it in front of the API's own routes.

// securityHeaders are what every answer of the API carries (internal/web).
var securityHeaders = map[string]string{
	"X-Content-Type-Options":  "nosniff",
	"Cache-Control":           "no-store",
	"Referrer-Policy":         "no-referrer",
	"X-Frame-Options":         "DENY",
	"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}

func preflightLogin(s *apitest.Server) *httptest.ResponseRecorder {
	return s.Call("", http.MethodOptions, "/api/v1/auth/login", "", "Origin", "https://app.example.ma",
		"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization,content-type")
}

// TestCommonOnTheRoutes: the API's answers (its document, its problems for 400, 401, 404,
// 405 and 429, a CORS preflight) carry the security headers and a request ID; a preflight
// without listed origins gets the route's ordinary problem; requests are counted by the
// API's route templates.
func TestCommonOnTheRoutes(t *testing.T) {
	t.Parallel()
	reg := metrics.NewRegistry()
	s := apitest.New(t, apitest.Options{CORSOrigins: []string{"https://app.example.ma"}, Metrics: metrics.NewHTTP(reg),
		RateLimitIP: ratelimit.Rate{Requests: 1, Per: time.Hour}})
	for _, tc := range []struct {
		name string
		w    *httptest.ResponseRecorder
		code int
	}{
		{"document", s.Call("", http.MethodGet, "/api/v1/openapi.yaml", ""), 200},
		{"404", s.Call("", http.MethodGet, "/api/v1/nowhere", ""), 404},
		{"405", s.Call("", http.MethodDelete, "/healthz", ""), 405},
		{"401", s.Call("", http.MethodGet, "/api/v1/me", ""), 401},
		{"400", s.Call("", http.MethodPost, "/api/v1/auth/login", `{`), 400},
		{"429", s.Call("", http.MethodPost, "/api/v1/auth/login", `{`), 429},
		{"preflight", preflightLogin(s), 204},
	} {
		if tc.w.Code != tc.code {
			t.Errorf("%s: status %d, want %d", tc.name, tc.w.Code, tc.code)
		}
		if tc.code >= 400 {
			apitest.Problem(t, tc.w)
		}
		for name, want := range securityHeaders {
			if name == "Cache-Control" && tc.name == "document" {
				continue // the document is cacheable on purpose
			}
			if got := tc.w.Header().Get(name); got != want {
				t.Errorf("%s: %s = %q, want %q", tc.name, name, got, want)
			}
		}
		if tc.w.Header().Get("X-Request-ID") == "" || tc.w.Header().Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: X-Request-ID %q, HSTS %q over plain HTTP", tc.name, tc.w.Header().Get("X-Request-ID"),
				tc.w.Header().Get("Strict-Transport-Security"))
		}
	}
	requests, err := metrics.Values(reg, "occ_http_requests_total")
	if err != nil {
		t.Fatal(err)
	}
	for series, n := range map[string]float64{
		`method="GET",route="/api/v1/openapi.yaml",status="200"`: 1,
		`method="GET",route="unmatched",status="404"`:            1,
		`method="DELETE",route="unmatched",status="405"`:         1,
		`method="GET",route="/api/v1/me",status="401"`:           1,
		`method="POST",route="/api/v1/auth/login",status="429"`:  1,
	} {
		if requests[series] != n {
			t.Errorf("occ_http_requests_total{%s} = %v, want %v (all: %v)", series, requests[series], n, requests)
		}
	}

	// Without listed origins: the router's answer to OPTIONS, and no CORS header.
	closed := apitest.New(t, apitest.Options{})
	w := preflightLogin(closed)
	apitest.WantProblem(t, w, http.StatusMethodNotAllowed, "method_not_allowed")
	for name := range w.Header() {
		if strings.HasPrefix(name, "Access-Control-") {
			t.Errorf("preflight without listed origins: %s", name)
		}
	}
}
