package e2e

import (
	"net/http"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"occonnect/internal/stack"
	"occonnect/internal/testenv"
	"occonnect/worker"
	"occonnect/workflows"
)

// apiWithoutTemporal is a second API on the same database whose Temporal is unreachable
// (nothing listens at its address): what the citizens reach while Temporal is away.
func apiWithoutTemporal(t *testing.T) *stack.Client {
	t.Helper()
	tc, err := worker.DialLazy("127.0.0.1:1", "default", env.apiLogger, env.keys)
	must(t, err)
	t.Cleanup(tc.Close)
	return secondAPI{temporal: tc}.start(t)
}

// workflowStarted tells whether the workflow with that ID exists.
func workflowStarted(t *testing.T, id string) bool {
	t.Helper()
	_, err := env.temporal.DescribeWorkflow(t.Context(), id, "")
	return err == nil
}

// TestFilingSurvivesTemporalAway: a complaint and a DTS request sent while Temporal is away
// are recorded and refused with 503 temporal_unavailable; the app's retry with the same
// Idempotency-Key, once Temporal is back, gets the same reference (nothing filed twice),
// starts the workflow, and the acknowledgement arrives. The same key with another
// complaint is refused.
func TestFilingSurvivesTemporalAway(t *testing.T) {
	c, token := activeCitizen(t)
	away := apiWithoutTemporal(t)
	key := "file-" + c.CIN
	body := map[string]string{"category": "other", "subject": "Attestation introuvable",
		"description": "Je ne trouve pas l'attestation de ma dotation dans l'application."}

	r := callWith(t, away, "POST", "/api/v1/me/complaints", token, body, "Idempotency-Key", key)
	expect(t, r, http.StatusServiceUnavailable, "temporal_unavailable")
	r = callWith(t, away, "POST", "/api/v1/me/complaints", token, body, "Idempotency-Key", key) // the app retries
	expect(t, r, http.StatusServiceUnavailable, "temporal_unavailable")
	list := call(t, "GET", "/api/v1/me/complaints", token, nil)
	expect(t, list, http.StatusOK, "")
	items, _ := list.Body["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("%d complaints recorded after two refused filings, want 1: %s", len(items), list.Raw)
	}
	ref, _ := items[0].(map[string]any)["reference"].(string)
	if workflowStarted(t, workflows.ComplaintWorkflowID(ref)) {
		t.Fatal("the complaint has a workflow though Temporal was away")
	}

	// Temporal is back: the retry answers with the same reference and starts the workflow.
	r = call(t, "POST", "/api/v1/me/complaints", token, body, "Idempotency-Key", key)
	expect(t, r, http.StatusAccepted, "")
	if got := r.str("reference"); got != ref {
		t.Fatalf("the retry filed %s, want the first filing %s", got, ref)
	}
	mailWith(t, c, 3, ref) // credentials, welcome, the acknowledgement
	waitComplaint(t, token, ref, "in_queue")
	r = call(t, "POST", "/api/v1/me/complaints", token, body, "Idempotency-Key", key)
	expect(t, r, http.StatusAccepted, "")
	if r.Header.Get("Idempotent-Replayed") != "true" || r.str("reference") != ref {
		t.Fatalf("a retry after the success: %s (replayed %q)", r.Raw, r.Header.Get("Idempotent-Replayed"))
	}
	other := map[string]string{"category": "other", "subject": "Autre chose", "description": "Une autre réclamation."}
	expect(t, call(t, "POST", "/api/v1/me/complaints", token, other, "Idempotency-Key", key), http.StatusUnprocessableEntity, "idempotency_key_reused")
	if n := testenv.Count(t, env.store.DB(), "SELECT COUNT(*) FROM complaints c JOIN citizens z ON z.id = c.citizen_id WHERE z.cin = ?", c.CIN); n != 1 {
		t.Fatalf("%d complaints, want 1", n)
	}

	// A DTS request: the same.
	year := time.Now().In(casablanca).Year()
	dts := map[string]any{"fiscal_year": year - 1, "ir_amount_mad": 40000, "attestation_reference": "DGI-ATT-AWAY-1"}
	r = callWith(t, away, "POST", "/api/v1/me/dts-requests", token, dts, "Idempotency-Key", "dts-"+c.CIN)
	expect(t, r, http.StatusServiceUnavailable, "temporal_unavailable")
	r = call(t, "POST", "/api/v1/me/dts-requests", token, dts, "Idempotency-Key", "dts-"+c.CIN)
	expect(t, r, http.StatusAccepted, "")
	id := r.str("id")
	if n := testenv.Count(t, env.store.DB(), "SELECT COUNT(*) FROM dts_requests d JOIN citizens z ON z.id = d.citizen_id WHERE z.cin = ?", c.CIN); n != 1 {
		t.Fatalf("%d DTS requests, want 1", n)
	}
	if !workflowStarted(t, workflows.DTSWorkflowID(id)) {
		t.Fatal("the DTS request's retry did not start its workflow")
	}
	// Without the key the request is the same citizen's second one for the year.
	expect(t, call(t, "POST", "/api/v1/me/dts-requests", token, dts), http.StatusConflict, "dts_request_exists")
}

// TestReconcilerStartsWhatWasLeft: a complaint and a DTS request refused while Temporal
// was away, and never retried, get their workflows from the reconciler's next run (its
// Schedule, triggered here rather than waited for): the acknowledgement arrives and the
// officers' tasks are opened.
func TestReconcilerStartsWhatWasLeft(t *testing.T) {
	c, token := activeCitizen(t)
	away := apiWithoutTemporal(t)
	r := callWith(t, away, "POST", "/api/v1/me/complaints", token, map[string]string{"category": "other",
		"subject": "Réclamation restée sans suite", "description": "Envoyée pendant une panne."})
	expect(t, r, http.StatusServiceUnavailable, "temporal_unavailable")
	year := time.Now().In(casablanca).Year()
	r = callWith(t, away, "POST", "/api/v1/me/dts-requests", token, map[string]any{"fiscal_year": year - 1,
		"ir_amount_mad": 40000, "attestation_reference": "DGI-ATT-LEFT-1"})
	expect(t, r, http.StatusServiceUnavailable, "temporal_unavailable")
	var ref, id string
	must(t, env.store.DB().GetContext(t.Context(), &ref, `SELECT c.reference FROM complaints c JOIN citizens z ON z.id = c.citizen_id
		WHERE z.cin = ? AND c.workflow_started_at IS NULL`, c.CIN))
	must(t, env.store.DB().GetContext(t.Context(), &id, `SELECT d.id FROM dts_requests d JOIN citizens z ON z.id = d.citizen_id
		WHERE z.cin = ? AND d.workflow_started_at IS NULL AND d.status = 'pending'`, c.CIN))

	// The reconciler leaves the rows younger than a minute here (OCC_RECONCILE_AFTER: their
	// own start may be under way): as if these were filed two minutes ago.
	_, err := env.store.DB().ExecContext(t.Context(), `UPDATE complaints SET created_at = created_at - INTERVAL 2 MINUTE WHERE reference = ?`, ref)
	must(t, err)
	_, err = env.store.DB().ExecContext(t.Context(), `UPDATE dts_requests SET created_at = created_at - INTERVAL 2 MINUTE WHERE id = ?`, id)
	must(t, err)
	triggered := time.Now()
	must(t, env.temporal.ScheduleClient().GetHandle(t.Context(), workflows.ReconcileScheduleID).Trigger(t.Context(), client.ScheduleTriggerOptions{}))
	mailWith(t, c, 3, ref) // the acknowledgement
	waitComplaint(t, token, ref, "in_queue")
	deadline := time.Now().Add(30 * time.Second)
	for !workflowStarted(t, workflows.DTSWorkflowID(id)) {
		if time.Now().After(deadline) {
			t.Fatal("the reconciler did not start the DTS request's workflow")
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("reconciled in %.1f s", time.Since(triggered).Seconds())
	if testenv.Count(t, env.store.DB(), `SELECT COUNT(*) FROM complaints WHERE workflow_started_at IS NULL AND reference = ?`, ref) != 0 ||
		testenv.Count(t, env.store.DB(), `SELECT COUNT(*) FROM dts_requests WHERE workflow_started_at IS NULL AND id = ?`, id) != 0 {
		t.Fatal("the reconciler did not mark the rows started")
	}
}

// TestCancelDTSRequestWithoutWorkflow: a DTS request recorded while Temporal was away,
// cancelled by the citizen before anything started its workflow, is cancelled (its
// workflow started to do it), not refused.
func TestCancelDTSRequestWithoutWorkflow(t *testing.T) {
	_, token := activeCitizen(t)
	year := time.Now().In(casablanca).Year()
	r := callWith(t, apiWithoutTemporal(t), "POST", "/api/v1/me/dts-requests", token, map[string]any{"fiscal_year": year - 1,
		"ir_amount_mad": 40000, "attestation_reference": "DGI-ATT-CANCEL-1"})
	expect(t, r, http.StatusServiceUnavailable, "temporal_unavailable")
	list := call(t, "GET", "/api/v1/me/dts-requests", token, nil)
	items, _ := list.Body["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("%d requests recorded, want 1: %s", len(items), list.Raw)
	}
	id, _ := items[0].(map[string]any)["id"].(string)
	r = call(t, "POST", "/api/v1/me/dts-requests/"+id+"/cancel", token, nil)
	expect(t, r, http.StatusOK, "")
	if r.str("status") != "cancelled" {
		t.Fatalf("after the cancel: %s", r.Raw)
	}
}

// TestEnrollmentWritesAreVersioned: on the real server the enrollment workflow orders its
// read-model writes (the test environment of the unit tests has no history length), so
// that a late activity attempt cannot move the status back (store.TestLateEnrollmentWrites).
func TestEnrollmentWritesAreVersioned(t *testing.T) {
	c, _ := activeCitizen(t)
	var version int64
	must(t, env.store.DB().GetContext(t.Context(), &version, `SELECT e.model_version FROM enrollments e
		JOIN citizens z ON z.id = e.citizen_id WHERE z.cin = ?`, c.CIN))
	if version <= 0 {
		t.Fatalf("model_version %d after an activation: the workflow's writes carry no version", version)
	}
}

// TestPasswordChangeRetryAfterSuccess: the retry of a password change that completed, its
// answer lost (a 503 while Temporal was away, in the chaos runs), succeeds as the first
// did instead of 401 invalid_credentials; a wrong current password with another new one
// is still refused.
func TestPasswordChangeRetryAfterSuccess(t *testing.T) {
	c := newCitizen(t)
	enrol(t, staffToken(t, "agent@e2e.oc.local"), c)
	initial := initialPassword(t, c, 1)
	token := activate(t, c, initial)
	must(t, env.client.ChangePassword(t.Context(), token, initial, c.Password))
	waitStatus := func() string {
		s, err := env.client.EnrollmentStatus(t.Context(), token)
		must(t, err)
		return s
	}
	for deadline := time.Now().Add(20 * time.Second); waitStatus() != "active"; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the account did not become active")
		}
	}
	body := map[string]string{"current_password": initial, "new_password": c.Password}
	expect(t, call(t, "PUT", "/api/v1/me/password", token, body), http.StatusNoContent, "")
	other := map[string]string{"current_password": initial, "new_password": c.Password + " bis"}
	expect(t, call(t, "PUT", "/api/v1/me/password", token, other), http.StatusUnauthorized, "invalid_credentials")
	expect(t, call(t, "POST", "/api/v1/auth/login", "", map[string]string{"cin": c.CIN, "password": c.Password}), http.StatusOK, "")
}
