package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"occonnect/workflows"
)

// chromiumPath is Debian's chromium package (`make chromium` installs it; `make test`
// depends on that target). OCC_CHROMIUM_BIN points elsewhere.
const chromiumPath = "/usr/bin/chromium"

// screenshotDir receives the screenshots of the browser tests (git-ignored), taken at
// this window size.
const (
	screenshotDir             = "screenshots"
	screenWidth, screenHeight = 1366, 800
)

// newBrowser starts headless Chromium with a fresh profile, on a closed network. A missing
// Chromium fails the test: the console is not tested otherwise.
func newBrowser(t *testing.T, lang string) context.Context {
	t.Helper()
	bin := chromiumPath
	if p := os.Getenv("OCC_CHROMIUM_BIN"); p != "" {
		bin = p
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("Chromium not found at %s: the console's browser test needs it. `make test` installs Debian's "+
			"chromium package (make chromium: apt-get install -y chromium); or set OCC_CHROMIUM_BIN", bin)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", lang),
		chromedp.WindowSize(screenWidth, screenHeight),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // starts the browser, bound to ctx (no timeout)
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// step runs browser actions with a deadline, failing the test with what it was doing.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// submit clicks a form's button and waits for the page it leads to (after the redirect),
// which must answer 200.
func submit(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	submitExpecting(t, ctx, http.StatusOK, what, actions...)
}

func submitExpecting(t *testing.T, ctx context.Context, status int64, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(sctx, actions...)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if resp.Status != status {
		t.Fatalf("%s: the page answered %d", what, resp.Status)
	}
}

func read[T any](t *testing.T, ctx context.Context, what string, action chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, action)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// screenshot saves the whole page as screenshots/<name>.png.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	// The viewport grows to the page's height (a full-page capture beyond the viewport is
	// offset in right-to-left pages).
	height := read(t, ctx, "the page's height", chromedp.Evaluate[int64](`Math.ceil(document.documentElement.scrollHeight)`))
	step(t, ctx, "grow the viewport", chromedp.EmulateViewport(screenWidth, max(height, screenHeight)))
	png := read(t, ctx, "screenshot "+name, chromedp.CaptureScreenshot())
	step(t, ctx, "restore the viewport", chromedp.EmulateReset())
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(screenshotDir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s (%d bytes)", path, len(png))
}

// consoleLogin signs in through the console's form.
func consoleLogin(t *testing.T, ctx context.Context, email string) {
	t.Helper()
	step(t, ctx, "open the login page", chromedp.Navigate(env.api.URL+"/console/login"), chromedp.WaitVisible(chromedp.ID("email")))
	submit(t, ctx, "sign in as "+email,
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), agentPassword),
		chromedp.Click(chromedp.ID("login")))
	step(t, ctx, "the task list", chromedp.WaitVisible(chromedp.CSS("table.tasks")))
}

// TestConsoleResolveComplaint: a citizen files a complaint through the API; an officer signs
// in to the console in headless Chromium, finds it in the list, claims it and resolves it
// with a response; the citizen's e-mail arrives in Mailpit; the page in Arabic is right to
// left. Then a supervisor reassigns a second complaint to another officer in the console.
func TestConsoleResolveComplaint(t *testing.T) {
	c, token := activeCitizen(t)
	mails := 2 // credentials and welcome
	r := call(t, "POST", "/api/v1/me/complaints", token, map[string]string{"category": "exchange_point_service",
		"subject": "Guichet fermé aux heures affichées", "exchange_point_code": "EP-0001",
		"description": "Le bureau EP-0001 était fermé mardi à 11 h alors que l'affichage indique 8 h 30 – 18 h."})
	expect(t, r, http.StatusAccepted, "")
	ref := r.str("reference")
	mails++
	mailWith(t, c, mails, ref)
	waitComplaint(t, token, ref, "in_queue")

	ctx := newBrowser(t, "fr-FR")
	consoleLogin(t, ctx, "officer@e2e.oc.local")
	row := chromedp.CSS(`tr[data-subject="` + ref + `"]`)
	step(t, ctx, "filter the complaints",
		chromedp.SetValue(chromedp.ID("filter-kind"), "complaint"))
	submit(t, ctx, "apply the filter", chromedp.Click(chromedp.ID("filter-apply")))
	step(t, ctx, "the new complaint is listed", chromedp.WaitVisible(row))
	if sla := read(t, ctx, "its SLA state", chromedp.AttributeValue(row, "data-sla")); sla.Value != "on_time" {
		t.Fatalf("SLA state %q", sla.Value)
	}
	if got := read(t, ctx, "the page's direction", chromedp.Evaluate[string](`document.documentElement.dir`)); got != "ltr" {
		t.Fatalf("French page dir=%q", got)
	}
	screenshot(t, ctx, "console-tasks-fr")

	submit(t, ctx, "open the task", chromedp.Click(chromedp.CSS(`tr[data-subject="`+ref+`"] a.ref`)))
	step(t, ctx, "the complaint and its conversation", chromedp.WaitVisible(chromedp.ID("conversation")), chromedp.WaitVisible(chromedp.ID("claim")))
	if text := read(t, ctx, "the conversation", chromedp.Text(chromedp.ID("conversation"))); !strings.Contains(text, "fermé mardi à 11 h") {
		t.Fatalf("conversation: %q", text)
	}
	submit(t, ctx, "claim", chromedp.Click(chromedp.ID("claim")))
	step(t, ctx, "the response form", chromedp.WaitVisible(chromedp.ID("comment")))

	// Resolving without a text: the error is shown next to the field.
	submitExpecting(t, ctx, http.StatusBadRequest, "resolve without a text", chromedp.Click(chromedp.ID("resolve")))
	if msg := read(t, ctx, "the field's error", chromedp.Text(chromedp.ID("comment-error"))); msg == "" {
		t.Fatal("no error next to the comment field")
	}
	response := "Le bureau EP-0001 a été rappelé à ses obligations d'ouverture ; un contrôle est programmé."
	submit(t, ctx, "resolve",
		chromedp.SendKeys(chromedp.ID("comment"), response),
		chromedp.Click(chromedp.ID("resolve")))
	if status := read(t, ctx, "the complaint's status", chromedp.Text(chromedp.ID("subject-status"))); status != "Résolue" {
		t.Fatalf("status after resolving: %q", status)
	}
	if state := read(t, ctx, "the task's state", chromedp.Text(chromedp.ID("task-state"))); state != "Terminée" {
		t.Fatalf("task state: %q", state)
	}
	screenshot(t, ctx, "console-task-resolved-fr")

	mails++
	if text := mailWith(t, c, mails, ref); !strings.Contains(text, "un contrôle est programmé") {
		t.Fatalf("the citizen's e-mail lacks the response:\n%s", text)
	}
	r = waitComplaint(t, token, ref, "resolved")
	if !strings.Contains(string(r.Raw), "un contrôle est programmé") {
		t.Fatalf("the citizen's view lacks the response: %s", r.Raw)
	}

	// The same page in Arabic: right to left.
	submit(t, ctx, "switch to Arabic", chromedp.Click(chromedp.ID("switch-lang")))
	dir := read(t, ctx, "the page's direction", chromedp.Evaluate[string](`document.documentElement.dir + "/" + document.documentElement.lang`))
	if dir != "rtl/ar" {
		t.Fatalf("Arabic page: dir/lang %q", dir)
	}
	if status := read(t, ctx, "the complaint's status", chromedp.Text(chromedp.ID("subject-status"))); status != "تمت معالجتها" {
		t.Fatalf("status in Arabic: %q", status)
	}
	screenshot(t, ctx, "console-task-ar")
	step(t, ctx, "the list in Arabic", chromedp.Navigate(env.api.URL+"/console/tasks?state=done"), chromedp.WaitVisible(row))
	screenshot(t, ctx, "console-tasks-done-ar")

	// A supervisor gives a second complaint to another officer, who then sees it as theirs.
	r = call(t, "POST", "/api/v1/me/complaints", token, map[string]string{"category": "allowance_balance",
		"subject": "Solde de la dotation touristique", "description": "Le solde affiché ne tient pas compte de mon remboursement."})
	expect(t, r, http.StatusAccepted, "")
	ref2 := r.str("reference")
	waitComplaint(t, token, ref2, "in_queue")
	officer2, err := env.store.StaffByEmail(context.Background(), "officer2@e2e.oc.local")
	if err != nil {
		t.Fatal(err)
	}
	sctx := newBrowser(t, "fr-FR")
	consoleLogin(t, sctx, "supervisor@e2e.oc.local")
	step(t, sctx, "the second complaint", chromedp.WaitVisible(chromedp.CSS(`tr[data-subject="`+ref2+`"]`)))
	submit(t, sctx, "open it", chromedp.Click(chromedp.CSS(`tr[data-subject="`+ref2+`"] a.ref`)))
	submit(t, sctx, "reassign to officer2",
		chromedp.SetValue(chromedp.ID("assignee"), fmt.Sprint(officer2.ID)),
		chromedp.Click(chromedp.ID("reassign")))
	if history := read(t, sctx, "the history", chromedp.Text(chromedp.ID("history"))); !strings.Contains(history, "Réattribuée") {
		t.Fatalf("history: %q", history)
	}
	officer2Token := staffToken(t, "officer2@e2e.oc.local")
	r = call(t, "GET", "/api/v1/tasks?assignee=me&kind=complaint", officer2Token, nil)
	expect(t, r, http.StatusOK, "")
	if !strings.Contains(string(r.Raw), ref2) {
		t.Fatalf("officer2's tasks lack %s: %s", ref2, r.Raw)
	}
	var taskID string
	for _, it := range r.Body["items"].([]any) {
		if m := it.(map[string]any); m["subject_id"] == ref2 {
			taskID = m["id"].(string)
		}
	}
	expect(t, call(t, "POST", "/api/v1/tasks/"+taskID+"/complete", officer2Token,
		map[string]string{"outcome": "resolve", "comment": "Le remboursement est désormais pris en compte."}), http.StatusOK, "")
	waitComplaint(t, token, ref2, "resolved")
	recordHistory(t, workflows.ComplaintWorkflowID(ref2), "complaint_reassigned.json")
}
