package console_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"occonnect/console"
	"occonnect/domain"
	"occonnect/internal/apitest"
	"occonnect/store"
	"occonnect/workflows"
)

// The console's tests run on the adapters' shared test server (internal/apitest): real
// MariaDB, the whole handler of the api process, and its fake Temporal client, which
// records the Updates the task use cases send and answers for the workflow (by default it
// writes the task's transition to the read model as the workflow's activity would; a test
// makes it refuse like the workflow's validator with Temporal.Respond).

// consoleEnv is the shared server with staff of every role (all with apitest.Password)
// and a citizen enrolled by the agent.
type consoleEnv struct {
	*apitest.Server
	t       *testing.T
	staff   map[string]apitest.Member // e-mail local part → member
	citizen int64
}

func newConsoleEnv(t *testing.T) *consoleEnv {
	t.Helper()
	s := apitest.New(t, apitest.Options{Now: time.Date(2026, 6, 10, 9, 0, 0, 0, time.UTC)}) // a Wednesday, UTC+1 in Casablanca
	e := &consoleEnv{Server: s, t: t, staff: map[string]apitest.Member{}}
	for _, m := range []struct {
		name string
		role domain.Role
	}{
		{"officer", domain.RoleOfficer}, {"officer2", domain.RoleOfficer}, {"supervisor", domain.RoleSupervisor},
		{"head", domain.RoleHeadOfUnit}, {"agent", domain.RoleAgent}, {"admin", domain.RoleAdmin},
	} {
		e.staff[m.name] = s.NewStaff(t, m.role, m.name+"@console.test")
	}
	en := s.Enroll(t, store.NewEnrollment{CIN: "BE123456", FirstName: "Salma", LastName: "Alaoui", Email: "salma@example.ma",
		BirthDate: time.Date(1991, 6, 2, 0, 0, 0, 0, time.UTC), Language: "ar", AgentStaffID: e.staff["agent"].ID,
		ExchangePointCode: apitest.AgentPoint})
	e.citizen = en.CitizenID
	return e
}

// id is the staff id of a member.
func (e *consoleEnv) id(name string) int64 { return e.staff[name].ID }

// complaint files a complaint and opens its task as the workflow's first cycle does:
// created `age` ago, the first response due `due` from now, in the queue of `level`;
// answered: the first response was given an hour ago (and paused: the complaint waits for
// the citizen since).
func (e *consoleEnv) complaint(category, subject string, age, due time.Duration, level int, answered, paused bool) (ref, taskID string) {
	e.t.Helper()
	ctx := context.Background()
	now := e.Clock.Now()
	created := now.Add(-age)
	ref, err := e.Store.CreateComplaint(ctx, store.NewComplaint{CitizenID: e.citizen, Category: category, Subject: subject,
		Description: "Description de « " + subject + " ».", Year: 2026, Now: created})
	if err != nil {
		e.t.Fatal(err)
	}
	taskID = apitest.NewID()
	queue := map[int]domain.Queue{0: domain.QueueOfficers, 1: domain.QueueSupervisors, 2: domain.QueueHeadOfUnit}[level]
	sn := store.ComplaintSnapshot{Reference: ref, Version: 1, Status: domain.ComplaintInQueue, EscalationLevel: level, Cycle: 1,
		TaskID: taskID, FirstResponseDueAt: now.Add(due), ResolutionDueAt: created.AddDate(0, 0, 60)}
	if answered {
		sn.Status, sn.FirstResponseAt = domain.ComplaintClaimed, now.Add(-time.Hour)
	}
	if paused {
		sn.Status, sn.PausedAt = domain.ComplaintWaitingForCitizen, now.Add(-time.Hour)
	}
	if _, err := e.Store.ApplyComplaintChange(ctx, store.ComplaintChange{Snapshot: sn, EventKey: ref + "/1/queued", Actor: "system",
		Action: "queued", FromStatus: domain.ComplaintSubmitted, At: created,
		NewTask: &store.Task{ID: taskID, TaskKey: ref + "/1", Kind: domain.TaskComplaint, SubjectID: ref, WorkflowID: workflows.ComplaintWorkflowID(ref),
			Queue: queue, EscalationLevel: level, DueAt: now.Add(due)}}); err != nil {
		e.t.Fatal(err)
	}
	return ref, taskID
}

// dts records a DTS request with its computed supplement and review task.
func (e *consoleEnv) dts(due time.Duration) (id, taskID string) {
	e.t.Helper()
	ctx := context.Background()
	now := e.Clock.Now()
	id = apitest.NewID()
	if err := e.Store.CreateDTSRequest(ctx, store.DTSRequest{ID: id, CitizenID: e.citizen, FiscalYear: 2025, Year: 2026,
		IRAmountMAD: 48000, AttestationReference: "DGI-IR-2025-004512", CreatedAt: now.Add(-time.Hour)}); err != nil {
		e.t.Fatal(err)
	}
	if err := e.Store.SetDTSComputation(ctx, id, 14400, 3000, 100000, 500000, now.Add(-time.Hour)); err != nil {
		e.t.Fatal(err)
	}
	t, err := e.Store.CreateTask(ctx, store.Task{ID: apitest.NewID(), TaskKey: "dts/" + id + "/review", Kind: "dts", SubjectID: id,
		WorkflowID: workflows.DTSWorkflowID(id), Queue: domain.QueueOfficers, DueAt: now.Add(due), CreatedAt: now.Add(-time.Hour)})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.Store.SetDTSTask(ctx, id, t.ID, now.Add(-time.Hour)); err != nil {
		e.t.Fatal(err)
	}
	return id, t.ID
}

// browser is a cookie jar in front of the handler.
type browser struct {
	e       *consoleEnv
	host    string
	cookies map[string]*http.Cookie
}

func (e *consoleEnv) browser() *browser {
	return &browser{e: e, host: "127.0.0.1:8080", cookies: map[string]*http.Cookie{}}
}

type consoleResp struct {
	Status int
	Header http.Header
	Body   string
}

func (b *browser) do(method, path string, form url.Values, headers ...string) consoleResp {
	b.e.t.Helper()
	body := ""
	if form != nil {
		body = form.Encode()
	}
	req := apitest.NewRequest("", method, path, body, headers...)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Host = b.host
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	w := b.e.Serve(req)
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	return consoleResp{Status: w.Code, Header: w.Header(), Body: w.Body.String()}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the CSRF token of the last form on a page.
func (p consoleResp) csrf(t *testing.T) string {
	t.Helper()
	m := csrfField.FindAllStringSubmatch(p.Body, -1)
	if len(m) == 0 {
		t.Fatalf("no CSRF field on the page (%d): %.400s", p.Status, p.Body)
	}
	return html.UnescapeString(m[len(m)-1][1])
}

func (p consoleResp) has(t *testing.T, parts ...string) {
	t.Helper()
	for _, s := range parts {
		if !strings.Contains(p.Body, s) {
			t.Fatalf("page (%d) lacks %q:\n%s", p.Status, s, p.Body)
		}
	}
}

func (p consoleResp) hasNot(t *testing.T, parts ...string) {
	t.Helper()
	for _, s := range parts {
		if strings.Contains(p.Body, s) {
			t.Fatalf("page (%d) has %q", p.Status, s)
		}
	}
}

func expectStatus(t *testing.T, p consoleResp, status int) {
	t.Helper()
	if p.Status != status {
		t.Fatalf("status %d, want %d: %.1500s", p.Status, status, p.Body)
	}
}

// login signs in through the form and returns the tasks page.
func (b *browser) login(t *testing.T, who string) consoleResp {
	t.Helper()
	p := b.do("GET", "/console/login", nil)
	expectStatus(t, p, http.StatusOK)
	p = b.do("POST", "/console/login", url.Values{"csrf": {p.csrf(t)}, "email": {who + "@console.test"}, "password": {apitest.Password}})
	expectStatus(t, p, http.StatusSeeOther)
	p = b.do("GET", p.Header.Get("Location"), nil)
	expectStatus(t, p, http.StatusOK)
	return p
}

var taskRowPattern = regexp.MustCompile(`data-task="([^"]+)" data-subject="([^"]+)" data-sla="([^"]+)"`)

// rows lists the task rows of a list page: subject → SLA state, in order.
func (p consoleResp) rows() [][2]string {
	var out [][2]string
	for _, m := range taskRowPattern.FindAllStringSubmatch(p.Body, -1) {
		out = append(out, [2]string{m[2], m[3]})
	}
	return out
}

func subjects(rows [][2]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r[0])
	}
	return out
}

// TestConsoleLogin: the login form (CSRF-bound), errors next to the fields, the same
// lockout as POST /api/v1/staff/login, the session cookie's attributes, roles that may not
// use the console, logout.
func TestConsoleLogin(t *testing.T) {
	t.Parallel()
	e := newConsoleEnv(t)
	b := e.browser()

	p := b.do("GET", "/console/tasks?kind=dts", nil)
	expectStatus(t, p, http.StatusSeeOther)
	if loc := p.Header.Get("Location"); loc != "/console/login?next="+url.QueryEscape("/console/tasks?kind=dts") {
		t.Fatalf("redirect to %q", loc)
	}
	p = b.do("GET", "/console/login?next="+url.QueryEscape("/console/tasks?kind=dts"), nil)
	expectStatus(t, p, http.StatusOK)
	p.has(t, `<html lang="fr" dir="ltr">`, "Connexion du personnel", `name="next" value="/console/tasks?kind=dts"`)
	csp := p.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "form-action 'self'") || !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script") {
		t.Fatalf("CSP %q", csp)
	}
	if ct := p.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Fatalf("content type %q", ct)
	}
	lc := b.cookies[console.LoginCookie]
	if lc == nil || !lc.HttpOnly || lc.SameSite != http.SameSiteStrictMode || lc.Path != "/console" || lc.Secure {
		t.Fatalf("login cookie %+v (plain HTTP to 127.0.0.1 is local development: not Secure)", lc)
	}
	token := p.csrf(t)

	// CSRF: no token, a wrong one, or a post from another site.
	p = b.do("POST", "/console/login", url.Values{"email": {"officer@console.test"}, "password": {apitest.Password}})
	expectStatus(t, p, http.StatusForbidden)
	p.has(t, "Le formulaire a expiré")
	p = b.do("POST", "/console/login", url.Values{"csrf": {token + "x"}, "email": {"officer@console.test"}, "password": {apitest.Password}})
	expectStatus(t, p, http.StatusForbidden)
	p = b.do("POST", "/console/login", url.Values{"csrf": {token}, "email": {"officer@console.test"}, "password": {apitest.Password}},
		"Sec-Fetch-Site", "cross-site")
	expectStatus(t, p, http.StatusForbidden)
	other := e.browser() // another browser's token is not valid with this browser's cookie
	other.do("GET", "/console/login", nil)
	p = other.do("POST", "/console/login", url.Values{"csrf": {token}, "email": {"officer@console.test"}, "password": {apitest.Password}})
	expectStatus(t, p, http.StatusForbidden)

	// Field errors next to the fields.
	p = b.do("POST", "/console/login", url.Values{"csrf": {token}, "email": {"not-an-email"}, "password": {""}})
	expectStatus(t, p, http.StatusBadRequest)
	p.has(t, `<p class="field-error" id="email-error">`, `<p class="field-error" id="password-error">Ce champ est obligatoire.</p>`,
		`value="not-an-email"`)

	// Wrong passwords: the API's lockout, shared with POST /api/v1/staff/login.
	for i := 1; i <= 5; i++ {
		p = b.do("POST", "/console/login", url.Values{"csrf": {token}, "email": {"officer2@console.test"}, "password": {"wrong password " + fmt.Sprint(i)}})
		if i < 5 {
			expectStatus(t, p, http.StatusUnauthorized)
			p.has(t, "Adresse e-mail ou mot de passe incorrect.")
		}
	}
	expectStatus(t, p, http.StatusLocked)
	p.has(t, "le compte est bloqué encore 15 min")
	w := e.Call("", "POST", "/api/v1/staff/login", `{"email":"officer2@console.test","password":"`+apitest.Password+`"}`)
	if w.Code != http.StatusLocked {
		t.Fatalf("the API after five console failures: %d", w.Code)
	}

	// Roles that may not use the console: signed in by the service, then refused, without a cookie.
	for _, who := range []string{"agent", "admin"} {
		p = b.do("POST", "/console/login", url.Values{"csrf": {token}, "email": {who + "@console.test"}, "password": {apitest.Password}})
		expectStatus(t, p, http.StatusForbidden)
		p.has(t, "La console est réservée")
		if b.cookies[console.SessionCookie] != nil {
			t.Fatalf("%s got a console session", who)
		}
	}

	// The officer signs in and lands on the page asked for.
	p = b.do("POST", "/console/login", url.Values{"csrf": {token}, "email": {" Officer@Console.test "}, "password": {apitest.Password},
		"next": {"/console/tasks?kind=dts"}})
	expectStatus(t, p, http.StatusSeeOther)
	if loc := p.Header.Get("Location"); loc != "/console/tasks?kind=dts" {
		t.Fatalf("after login: %q", loc)
	}
	sc := b.cookies[console.SessionCookie]
	if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteStrictMode || sc.Path != "/console" || sc.Secure ||
		!sc.Expires.Equal(e.Clock.Now().Add(12*time.Hour).Truncate(time.Second)) {
		t.Fatalf("session cookie %+v", sc)
	}
	if b.cookies[console.LoginCookie] != nil {
		t.Fatal("the login cookie outlives the login")
	}
	p = b.do("GET", "/console/tasks", nil)
	expectStatus(t, p, http.StatusOK)
	p.has(t, "officer@console.test", "Agent de traitement")
	if b.do("GET", "/console/login", nil).Status != http.StatusSeeOther {
		t.Fatal("the login page does not send a signed-in officer on")
	}
	// The console's cookie is not a bearer token the API accepts from a browser.
	req := apitest.NewRequest("", "GET", "/api/v1/tasks", "")
	req.AddCookie(sc)
	if w = e.Serve(req); w.Code != http.StatusUnauthorized {
		t.Fatalf("API with the console cookie: %d", w.Code)
	}

	// Idle sessions end as the API's do (30 minutes).
	e.Clock.Advance(31 * time.Minute)
	p = b.do("GET", "/console/tasks", nil)
	expectStatus(t, p, http.StatusSeeOther)
	b.login(t, "officer")

	// Logout needs the CSRF token, and ends the session.
	p = b.do("GET", "/console/tasks", nil)
	expectStatus(t, b.do("POST", "/console/logout", url.Values{}), http.StatusForbidden)
	kept := b.cookies[console.SessionCookie]
	p = b.do("POST", "/console/logout", url.Values{"csrf": {p.csrf(t)}})
	expectStatus(t, p, http.StatusSeeOther)
	if b.cookies[console.SessionCookie] != nil {
		t.Fatal("the session cookie is still set")
	}
	b.cookies[console.SessionCookie] = kept // replayed: revoked
	expectStatus(t, b.do("GET", "/console/tasks", nil), http.StatusSeeOther)
	// Outside local development the cookies are Secure: TestSecureCookies.
}

// TestConsoleTaskList: the tabs and filters (the parameters and code of GET /api/v1/tasks),
// the SLA state of each row, by due time, dates in Africa/Casablanca, French and Arabic.
func TestConsoleTaskList(t *testing.T) {
	t.Parallel()
	e := newConsoleEnv(t)
	onTime, _ := e.complaint(domain.CategoryExchangePointService, "Guichet fermé", time.Hour, 47*time.Hour, 0, false, false)
	soon, _ := e.complaint(domain.CategoryAllowanceBalance, "Solde erroné", 40*time.Hour, 5*time.Hour, 0, false, false)
	late, _ := e.complaint(domain.CategoryOther, "Question restée sans réponse", 60*time.Hour, -2*time.Hour, 0, false, false)
	paused, _ := e.complaint(domain.CategoryAppAccess, "Connexion impossible", 20*time.Hour, 20*time.Hour, 0, true, true)
	escalated, _ := e.complaint(domain.CategoryOther, "Escaladée aux superviseurs", 80*time.Hour, -30*time.Hour, 1, false, false)
	dts, dtsTask := e.dts(30 * time.Hour)
	_, doneTask := e.complaint(domain.CategoryOther, "Déjà traitée", 10*time.Hour, 30*time.Hour, 0, false, false)
	// Answered in time: its task's first deadline has passed, the resolution's is in 60 days.
	answered, _ := e.complaint(domain.CategoryOther, "Réponse donnée, résolution en cours", 50*time.Hour, -3*time.Hour, 0, true, false)
	e.Temporal.Mirror(t, doneTask, "completed", e.id("officer"), domain.TaskDone, e.id("officer"))
	e.Temporal.Mirror(t, dtsTask, "claimed", e.id("officer"), domain.TaskClaimed, e.id("officer"))

	b := e.browser()
	p := b.login(t, "officer")
	want := [][2]string{{late, console.SLAOverdue}, {soon, console.SLADueSoon}, {dts, console.SLAOnTime}, {onTime, console.SLAOnTime}, {answered, console.SLAOnTime}, {paused, console.SLAPaused}}
	if got := p.rows(); !reflect.DeepEqual(got, want) {
		t.Fatalf("officer's open tasks %v, want %v (by the deadline that counts now, no escalated task)", got, want)
	}
	p.has(t, "En retard", "Échéance proche", "En pause", "Dans les délais", "Dotation 2026 — IR déclaré 48\u202f000\u00a0MAD",
		"Guichet fermé", "Solde des dotations")
	p.hasNot(t, "tab-escalated")
	// The due date of the on-time complaint, in Casablanca (UTC+1 in June).
	p.has(t, e.Clock.Now().Add(47*time.Hour).In(domain.Casablanca).Format("02/01/2006 15:04"), "12/06/2026 09:00")

	for _, c := range []struct {
		query string
		want  []string
	}{
		{"kind=dts", []string{dts}},
		{"kind=complaint&category=allowance_balance", []string{soon}},
		{"overdue=true", []string{late}},
		{"assignee=me", []string{dts}},
		{"state=done", []string{"REC-2026-000006"}},
		{"kind=&category=&escalation_level=&overdue=true", []string{late}},
		{"queue=escalated", nil}, // an officer has no escalated queue
	} {
		p = b.do("GET", "/console/tasks?"+c.query, nil)
		expectStatus(t, p, http.StatusOK)
		if got := subjects(p.rows()); !reflect.DeepEqual(got, c.want) {
			t.Errorf("?%s: %v, want %v", c.query, got, c.want)
		}
	}
	p = b.do("GET", "/console/tasks?kind=dts&overdue=true", nil)
	p.has(t, `<option value="dts" selected>`, `id="filter-overdue" checked`)
	p = b.do("GET", "/console/tasks?assignee=me", nil)
	p.has(t, `<input type="hidden" name="assignee" value="me">`, `id="tab-mine" class="active"`)
	p = b.do("GET", "/console/tasks?escalation_level=7", nil)
	expectStatus(t, p, http.StatusBadRequest)

	// Supervisors see the escalated queue.
	sb := e.browser()
	p = sb.login(t, "supervisor")
	p.has(t, `id="tab-escalated"`)
	if got := subjects(p.rows()); len(got) != 7 || got[0] != escalated {
		t.Fatalf("supervisor's open tasks %v", got)
	}
	for _, q := range []string{"queue=escalated", "escalation_level=1"} {
		p = sb.do("GET", "/console/tasks?"+q, nil)
		if got := p.rows(); !reflect.DeepEqual(got, [][2]string{{escalated, console.SLAOverdue}}) {
			t.Fatalf("?%s: %v", q, got)
		}
	}

	// Arabic: the switch remembers the language and comes back; right to left.
	p = b.do("GET", "/console/lang?to=ar&next="+url.QueryEscape("/console/tasks?kind=dts"), nil)
	expectStatus(t, p, http.StatusSeeOther)
	if loc := p.Header.Get("Location"); loc != "/console/tasks?kind=dts" {
		t.Fatalf("back to %q", loc)
	}
	p = b.do("GET", "/console/tasks", nil)
	p.has(t, `<html lang="ar" dir="rtl">`, "منصة معالجة الشكايات والطلبات", "متأخرة", "الأجل قريب", "متوقفة مؤقتا", "في الأجل",
		`lang="fr">Français</a>`, "رصيد المخصصات")
	if p.Header.Get("Content-Language") != "ar" {
		t.Fatalf("Content-Language %q", p.Header.Get("Content-Language"))
	}
	for _, next := range []string{"https://evil.example/", "//evil.example/console", "/api/v1/tasks", "/console\\@evil"} {
		p = b.do("GET", "/console/lang?to=fr&next="+url.QueryEscape(next), nil)
		if loc := p.Header.Get("Location"); loc != "/console/tasks" {
			t.Fatalf("next=%s went to %q", next, loc)
		}
	}
	expectStatus(t, b.do("GET", "/console/lang?to=en", nil), http.StatusBadRequest)

	// A console 404 is a page, not problem+json.
	p = b.do("GET", "/console/nowhere", nil)
	expectStatus(t, p, http.StatusNotFound)
	if !strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("404 as %s", p.Header.Get("Content-Type"))
	}
}

// TestConsoleTaskActions: the detail pages, and each form through the task service: the
// Update it sends, CSRF failures, field errors next to the fields, the workflow's
// refusals, and roles that may not act.
func TestConsoleTaskActions(t *testing.T) {
	t.Parallel()
	e := newConsoleEnv(t)
	ref, task := e.complaint(domain.CategoryExchangePointService, "Guichet fermé aux heures affichées", time.Hour, 40*time.Hour, 0, false, false)
	dts, dtsTask := e.dts(30 * time.Hour)
	officer, supervisor := e.id("officer"), e.id("supervisor")

	b := e.browser()
	b.login(t, "officer")
	p := b.do("GET", "/console/tasks/"+task, nil)
	expectStatus(t, p, http.StatusOK)
	p.has(t, ref, "Guichet fermé aux heures affichées", "Salma Alaoui", "BE****56", "Description de « Guichet fermé aux heures affichées ».",
		`id="claim"`, "Créée")
	p.hasNot(t, `id="comment"`, `id="reassign"`)

	// CSRF: a claim without the token, or from another site, sends nothing.
	expectStatus(t, b.do("POST", "/console/tasks/"+task+"/claim", url.Values{}), http.StatusForbidden)
	expectStatus(t, b.do("POST", "/console/tasks/"+task+"/claim", url.Values{"csrf": {p.csrf(t)}}, "Sec-Fetch-Site", "same-site"), http.StatusForbidden)
	if n := len(e.Temporal.Updates()); n != 0 {
		t.Fatalf("%d Updates sent without a valid CSRF token", n)
	}

	// Claim: the same Update as POST /api/v1/tasks/{id}/claim (the fake workflow accepts
	// it and writes the claim, as it does every task Update unless told otherwise).
	p = b.do("POST", "/console/tasks/"+task+"/claim", url.Values{"csrf": {p.csrf(t)}})
	expectStatus(t, p, http.StatusSeeOther)
	if loc := p.Header.Get("Location"); loc != "/console/tasks/"+task+"?done=claim" {
		t.Fatalf("after claim: %q", loc)
	}
	sent := e.Temporal.Updates()
	if len(sent) != 1 || sent[0].Name != workflows.UpdateClaimTask || sent[0].WorkflowID != workflows.ComplaintWorkflowID(ref) ||
		!reflect.DeepEqual(sent[0].Arg, workflows.ClaimTaskRequest{TaskID: task, Actor: workflows.TaskActor{StaffID: officer, Role: domain.RoleOfficer}}) {
		t.Fatalf("claim sent %+v", sent)
	}
	p = b.do("GET", p.Header.Get("Location"), nil)
	p.has(t, "Tâche prise en charge.", `id="comment"`, `id="resolve"`, `id="request_info"`, `id="reject"`, `id="release"`, "<strong>moi</strong>")

	// Resolve without a text: the error next to the field; nothing sent.
	p = b.do("POST", "/console/tasks/"+task+"/complete", url.Values{"csrf": {p.csrf(t)}, "outcome": {"resolve"}, "comment": {"   "}})
	expectStatus(t, p, http.StatusBadRequest)
	p.has(t, `<p class="field-error" id="comment-error">Ce champ est obligatoire.</p>`, `aria-invalid="true" aria-describedby="comment-error"`)
	if n := len(e.Temporal.Updates()); n != 1 {
		t.Fatalf("%d Updates", n)
	}

	// A refusal by the workflow is shown on the page.
	e.Temporal.Respond(func(apitest.Update) (any, error) {
		return nil, temporal.NewApplicationError("the complaint is waiting for the citizen", workflows.ErrInvalidState)
	})
	response := "Le bureau a été rappelé à ses obligations d'ouverture."
	p = b.do("POST", "/console/tasks/"+task+"/complete", url.Values{"csrf": {p.csrf(t)}, "outcome": {"resolve"}, "comment": {response}})
	expectStatus(t, p, http.StatusConflict)
	p.has(t, `role="alert"`, "Conflit", html.EscapeString(response)) // the text is kept in the form

	// Resolve: the text is stored as a draft, the Update carries its id only.
	e.Temporal.Respond(nil) // accepted and written again
	p = b.do("POST", "/console/tasks/"+task+"/complete", url.Values{"csrf": {p.csrf(t)}, "outcome": {"resolve"}, "comment": {response}, "idem": {"k1"}})
	expectStatus(t, p, http.StatusSeeOther)
	sent = e.Temporal.Updates()
	done := sent[len(sent)-1].Arg.(workflows.CompleteTaskRequest)
	if done.Outcome != domain.OutcomeResolve || done.Comment != "" || done.MessageID == 0 || done.Actor.StaffID != officer {
		t.Fatalf("complete sent %+v", done)
	}
	msg, err := e.Store.ComplaintMessageByID(context.Background(), ref, done.MessageID)
	if err != nil || msg.Body != response || msg.Kind != "response" || msg.Author != string(domain.RoleOfficer) {
		t.Fatalf("draft %+v %v", msg, err)
	}
	p = b.do("GET", p.Header.Get("Location"), nil)
	p.has(t, "Réclamation résolue", "Terminée")
	p.hasNot(t, `id="comment"`, `id="claim"`)

	// DTS: the computed supplement and the rule figures; rejecting needs a reason.
	p = b.do("GET", "/console/tasks/"+dtsTask, nil)
	expectStatus(t, p, http.StatusOK)
	p.has(t, dts, "DGI-IR-2025-004512", "30\u00a0%", "100\u202f000\u00a0MAD", "500\u202f000\u00a0MAD",
		"<td id=\"dts-supplement\">14\u202f400\u00a0MAD</td>", "114\u202f400\u00a0MAD")
	e.Temporal.Mirror(t, dtsTask, "claimed", officer, domain.TaskClaimed, officer)
	p = b.do("GET", "/console/tasks/"+dtsTask, nil)
	p.has(t, `id="approve"`, `id="reject"`)
	before := len(e.Temporal.Updates())
	p = b.do("POST", "/console/tasks/"+dtsTask+"/complete", url.Values{"csrf": {p.csrf(t)}, "outcome": {"reject"}})
	expectStatus(t, p, http.StatusBadRequest)
	p.has(t, `id="comment-error"`)
	if len(e.Temporal.Updates()) != before {
		t.Fatal("a rejection without a reason was sent")
	}

	// Officers may not reassign (the form is not shown, and the post is refused).
	expectStatus(t, b.do("POST", "/console/tasks/"+dtsTask+"/reassign", url.Values{"csrf": {p.csrf(t)}, "assignee_staff_id": {fmt.Sprint(officer)}}),
		http.StatusForbidden)

	// Agents may not use the console at all, even with a session.
	ab := e.browser()
	tok := e.staff["agent"].Token
	ab.cookies[console.SessionCookie] = &http.Cookie{Name: console.SessionCookie, Value: tok}
	p = ab.do("GET", "/console/tasks", nil)
	expectStatus(t, p, http.StatusForbidden)
	p.has(t, "La console est réservée")
	expectStatus(t, ab.do("POST", "/console/tasks/"+dtsTask+"/claim", url.Values{"csrf": {console.CSRFToken(tok, "session")}}), http.StatusForbidden)
	if len(e.Temporal.Updates()) != before {
		t.Fatal("an agent's claim was sent")
	}

	// A supervisor reassigns: the form lists who works tasks; an agent is refused next to the
	// field; an officer gets the task.
	sb := e.browser()
	sb.login(t, "supervisor")
	p = sb.do("GET", "/console/tasks/"+dtsTask, nil)
	p.has(t, `id="reassign"`, "officer2@console.test — Agent de traitement")
	p.hasNot(t, "agent@console.test —")
	p = sb.do("POST", "/console/tasks/"+dtsTask+"/reassign", url.Values{"csrf": {p.csrf(t)}, "assignee_staff_id": {fmt.Sprint(e.id("agent"))}})
	expectStatus(t, p, http.StatusBadRequest)
	p.has(t, `<p class="field-error" id="assignee-error">`)
	p = sb.do("POST", "/console/tasks/"+dtsTask+"/reassign", url.Values{"csrf": {p.csrf(t)}, "assignee_staff_id": {"x"}})
	expectStatus(t, p, http.StatusBadRequest)
	if len(e.Temporal.Updates()) != before {
		t.Fatal("an invalid reassignment was sent")
	}
	p = sb.do("POST", "/console/tasks/"+dtsTask+"/reassign", url.Values{"csrf": {p.csrf(t)}, "assignee_staff_id": {fmt.Sprint(e.id("officer2"))}})
	expectStatus(t, p, http.StatusSeeOther)
	sent = e.Temporal.Updates()
	want := workflows.ReassignTaskRequest{TaskID: dtsTask, Actor: workflows.TaskActor{StaffID: supervisor, Role: domain.RoleSupervisor},
		Assignee: workflows.TaskActor{StaffID: e.id("officer2"), Role: domain.RoleOfficer}}
	if last := sent[len(sent)-1]; last.Name != workflows.UpdateReassignTask || !reflect.DeepEqual(last.Arg, want) {
		t.Fatalf("reassign sent %+v", last)
	}
	p = sb.do("GET", p.Header.Get("Location"), nil)
	p.has(t, "Tâche réattribuée.", "Réattribuée", "officer2@console.test")

	// The same service behind POST /api/v1/tasks/{id}/reassign: officers are refused by the route.
	api := func(who, body string) *httptest.ResponseRecorder {
		return e.Call(e.staff[who].Token, "POST", "/api/v1/tasks/"+dtsTask+"/reassign", body)
	}
	if w := api("officer", fmt.Sprintf(`{"assignee_staff_id":%d}`, officer)); w.Code != http.StatusForbidden {
		t.Fatalf("officer reassigning through the API: %d", w.Code)
	}
	if w := api("supervisor", `{"assignee_staff_id":0}`); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `"field":"assignee_staff_id","code":"required"`) {
		t.Fatalf("API without an assignee: %d %s", w.Code, w.Body)
	}
	w := api("supervisor", fmt.Sprintf(`{"assignee_staff_id":%d}`, officer))
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), fmt.Sprintf(`"assignee_staff_id":%d`, officer)) {
		t.Fatalf("API reassign: %d %s", w.Code, w.Body)
	}
	// The workflow refuses an assignee who already has the task.
	e.Temporal.Respond(func(apitest.Update) (any, error) {
		return nil, temporal.NewApplicationError("already assigned", workflows.ErrInvalidAssignee)
	})
	if w := api("supervisor", fmt.Sprintf(`{"assignee_staff_id":%d}`, officer)); w.Code != http.StatusBadRequest {
		t.Fatalf("API reassign to the assignee: %d %s", w.Code, w.Body)
	}

	// Once decided (by the workflow's activity), the page shows the decision.
	if _, err := e.Store.DecideDTS(context.Background(), store.DTSDecision{RequestID: dts, Status: domain.DTSRejected, StaffID: officer,
		Comment: "Attestation illisible.", At: e.Clock.Now()}); err != nil {
		t.Fatal(err)
	}
	p = sb.do("GET", "/console/tasks/"+dtsTask, nil)
	expectStatus(t, p, http.StatusOK)
	p.has(t, "<h2>Décision</h2>", "<p>Rejetée · <span dir=\"ltr\">10/06/2026 10:00</span></p>", "Attestation illisible.")
}
