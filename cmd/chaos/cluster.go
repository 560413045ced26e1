package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"occonnect/internal/stack"
)

// The scenarios of a Temporal cluster (-cluster): a history host killed, the frontend
// stopped, the application's workers restarted one after the other.

// clusterScenarios need the cluster: each stops one of its processes.
var clusterScenarios = []string{"history-kill", "frontend-down", "worker-rolling"}

// apiOutageBound is the longest the API may take to refuse a request that needs Temporal
// while Temporal is away: 1 s without an answer, then a health check of at most 2 s
// (service/temporal.go), with a margin for a busy machine.
const apiOutageBound = 5 * time.Second

// needsCluster refuses a cluster scenario on the dev server.
func (h *harness) needsCluster(res *Result) bool {
	if h.stack.Cluster == nil {
		res.failed(errors.New("this scenario needs the Temporal cluster (-cluster)"))
		return false
	}
	return true
}

// openEnrollments counts the enrollments of citizens whose CIN starts with prefix that are
// not active yet.
func (h *harness) openEnrollments(ctx context.Context, prefix string) (int, error) {
	var open int
	err := h.db.GetContext(ctx, &open, `SELECT COUNT(*) FROM enrollments e JOIN citizens c ON c.id = e.citizen_id
		WHERE c.cin LIKE ? AND e.status <> 'active'`, prefix+"%")
	return open, err
}

// 6. kill -9 a history host during enrolments.
func (h *harness) historyKill(ctx context.Context, res *Result) {
	n := h.cfg.n
	res.Title = fmt.Sprintf("kill -9 a history host (history1) during %d enrolments, started again after %s", n, h.cfg.hostDown)
	res.Claim = "the other history host takes its shards over: all active, every workflow completed, every e-mail delivered, " +
		"each citizen exactly one credentials e-mail"
	if !h.needsCluster(res) {
		return
	}
	agents, err := h.agentTokens(ctx, 4)
	if err != nil {
		res.failed(err)
		return
	}
	cits := h.citizens("KH", n)
	l := h.startEnrolments(ctx, agents, cits)
	l.waitEnrolled(ctx, max(1, n/4))
	open, err := h.openEnrollments(ctx, "KH")
	if err != nil {
		res.failed(err)
		l.wait()
		return
	}
	host := h.stack.Cluster.Host("history1")
	killed := time.Now()
	if err := host.Kill(); err != nil {
		res.failed(fmt.Errorf("kill history1: %w", err))
		l.wait()
		return
	}
	h.logf("  history1 killed with %d enrollments open; %d/%d enrolled, %d finished", open, l.enrolled.Load(), n, l.finished.Load())
	sleep(ctx, h.cfg.hostDown)
	during := l.finished.Load()
	if err := host.Start(ctx); err != nil {
		res.failed(fmt.Errorf("start history1 again: %w", err))
		l.wait()
		return
	}
	back := time.Now()
	h.logf("  history1 back after %.1f s; %d enrolments finished while it was away", back.Sub(killed).Seconds(), during)
	fs, c, err := h.settle(ctx, l, cits)
	if err != nil {
		res.failed(err)
		return
	}
	res.figure("enrollments open at the kill", float64(open), "")
	res.figure("history1 away (kill to ready)", secs(back.Sub(killed)), "s")
	res.figure("enrolments finished while it was away", float64(during), "")
	flowFigures(res, fs)
	c.figures(res)
	ok := open > 0 && fs.ok == n && c.allDone() && c.mailsIntact() && c.credsOne == n && c.extra == 0
	res.Verdict = verdict(ok)
	res.Summary = fmt.Sprintf("killed with %d enrollments open; %s; %d/%d citizens got exactly one credentials e-mail",
		open, c.text(), c.credsOne, n) + fs.failures()
	if open == 0 {
		res.Summary += "; no enrollment was open at the kill: nothing was tested"
	}
}

// 7. stop the Temporal frontend for a while during enrolments; the API must refuse what
// needs Temporal quickly and clearly, and serve the rest.
func (h *harness) frontendDown(ctx context.Context, res *Result) {
	n := h.cfg.n
	down := h.cfg.frontendDown
	res.Title = fmt.Sprintf("stop the Temporal frontend for %s during %d enrolments, with a new enrolment each second while it is away", down, n)
	res.Claim = fmt.Sprintf("while it is away the API answers what needs Temporal with 503 temporal_unavailable and Retry-After, "+
		"never a 500, never slower than %s, and the reads of MySQL go on; afterwards all active, every workflow completed, "+
		"every e-mail delivered", apiOutageBound)
	if !h.needsCluster(res) {
		return
	}
	agents, err := h.agentTokens(ctx, 4)
	if err != nil {
		res.failed(err)
		return
	}
	cits := h.citizens("KF", n)
	l := h.startEnrolments(ctx, agents, cits)
	l.waitEnrolled(ctx, max(1, n/4))
	frontend := h.stack.Cluster.Host("frontend")
	h.answers.reset()
	stopped := time.Now()
	if err := frontend.Stop(10 * time.Second); err != nil {
		res.failed(fmt.Errorf("stop the frontend: %w", err))
		l.wait()
		return
	}
	h.logf("  frontend stopped; %d/%d enrolled, %d finished", l.enrolled.Load(), n, l.finished.Load())
	// New citizens arrive at the counters while it is away: one enrolment a second; and
	// the agents read the enrollments already recorded (MySQL: no need of Temporal).
	probes := h.citizens("KG", max(1, int(down/time.Second)))
	pl := h.startEnrolmentsEvery(ctx, agents, probes, time.Second)
	var recorded []string
	if err := h.db.SelectContext(ctx, &recorded, `SELECT e.id FROM enrollments e JOIN citizens c ON c.id = e.citizen_id
		WHERE c.cin LIKE 'KF%'`); err != nil {
		res.failed(err)
		l.wait()
		pl.wait()
		return
	}
	var readsOK, readsFailed atomic.Int64
	rctx, stopReads := context.WithCancel(ctx)
	readsDone := make(chan struct{})
	go func() {
		defer close(readsDone)
		for i := 0; rctx.Err() == nil && len(recorded) > 0; i++ {
			err := h.client.Expect(rctx, http.StatusOK, nil, http.MethodGet, "/api/v1/enrollments/"+recorded[i%len(recorded)], agents[0], nil)
			switch {
			case err == nil:
				readsOK.Add(1)
			case rctx.Err() == nil:
				readsFailed.Add(1)
			}
			sleep(rctx, 250*time.Millisecond)
		}
	}()
	sleep(ctx, down)
	stopReads()
	<-readsDone
	if err := h.stack.Temporal.Start(ctx); err != nil { // the frontend, and the namespace checked
		res.failed(fmt.Errorf("start the frontend again: %w", err))
		l.wait()
		pl.wait()
		return
	}
	back := time.Now()
	h.logf("  frontend back after %.1f s", back.Sub(stopped).Seconds())
	fs, c, err := h.settle(ctx, l, cits)
	if err != nil {
		res.failed(err)
		return
	}
	pfs, pc, err := h.settle(ctx, pl, probes)
	if err != nil {
		res.failed(err)
		return
	}
	// The requests sent while it was away, answered then or later.
	away, all := h.answers.between(stopped, back), h.answers.between(stopped, time.Now())
	res.figure("frontend away (stop to ready)", secs(back.Sub(stopped)), "s")
	res.figure("answers while away", float64(len(away)), "")
	res.figure("503 temporal_unavailable while away", float64(away.count(503, "temporal_unavailable")), "")
	res.figure("of them without Retry-After", float64(away.withoutRetryAfter(503, "temporal_unavailable")), "")
	res.figure("500 answers (from the stop to the end)", float64(all.count(500, "")), "")
	res.figure("requests without an answer while away", float64(away.count(0, "")), "")
	res.figure("slowest answer while away", secs(away.slowest()), "s")
	res.figure("median temporal_unavailable answer", round(away.median(503, "temporal_unavailable").Seconds(), 3), "s")
	flowFigures(res, fs)
	c.figures(res)
	res.figure("agents' reads of enrollments while away: answered 200", float64(readsOK.Load()), "")
	res.figure("agents' reads of enrollments while away: failed", float64(readsFailed.Load()), "")
	res.figure("enrolments started while away", float64(len(probes)), "")
	res.figure("of them active", float64(pc.active), "")
	res.note("answers while away: %s", away.text())
	ok := away.count(503, "temporal_unavailable") > 0 && away.withoutRetryAfter(503, "temporal_unavailable") == 0 &&
		all.count(500, "") == 0 && away.count(0, "") == 0 && away.slowest() <= apiOutageBound &&
		readsOK.Load() > 0 && readsFailed.Load() == 0 &&
		fs.ok == n && c.allDone() && c.mailsIntact() && pfs.ok == len(probes) && pc.allDone() && pc.mailsIntact()
	res.Verdict = verdict(ok)
	res.Summary = fmt.Sprintf("away %.0f s; answers meanwhile: %s (reads %d ok, %d failed); slowest %.1f s; %d 500s; then %s; enrolments started while away: %d/%d active",
		back.Sub(stopped).Seconds(), away.text(), readsOK.Load(), readsFailed.Load(), away.slowest().Seconds(), all.count(500, ""),
		c.text(), pc.active, len(probes)) +
		fs.failures() + pfs.failures()
	if away.count(503, "temporal_unavailable") == 0 {
		res.Summary += "; no request was refused for Temporal's absence: nothing was tested"
	}
}

// 8. restart the two workers one after the other during enrolments and complaints.
func (h *harness) workerRolling(ctx context.Context, res *Result) {
	n, nc := h.cfg.n, h.cfg.complaints
	res.Title = fmt.Sprintf("rolling restart of the two workers (SIGTERM, started again, then the other) during %d enrolments and %d complaints", n, nc)
	res.Claim = "none lost: all enrolments active and their workflows completed, every complaint resolved by an officer, every e-mail delivered"
	if !h.needsCluster(res) {
		return
	}
	for len(h.workers) < 2 {
		w, err := h.stack.StartWorker(ctx, h.appEnv...)
		if err != nil {
			res.failed(fmt.Errorf("start a second worker: %w", err))
			return
		}
		h.workers = append(h.workers, w)
	}
	agents, err := h.agentTokens(ctx, 4)
	if err != nil {
		res.failed(err)
		return
	}
	officers, err := h.staffTokens(ctx, h.officers)
	if err != nil {
		res.failed(err)
		return
	}
	complainants := h.citizens("KR", nc)
	if err := h.enrolFirst(ctx, agents, complainants); err != nil {
		res.failed(err)
		return
	}
	cits := h.citizens("KL", n)
	l := h.startEnrolments(ctx, agents, cits)
	cl := h.startComplaints(ctx, officers, complainants)
	l.waitEnrolled(ctx, max(1, n/4))
	cl.waitFiled(ctx, max(1, nc/2))
	var restarts []string
	for i, w := range h.workers {
		if i > 0 {
			sleep(ctx, 2*time.Second) // as a deployment does: the next one once this one has settled
		}
		began := time.Now()
		if err := w.Stop(30 * time.Second); err != nil {
			res.failed(fmt.Errorf("stop worker %d: %w", i+1, err))
			l.wait()
			cl.wait()
			return
		}
		stoppedIn := time.Since(began)
		if err := w.Start(ctx); err != nil {
			res.failed(fmt.Errorf("start worker %d again: %w", i+1, err))
			l.wait()
			cl.wait()
			return
		}
		restarts = append(restarts, fmt.Sprintf("worker %d: stopped in %.1f s, ready in %.1f s", i+1, stoppedIn.Seconds(), w.ReadyIn().Seconds()))
		h.logf("  %s; %d/%d enrolled, %d complaints resolved", restarts[len(restarts)-1], l.enrolled.Load(), n, cl.resolved.Load())
	}
	fs, c, err := h.settle(ctx, l, cits)
	if err != nil {
		res.failed(err)
		return
	}
	cl.wait()
	resolved, err := h.resolvedComplaints(ctx, cl.references())
	if err != nil {
		res.failed(err)
		return
	}
	cc, err := h.checkEnrolments(ctx, complainants, nil, h.cfg.stepTimeout) // their e-mails: acknowledgements, answers
	if err != nil {
		res.failed(err)
		return
	}
	res.note("restarts: %s", strings.Join(restarts, "; "))
	flowFigures(res, fs)
	c.figures(res)
	res.figure("complaints filed", float64(len(cl.references())), "")
	res.figure("complaints resolved (client)", float64(cl.resolved.Load()), "")
	res.figure("complaints resolved (MySQL)", float64(resolved), "")
	res.figure("complainants' e-mails sent", float64(cc.sent), "")
	res.figure("complainants' e-mails lost", float64(cc.lost), "")
	if errs := cl.failures(); len(errs) > 0 {
		res.note("complaints the clients gave up: %s", strings.Join(errs, "; "))
	}
	ok := fs.ok == n && c.allDone() && c.mailsIntact() && len(cl.references()) == nc && int(cl.resolved.Load()) == nc &&
		resolved == nc && cc.mailsIntact()
	res.Verdict = verdict(ok)
	res.Summary = fmt.Sprintf("%s; %s; complaints: %d filed, %d resolved, complainants' e-mails %d/%d sent, %d lost",
		strings.Join(restarts, ", "), c.text(), len(cl.references()), resolved, cc.sent, cc.rows, cc.lost) + fs.failures()
}

// startEnrolmentsEvery starts one citizen's enrolment every interval (each runs on its own
// to the end).
func (h *harness) startEnrolmentsEvery(ctx context.Context, agents []string, cits []*stack.Citizen, every time.Duration) *load {
	l := &load{began: time.Now(), done: make(chan struct{}), results: make([]flowResult, len(cits))}
	var wg sync.WaitGroup
	go func() {
		defer close(l.done)
		for i := range cits {
			if i > 0 {
				sleep(ctx, every)
			}
			if ctx.Err() != nil {
				break
			}
			wg.Go(func() {
				t := time.Now()
				st, err := h.enrolToActive(ctx, agents[i%len(agents)], cits[i], func() { l.enrolled.Add(1) })
				l.results[i] = flowResult{cit: cits[i], err: err, retried: st.retried, took: time.Since(t)}
				l.finished.Add(1)
			})
		}
		wg.Wait()
		l.ended = time.Now()
	}()
	return l
}

// complaintLoad is complaints filed by active citizens and resolved by officers, each
// request retried as the app and the console would.
type complaintLoad struct {
	filed    atomic.Int64
	resolved atomic.Int64
	done     chan struct{}

	mu   sync.Mutex
	refs []string
	errs []string
}

// startComplaints has each citizen file a complaint and an officer resolve it.
func (h *harness) startComplaints(ctx context.Context, officers []string, cits []*stack.Citizen) *complaintLoad {
	cl := &complaintLoad{done: make(chan struct{})}
	var wg sync.WaitGroup
	for i, cit := range cits {
		wg.Go(func() {
			ref, err := h.complaintToResolved(ctx, officers[i%len(officers)], cit, func() { cl.filed.Add(1) })
			cl.mu.Lock()
			defer cl.mu.Unlock()
			if ref != "" {
				cl.refs = append(cl.refs, ref)
			}
			if err != nil {
				cl.errs = append(cl.errs, err.Error())
				return
			}
			cl.resolved.Add(1)
		})
	}
	go func() { wg.Wait(); close(cl.done) }()
	return cl
}

func (cl *complaintLoad) wait() { <-cl.done }

// waitFiled waits until k complaints are filed (or all ended).
func (cl *complaintLoad) waitFiled(ctx context.Context, k int) { waitCount(ctx, &cl.filed, k, cl.done) }

func (cl *complaintLoad) references() []string {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return append([]string(nil), cl.refs...)
}

func (cl *complaintLoad) failures() []string {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return tally(cl.errs)
}

// complaintToResolved: the citizen files a complaint (with an Idempotency-Key), the
// officer finds its task, claims it and resolves it, the citizen sees it resolved.
func (h *harness) complaintToResolved(ctx context.Context, officer string, cit *stack.Citizen, onFiled func()) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.flowTimeout)
	defer cancel()
	var st stepStats
	var filed struct {
		Reference string `json:"reference"`
	}
	body := map[string]string{"category": "exchange_point_service", "subject": "Guichet fermé aux heures affichées",
		"description": "Le bureau était fermé à 11 h alors que l'affichage indique 8 h 30 – 18 h.", "exchange_point_code": "EP-0001"}
	if err := h.retry(ctx, &st, func(ctx context.Context) error {
		return h.client.Expect(ctx, http.StatusAccepted, &filed, http.MethodPost, "/api/v1/me/complaints", cit.Token, body,
			"Idempotency-Key", "complaint-"+cit.CIN)
	}); err != nil {
		return "", fmt.Errorf("file: %w", err)
	}
	ref := filed.Reference
	onFiled()
	var taskID string
	for taskID == "" {
		var tasks struct {
			Items []struct {
				ID        string `json:"id"`
				SubjectID string `json:"subject_id"`
			} `json:"items"`
		}
		if err := h.retry(ctx, &st, func(ctx context.Context) error {
			return h.client.Expect(ctx, http.StatusOK, &tasks, http.MethodGet, "/api/v1/tasks?kind=complaint&state=open&limit=100", officer, nil)
		}); err != nil {
			return ref, fmt.Errorf("list tasks: %w", err)
		}
		for _, t := range tasks.Items {
			if t.SubjectID == ref {
				taskID = t.ID
			}
		}
		if taskID == "" {
			select {
			case <-ctx.Done():
				return ref, errors.New("no officer task for the complaint")
			case <-time.After(300 * time.Millisecond):
			}
		}
	}
	for _, step := range []struct {
		path string
		body any
	}{
		{"/api/v1/tasks/" + taskID + "/claim", nil},
		{"/api/v1/tasks/" + taskID + "/complete", map[string]string{"outcome": "resolve",
			"comment": "Nous avons rappelé au bureau ses horaires d'ouverture ; un contrôle est programmé."}},
	} {
		if err := h.retry(ctx, &st, func(ctx context.Context) error {
			return h.client.Expect(ctx, http.StatusOK, nil, http.MethodPost, step.path, officer, step.body,
				"Idempotency-Key", "chaos-"+taskID+strings.ReplaceAll(step.path, "/", "-"))
		}); err != nil {
			return ref, fmt.Errorf("%s: %w", step.path[strings.LastIndexByte(step.path, '/')+1:], err)
		}
	}
	for {
		var c struct {
			Status string `json:"status"`
		}
		if err := h.retry(ctx, &st, func(ctx context.Context) error {
			return h.client.Expect(ctx, http.StatusOK, &c, http.MethodGet, "/api/v1/me/complaints/"+ref, cit.Token, nil)
		}); err != nil {
			return ref, fmt.Errorf("read: %w", err)
		}
		if c.Status == "resolved" {
			return ref, nil
		}
		select {
		case <-ctx.Done():
			return ref, fmt.Errorf("complaint still %s", c.Status)
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// resolvedComplaints counts the complaints resolved in MySQL among refs.
func (h *harness) resolvedComplaints(ctx context.Context, refs []string) (int, error) {
	n := 0
	for _, ref := range refs {
		var status string
		if err := h.db.GetContext(ctx, &status, "SELECT status FROM complaints WHERE reference = ?", ref); err != nil {
			return 0, fmt.Errorf("complaint %s: %w", ref, err)
		}
		if status == "resolved" {
			n++
		}
	}
	return n, nil
}

// recorder is the clients' transport, keeping what the API answered: status, problem
// code, Retry-After and how long each answer took.
type recorder struct {
	next    http.RoundTripper
	mu      sync.Mutex
	answers []answer
}

// answer is one exchange; status 0 is a request that got no answer.
type answer struct {
	began      time.Time
	took       time.Duration
	status     int
	code       string
	retryAfter bool
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	a := answer{began: time.Now()}
	resp, err := r.next.RoundTrip(req)
	if err == nil {
		a.status, a.retryAfter = resp.StatusCode, resp.Header.Get("Retry-After") != ""
		if resp.StatusCode >= 400 {
			body, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			resp.Body = io.NopCloser(bytes.NewReader(body))
			if rerr == nil {
				var p struct {
					Code string `json:"code"`
				}
				_ = json.Unmarshal(body, &p)
				a.code = p.Code
			}
		}
	}
	a.took = time.Since(a.began)
	r.mu.Lock()
	r.answers = append(r.answers, a)
	r.mu.Unlock()
	return resp, err
}

// reset forgets what was recorded.
func (r *recorder) reset() {
	r.mu.Lock()
	r.answers = nil
	r.mu.Unlock()
}

// between is what answered requests sent from since to until.
func (r *recorder) between(since, until time.Time) answers {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out answers
	for _, a := range r.answers {
		if !a.began.Before(since) && a.began.Before(until) {
			out = append(out, a)
		}
	}
	return out
}

type answers []answer

// count counts the answers with that status (and code, unless empty); status 500 counts
// every 5xx but 503.
func (as answers) count(status int, code string) int {
	n := 0
	for _, a := range as {
		match := a.status == status
		if status == 500 {
			match = a.status >= 500 && a.status != 503
		}
		if match && (code == "" || a.code == code) {
			n++
		}
	}
	return n
}

func (as answers) withoutRetryAfter(status int, code string) int {
	n := 0
	for _, a := range as {
		if a.status == status && a.code == code && !a.retryAfter {
			n++
		}
	}
	return n
}

func (as answers) slowest() time.Duration {
	var d time.Duration
	for _, a := range as {
		d = max(d, a.took)
	}
	return d
}

func (as answers) median(status int, code string) time.Duration {
	var ds []time.Duration
	for _, a := range as {
		if a.status == status && a.code == code {
			ds = append(ds, a.took)
		}
	}
	if len(ds) == 0 {
		return 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

// text tallies the answers: "12× 503 temporal_unavailable, 40× 200".
func (as answers) text() string {
	var items []string
	for _, a := range as {
		s := fmt.Sprint(a.status)
		if a.status == 0 {
			s = "no answer"
		}
		if a.code != "" {
			s += " " + a.code
		}
		items = append(items, s)
	}
	if len(items) == 0 {
		return "none"
	}
	return strings.Join(tally(items), ", ")
}
