package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"occonnect/internal/testenv"
	"occonnect/store"
)

// TestDataExport: a citizen downloads everything held about them (account, enrollment,
// the debit, the complaint with its description, sessions, e-mails), as an attachment no
// cache keeps, with nothing about anyone else (no other citizen's data, no staff id, no
// hash or token); an admin exports a citizen's data by CIN for a request made at a
// counter, audited as citizen.data_export; other roles and the citizen route's other
// callers are refused.
func TestDataExport(t *testing.T) {
	c, token := activeCitizen(t)
	other, _ := activeCitizen(t)
	agent := staffToken(t, "agent@e2e.oc.local")
	expect(t, call(t, http.MethodPost, "/api/v1/allowance-operations", agent, map[string]any{"cin": c.CIN, "type": "tourism",
		"amount_mad": 4000, "currency": "EUR", "foreign_amount": 366.5, "reference": "RCPT-EXP-1"}, "Idempotency-Key", "export-"+c.CIN),
		http.StatusCreated, "")
	expect(t, call(t, http.MethodPost, "/api/v1/allowance-operations", agent, map[string]any{"cin": other.CIN, "type": "tourism",
		"amount_mad": 1000, "currency": "EUR", "foreign_amount": 91, "reference": "RCPT-OTHER-1"}, "Idempotency-Key", "export-"+other.CIN),
		http.StatusCreated, "")
	filed := call(t, http.MethodPost, "/api/v1/me/complaints", token, map[string]string{"category": "other",
		"subject": "Export de mes données", "description": "Je voudrais une copie de mes données personnelles."},
		"Idempotency-Key", "export-complaint-"+c.CIN)
	expect(t, filed, http.StatusAccepted, "")
	waitComplaint(t, token, filed.str("reference"), "submitted") // the description published with the acknowledgement

	r := call(t, http.MethodGet, "/api/v1/me/data-export", token, nil)
	expect(t, r, http.StatusOK, "")
	if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("headers: Content-Disposition %q, Cache-Control %q", cd, r.Header.Get("Cache-Control"))
	}
	var ex store.CitizenExport
	must(t, json.Unmarshal(r.Raw, &ex))
	raw := string(r.Raw)
	switch {
	case ex.Account.CIN != c.CIN || ex.Account.Email != c.Email || ex.Account.Status != "active":
		t.Fatalf("account: %+v", ex.Account)
	case len(ex.Enrollments) != 1 || ex.Enrollments[0].CredentialsIssued != 1:
		t.Fatalf("enrollments: %+v", ex.Enrollments)
	case len(ex.Ledger) != 1 || ex.Ledger[0].AmountMAD != 4000 || ex.Ledger[0].Reference == nil || *ex.Ledger[0].Reference != "RCPT-EXP-1":
		t.Fatalf("ledger: %s", raw)
	case len(ex.Complaints) != 1 || len(ex.Complaints[0].Messages) == 0 || !strings.Contains(ex.Complaints[0].Messages[0].Body, "copie de mes données"):
		t.Fatalf("complaints: %s", raw)
	case len(ex.Sessions) == 0 || len(ex.Emails) < 2:
		t.Fatalf("%d sessions, %d e-mails", len(ex.Sessions), len(ex.Emails))
	}
	for _, leak := range []string{other.CIN, other.Email, "RCPT-OTHER-1", token, "argon2", "staff_id", "agent@e2e", "password_hash", "token_hash"} {
		if strings.Contains(raw, leak) {
			t.Errorf("the export contains %q", leak)
		}
	}

	// An admin's export, for a request at a counter: audited; other roles refused.
	admin := staffToken(t, "admin@e2e.oc.local")
	r = call(t, http.MethodPost, "/api/v1/admin/citizens/data-export", admin, map[string]string{"cin": c.CIN})
	expect(t, r, http.StatusOK, "")
	if !strings.Contains(string(r.Raw), "RCPT-EXP-1") {
		t.Fatalf("admin export: %s", r.Raw)
	}
	citizenID := testenv.Count(t, env.store.DB(), `SELECT id FROM citizens WHERE cin = ?`, c.CIN)
	if n := testenv.Count(t, env.store.DB(), `SELECT COUNT(*) FROM admin_audit WHERE action = 'citizen.data_export' AND entity_id = ? AND staff_id > 0`,
		fmt.Sprint(citizenID)); n != 1 {
		t.Fatalf("%d citizen.data_export audit rows by an admin, want 1", n)
	}
	if n := testenv.Count(t, env.store.DB(), `SELECT COUNT(*) FROM admin_audit WHERE action = 'citizen.data_export' AND entity_id = ? AND staff_id = 0`,
		fmt.Sprint(citizenID)); n != 1 {
		t.Fatalf("%d citizen.data_export audit rows by the citizen, want 1", n)
	}
	expect(t, call(t, http.MethodPost, "/api/v1/admin/citizens/data-export", staffToken(t, "supervisor@e2e.oc.local"),
		map[string]string{"cin": c.CIN}), http.StatusForbidden, "forbidden")
	expect(t, call(t, http.MethodPost, "/api/v1/admin/citizens/data-export", admin, map[string]string{"cin": "ZZ999998"}),
		http.StatusNotFound, "not_found")
	expect(t, call(t, http.MethodPost, "/api/v1/admin/citizens/data-export", admin, map[string]string{"cin": "??"}),
		http.StatusBadRequest, "validation_failed")
	expect(t, call(t, http.MethodGet, "/api/v1/me/data-export", agent, nil), http.StatusForbidden, "forbidden")
	expect(t, call(t, http.MethodGet, "/api/v1/me/data-export", "", nil), http.StatusUnauthorized, "unauthorized")
}
