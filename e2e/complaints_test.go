package e2e

import (
	"context"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"occonnect/domain"
	"occonnect/internal/stack"
	"occonnect/store"
	"occonnect/workflows"
)

var referencePattern = regexp.MustCompile(`^REC-\d{4}-\d{6}$`)

// waitComplaint polls the citizen's view until the complaint has the status.
func waitComplaint(t testing.TB, token, ref, status string) response {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := call(t, "GET", "/api/v1/me/complaints/"+ref, token, nil)
		if r.str("status") == status {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("complaint %s is not %s: %s", ref, status, r.Raw)
		}
		time.Sleep(150 * time.Millisecond)
	}
}

// mailWith waits for an e-mail to the citizen whose subject contains part.
func mailWith(t testing.TB, c *stack.Citizen, n int, part string) string {
	t.Helper()
	return mailAbout(t, c, n, part).text
}

// TestComplaintLifecycle: a citizen files, an officer requests information, the citizen
// answers, the officer resolves, the citizen rates and then reopens; each e-mail is read
// from Mailpit.
func TestComplaintLifecycle(t *testing.T) {
	c, token := activeCitizen(t)
	officer := staffToken(t, "officer@e2e.oc.local")
	officer2 := staffToken(t, "officer2@e2e.oc.local")
	mails := 2 // credentials and welcome

	body := map[string]string{"category": "exchange_point_service", "subject": "Guichet fermé aux heures affichées",
		"description": "Le bureau EP-0001 était fermé mardi à 11 h alors que l'affichage indique 8 h 30 – 18 h.", "exchange_point_code": "EP-0001"}
	r := call(t, "POST", "/api/v1/me/complaints", token, body, "Idempotency-Key", "rec-"+c.CIN)
	expect(t, r, http.StatusAccepted, "")
	ref := r.str("reference")
	if !referencePattern.MatchString(ref) || r.str("status") != "submitted" {
		t.Fatalf("filing: %s", r.Raw)
	}
	again := call(t, "POST", "/api/v1/me/complaints", token, body, "Idempotency-Key", "rec-"+c.CIN)
	if again.str("reference") != ref {
		t.Fatalf("the double tap filed another complaint: %s", again.Raw)
	}
	mails++
	if text := mailWith(t, c, mails, ref); !strings.Contains(text, ref) {
		t.Fatal("acknowledgement without the reference")
	}
	r = waitComplaint(t, token, ref, "in_queue")
	if r.Body["first_response_due_at"] == nil || r.Body["resolution_due_at"] == nil {
		t.Fatalf("deadlines: %s", r.Raw)
	}

	// The officer claims (first writer wins) and asks for information.
	taskID := findTask(t, officer, "complaint", ref)
	expect(t, call(t, "POST", "/api/v1/tasks/"+taskID+"/claim", officer, nil), http.StatusOK, "")
	expect(t, call(t, "POST", "/api/v1/tasks/"+taskID+"/claim", officer2, nil), http.StatusConflict, "task_already_claimed")
	expect(t, call(t, "POST", "/api/v1/tasks/"+taskID+"/complete", officer, map[string]string{"outcome": "request_info"}), http.StatusBadRequest, "validation_failed")
	question := "Pouvez-vous préciser la date exacte et joindre une photo de l'affichage ?"
	r = call(t, "POST", "/api/v1/tasks/"+taskID+"/complete", officer, map[string]string{"outcome": "request_info", "comment": question})
	expect(t, r, http.StatusOK, "")
	if r.str("subject_status") != "waiting_for_citizen" {
		t.Fatalf("request_info: %s", r.Raw)
	}
	mails++
	if text := mailWith(t, c, mails, ref); !strings.Contains(text, "photo de l'affichage") {
		t.Fatal("the question is not in the e-mail")
	}
	r = waitComplaint(t, token, ref, "waiting_for_citizen")
	if r.Body["paused"] != true {
		t.Fatalf("the clock is not paused: %s", r.Raw)
	}
	// The citizen answers; the clock resumes.
	r = call(t, "POST", "/api/v1/me/complaints/"+ref+"/messages", token, map[string]string{"body": "C'était le mardi 24 novembre, photo envoyée au bureau."})
	expect(t, r, http.StatusCreated, "")
	expect(t, call(t, "POST", "/api/v1/me/complaints/"+ref+"/messages", token, map[string]string{"body": "encore"}), http.StatusConflict, "not_waiting_for_citizen")
	r = waitComplaint(t, token, ref, "claimed")
	// The first response is given: the task is now due at the (resumed) resolution target.
	task := call(t, "GET", "/api/v1/tasks/"+taskID, officer, nil)
	expect(t, task, http.StatusOK, "")
	taskDue, err1 := time.Parse(time.RFC3339, task.str("due_at"))
	resolutionDue, err2 := time.Parse(time.RFC3339, r.str("resolution_due_at"))
	if err1 != nil || err2 != nil || !taskDue.Equal(resolutionDue) {
		t.Fatalf("task due %q, complaint resolution due %q", task.str("due_at"), r.str("resolution_due_at"))
	}

	// The officer resolves.
	response := "Nous avons rappelé au bureau ses obligations d'ouverture ; un contrôle est programmé."
	r = call(t, "POST", "/api/v1/tasks/"+taskID+"/complete", officer, map[string]string{"outcome": "resolve", "comment": response})
	expect(t, r, http.StatusOK, "")
	mails++
	if text := mailWith(t, c, mails, ref); !strings.Contains(text, "contrôle est programmé") {
		t.Fatal("the response is not in the e-mail")
	}
	r = waitComplaint(t, token, ref, "resolved")
	if r.Body["reopen_until"] == nil {
		t.Fatalf("no reopen window: %s", r.Raw)
	}
	// The conversation shows officers by role, never by name or id.
	var kinds, authors []string
	for _, m := range r.Body["messages"].([]any) {
		mm := m.(map[string]any)
		kinds, authors = append(kinds, mm["kind"].(string)), append(authors, mm["author"].(string))
		if _, ok := mm["staff_id"]; ok {
			t.Fatalf("staff id shown to the citizen: %s", r.Raw)
		}
	}
	if strings.Join(kinds, ",") != "description,question,answer,response" || strings.Join(authors, ",") != "citizen,officer,citizen,officer" {
		t.Fatalf("conversation %v by %v", kinds, authors)
	}
	// Rating, once.
	expect(t, call(t, "POST", "/api/v1/me/complaints/"+ref+"/feedback", token, map[string]any{"rating": 6}), http.StatusBadRequest, "validation_failed")
	expect(t, call(t, "POST", "/api/v1/me/complaints/"+ref+"/feedback", token, map[string]any{"rating": 4, "comment": "Réponse claire."}), http.StatusNoContent, "")
	expect(t, call(t, "POST", "/api/v1/me/complaints/"+ref+"/feedback", token, map[string]any{"rating": 5}), http.StatusConflict, "feedback_not_allowed")

	// The officers' view has the audit trail.
	r = call(t, "GET", "/api/v1/complaints/"+ref, officer, nil)
	expect(t, r, http.StatusOK, "")
	var actions []string
	for _, a := range r.Body["audit"].([]any) {
		actions = append(actions, a.(map[string]any)["action"].(string))
	}
	if strings.Join(actions, ",") != "filed,queued,claimed,request_info,citizen_replied,resolve" {
		t.Fatalf("audit: %v", actions)
	}
	r = call(t, "GET", "/api/v1/complaints?status=resolved&category=exchange_point_service&limit=100", officer, nil)
	found := false
	for _, it := range r.Body["items"].([]any) {
		found = found || it.(map[string]any)["reference"] == ref
	}
	if !found {
		t.Fatalf("not in the officers' list: %s", r.Raw)
	}

	// Reopening within 14 days starts a new cycle with a new task in the queue.
	r = call(t, "POST", "/api/v1/me/complaints/"+ref+"/reopen", token, map[string]string{"reason": "Le bureau était encore fermé hier."})
	expect(t, r, http.StatusAccepted, "")
	mails++
	mailWith(t, c, mails, ref)
	r = waitComplaint(t, token, ref, "in_queue")
	if r.Body["reopen_count"] != 1.0 {
		t.Fatalf("reopen: %s", r.Raw)
	}
	newTask := findTask(t, officer, "complaint", ref)
	if newTask == taskID {
		t.Fatal("the reopened complaint reuses the closed task")
	}
	expect(t, call(t, "POST", "/api/v1/tasks/"+newTask+"/claim", officer, nil), http.StatusOK, "")
	expect(t, call(t, "POST", "/api/v1/tasks/"+newTask+"/complete", officer, map[string]string{"outcome": "reject", "comment": "Hors du champ : signalé au contrôle des points de change."}), http.StatusOK, "")
	waitComplaint(t, token, ref, "rejected")
	var status string
	if err := env.temporal.GetWorkflow(context.Background(), workflows.ComplaintWorkflowID(ref), "").Get(context.Background(), &status); err != nil || status != "rejected" {
		t.Fatalf("workflow: %q %v", status, err)
	}
	// Each step woke the main loop: its wake-up timer was cancelled each time, never left
	// running beside the next one.
	h, err := collectHistory(env.temporal.GetWorkflowHistory(context.Background(), workflows.ComplaintWorkflowID(ref), "", false, 0))
	if err != nil {
		t.Fatal(err)
	}
	var running, most, started int
	for _, e := range h.Events {
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			running++
			started++
			most = max(most, running)
		case enumspb.EVENT_TYPE_TIMER_FIRED, enumspb.EVENT_TYPE_TIMER_CANCELED:
			running--
		}
	}
	if started < 5 || most > 1 || running != 0 {
		t.Errorf("timers: %d started, at most %d running at once, %d left running at the end; want one at a time, none left", started, most, running)
	}
	recordHistory(t, workflows.ComplaintWorkflowID(ref), "complaint_lifecycle.json")
}

// TestComplaintReferencesGapFree: concurrent filings get consecutive numbers.
func TestComplaintReferencesGapFree(t *testing.T) {
	_, token := activeCitizen(t)
	const n = 8
	refs := make([]string, n)
	for i, r := range atOnce(n, func() response {
		return call(t, "POST", "/api/v1/me/complaints", token, map[string]string{"category": "other",
			"subject": "Question", "description": "Numérotation"})
	}) {
		refs[i] = r.str("reference")
	}
	sort.Strings(refs)
	for i := 1; i < n; i++ {
		if refs[i-1] == "" || refs[i][len(refs[i])-6:] <= refs[i-1][len(refs[i-1])-6:] {
			t.Fatalf("references %v", refs)
		}
		var prev, cur int
		for _, ch := range refs[i-1][len(refs[i-1])-6:] {
			prev = prev*10 + int(ch-'0')
		}
		for _, ch := range refs[i][len(refs[i])-6:] {
			cur = cur*10 + int(ch-'0')
		}
		if cur != prev+1 {
			t.Fatalf("gap between %s and %s", refs[i-1], refs[i])
		}
	}
	r := call(t, "POST", "/api/v1/me/complaints", token, map[string]string{"category": "nope", "subject": "", "description": "x"})
	expect(t, r, http.StatusBadRequest, "validation_failed")
	r = call(t, "GET", "/api/v1/me/complaints?limit=3", token, nil)
	if items := r.Body["items"].([]any); len(items) != 3 || r.Body["next_cursor"] == nil {
		t.Fatalf("list: %s", r.Raw)
	}
}

// TestComplaintActionsDoNotWaitForSMTP: with SMTP down, an officer's claim and resolve
// answer at once (the transition is recorded; the citizen's e-mail waits in the outbox),
// and the e-mail arrives once SMTP is back.
func TestComplaintActionsDoNotWaitForSMTP(t *testing.T) {
	c, token := activeCitizen(t)
	officer := staffToken(t, "officer@e2e.oc.local")
	body := map[string]string{"category": "exchange_point_service", "subject": "Guichet fermé",
		"description": "Le bureau était fermé à l'heure affichée.", "exchange_point_code": "EP-0001"}
	r := call(t, "POST", "/api/v1/me/complaints", token, body, "Idempotency-Key", "rec-smtp-"+c.CIN)
	expect(t, r, http.StatusAccepted, "")
	ref := r.str("reference")
	mailWith(t, c, 3, ref) // credentials, welcome, acknowledgement
	taskID := findTask(t, officer, "complaint", ref)

	env.smtp.SetOpen(false)
	defer env.smtp.SetOpen(true)
	for _, step := range []struct {
		path string
		body any
	}{
		{"/api/v1/tasks/" + taskID + "/claim", nil},
		{"/api/v1/tasks/" + taskID + "/complete", map[string]string{"outcome": "resolve", "comment": "Un contrôle du bureau est programmé."}},
	} {
		began := time.Now()
		r := call(t, "POST", step.path, officer, step.body)
		took := time.Since(began)
		expect(t, r, http.StatusOK, "")
		if took > 2*time.Second {
			t.Errorf("POST %s took %s with SMTP down, want under 2 s", step.path, took.Round(time.Millisecond))
		}
	}
	waitComplaint(t, token, ref, "resolved")
	var attempts int
	deadline := time.Now().Add(20 * time.Second)
	for attempts < 1 {
		if err := env.store.DB().Get(&attempts, `SELECT COALESCE(MAX(attempts), 0) FROM email_outbox
			WHERE to_addr = ? AND sent_at IS NULL`, c.Email); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the resolution e-mail was not tried while SMTP was down")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if msgs, _ := env.mailpit.Messages(context.Background(), c.Email); len(msgs) != 3 {
		t.Fatalf("%d e-mails while SMTP is down, want the 3 sent before", len(msgs))
	}

	env.smtp.SetOpen(true)
	msgs, err := env.mailpit.WaitForMessages(context.Background(), c.Email, 4, time.Minute)
	if err != nil {
		t.Fatalf("the resolution e-mail once SMTP is back: %v", err)
	}
	var found bool
	for _, m := range msgs {
		found = found || strings.Contains(m.Text, "contrôle du bureau est programmé")
	}
	if !found {
		t.Fatal("the officer's response is in none of the e-mails")
	}
	recordHistory(t, workflows.ComplaintWorkflowID(ref), "complaint_resolved_smtp_down.json")
}

// TestActionRetriesJoinTheFirst: an officer's and a citizen's actions sent again with their
// Idempotency-Key get the first action's answer: replayed from the stored answer, and, when
// the first answer was lost before it was stored (a 503: the key is released), from the
// workflow through the Update ID the key gives — not 409 because the first one went
// through. Without a key, the same request is refused as before.
func TestActionRetriesJoinTheFirst(t *testing.T) {
	c, token := activeCitizen(t)
	officer := staffToken(t, "officer@e2e.oc.local")
	r := call(t, "POST", "/api/v1/me/complaints", token, map[string]string{"category": "exchange_point_service",
		"subject": "Taux affiché", "description": "Le taux appliqué n'était pas celui affiché.", "exchange_point_code": "EP-0001"},
		"Idempotency-Key", "rec-retry-"+c.CIN)
	expect(t, r, http.StatusAccepted, "")
	ref := r.str("reference")
	taskID := findTask(t, officer, "complaint", ref)
	// lose forgets the stored answers of a key, as the API does after a 5xx.
	lose := func(key string) {
		t.Helper()
		if _, err := env.store.DB().Exec(`DELETE FROM idempotency_keys WHERE idem_key = ?`, key); err != nil {
			t.Fatal(err)
		}
	}

	claim := "/api/v1/tasks/" + taskID + "/claim"
	expect(t, call(t, "POST", claim, officer, nil, "Idempotency-Key", "claim-"+ref), http.StatusOK, "")
	resolve := map[string]string{"outcome": "resolve", "comment": "Le taux a été corrigé et la différence remboursée."}
	complete := "/api/v1/tasks/" + taskID + "/complete"
	first := call(t, "POST", complete, officer, resolve, "Idempotency-Key", "resolve-"+ref)
	expect(t, first, http.StatusOK, "")

	again := call(t, "POST", complete, officer, resolve, "Idempotency-Key", "resolve-"+ref)
	expect(t, again, http.StatusOK, "")
	if again.Header.Get("Idempotent-Replayed") != "true" || string(again.Raw) != string(first.Raw) {
		t.Errorf("the retry was not replayed: %s", again.Raw)
	}
	lose("resolve-" + ref)
	joined := call(t, "POST", complete, officer, resolve, "Idempotency-Key", "resolve-"+ref)
	expect(t, joined, http.StatusOK, "")
	if joined.Header.Get("Idempotent-Replayed") == "true" || joined.str("subject_status") != "resolved" || joined.str("outcome") != "resolve" {
		t.Errorf("the retry after a lost answer: %s", joined.Raw)
	}
	lose("claim-" + ref)
	expect(t, call(t, "POST", claim, officer, nil, "Idempotency-Key", "claim-"+ref), http.StatusOK, "")
	expect(t, call(t, "POST", complete, officer, resolve), http.StatusConflict, "task_closed")
	expect(t, call(t, "POST", complete, officer, resolve, "Idempotency-Key", "another-"+ref), http.StatusConflict, "task_closed")
	waitComplaint(t, token, ref, "resolved")

	// The citizen reopens; the retry whose answer was lost joins it: one reopening.
	reopen := "/api/v1/me/complaints/" + ref + "/reopen"
	reason := map[string]string{"reason": "Le remboursement n'est pas arrivé."}
	expect(t, call(t, "POST", reopen, token, reason, "Idempotency-Key", "reopen-"+ref), http.StatusAccepted, "")
	lose("reopen-" + ref)
	expect(t, call(t, "POST", reopen, token, reason, "Idempotency-Key", "reopen-"+ref), http.StatusAccepted, "")
	expect(t, call(t, "POST", reopen, token, reason), http.StatusConflict, "")
	r = waitComplaint(t, token, ref, "in_queue")
	if r.Body["reopen_count"] != 1.0 {
		t.Fatalf("reopened %v times, want once: %s", r.Body["reopen_count"], r.Raw)
	}
	var reasons int
	if err := env.store.DB().Get(&reasons, `SELECT COUNT(*) FROM complaint_messages WHERE reference = ? AND kind = 'reopen' AND published_at IS NOT NULL`, ref); err != nil || reasons != 1 {
		t.Fatalf("%d published reasons (%v), want 1", reasons, err)
	}
}

// startComplaint files a complaint for the citizen in the store and starts its workflow
// with cfg, as the API does with the configured one: for the paths that take days with the
// real service levels.
func startComplaint(t *testing.T, c *stack.Citizen, cfg workflows.ComplaintConfig) (ref string) {
	t.Helper()
	ctx := context.Background()
	citizen, err := env.store.CitizenByCIN(ctx, c.CIN)
	if err != nil {
		t.Fatal(err)
	}
	ref, err = env.store.CreateComplaint(ctx, store.NewComplaint{CitizenID: citizen.ID, Category: domain.CategoryOther,
		Subject: "Suivi", Description: "Une question sur mon dossier.", Year: time.Now().In(casablanca).Year(), Now: time.Now().UTC()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.ComplaintWorkflowID(ref),
		TaskQueue: workflows.TaskQueue}, workflows.Complaint, workflows.ComplaintInput{Reference: ref, Config: cfg}); err != nil {
		t.Fatal(err)
	}
	return ref
}

// TestComplaintLongPaths runs, in seconds, the paths that take weeks with the real service
// levels, on the real server: the auto-close once the reopening window has passed, and a
// conversation long enough to continue as new (its state carried, its task still worked).
// Their histories feed the replay test (OCC_RECORD_HISTORY).
func TestComplaintLongPaths(t *testing.T) {
	c, token := activeCitizen(t)
	officer := staffToken(t, "officer@e2e.oc.local")
	ctx := context.Background()

	// Resolved, then closed by itself when the (3 s) reopening window ends.
	closing := startComplaint(t, c, workflows.ComplaintConfig{ReopenWindow: 3 * time.Second})
	task := findTask(t, officer, "complaint", closing)
	expect(t, call(t, "POST", "/api/v1/tasks/"+task+"/claim", officer, nil), http.StatusOK, "")
	expect(t, call(t, "POST", "/api/v1/tasks/"+task+"/complete", officer,
		map[string]string{"outcome": "resolve", "comment": "Votre dossier est à jour."}), http.StatusOK, "")
	waitComplaint(t, token, closing, "resolved")
	var status string
	if err := env.temporal.GetWorkflow(ctx, workflows.ComplaintWorkflowID(closing), "").Get(ctx, &status); err != nil || status != "closed" {
		t.Fatalf("auto-close: workflow ended %q (%v), want closed", status, err)
	}
	waitComplaint(t, token, closing, "closed")
	recordHistory(t, workflows.ComplaintWorkflowID(closing), "complaint_auto_closed.json")

	// Claimed and released until the history passes 80 events: the run continues as new,
	// and the next one resolves it.
	long := startComplaint(t, c, workflows.ComplaintConfig{MaxHistoryEvents: 80})
	wf := workflows.ComplaintWorkflowID(long)
	first, err := env.temporal.DescribeWorkflow(ctx, wf, "")
	if err != nil {
		t.Fatal(err)
	}
	firstRun := first.WorkflowExecution.RunID
	task = findTask(t, officer, "complaint", long)
	for i := 0; ; i++ {
		d, err := env.temporal.DescribeWorkflow(ctx, wf, "")
		if err != nil {
			t.Fatal(err)
		}
		if d.WorkflowExecution.RunID != firstRun {
			break
		}
		if i == 30 {
			t.Fatalf("no continue-as-new after %d claims and releases", i)
		}
		expect(t, call(t, "POST", "/api/v1/tasks/"+task+"/claim", officer, nil), http.StatusOK, "")
		expect(t, call(t, "POST", "/api/v1/tasks/"+task+"/release", officer, nil), http.StatusOK, "")
	}
	expect(t, call(t, "POST", "/api/v1/tasks/"+task+"/claim", officer, nil), http.StatusOK, "")
	r := call(t, "POST", "/api/v1/tasks/"+task+"/complete", officer, map[string]string{"outcome": "resolve", "comment": "Dossier régularisé."})
	expect(t, r, http.StatusOK, "")
	if r.str("subject_status") != "resolved" {
		t.Fatalf("resolve after continue-as-new: %s", r.Raw)
	}
	waitComplaint(t, token, long, "resolved")
	recordRun(t, wf, firstRun, "complaint_continued_as_new_first_run.json")
	recordHistory(t, wf, "complaint_continued_as_new_next_run.json")

	// Answered in time, then not resolved within its (8 s) resolution target: the officer
	// asks for information (the first response) and the citizen answers (the clock resumes
	// with its business time); the task is released, its assignee reminded, and it
	// escalates to the supervisors, one of whom resolves it.
	late := startComplaint(t, c, workflows.ComplaintConfig{FirstResponseOverride: 6 * time.Second, ResolutionOverride: 8 * time.Second})
	task = findTask(t, officer, "complaint", late)
	expect(t, call(t, "POST", "/api/v1/tasks/"+task+"/claim", officer, nil), http.StatusOK, "")
	expect(t, call(t, "POST", "/api/v1/tasks/"+task+"/complete", officer,
		map[string]string{"outcome": "request_info", "comment": "Merci de préciser la date de l'opération."}), http.StatusOK, "")
	waitComplaint(t, token, late, "waiting_for_citizen")
	expect(t, call(t, "POST", "/api/v1/me/complaints/"+late+"/messages", token, map[string]string{"body": "Le 2 mars."}), http.StatusCreated, "")
	waitComplaint(t, token, late, "claimed")
	expect(t, call(t, "POST", "/api/v1/tasks/"+task+"/release", officer, nil), http.StatusOK, "")
	supervisor := staffToken(t, "supervisor@e2e.oc.local")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		r := call(t, "GET", "/api/v1/complaints/"+late, supervisor, nil)
		expect(t, r, http.StatusOK, "")
		if r.Body["resolution_overdue"] == true && r.Body["escalation_level"] == 1.0 && r.Body["first_response_overdue"] == false {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the resolution target passed without an escalation: %s", r.Raw)
		}
	}
	// Escalated to the supervisors, it leaves the officers' sight, as its task does.
	expect(t, call(t, "GET", "/api/v1/complaints/"+late, officer, nil), http.StatusNotFound, "not_found")
	listed := call(t, "GET", "/api/v1/complaints?limit=100", officer, nil)
	expect(t, listed, http.StatusOK, "")
	for _, it := range listed.Body["items"].([]any) {
		if it.(map[string]any)["reference"] == late {
			t.Fatalf("an officer lists %s, escalated to the supervisors", late)
		}
	}
	expect(t, call(t, "POST", "/api/v1/tasks/"+task+"/claim", supervisor, nil), http.StatusOK, "")
	expect(t, call(t, "POST", "/api/v1/tasks/"+task+"/complete", supervisor,
		map[string]string{"outcome": "resolve", "comment": "Traité par le superviseur."}), http.StatusOK, "")
	waitComplaint(t, token, late, "resolved")
	recordHistory(t, workflows.ComplaintWorkflowID(late), "complaint_resolution_escalated.json")
}

// TestComplaintClosedUnanswered: an officer asks for information and the citizen never
// answers. With the delays shortened to 3 s, the citizen gets the reminder naming the
// closing date, then the e-mail that the complaint was closed unanswered (and how to file
// again); the complaint is closed, its task cancelled, and it takes neither an answer nor
// a reopening any more.
func TestComplaintClosedUnanswered(t *testing.T) {
	c, token := activeCitizen(t)
	officer := staffToken(t, "officer@e2e.oc.local")
	ctx := context.Background()
	ref := startComplaint(t, c, workflows.ComplaintConfig{CitizenDeadlineOverride: 3 * time.Second})
	mails := 3 // credentials, welcome, acknowledgement
	mailWith(t, c, mails, ref)
	task := findTask(t, officer, "complaint", ref)
	expect(t, call(t, "POST", "/api/v1/tasks/"+task+"/claim", officer, nil), http.StatusOK, "")
	r := call(t, "POST", "/api/v1/tasks/"+task+"/complete", officer,
		map[string]string{"outcome": "request_info", "comment": "Merci de joindre le reçu de l'opération."})
	expect(t, r, http.StatusOK, "")
	if r.str("subject_status") != "waiting_for_citizen" {
		t.Fatalf("request_info: %s", r.Raw)
	}
	mails++
	mailWith(t, c, mails, "complément d'information")

	mails++
	if text := mailWith(t, c, mails, "votre réponse est attendue"); !strings.Contains(text, "clôturée pour absence de réponse le") ||
		!strings.Contains(text, "سيتم إغلاق شكايتكم لعدم الجواب") {
		t.Fatalf("the reminder does not say when the complaint closes:\n%s", text)
	}
	mails++
	if text := mailWith(t, c, mails, "clôturée faute de réponse"); !strings.Contains(text, "déposer une nouvelle réclamation") ||
		!strings.Contains(text, "تقديم شكاية جديدة") {
		t.Fatalf("the closing e-mail does not say how to file again:\n%s", text)
	}
	var status string
	if err := env.temporal.GetWorkflow(ctx, workflows.ComplaintWorkflowID(ref), "").Get(ctx, &status); err != nil || status != "closed" {
		t.Fatalf("workflow ended %q (%v), want closed", status, err)
	}
	r = waitComplaint(t, token, ref, "closed")
	if r.Body["paused"] != false || r.Body["closed_at"] == nil {
		t.Fatalf("closed unanswered: %s", r.Raw)
	}
	expect(t, call(t, "POST", "/api/v1/me/complaints/"+ref+"/messages", token, map[string]string{"body": "Voici le reçu."}),
		http.StatusConflict, "not_waiting_for_citizen")
	expect(t, call(t, "POST", "/api/v1/me/complaints/"+ref+"/reopen", token, map[string]string{"reason": "J'ai le reçu."}),
		http.StatusConflict, "reopen_window_closed")

	// The officers see why it closed, and the task is no longer theirs.
	r = call(t, "GET", "/api/v1/complaints/"+ref, officer, nil)
	expect(t, r, http.StatusOK, "")
	var actions []string
	for _, a := range r.Body["audit"].([]any) {
		actions = append(actions, a.(map[string]any)["action"].(string))
	}
	if strings.Join(actions, ",") != "filed,queued,claimed,request_info,citizen_reminded,closed_unanswered" {
		t.Fatalf("audit: %v", actions)
	}
	r = call(t, "GET", "/api/v1/tasks/"+task, officer, nil)
	expect(t, r, http.StatusOK, "")
	if r.str("state") != "cancelled" {
		t.Fatalf("the task of a complaint closed unanswered: %s", r.Raw)
	}
	recordHistory(t, workflows.ComplaintWorkflowID(ref), "complaint_closed_unanswered.json")
}
