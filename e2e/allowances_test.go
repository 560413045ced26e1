package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	"go.temporal.io/sdk/client"

	"occonnect/domain"
	"occonnect/internal/stack"
	"occonnect/store"
	"occonnect/workflows"
)

// allowance reads one allowance of the citizen's current year.
func allowance(t testing.TB, token string, typ string) stack.Allowance {
	t.Helper()
	a, err := env.client.Allowance(t.Context(), token, typ)
	must(t, err)
	return a
}

func num(m map[string]any, key string) int64 { f, _ := m[key].(float64); return int64(f) }

// findTask waits for the officer task of a subject.
func findTask(t testing.TB, token, kind, subject string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := call(t, "GET", "/api/v1/tasks?kind="+kind+"&limit=100", token, nil)
		expect(t, r, http.StatusOK, "")
		for _, it := range r.Body["items"].([]any) {
			if m := it.(map[string]any); m["subject_id"] == subject {
				return m["id"].(string)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s task for %s: %s", kind, subject, r.Raw)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestAllowancesDebitsAndDTS: an activated citizen's balances, a debit at an exchange point,
// a DTS simulation and request, approved by an officer, credited, then partly debited.
func TestAllowancesDebitsAndDTS(t *testing.T) {
	c, token := activeCitizen(t)
	agent := staffToken(t, "agent@e2e.oc.local")
	officer := staffToken(t, "officer@e2e.oc.local")
	officer2 := staffToken(t, "officer2@e2e.oc.local")
	year := time.Now().In(casablanca).Year()

	tourism := allowance(t, token, "tourism")
	if tourism.EntitlementMAD != 100000 || tourism.RemainingMAD != 100000 || tourism.Label != "Dotation touristique" {
		t.Fatalf("tourism before any debit: %+v", tourism)
	}
	r := call(t, "GET", "/api/v1/me/allowances", token, nil, "Accept-Language", "ar")
	if !strings.Contains(string(r.Raw), "المخصص السياحي") {
		t.Fatalf("no Arabic label: %s", r.Raw)
	}

	// A currency sale at the exchange point; the double tap replays; another body is 422.
	debit := map[string]any{"cin": c.CIN, "type": "tourism", "amount_mad": 12000, "currency": "EUR", "foreign_amount": 1100.5, "reference": "RCPT-0001"}
	key := "debit-" + c.CIN
	r = call(t, "POST", "/api/v1/allowance-operations", agent, debit, "Idempotency-Key", key)
	expect(t, r, http.StatusCreated, "")
	if num(r.Body, "remaining_mad") != 88000 {
		t.Fatalf("debit: %s", r.Raw)
	}
	again := call(t, "POST", "/api/v1/allowance-operations", agent, debit, "Idempotency-Key", key)
	if again.Status != http.StatusCreated || num(again.Body, "operation_id") != num(r.Body, "operation_id") {
		t.Fatalf("replay: %d %s", again.Status, again.Raw)
	}
	debit["amount_mad"] = 13000
	expect(t, call(t, "POST", "/api/v1/allowance-operations", agent, debit, "Idempotency-Key", key), http.StatusUnprocessableEntity, "idempotency_key_reused")
	debit["amount_mad"] = 95000
	r = call(t, "POST", "/api/v1/allowance-operations", agent, debit, "Idempotency-Key", key+"-big")
	expect(t, r, http.StatusConflict, "insufficient_allowance")
	if num(r.Body, "remaining_mad") != 88000 {
		t.Fatalf("refusal: %s", r.Raw)
	}
	expect(t, call(t, "POST", "/api/v1/allowance-operations", agent, debit), http.StatusBadRequest, "validation_failed")
	if got := allowance(t, token, "tourism").UsedMAD; got != 12000 {
		t.Fatalf("used %d, want 12000", got)
	}

	// The DTS: simulate, request, and the second request is refused.
	r = call(t, "POST", "/api/v1/dts/simulations", "", map[string]any{"fiscal_year": year - 1, "ir_amount_mad": 40000})
	expect(t, r, http.StatusOK, "")
	if num(r.Body, "supplement_mad") != 12000 || r.Body["rate"] != 0.3 {
		t.Fatalf("simulation: %s", r.Raw)
	}
	expect(t, call(t, "POST", "/api/v1/dts/simulations", "", map[string]any{"fiscal_year": 2040, "ir_amount_mad": 1}), http.StatusUnprocessableEntity, "no_rules")
	body := map[string]any{"fiscal_year": year - 1, "ir_amount_mad": 40000, "attestation_reference": "DGI-ATT-2025-7781"}
	r = call(t, "POST", "/api/v1/me/dts-requests", token, body, "Idempotency-Key", "dts-"+c.CIN)
	expect(t, r, http.StatusAccepted, "")
	requestID := r.str("id")
	expect(t, call(t, "POST", "/api/v1/me/dts-requests", token, body), http.StatusConflict, "dts_request_exists")

	// The officer finds the task, claims it first, and approves.
	taskID := findTask(t, officer, "dts", requestID)
	r = call(t, "GET", "/api/v1/tasks/"+taskID, officer, nil)
	expect(t, r, http.StatusOK, "")
	subject := r.Body["subject"].(map[string]any)
	if num(subject, "supplement_mad") != 12000 || subject["citizen_name"] == "" || subject["cin_masked"] == c.CIN {
		t.Fatalf("task subject: %s", r.Raw)
	}
	expect(t, call(t, "POST", "/api/v1/tasks/"+taskID+"/complete", officer, map[string]string{"outcome": "approve"}), http.StatusForbidden, "not_assignee")
	expect(t, call(t, "POST", "/api/v1/tasks/"+taskID+"/claim", officer, nil), http.StatusOK, "")
	expect(t, call(t, "POST", "/api/v1/tasks/"+taskID+"/claim", officer2, nil), http.StatusConflict, "task_already_claimed")
	expect(t, call(t, "POST", "/api/v1/tasks/"+taskID+"/complete", officer2, map[string]string{"outcome": "approve"}), http.StatusForbidden, "not_assignee")
	r = call(t, "POST", "/api/v1/tasks/"+taskID+"/complete", officer, map[string]string{"outcome": "approve", "comment": "Attestation IR vérifiée."})
	expect(t, r, http.StatusOK, "")
	if r.str("subject_status") != "approved" || num(r.Body, "supplement_mad") != 12000 || r.str("state") != "done" {
		t.Fatalf("complete: %s", r.Raw)
	}
	expect(t, call(t, "POST", "/api/v1/tasks/"+taskID+"/claim", officer2, nil), http.StatusConflict, "task_closed")

	r = call(t, "GET", "/api/v1/me/dts-requests/"+requestID, token, nil)
	if r.str("status") != "approved" || num(r.Body, "supplement_mad") != 12000 || r.Body["decision"] == nil {
		t.Fatalf("my request: %s", r.Raw)
	}
	dts := allowance(t, token, "tourism_supplement")
	if dts.EntitlementMAD != 12000 || dts.RemainingMAD != 12000 {
		t.Fatalf("DTS allowance after approval: %+v", dts)
	}
	// The agent debits part of the supplement; the balance follows.
	_, err := env.client.RecordDebit(t.Context(), agent, key+"-dts", stack.Debit{CIN: c.CIN, Type: "tourism_supplement",
		AmountMAD: 5000, Reference: "RCPT-0002"})
	must(t, err)
	if allowance(t, token, "tourism_supplement").RemainingMAD != 7000 {
		t.Fatal("DTS balance after the debit")
	}
	// Operations, newest first, two per page.
	r = call(t, "GET", "/api/v1/me/allowances/operations?limit=2", token, nil)
	expect(t, r, http.StatusOK, "")
	items := r.Body["items"].([]any)
	if len(items) != 2 || items[0].(map[string]any)["reference"] != "RCPT-0002" || items[1].(map[string]any)["kind"] != "credit" || r.Body["next_cursor"] == nil {
		t.Fatalf("operations page 1: %s", r.Raw)
	}
	r = call(t, "GET", "/api/v1/me/allowances/operations?limit=2&cursor="+r.str("next_cursor"), token, nil)
	if items = r.Body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["reference"] != "RCPT-0001" || r.Body["next_cursor"] != nil {
		t.Fatalf("operations page 2: %s", r.Raw)
	}
	// The citizen is told by e-mail; the workflow completed.
	msgs, err := env.mailpit.WaitForMessages(context.Background(), c.Email, 3, 30*time.Second)
	if err != nil || !strings.Contains(msgs[0].Subject, "DTS") {
		t.Fatalf("DTS e-mail: %v", err)
	}
	var res workflows.DTSResult
	if err := env.temporal.GetWorkflow(context.Background(), workflows.DTSWorkflowID(requestID), "").Get(context.Background(), &res); err != nil || res.Status != "approved" {
		t.Fatalf("workflow: %+v %v", res, err)
	}
	recordHistory(t, workflows.DTSWorkflowID(requestID), "dts_approved.json")

	// Admin: the rules of the year cannot go below what was used; past years are closed.
	admin := staffToken(t, "admin@e2e.oc.local")
	r = call(t, "GET", fmt.Sprintf("/api/v1/admin/allowance-rules/%d", year), admin, nil)
	expect(t, r, http.StatusOK, "")
	rules := r.Body["rules"].([]any)
	rules[0].(map[string]any)["entitlement_mad"] = 10000 // tourism: 12000 already used
	put := map[string]any{"edition": r.Body["edition"], "rules": rules}
	r = call(t, "PUT", fmt.Sprintf("/api/v1/admin/allowance-rules/%d", year), admin, put)
	expect(t, r, http.StatusConflict, "below_used")
	expect(t, call(t, "PUT", fmt.Sprintf("/api/v1/admin/allowance-rules/%d", year-1), admin, put), http.StatusConflict, "past_year")
	expect(t, call(t, "GET", fmt.Sprintf("/api/v1/admin/allowance-rules/%d", year), officer, nil), http.StatusForbidden, "forbidden")
}

// TestDTSRejectAndCancel: a rejection reaches the citizen with its reason and frees the
// year for a new request; a pending request can be withdrawn.
func TestDTSRejectAndCancel(t *testing.T) {
	c, token := activeCitizen(t)
	officer := staffToken(t, "officer@e2e.oc.local")
	year := time.Now().In(casablanca).Year()
	body := map[string]any{"fiscal_year": year - 1, "ir_amount_mad": 90000, "attestation_reference": "DGI-ATT-0001"}
	r := call(t, "POST", "/api/v1/me/dts-requests", token, body)
	expect(t, r, http.StatusAccepted, "")
	first := r.str("id")
	taskID := findTask(t, officer, "dts", first)
	expect(t, call(t, "POST", "/api/v1/tasks/"+taskID+"/claim", officer, nil), http.StatusOK, "")
	expect(t, call(t, "POST", "/api/v1/tasks/"+taskID+"/complete", officer, map[string]string{"outcome": "reject"}), http.StatusBadRequest, "validation_failed")
	reason := "L'attestation ne correspond pas à l'exercice déclaré."
	r = call(t, "POST", "/api/v1/tasks/"+taskID+"/complete", officer, map[string]string{"outcome": "reject", "comment": reason})
	expect(t, r, http.StatusOK, "")
	if r.str("subject_status") != "rejected" {
		t.Fatalf("reject: %s", r.Raw)
	}
	msgs, err := env.mailpit.WaitForMessages(context.Background(), c.Email, 3, 30*time.Second)
	if err != nil || !strings.Contains(msgs[0].Text, "L'attestation ne correspond pas") {
		t.Fatalf("rejection e-mail without the reason (%v)", err)
	}
	if allowance(t, token, "tourism_supplement").EntitlementMAD != 0 {
		t.Fatal("a rejected request credited the ledger")
	}
	// The year is free again; this one is withdrawn by the citizen.
	r = call(t, "POST", "/api/v1/me/dts-requests", token, body)
	expect(t, r, http.StatusAccepted, "")
	second := r.str("id")
	secondTask := findTask(t, officer, "dts", second)
	r = call(t, "POST", "/api/v1/me/dts-requests/"+second+"/cancel", token, nil)
	expect(t, r, http.StatusOK, "")
	if r.str("status") != "cancelled" {
		t.Fatalf("cancel: %s", r.Raw)
	}
	expect(t, call(t, "POST", "/api/v1/tasks/"+secondTask+"/claim", officer, nil), http.StatusConflict, "task_closed")
	expect(t, call(t, "POST", "/api/v1/me/dts-requests/"+second+"/cancel", token, nil), http.StatusConflict, "conflict")
	r = call(t, "GET", "/api/v1/me/dts-requests", token, nil)
	if items := r.Body["items"].([]any); len(items) != 2 || items[0].(map[string]any)["id"] != second {
		t.Fatalf("my requests: %s", r.Raw)
	}
	for id, name := range map[string]string{first: "dts_rejected.json", second: "dts_cancelled.json"} {
		var res workflows.DTSResult
		if err := env.temporal.GetWorkflow(context.Background(), workflows.DTSWorkflowID(id), "").Get(context.Background(), &res); err != nil {
			t.Fatal(err)
		}
		recordHistory(t, workflows.DTSWorkflowID(id), name)
	}
}

// TestDTSEscalatesThenRejected: a DTS review nobody takes up escalates to the supervisors
// at its deadline (2 s here with the test override; 2 business days in service), and a
// supervisor rejects it. Its history feeds the replay test (OCC_RECORD_HISTORY).
func TestDTSEscalatesThenRejected(t *testing.T) {
	ctx := context.Background()
	c, token := activeCitizen(t)
	supervisor := staffToken(t, "supervisor@e2e.oc.local")
	citizen, err := env.store.CitizenByCIN(ctx, c.CIN)
	if err != nil {
		t.Fatal(err)
	}
	year := time.Now().In(casablanca).Year()
	id := ulid.Make().String()
	if err := env.store.CreateDTSRequest(ctx, store.DTSRequest{ID: id, CitizenID: citizen.ID, FiscalYear: year - 1, Year: year,
		IRAmountMAD: 40000, AttestationReference: "DGI-ATT-ESC-1", CreatedAt: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	wf := workflows.DTSWorkflowID(id)
	run, err := env.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: wf, TaskQueue: workflows.TaskQueue},
		workflows.DTS, workflows.DTSInput{RequestID: id, ReviewOverride: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	taskID := findTask(t, supervisor, "dts", id)
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := call(t, "GET", "/api/v1/tasks/"+taskID, supervisor, nil)
		expect(t, r, http.StatusOK, "")
		if r.str("queue") == "supervisors" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not escalated: %s", r.Raw)
		}
		time.Sleep(300 * time.Millisecond)
	}
	expect(t, call(t, "POST", "/api/v1/tasks/"+taskID+"/claim", supervisor, nil), http.StatusOK, "")
	r := call(t, "POST", "/api/v1/tasks/"+taskID+"/complete", supervisor,
		map[string]string{"outcome": "reject", "comment": "L'attestation ne correspond pas à l'année demandée."})
	expect(t, r, http.StatusOK, "")
	var res workflows.DTSResult
	if err := run.Get(ctx, &res); err != nil || res.Status != domain.DTSRejected {
		t.Fatalf("workflow result %+v, %v; want rejected", res, err)
	}
	r = call(t, "GET", "/api/v1/me/dts-requests/"+id, token, nil)
	if r.str("status") != "rejected" {
		t.Fatalf("the citizen's view: %s", r.Raw)
	}
	recordHistory(t, wf, "dts_escalated_rejected.json")
}
