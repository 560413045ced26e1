package metrics

import (
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(w.Body)
	return w.Code, string(body)
}

// TestHandler: /metrics serves the registry with the Go and process collectors; the
// profiles only when asked.
func TestHandler(t *testing.T) {
	reg := NewRegistry()
	NewHTTP(reg).Observe("/healthz", http.MethodGet, 200, 3*time.Millisecond)
	code, body := get(t, Handler(reg, false), "/metrics")
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", `occ_http_requests_total{method="GET",route="/healthz",status="200"} 1`} {
		if code != 200 || !strings.Contains(body, name) {
			t.Fatalf("/metrics: %d, no %s", code, name)
		}
	}
	if code, _ := get(t, Handler(reg, false), "/debug/pprof/heap"); code != http.StatusNotFound {
		t.Errorf("pprof without OCC_PPROF: %d, want 404", code)
	}
	if code, body := get(t, Handler(reg, true), "/debug/pprof/"); code != 200 || !strings.Contains(body, "goroutine") {
		t.Errorf("pprof index with OCC_PPROF: %d", code)
	}
	if code, _ := get(t, Handler(reg, true), "/debug/pprof/heap"); code != 200 {
		t.Errorf("heap profile with OCC_PPROF: %d", code)
	}
}

// TestTemporal: the SDK's counters, gauges and timers reach the Prometheus registry through
// OpenTelemetry, with Prometheus names and the bounds in seconds.
func TestTemporal(t *testing.T) {
	reg := NewRegistry()
	h, err := Temporal(reg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	tagged := h.WithTags(map[string]string{"workflow_type": "Enrollment"})
	tagged.Counter("temporal_workflow_completed").Inc(1)
	tagged.Counter("temporal_workflow_completed").Inc(1)
	h.Gauge("temporal_num_pollers").Update(2)
	h.WithTags(map[string]string{"activity_type": "SendEmail"}).Timer("temporal_activity_execution_latency").Record(40 * time.Millisecond)

	for name, want := range map[string]map[string]float64{
		"temporal_workflow_completed_total":           {`workflow_type="Enrollment"`: 2},
		"temporal_num_pollers":                        {"": 2},
		"temporal_activity_execution_latency_seconds": {`activity_type="SendEmail"`: 1},
	} {
		got, err := Values(reg, name)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
	_, body := get(t, Handler(reg, false), "/metrics")
	for _, line := range []string{
		`temporal_activity_execution_latency_seconds_bucket{activity_type="SendEmail",le="0.025"} 0`,
		`temporal_activity_execution_latency_seconds_bucket{activity_type="SendEmail",le="0.05"} 1`,
		`temporal_activity_execution_latency_seconds_bucket{activity_type="SendEmail",le="604800"} 1`,
	} {
		if !strings.Contains(body, line) {
			t.Errorf("no %s in\n%s", line, body)
		}
	}
}

// TestActivities: the counters and their labels; a nil *Activities counts nothing.
func TestActivities(t *testing.T) {
	var none *Activities
	none.EmailSent("citizen_credentials")
	none.DTSCredited(100)

	reg := NewRegistry()
	m := NewActivities(reg)
	m.EmailSent("citizen_credentials")
	m.EmailSent("citizen_credentials")
	m.EmailFailed("citizen_welcome", false)
	m.EmailFailed("citizen_welcome", true)
	m.Escalated("dts", 1)
	m.Escalated("complaint", 2)
	m.CredentialsIssued(1)
	m.CredentialsIssued(2)
	m.ComplaintReminder("first_response")
	m.DTSCredited(14400)
	m.DTSCredited(600)
	for name, want := range map[string]map[string]float64{
		"occ_emails_sent_total":         {`kind="citizen_credentials"`: 2},
		"occ_emails_failed_total":       {`kind="citizen_welcome",permanent="false"`: 1, `kind="citizen_welcome",permanent="true"`: 1},
		"occ_escalations_total":         {`kind="dts",level="1"`: 1, `kind="complaint",level="2"`: 1},
		"occ_credentials_issued_total":  {`issue="first"`: 1, `issue="reissue"`: 1},
		"occ_complaint_reminders_total": {`target="first_response"`: 1},
		"occ_dts_credits_total":         {"": 2},
		"occ_dts_credited_mad_total":    {"": 15000},
	} {
		got, err := Values(reg, name)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
}
