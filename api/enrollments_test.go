package api_test

import (
	"net/http"
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
