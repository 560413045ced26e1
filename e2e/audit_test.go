package e2e

import (
	"net/http"
	"testing"
)

// TestStaffReadsAudited: an officer's read of a complaint and an agent's read of an
// enrollment are in the audit admins list, with who read, when and the request's id; the
// audit names the records, never the citizen.
func TestStaffReadsAudited(t *testing.T) {
	c, token := activeCitizen(t)
	r := call(t, "POST", "/api/v1/me/complaints", token, map[string]string{"category": "other", "subject": "Relevé",
		"description": "Je voudrais un relevé de mes opérations."})
	expect(t, r, http.StatusAccepted, "")
	ref := r.str("reference")
	waitComplaint(t, token, ref, "in_queue")
	officer, agent, admin := staffToken(t, "officer@e2e.oc.local"), staffToken(t, "agent@e2e.oc.local"), staffToken(t, "admin@e2e.oc.local")
	expect(t, call(t, "GET", "/api/v1/complaints/"+ref, officer, nil, "X-Request-ID", "audit-test-complaint-read"), http.StatusOK, "")
	expect(t, call(t, "GET", "/api/v1/enrollments/"+c.EnrollmentID, agent, nil, "X-Request-ID", "audit-test-enrollment-read"), http.StatusOK, "")

	for _, tc := range []struct{ entity, id, action, requestID string }{
		{"complaint", ref, "complaint.read", "audit-test-complaint-read"},
		{"enrollment", c.EnrollmentID, "enrollment.read", "audit-test-enrollment-read"},
	} {
		r := call(t, "GET", "/api/v1/admin/audit?entity="+tc.entity+"&entity_id="+tc.id, admin, nil)
		expect(t, r, http.StatusOK, "")
		found := false
		for _, it := range r.Body["items"].([]any) {
			m := it.(map[string]any)
			if m["action"] == tc.action && m["request_id"] == tc.requestID && m["staff_id"].(float64) > 0 {
				found = true
			}
		}
		if !found {
			t.Fatalf("no %s by the staff member's request %s in the audit: %s", tc.action, tc.requestID, r.Raw)
		}
	}
	expect(t, call(t, "GET", "/api/v1/admin/audit", officer, nil), http.StatusForbidden, "forbidden")
	expect(t, call(t, "GET", "/api/v1/admin/audit?staff_id=x", admin, nil), http.StatusBadRequest, "validation_failed")
}
