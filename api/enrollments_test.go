package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.temporal.io/api/serviceerror"

	"occonnect/domain"
	"occonnect/internal/apitest"
	"occonnect/workflows"
)

// TestEnrollmentStartRepaired: Temporal out of reach when an agent enrols answers 503 with
// Retry-After (the enrollment row is written, its workflow not started); the agent's retry
// finds the open enrollment (200, the same id) and starts its workflow.
func TestEnrollmentStartRepaired(t *testing.T) {
	t.Parallel()
	s := apitest.New(t, apitest.Options{})
	agent := s.NewStaff(t, domain.RoleAgent, "agent@t.local")
	const body = `{"cin":"AB123456","first_name":"Omar","last_name":"Tazi","email":"omar@example.ma","birth_date":"1980-01-01","language":"fr"}`

	s.Temporal.FailStarts(serviceerror.NewUnavailable("temporal is down"))
	w := s.Call(agent.Token, http.MethodPost, "/api/v1/enrollments", body)
	apitest.WantProblem(t, w, http.StatusServiceUnavailable, "unavailable")
	if w.Header().Get("Retry-After") == "" || len(s.Temporal.Starts()) != 0 {
		t.Fatalf("Retry-After %q, %d workflows started", w.Header().Get("Retry-After"), len(s.Temporal.Starts()))
	}

	s.Temporal.FailStarts(nil)
	w = s.Call(agent.Token, http.MethodPost, "/api/v1/enrollments", body)
	if w.Code != http.StatusOK {
		t.Fatalf("retry: %d %s, want 200 (the open enrollment)", w.Code, w.Body)
	}
	ref := apitest.Decode[struct {
		EnrollmentID string `json:"enrollment_id"`
		Status       string `json:"status"`
	}](t, w)
	if starts := s.Temporal.Starts(); len(starts) != 1 || starts[0].WorkflowID != workflows.EnrollmentWorkflowID(ref.EnrollmentID) {
		t.Fatalf("started %+v, want the workflow of %s", starts, ref.EnrollmentID)
	}
	if w := s.Call(agent.Token, http.MethodGet, "/api/v1/enrollments/"+ref.EnrollmentID, ""); w.Code != http.StatusOK {
		t.Fatalf("GET the enrollment: %d %s", w.Code, w.Body)
	}
}

// TestAgentOfDeactivatedPoint: once an admin deactivates an exchange point, its agents can
// neither enrol nor record a sale (403, the reason in the detail), whatever their open
// sessions; activated again, they can.
func TestAgentOfDeactivatedPoint(t *testing.T) {
	t.Parallel()
	s := apitest.New(t, apitest.Options{})
	agent := s.NewStaff(t, domain.RoleAgent, "agent@t.local")
	admin := s.NewStaff(t, domain.RoleAdmin, "admin@t.local")
	enrol := func(cin string) *httptest.ResponseRecorder {
		return s.Call(agent.Token, http.MethodPost, "/api/v1/enrollments", `{"cin":"`+cin+`","first_name":"Omar","last_name":"Tazi",`+
			`"email":"omar@example.ma","birth_date":"1980-01-01","language":"fr"}`)
	}
	if w := enrol("AB123456"); w.Code != http.StatusAccepted {
		t.Fatalf("enrol at an open point: %d %s", w.Code, w.Body)
	}
	if w := s.Call(admin.Token, http.MethodPost, "/api/v1/admin/exchange-points/"+apitest.AgentPoint+"/deactivate", ""); w.Code != http.StatusOK {
		t.Fatalf("deactivate: %d %s", w.Code, w.Body)
	}
	w := enrol("AB123457")
	apitest.WantProblem(t, w, http.StatusForbidden, "forbidden")
	if !strings.Contains(w.Body.String(), "deactivated") {
		t.Errorf("the refusal does not say why: %s", w.Body)
	}
	w = s.Call(agent.Token, http.MethodPost, "/api/v1/allowance-operations", `{"cin":"AB123456","type":"tourism","amount_mad":1000,`+
		`"currency":"EUR","foreign_amount":"90.00","reference":"R-1"}`, "Idempotency-Key", "sale-1")
	apitest.WantProblem(t, w, http.StatusForbidden, "forbidden")
	if w := s.Call(admin.Token, http.MethodPost, "/api/v1/admin/exchange-points/"+apitest.AgentPoint+"/activate", ""); w.Code != http.StatusOK {
		t.Fatalf("activate: %d %s", w.Code, w.Body)
	}
	if w := enrol("AB123457"); w.Code != http.StatusAccepted {
		t.Fatalf("enrol once the point is open again: %d %s", w.Code, w.Body)
	}
}
