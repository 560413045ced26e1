package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"occonnect/internal/metrics"
	"occonnect/internal/server"
	"occonnect/internal/stack"
)

// sum adds the series of a metric whose labels hold every one of the given pairs.
func sum(t testing.TB, name string, labels ...string) float64 {
	t.Helper()
	values, err := metrics.Values(env.metrics, name)
	if err != nil {
		t.Fatal(err)
	}
	var total float64
next:
	for key, v := range values {
		for _, l := range labels {
			if !strings.Contains(","+key+",", ","+l+",") {
				continue next
			}
		}
		total += v
	}
	return total
}

// TestMetricsAfterAnEnrollment: one enrollment taken to an active account shows in the
// registry the worker and the API write to: the SDK's workflow, activity and request
// metrics, the e-mails and credentials the activities counted, and the API's requests by
// route template. /metrics serves it all.
func TestMetricsAfterAnEnrollment(t *testing.T) {
	const enrollment = `workflow_type="Enrollment"`
	completed := sum(t, "temporal_workflow_completed_total", enrollment)
	credentialsMails := sum(t, "occ_emails_sent_total", `kind="citizen_credentials"`)
	welcomeMails := sum(t, "occ_emails_sent_total", `kind="citizen_welcome"`)
	issued := sum(t, "occ_credentials_issued_total", `issue="first"`)
	enrolments := sum(t, "occ_http_requests_total", `route="/api/v1/enrollments"`, `method="POST"`, `status="202"`)

	activeCitizen(t)
	deadline := time.Now().Add(30 * time.Second)
	for sum(t, "temporal_workflow_completed_total", enrollment) == completed || sum(t, "occ_emails_sent_total", `kind="citizen_welcome"`) == welcomeMails {
		if time.Now().After(deadline) {
			t.Fatal("the enrollment did not complete with its welcome e-mail within 30 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, c := range []struct {
		what   string
		before float64
		now    float64
	}{
		{"occ_emails_sent_total{kind=citizen_credentials}", credentialsMails, sum(t, "occ_emails_sent_total", `kind="citizen_credentials"`)},
		{"occ_credentials_issued_total{issue=first}", issued, sum(t, "occ_credentials_issued_total", `issue="first"`)},
		{"occ_http_requests_total{route=/api/v1/enrollments,method=POST,status=202}", enrolments,
			sum(t, "occ_http_requests_total", `route="/api/v1/enrollments"`, `method="POST"`, `status="202"`)},
	} {
		if c.now < c.before+1 {
			t.Errorf("%s: %v before, %v after", c.what, c.before, c.now)
		}
	}
	for _, c := range []struct{ name, label string }{
		{"temporal_activity_execution_latency_seconds", `activity_type="SendEmail"`},
		{"temporal_activity_execution_latency_seconds", `activity_type="IssueCredentials"`},
		{"temporal_workflow_endtoend_latency_seconds", enrollment},
		{"temporal_request_total", `operation="StartWorkflowExecution"`},
		{"temporal_worker_start_total", `worker_type="WorkflowWorker"`},
	} {
		if sum(t, c.name, c.label) == 0 {
			t.Errorf("%s{%s}: no observation", c.name, c.label)
		}
	}

	// Every route label is a route template of the router (the API's and the console's) (or "unmatched"): no path, so no
	// reference or other value of a request.
	templates := map[string]bool{"unmatched": true}
	if err := server.Routes(server.Options{}).Walk(func(r *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		if tpl, err := r.GetPathTemplate(); err == nil {
			templates[tpl] = true
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	requests, err := metrics.Values(env.metrics, "occ_http_requests_total")
	if err != nil {
		t.Fatal(err)
	}
	for key := range requests {
		var route string
		for _, l := range strings.Split(key, ",") {
			if v, ok := strings.CutPrefix(l, "route="); ok {
				route = strings.Trim(v, `"`)
			}
		}
		if !templates[route] {
			t.Errorf("occ_http_requests_total has route %q, not a template of the router", route)
		}
	}

	srv := httptest.NewServer(metrics.Handler(env.metrics, false))
	defer srv.Close()
	r := callWith(t, &stack.Client{BaseURL: srv.URL, HTTP: http.DefaultClient}, http.MethodGet, "/metrics", "", nil)
	for _, want := range []string{"temporal_workflow_completed_total{", `occ_emails_sent_total{kind="citizen_credentials"}`,
		"occ_http_request_duration_seconds_bucket{", "go_goroutines "} {
		if r.Status != http.StatusOK || !strings.Contains(string(r.Raw), want) {
			t.Fatalf("GET /metrics: %d, no %s", r.Status, want)
		}
	}
	t.Logf("/metrics: %d bytes, %d requests of %d routes counted", len(r.Raw), int(sum(t, "occ_http_requests_total")), len(requests))
}

// checkLogs reads the logs of the whole run, at the end of TestMain: every line is one JSON
// object with a level and a message; every line of the API carries its request_id; the
// SDK's lines of a workflow or an activity carry its WorkflowID and RunID; no line holds a
// CIN, name, e-mail, password or token that the tests used, nor a field named after one.
func checkLogs() error {
	env.mu.Lock()
	secrets := append([]string(nil), env.personal...)
	env.mu.Unlock()
	var problems []string
	add := func(format string, args ...any) {
		if len(problems) < 20 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	logs := env.logs.String()
	lower := strings.ToLower(logs)
	for _, s := range secrets {
		if strings.Contains(lower, strings.ToLower(s)) {
			add("the logs hold personal data or a secret (%d characters)", len(s))
		}
	}

	forbidden := []string{"cin", "email", "e-mail", "first_name", "last_name", "name", "password", "token"}
	var lines, sdkLines int
	scan := func(text string, api bool) {
		sc := bufio.NewScanner(strings.NewReader(text))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for n := 1; sc.Scan(); n++ {
			var line map[string]any
			if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
				add("line %d is not JSON: %.80q", n, sc.Text())
				continue
			}
			msg, _ := line["msg"].(string)
			if level, _ := line["level"].(string); level == "" || msg == "" {
				add("line %d has no level or msg", n)
			}
			for _, k := range forbidden {
				if _, ok := line[k]; ok {
					add("line %d (%q) has a field %q", n, msg, k)
				}
			}
			if api {
				if id, _ := line["request_id"].(string); id == "" {
					add("API line %d (%q) has no request_id", n, msg)
				}
				continue
			}
			lines++
			_, activity := line["ActivityType"]
			_, workflow := line["WorkflowType"]
			if activity || workflow {
				sdkLines++
				if id, _ := line["WorkflowID"].(string); id == "" || line["RunID"] == nil {
					add("line %d (%q) of a workflow or activity has no WorkflowID or RunID", n, msg)
				}
			}
		}
	}
	scan(logs, false)
	scan(env.apiLogs.String(), true)
	if lines == 0 {
		add("no log line at all")
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n  "))
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "logs: %d lines (%d of workflows and activities), %d bytes, no trace of %d values\n",
			lines, sdkLines, len(logs), len(secrets))
	}
	return nil
}
