package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"occonnect/internal/stack"
)

// runScenario runs one scenario, prints its verdict line, and puts the stack back in order
// for the next one.
func (h *harness) runScenario(ctx context.Context, name string) Result {
	res := Result{Scenario: name}
	began := time.Now()
	h.logf("%s: starting", name)
	switch name {
	case "worker-kill":
		h.workerKill(ctx, &res)
	case "worker-term":
		h.workerTerm(ctx, &res)
	case "mailpit-down":
		h.mailpitDown(ctx, &res)
	case "mariadb-restart":
		h.mariadbRestart(ctx, &res)
	case "temporal-restart":
		h.temporalRestart(ctx, &res)
	case "debits":
		h.concurrentDebits(ctx, &res)
	case "filing-outage":
		h.filingOutage(ctx, &res)
	case "history-kill":
		h.historyKill(ctx, &res)
	case "frontend-down":
		h.frontendDown(ctx, &res)
	case "worker-rolling":
		h.workerRolling(ctx, &res)
	default:
		res.failed(fmt.Errorf("unknown scenario %q", name))
	}
	res.Seconds = secs(time.Since(began))
	if err := h.healthy(ctx); err != nil {
		res.note("the stack could not be put back in order after the scenario: %v", err)
		if res.Verdict == pass {
			res.Verdict = broken
		}
	}
	h.logf("%s", res.line())
	return res
}

// citizens numbers n new citizens of a scenario (CINs <prefix>000001…, addresses unique to
// the run and the scenario).
func (h *harness) citizens(prefix string, n int) []*stack.Citizen {
	h.mu.Lock()
	if h.prefixes[prefix] {
		h.mu.Unlock()
		// Two scenarios with the same citizens in one run would read each other's e-mails.
		panic(fmt.Sprintf("chaos: citizens %q taken by two scenarios", prefix))
	}
	if h.prefixes == nil {
		h.prefixes = map[string]bool{}
	}
	h.prefixes[prefix] = true
	h.mu.Unlock()
	out := make([]*stack.Citizen, n)
	for i := range out {
		out[i] = stack.NewCitizen(prefix, h.run+strings.ToLower(prefix), i+1)
	}
	return out
}

// flowFigures adds what the clients went through.
func flowFigures(res *Result, fs flowSummary) {
	res.figure("enrolments that reached active (client)", float64(fs.ok), "")
	res.figure("requests sent again by the clients", float64(fs.retried), "")
	res.figure("longest enrolment", secs(fs.longest), "s")
	res.figure("enrolments' wall time", secs(fs.elapsed), "s")
	if len(fs.errors) > 0 {
		res.note("enrolments that failed: %s", strings.Join(fs.errors, "; "))
	}
}

// enrolFirst takes citizens to active accounts before a fault (the debits' payers).
func (h *harness) enrolFirst(ctx context.Context, agents []string, cits []*stack.Citizen) error {
	l := h.startEnrolments(ctx, agents, cits)
	l.wait()
	if fs := l.summary(); fs.ok != len(cits) {
		return fmt.Errorf("%d of %d citizens reached active before the fault: %s", fs.ok, len(cits), strings.Join(fs.errors, "; "))
	}
	return nil
}

// 1. kill -9 the worker every few seconds during enrolments.
func (h *harness) workerKill(ctx context.Context, res *Result) {
	n := h.cfg.n
	res.Title = fmt.Sprintf("kill -9 the worker every %s during %d enrolments", h.cfg.killEvery, n)
	res.Claim = "all active, every workflow completed, each citizen one credentials e-mail — or identical copies " +
		"(same Message-ID and password) within the outbox's documented bound of one duplicate per crash"
	cits := h.citizens("KW", n)
	kills, fs, c, ok := h.restartWorkerDuring(ctx, res, cits, "killed", func() error { return h.worker.Kill() })
	if !ok {
		return
	}
	res.figure("worker kills (SIGKILL)", float64(kills.count), "")
	res.figure("worker down (kill to ready), total", secs(kills.down), "s")
	flowFigures(res, fs)
	c.figures(res)
	res.figure("duplicate bound (one per kill)", float64(kills.count), "")
	pass := kills.count > 0 && fs.ok == n && c.allDone() && c.mailsIntact() && c.extra <= kills.count
	res.Verdict = verdict(pass)
	res.Summary = fmt.Sprintf("%d kills; %s; %d/%d citizens got exactly one credentials e-mail; extra copies %d (bound %d, one per kill)",
		kills.count, c.text(), c.credsOne, n, c.extra, kills.count) + fs.failures()
	if kills.count == 0 {
		res.Summary += "; the enrolments ended before the first kill: nothing was tested"
	}
}

// 1b. stop the worker (SIGTERM, as a deploy or a scale-down does) every few seconds during
// enrolments: it lets its running activities finish (worker.StopTimeout), so unlike a
// kill -9 no e-mail may go out twice.
func (h *harness) workerTerm(ctx context.Context, res *Result) {
	n := h.cfg.n
	res.Title = fmt.Sprintf("stop the worker with SIGTERM every %s during %d enrolments, started again at once", h.cfg.killEvery, n)
	res.Claim = "the worker drains before it exits: all active, every workflow completed, every e-mail delivered, " +
		"each citizen exactly one credentials e-mail and no e-mail twice"
	cits := h.citizens("KS", n)
	var longest time.Duration
	stops, fs, c, ok := h.restartWorkerDuring(ctx, res, cits, "stopped", func() error {
		began := time.Now()
		err := h.worker.Stop(30 * time.Second)
		longest = max(longest, time.Since(began))
		return err
	})
	if !ok {
		return
	}
	res.figure("worker stops (SIGTERM)", float64(stops.count), "")
	res.figure("longest stop (SIGTERM to exit)", secs(longest), "s")
	res.figure("worker away (stop to ready), total", secs(stops.down), "s")
	flowFigures(res, fs)
	c.figures(res)
	pass := stops.count > 0 && fs.ok == n && c.allDone() && c.mailsIntact() && c.extra == 0 && c.credsOne == n
	res.Verdict = verdict(pass)
	res.Summary = fmt.Sprintf("%d stops (longest %.1f s); %s; %d/%d citizens got exactly one credentials e-mail; extra copies %d (bound 0)",
		stops.count, longest.Seconds(), c.text(), c.credsOne, n, c.extra) + fs.failures()
	if stops.count == 0 {
		res.Summary += "; the enrolments ended before the first stop: nothing was tested"
	}
}

// restarts counts the worker's restarts of a scenario and the time it was away.
type restarts struct {
	count int
	down  time.Duration
}

// restartWorkerDuring enrols cits while it stops the worker (stop) every killEvery and
// starts it again, until the enrolments end (or -kills); then lets them settle. ok false:
// the scenario failed (res says why).
func (h *harness) restartWorkerDuring(ctx context.Context, res *Result, cits []*stack.Citizen, verb string, stop func() error) (
	r restarts, fs flowSummary, c enrolCheck, ok bool) {
	agents, err := h.agentTokens(ctx, 4)
	if err != nil {
		res.failed(err)
		return r, fs, c, false
	}
	l := h.startEnrolments(ctx, agents, cits)
loop:
	for h.cfg.kills == 0 || r.count < h.cfg.kills {
		select {
		case <-l.done:
			break loop
		case <-ctx.Done():
			break loop
		case <-time.After(h.cfg.killEvery):
		}
		began := time.Now()
		if err := stop(); err != nil {
			res.failed(fmt.Errorf("worker %s: %w", verb, err))
			l.wait()
			return r, fs, c, false
		}
		r.count++
		if err := h.worker.Start(ctx); err != nil {
			res.failed(fmt.Errorf("start the worker again: %w", err))
			l.wait()
			return r, fs, c, false
		}
		r.down += time.Since(began)
		h.logf("  worker %s (%d), ready again in %.1f s; %d/%d enrolled, %d finished", verb, r.count,
			h.worker.ReadyIn().Seconds(), l.enrolled.Load(), len(cits), l.finished.Load())
	}
	fs, c, err = h.settle(ctx, l, cits)
	if err != nil {
		res.failed(err)
		return r, fs, c, false
	}
	return r, fs, c, true
}

// 2. stop Mailpit for a while during enrolments.
func (h *harness) mailpitDown(ctx context.Context, res *Result) {
	n := h.cfg.n
	res.Title = fmt.Sprintf("stop Mailpit for %s during %d enrolments", h.cfg.mailpitDown, n)
	res.Claim = "every e-mail delivered once Mailpit is back (none lost), all active, every workflow completed"
	agents, err := h.agentTokens(ctx, 4)
	if err != nil {
		res.failed(err)
		return
	}
	cits := h.citizens("KM", n)
	l := h.startEnrolments(ctx, agents, cits)
	l.waitEnrolled(ctx, max(1, n/4))
	if err := h.stack.Mailpit.Stop(5 * time.Second); err != nil {
		res.failed(fmt.Errorf("stop Mailpit: %w", err))
		l.wait()
		return
	}
	// From the moment the process has exited: during its graceful stop (SIGTERM) Mailpit
	// may still accept a message, which the check below would count as received while down.
	stopped := time.Now()
	h.logf("  Mailpit stopped; %d/%d enrolled, %d finished", l.enrolled.Load(), n, l.finished.Load())
	sleep(ctx, h.cfg.mailpitDown)
	if err := h.stack.Mailpit.Start(ctx); err != nil {
		res.failed(fmt.Errorf("start Mailpit again: %w", err))
		l.wait()
		return
	}
	back := time.Now()
	h.logf("  Mailpit back after %.1f s", back.Sub(stopped).Seconds())
	fs, c, err := h.settle(ctx, l, cits)
	if err != nil {
		res.failed(err)
		return
	}
	after, during := 0, 0
	for _, m := range c.mails {
		switch {
		case !m.received.Before(back):
			after++
		case m.received.After(stopped):
			during++ // cannot happen while it is stopped: a check of the check
		}
	}
	res.figure("Mailpit down", secs(back.Sub(stopped)), "s")
	flowFigures(res, fs)
	c.figures(res)
	res.figure("e-mails delivered after Mailpit came back", float64(after), "")
	res.figure("e-mails received while it was down", float64(during), "")
	tail := 0.0
	if c.lastMail.After(back) {
		tail = secs(c.lastMail.Sub(back))
	}
	res.figure("from Mailpit's return to the last e-mail", tail, "s")
	ok := fs.ok == n && c.allDone() && c.mailsIntact() && during == 0 && after > 0 && c.failedTries > 0
	res.Verdict = verdict(ok)
	res.Summary = fmt.Sprintf("down %.0f s; %s; %d e-mails waited and were delivered after the return (%d failed SMTP attempts retried), the last %.0f s after it",
		back.Sub(stopped).Seconds(), c.text(), after, c.failedTries, tail) + fs.failures()
	if after == 0 || c.failedTries == 0 {
		res.Summary += "; no e-mail was held up by the outage: nothing was tested"
	}
}

// 3. restart MariaDB (or cut the apps off from it) during enrolments and debits.
func (h *harness) mariadbRestart(ctx context.Context, res *Result) {
	n := h.cfg.n
	how := "restart the MariaDB server (" + map[bool]string{true: "kill -9", false: "clean shutdown"}[h.cfg.dbKill] + ")"
	if h.cfg.mariadb == "gate" {
		how = "cut the api and the worker off from MariaDB (a TCP gate closed)"
	}
	res.Title = fmt.Sprintf("%s for %s during %d enrolments and debits by %d agents", how, h.cfg.dbDown, n, h.cfg.dbAgents)
	res.Claim = "nothing lost: every debit answered and in the ledger once, all enrolments active, every workflow completed, every e-mail delivered"
	agents, err := h.agentTokens(ctx, max(h.cfg.dbAgents, 4))
	if err != nil {
		res.failed(err)
		return
	}
	var server *stack.MariaDBServer
	if h.cfg.mariadb == "restart" {
		if server, err = stack.LocalMariaDB(ctx, h.stack.DSN); err != nil {
			res.failed(err)
			return
		}
	} else if h.gate == nil {
		res.failed(errors.New("no gate between the apps and MariaDB (the stack was started without the mariadb-restart scenario)"))
		return
	}
	payers := h.citizens("KP", h.cfg.dbAgents)
	if err := h.enrolFirst(ctx, agents, payers); err != nil {
		res.failed(err)
		return
	}
	cits := h.citizens("KD", n)
	l := h.startEnrolments(ctx, agents, cits)
	ds := h.startDebits(ctx, agents[:h.cfg.dbAgents], payers)
	l.waitEnrolled(ctx, max(1, n/4))
	h.logf("  database going away; %d/%d enrolled, %d debits recorded", l.enrolled.Load(), n, ds.accepted.Load())
	cut := time.Now()
	if server != nil {
		out, err := server.Restart(ctx, h.cfg.dbDown, h.cfg.dbKill)
		if err != nil {
			res.note("restart: %v", err)
		}
		res.figure("MariaDB: signal to process gone", secs(out.Stop), "s")
		res.figure("MariaDB: process gone to answering again", secs(out.Down), "s")
		res.figure("MariaDB: start to answering", secs(out.StartUp), "s")
		if err != nil {
			ds.stop()
			l.wait()
			res.failed(fmt.Errorf("MariaDB restart: %w", err))
			return
		}
	} else {
		h.gate.SetOpen(false)
		sleep(ctx, h.cfg.dbDown)
		h.gate.SetOpen(true)
	}
	back := time.Now()
	h.logf("  database back after %.1f s", back.Sub(cut).Seconds())
	sleep(ctx, 3*time.Second) // debits go on after the return
	ds.stop()
	fs, c, err := h.settle(ctx, l, cits)
	if err != nil {
		res.failed(err)
		return
	}
	dc, err := h.checkDebits(ctx, ds)
	if err != nil {
		res.failed(err)
		return
	}
	// Keys whose first request died with the database and that no retry can take over.
	var stuckKeys int
	if err := h.db.GetContext(ctx, &stuckKeys, `SELECT COUNT(*) FROM idempotency_keys WHERE status_code IS NULL
		AND (idem_key LIKE ? OR idem_key LIKE 'enrol-KD%')`, "chaos-"+ds.prefix+"%"); err != nil {
		res.failed(err)
		return
	}
	res.figure("database away", secs(back.Sub(cut)), "s")
	flowFigures(res, fs)
	c.figures(res)
	dc.figures(res)
	res.figure("Idempotency-Keys left in progress", float64(stuckKeys), "")
	if stuckKeys > 0 {
		res.note("%d Idempotency-Keys stayed in progress (status_code NULL): their first request failed with the database "+
			"and could not release them, so every retry is answered 409 idempotency_in_progress", stuckKeys)
	}
	ok := fs.ok == n && c.allDone() && c.mailsIntact() && dc.ok() && fs.retried+dc.retried > 0
	res.Verdict = verdict(ok)
	res.Summary = fmt.Sprintf("away %.0f s; %s; %s", back.Sub(cut).Seconds(), dc.text(), c.text()) + fs.failures()
	if stuckKeys > 0 {
		res.Summary += fmt.Sprintf("; %d Idempotency-Keys stuck in progress", stuckKeys)
	}
	if fs.retried+dc.retried == 0 {
		res.Summary += "; no request failed during the outage: nothing was tested"
	}
}

// 4. restart the Temporal dev server during enrolments.
func (h *harness) temporalRestart(ctx context.Context, res *Result) {
	n := h.cfg.n
	sig := map[bool]string{true: "kill -9", false: "SIGTERM"}[h.cfg.temporalKill]
	what := "the Temporal dev server (SQLite file"
	if h.stack.Cluster != nil {
		what = "the whole Temporal cluster (every process"
	}
	res.Title = fmt.Sprintf("restart %s; %s, %s down) during %d enrolments", what, sig, h.cfg.temporalDown, n)
	res.Claim = "every workflow open at the restart resumes and completes; all active, every e-mail delivered"
	agents, err := h.agentTokens(ctx, 4)
	if err != nil {
		res.failed(err)
		return
	}
	cits := h.citizens("KT", n)
	l := h.startEnrolments(ctx, agents, cits)
	l.waitEnrolled(ctx, max(1, n/4))
	open, err := h.openEnrollments(ctx, "KT")
	if err != nil {
		res.failed(err)
		l.wait()
		return
	}
	stopped := time.Now()
	if h.cfg.temporalKill {
		err = h.stack.Temporal.Kill()
	} else {
		err = h.stack.Temporal.Stop(30 * time.Second)
	}
	if err != nil {
		res.failed(fmt.Errorf("stop Temporal: %w", err))
		l.wait()
		return
	}
	h.logf("  Temporal stopped with %d enrollments open; %d/%d enrolled", open, l.enrolled.Load(), n)
	sleep(ctx, h.cfg.temporalDown)
	if err := h.stack.Temporal.Start(ctx); err != nil {
		res.failed(fmt.Errorf("start Temporal again: %w", err))
		l.wait()
		return
	}
	back := time.Now()
	h.logf("  Temporal back after %.1f s (start to ready %.1f s)", back.Sub(stopped).Seconds(), h.stack.Temporal.ReadyIn().Seconds())
	fs, c, err := h.settle(ctx, l, cits)
	if err != nil {
		res.failed(err)
		return
	}
	res.figure("Temporal down (stop to ready)", secs(back.Sub(stopped)), "s")
	res.figure("enrollments open when it stopped", float64(open), "")
	flowFigures(res, fs)
	c.figures(res)
	ok := open > 0 && fs.ok == n && c.allDone() && c.mailsIntact()
	res.Verdict = verdict(ok)
	res.Summary = fmt.Sprintf("down %.0f s with %d enrollments open; %s", back.Sub(stopped).Seconds(), open, c.text()) + fs.failures()
	if open == 0 {
		res.Summary += "; no enrollment was open at the restart: nothing was tested"
	}
}

// 5. concurrent debits on one allowance.
func (h *harness) concurrentDebits(ctx context.Context, res *Result) {
	d := h.cfg.debits
	res.Title = fmt.Sprintf("%d concurrent debits on one allowance by %d agents", d, agentCount)
	res.Claim = "never overdrawn (watched during the run), exactly the debits that fit accepted, the ledger's sum equals the accepted debits"
	agents, err := h.agentTokens(ctx, agentCount)
	if err != nil {
		res.failed(err)
		return
	}
	cit := h.citizens("KB", 1)
	if err := h.enrolFirst(ctx, agents, cit); err != nil {
		res.failed(err)
		return
	}
	var citizenID int64
	if err := h.db.GetContext(ctx, &citizenID, "SELECT id FROM citizens WHERE cin = ?", cit[0].CIN); err != nil {
		res.failed(err)
		return
	}
	const typ = "tourism"
	before, err := h.client.Allowance(ctx, cit[0].Token, typ)
	if err != nil {
		res.failed(err)
		return
	}
	// The debits ask for twice what remains: about half fit.
	amount := max(before.RemainingMAD*2/int64(d), 1)
	fits := min(before.RemainingMAD/amount, int64(d))
	used := func(ctx context.Context) (int64, error) {
		var s int64
		err := h.db.GetContext(ctx, &s, `SELECT COALESCE(SUM(amount_mad), 0) FROM ledger_entries
			WHERE citizen_id = ? AND type = ? AND kind = 'debit'`, citizenID, typ)
		return s, err
	}
	base, err := used(ctx)
	if err != nil {
		res.failed(err)
		return
	}
	// A watcher reads the ledger's sum while the debits run.
	wctx, stopWatch := context.WithCancel(ctx)
	var maxSeen, samples atomic.Int64
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		for wctx.Err() == nil {
			if s, err := used(wctx); err == nil {
				samples.Add(1)
				if s-base > maxSeen.Load() {
					maxSeen.Store(s - base)
				}
			}
			sleep(wctx, 5*time.Millisecond)
		}
	}()
	start := make(chan struct{})
	var wg sync.WaitGroup
	var accepted, refused atomic.Int64
	var mu sync.Mutex
	var errs []string
	var retried int
	began := time.Now()
	for i := range d {
		wg.Go(func() {
			<-start
			var st stepStats
			ref := fmt.Sprintf("CB-%s-%d", h.run, i)
			err := h.retry(ctx, &st, func(ctx context.Context) error {
				_, err := h.client.RecordDebit(ctx, agents[i%len(agents)], "chaos-"+ref, stack.Debit{CIN: cit[0].CIN, Type: typ, AmountMAD: amount, Reference: ref})
				return err
			})
			switch {
			case err == nil:
				accepted.Add(1)
			case errors.Is(err, stack.ErrInsufficient):
				refused.Add(1)
			}
			mu.Lock()
			retried += st.retried
			if err != nil && !errors.Is(err, stack.ErrInsufficient) {
				errs = append(errs, describe(err))
			}
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	elapsed := time.Since(began)
	sleep(ctx, 50*time.Millisecond)
	stopWatch()
	<-watchDone
	sum, err := used(ctx)
	if err != nil {
		res.failed(err)
		return
	}
	sum -= base
	var rows int
	if err := h.db.GetContext(ctx, &rows, `SELECT COUNT(*) FROM ledger_entries WHERE citizen_id = ? AND type = ? AND kind = 'debit'
		AND reference LIKE ?`, citizenID, typ, "CB-"+h.run+"-%"); err != nil {
		res.failed(err)
		return
	}
	after, err := h.client.Allowance(ctx, cit[0].Token, typ)
	if err != nil {
		res.failed(err)
		return
	}
	a, r := accepted.Load(), refused.Load()
	available := before.EntitlementMAD - before.UsedMAD // what the allowance allowed before the run
	res.figure("debits sent at once", float64(d), "")
	res.figure("amount of each", float64(amount), "MAD")
	res.figure("remaining before", float64(before.RemainingMAD), "MAD")
	res.figure("debits that fit", float64(fits), "")
	res.figure("accepted", float64(a), "")
	res.figure("refused (insufficient_allowance)", float64(r), "")
	res.figure("other answers", float64(len(errs)), "")
	res.figure("requests sent again", float64(retried), "")
	res.figure("ledger rows", float64(rows), "")
	res.figure("ledger sum", float64(sum), "MAD")
	res.figure("highest sum seen while running", float64(maxSeen.Load()), "MAD")
	res.figure("ledger reads while running", float64(samples.Load()), "")
	res.figure("remaining after (API)", float64(after.RemainingMAD), "MAD")
	res.figure("wall time", round(elapsed.Seconds(), 2), "s")
	if len(errs) > 0 {
		res.note("other answers: %s", strings.Join(errs, "; "))
	}
	ok := len(errs) == 0 && a == fits && r == int64(d)-fits && int64(rows) == a && sum == a*amount &&
		sum <= available && maxSeen.Load() <= available && after.RemainingMAD == before.RemainingMAD-sum
	res.Verdict = verdict(ok)
	res.Summary = fmt.Sprintf("%d debits of %d MAD on %d MAD: %d accepted (%d fit), %d refused, %d other; ledger %d rows, sum %d MAD = accepted × amount: %v; highest sum seen %d ≤ %d: %v; %.2f s",
		d, amount, before.RemainingMAD, a, fits, r, len(errs), rows, sum, sum == a*amount, maxSeen.Load(), available,
		maxSeen.Load() <= available && sum <= available, elapsed.Seconds())
}
