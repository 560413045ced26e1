package api

import (
	"io"
	"log/slog"
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"occonnect/internal/metrics"
)

// TestRequestMetrics: the common middleware counts every request by route template (never
// the path, which holds references), method and status, and times it.
func TestRequestMetrics(t *testing.T) {
	reg := metrics.NewRegistry()
	s := New(Deps{Metrics: metrics.NewHTTP(reg), Logger: slog.New(slog.DiscardHandler)})

	// The real router: a static route, an unknown path, a wrong method.
	h := s.Handler()
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/api/v1/openapi.yaml", 200},
		{http.MethodGet, "/api/v1/openapi.yaml", 200},
		{http.MethodGet, "/api/v1/complaints-of/REC-2026-000123", 404},
		{http.MethodDelete, "/healthz", 405},
		{"BREW", "/healthz", 405},
	} {
		if w := send(h, c.method, c.path); w.Code != c.status {
			t.Fatalf("%s %s: %d, want %d", c.method, c.path, w.Code, c.status)
		}
	}

	// A route with a variable, behind the same middleware: a conflict, an answer that
	// writes nothing (net/http sends 200) and a panic (500).
	r := mux.NewRouter()
	r.Use(captureRoute)
	r.HandleFunc("/api/v1/things/{reference}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusConflict)
	}).Methods(http.MethodPost)
	r.HandleFunc("/api/v1/things/{reference}", func(w http.ResponseWriter, r *http.Request) {}).Methods(http.MethodGet)
	r.HandleFunc("/api/v1/things/{reference}/boom", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	th := s.common(r)
	for _, ref := range []string{"REC-2026-000123", "REC-2026-000124", "REC-2026-000125"} {
		if w := send(th, http.MethodPost, "/api/v1/things/"+ref); w.Code != http.StatusConflict {
			t.Fatalf("POST: %d", w.Code)
		}
	}
	send(th, http.MethodGet, "/api/v1/things/REC-2026-000126")
	if w := send(th, http.MethodGet, "/api/v1/things/REC-2026-000127/boom"); w.Code != http.StatusInternalServerError {
		t.Fatalf("panic: %d", w.Code)
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
	body, _ := io.ReadAll(w.Body)
	if w.Code != http.StatusOK || !strings.Contains(string(body), `occ_http_request_duration_seconds_bucket{method="POST",route="/api/v1/things/{reference}",le="0.005"}`) {
		t.Fatalf("GET /metrics: %d\n%s", w.Code, body)
	}
	if strings.Contains(string(body), "REC-2026") {
		t.Error("a path reached the metrics")
	}
}
