package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"occonnect/domain"
	"occonnect/internal/codec"
	"occonnect/store"
	"occonnect/workflows"
)

// visibilityWait bounds the polls of the visibility store, which is eventually consistent
// (generous: make test runs the e2e and chaos packages side by side on 2 cores).
const visibilityWait = 90 * time.Second

// listRuns returns every run a visibility query finds.
func listRuns(t *testing.T, query string) []*workflowpb.WorkflowExecutionInfo {
	t.Helper()
	var out []*workflowpb.WorkflowExecutionInfo
	var token []byte
	for {
		resp, err := env.temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
			Query: query, PageSize: 200, NextPageToken: token})
		if err != nil {
			t.Fatalf("query %s: %v", query, err)
		}
		out = append(out, resp.Executions...)
		if token = resp.NextPageToken; len(token) == 0 {
			return out
		}
	}
}

func ids(runs []*workflowpb.WorkflowExecutionInfo) []string {
	var out []string
	for _, r := range runs {
		out = append(out, r.Execution.WorkflowId)
	}
	return out
}

// findRuns polls a query until every workflow of want is among its results (and none of
// notWant), and returns the results.
func findRuns(t *testing.T, query string, want, notWant []string) []*workflowpb.WorkflowExecutionInfo {
	t.Helper()
	deadline := time.Now().Add(visibilityWait)
	for {
		runs := listRuns(t, query)
		got := ids(runs)
		ok := true
		for _, id := range want {
			ok = ok && slices.Contains(got, id)
		}
		for _, id := range notWant {
			ok = ok && !slices.Contains(got, id)
		}
		if ok {
			return runs
		}
		if time.Now().After(deadline) {
			t.Fatalf("query %s: found %v, want %v and not %v", query, got, want, notWant)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// attrs decodes a run's search attributes (stored in clear, JSON).
func attrs(t *testing.T, sa *commonpb.SearchAttributes) map[string]any {
	t.Helper()
	out := map[string]any{}
	for name, p := range sa.GetIndexedFields() {
		var v any
		if err := converter.GetDefaultDataConverter().FromPayload(p, &v); err != nil {
			t.Fatalf("search attribute %s: %v", name, err)
		}
		out[name] = v
	}
	return out
}

// requireAll checks that every run a query found has the attributes (numbers as JSON
// decodes them) and no personal data in any of its attributes.
func requireAll(t *testing.T, query string, runs []*workflowpb.WorkflowExecutionInfo, want map[string]any) {
	t.Helper()
	env.mu.Lock()
	personal := append([]string(nil), env.personal...)
	env.mu.Unlock()
	t.Logf("%s: %d run(s)", query, len(runs))
	for _, r := range runs {
		got := attrs(t, r.SearchAttributes)
		for k, v := range want {
			if got[k] != v {
				t.Errorf("query %s found %s with %s = %v, want %v", query, r.Execution.WorkflowId, k, got[k], v)
			}
		}
		for k, v := range got {
			s := strings.ToLower(fmt.Sprint(v))
			for _, p := range personal {
				if strings.Contains(s, strings.ToLower(p)) {
					t.Errorf("%s: search attribute %s holds personal data", r.Execution.WorkflowId, k)
				}
			}
		}
	}
}

// summary reads a run's static summary as the Web UI shows it: stored encrypted, decoded
// through the payload codec.
func summary(t *testing.T, workflowID string) string {
	t.Helper()
	d, err := env.temporal.DescribeWorkflow(context.Background(), workflowID, "")
	if err != nil {
		t.Fatal(err)
	}
	p := d.RawResponse.GetExecutionConfig().GetUserMetadata().GetSummary()
	if p == nil {
		t.Fatalf("%s has no summary", workflowID)
	}
	if string(p.Metadata[codec.MetadataEncoding]) != codec.EncodingAESGCM {
		t.Errorf("%s: summary stored in clear", workflowID)
	}
	s, err := d.GetStaticSummary()
	if err != nil {
		t.Fatalf("%s: summary: %v", workflowID, err)
	}
	return s
}

func quote(t time.Time) string { return `"` + t.UTC().Format(time.RFC3339) + `"` }

// TestSearchFindsRuns runs real flows (an enrollment left unactivated, a pending DTS
// request, a complaint in queue, a complaint whose first response target passed) and finds
// each with the visibility queries of docs/operations.md's "Finding runs in the Temporal UI".
func TestSearchFindsRuns(t *testing.T) {
	ctx := context.Background()
	year := time.Now().In(casablanca).Year()

	// An active citizen (enrolled at EP-0001) requests a DTS and files a complaint.
	c, token := activeCitizen(t)
	body := map[string]any{"fiscal_year": year - 1, "ir_amount_mad": 52000, "attestation_reference": "DGI-ATT-SEARCH-1"}
	r := call(t, "POST", "/api/v1/me/dts-requests", token, body)
	expect(t, r, http.StatusAccepted, "")
	dtsWF := workflows.DTSWorkflowID(r.str("id"))
	r = call(t, "POST", "/api/v1/me/complaints", token, map[string]string{"category": "allowance_balance",
		"subject": "Solde de dotation", "description": "Le solde affiché ne correspond pas à mes opérations."})
	expect(t, r, http.StatusAccepted, "")
	queuedRef := r.str("reference")
	queuedWF := workflows.ComplaintWorkflowID(queuedRef)

	// A complaint whose first response target is 2 s away (the demonstration override),
	// started like the API starts complaints: it escalates to the supervisors and is overdue.
	citizen, err := env.store.CitizenByCIN(ctx, c.CIN)
	if err != nil {
		t.Fatal(err)
	}
	lateRef, err := env.store.CreateComplaint(ctx, store.NewComplaint{CitizenID: citizen.ID, Category: domain.CategoryOther,
		Subject: "Délai", Description: "Pas de réponse.", Year: year, Now: time.Now().UTC()})
	if err != nil {
		t.Fatal(err)
	}
	lateWF := workflows.ComplaintWorkflowID(lateRef)
	if _, err := env.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: lateWF, TaskQueue: workflows.TaskQueue,
		StaticSummary: "Complaint " + lateRef + " (other)"}, workflows.Complaint,
		workflows.ComplaintInput{Reference: lateRef, Config: workflows.ComplaintConfig{FirstResponseOverride: 2 * time.Second}}); err != nil {
		t.Fatal(err)
	}

	// An enrollment whose credentials were sent and never used.
	agent := staffToken(t, "agent@e2e.oc.local")
	pending := newCitizen(t)
	enrol(t, agent, pending)
	enrollWF := workflows.EnrollmentWorkflowID(pending.EnrollmentID)

	// Stuck enrollments: credentials sent and not used. The e2e credentials live 12 s, so on
	// a loaded machine the run may already have moved on to credentials_expired (due at the
	// lapse, one re-issue window later: an hour here) by the time visibility shows it.
	q := `OccProcess = "enrollment" AND OccStatus IN ("awaiting_activation", "credentials_expired") AND OccDueAt < ` +
		quote(time.Now().Add(2*time.Hour))
	stuck := findRuns(t, q, []string{enrollWF}, nil)
	requireAll(t, q, stuck, map[string]any{"OccProcess": "enrollment", "OccExchangePoint": "EP-0001", "OccYear": float64(year)})
	for _, r := range stuck {
		if st := attrs(t, r.SearchAttributes)["OccStatus"]; st != "awaiting_activation" && st != "credentials_expired" {
			t.Errorf("query %s found %s with OccStatus %v", q, r.Execution.WorkflowId, st)
		}
	}

	// Pending DTS requests of citizens enrolled at EP-0001.
	q = `OccProcess = "dts" AND OccStatus = "pending" AND OccExchangePoint = "EP-0001"`
	requireAll(t, q, findRuns(t, q, []string{dtsWF}, []string{queuedWF, enrollWF}),
		map[string]any{"OccProcess": "dts", "OccStatus": "pending", "OccExchangePoint": "EP-0001", "OccYear": float64(year),
			"OccEscalationLevel": float64(0)})

	// Complaints waiting in a queue.
	q = `OccProcess = "complaint" AND OccStatus = "in_queue"`
	requireAll(t, q, findRuns(t, q, []string{queuedWF}, []string{dtsWF}),
		map[string]any{"OccProcess": "complaint", "OccStatus": "in_queue"})

	// Escalated tasks (complaints and DTS), then overdue complaints: the late one, not the
	// one filed through the API (due in 2 business days).
	q = `OccProcess IN ("complaint", "dts") AND OccEscalationLevel >= 1 AND ExecutionStatus = "Running"`
	requireAll(t, q, findRuns(t, q, []string{lateWF}, []string{queuedWF, dtsWF}), map[string]any{"OccEscalationLevel": float64(1)})
	// quote keeps whole seconds: the late complaint escalated, so its due time has passed,
	// but it may lie in this very second (the worker started its cycle late on a loaded
	// machine); "before the next second" still finds it, and the queued one is days away.
	q = `OccProcess = "complaint" AND ExecutionStatus = "Running" AND OccDueAt < ` + quote(time.Now().Add(time.Second))
	requireAll(t, q, findRuns(t, q, []string{lateWF}, []string{queuedWF}), map[string]any{"OccProcess": "complaint"})

	// For the replay test: a first-response reminder and escalation.
	recordHistory(t, lateWF, "complaint_first_response_escalated.json")

	// Stuck enrollments: the credentials expired without an activation.
	q = `OccProcess = "enrollment" AND OccStatus = "credentials_expired"`
	requireAll(t, q, findRuns(t, q, []string{enrollWF}, nil), map[string]any{"OccStatus": "credentials_expired"})

	// The summaries the API gives, read back as the Web UI reads them.
	for wf, want := range map[string]string{
		enrollWF: "Enrollment at EP-0001",
		dtsWF:    fmt.Sprintf("DTS request %d", year),
		queuedWF: "Complaint " + queuedRef + " (allowance_balance)",
	} {
		if got := summary(t, wf); got != want {
			t.Errorf("%s: summary %q, want %q", wf, got, want)
		}
	}
}
