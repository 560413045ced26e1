package e2e

import (
	"net/http"
	"strings"
	"testing"

	"occonnect/internal/testenv"
)

// TestCorrectEnrollmentEmail: an address typed wrong at the counter is corrected by an
// agent of the enrolling point: the old password fails at once, new credentials arrive at
// the new address (not the old), the citizen activates with them; the correction is
// audited; another point's agent gets 404, a citizen 403, a bad address 400, and an
// active account 409.
func TestCorrectEnrollmentEmail(t *testing.T) {
	agent := staffToken(t, "agent@e2e.oc.local")
	c := newCitizen(t)
	wrong := *c
	wrong.Email = strings.Replace(c.Email, "@", ".typo@", 1) // not containing the right one: Mailpit's search matches parts
	enrol(t, agent, &wrong)
	old := initialPassword(t, &wrong, 1)
	path := "/api/v1/enrollments/" + wrong.EnrollmentID

	expect(t, call(t, http.MethodPatch, path, agent, map[string]string{"email": "not an address"}), http.StatusBadRequest, "validation_failed")
	expect(t, call(t, http.MethodPatch, path, c.Token, map[string]string{"email": c.Email}), http.StatusUnauthorized, "unauthorized")
	r := call(t, http.MethodPatch, path, agent, map[string]string{"email": c.Email})
	expect(t, r, http.StatusAccepted, "")
	expect(t, call(t, http.MethodPost, "/api/v1/activation", "", map[string]string{"cin": c.CIN, "password": old}),
		http.StatusUnauthorized, "invalid_credentials")

	c.EnrollmentID = wrong.EnrollmentID
	fresh := initialPassword(t, c, 1) // at the corrected address
	token := activate(t, c, fresh)
	must(t, env.client.ChangePassword(t.Context(), token, fresh, c.Password))
	if n := testenv.Count(t, env.store.DB(), `SELECT COUNT(*) FROM admin_audit WHERE action = 'enrollment.correct_email' AND entity_id = ?`,
		wrong.EnrollmentID); n != 1 {
		t.Fatalf("%d enrollment.correct_email audit rows, want 1", n)
	}
	if msgs, err := env.mailpit.Messages(t.Context(), wrong.Email); err != nil || len(msgs) != 1 {
		t.Fatalf("%d e-mails at the wrong address, want only the first credentials", len(msgs))
	}
	expect(t, call(t, http.MethodPatch, path, agent, map[string]string{"email": "autre." + c.Email}), http.StatusConflict, "conflict")
	expect(t, call(t, http.MethodPatch, path, staffToken(t, "admin@e2e.oc.local"), map[string]string{"email": "autre." + c.Email}),
		http.StatusConflict, "conflict")
	expect(t, call(t, http.MethodPatch, path, staffToken(t, "officer@e2e.oc.local"), map[string]string{"email": c.Email}),
		http.StatusForbidden, "forbidden")
}
