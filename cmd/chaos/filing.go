package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"occonnect/workflows"
)

// filingOutage: Temporal unreachable while citizens file complaints, then back. Half the
// filings are retried by the app with their Idempotency-Key until they are accepted; the
// other half are abandoned after the first refusal (the app closed), and only the
// reconciler can start their workflows.
func (h *harness) filingOutage(ctx context.Context, res *Result) {
	n := h.cfg.filings
	res.Title = fmt.Sprintf("Temporal unreachable during %d complaint filings, %s down; half retried by the app with their "+
		"Idempotency-Key, half abandoned after the first refusal", n, h.cfg.filingDown)
	res.Claim = "meanwhile each filing is refused with 503 temporal_unavailable and Retry-After, never a 500; afterwards each " +
		"complaint is filed once (one row per key, none for a retry), each has its workflow and its acknowledgement e-mail: the " +
		"retries start theirs, the reconciler (a Temporal Schedule) those abandoned"
	agents, err := h.agentTokens(ctx, 4)
	if err != nil {
		res.failed(err)
		return
	}
	cits := h.citizens("KN", max(2, n/5))
	if err := h.enrolFirst(ctx, agents, cits); err != nil {
		res.failed(err)
		return
	}
	// Unreachable: the dev server stopped, or on a cluster its frontend (what the apps
	// reach; the history and matching hosts keep their state and the Schedule its time).
	stopped := time.Now()
	stop := func() error { return h.stack.Temporal.Stop(30 * time.Second) }
	if h.stack.Cluster != nil {
		stop = func() error { return h.stack.Cluster.Host("frontend").Stop(10 * time.Second) }
	}
	if err := stop(); err != nil {
		res.failed(fmt.Errorf("stop Temporal: %w", err))
		return
	}
	h.answers.reset()
	h.logf("  Temporal stopped; %d filings by %d citizens", n, len(cits))

	var (
		wg                       sync.WaitGroup
		firstSent                atomic.Int64
		mu                       sync.Mutex
		retryRefs                = map[string]string{} // key → the reference the accepted retry gave
		errs                     []string
		sem                      = make(chan struct{}, h.cfg.concurrency)
		firstAccepted, retriedOK atomic.Int64
	)
	for i := range n {
		cit, key := cits[i%len(cits)], fmt.Sprintf("KN-%s-%04d", h.run, i)
		body := map[string]string{"category": "other", "subject": fmt.Sprintf("Réclamation %d pendant la panne", i),
			"description": "Déposée pendant que Temporal était injoignable."}
		file := func(ctx context.Context, out any) error {
			return h.client.Expect(ctx, http.StatusAccepted, out, http.MethodPost, "/api/v1/me/complaints", cit.Token, body,
				"Idempotency-Key", key)
		}
		wg.Go(func() {
			sem <- struct{}{}
			err := file(ctx, nil)
			<-sem
			firstSent.Add(1)
			if err == nil {
				firstAccepted.Add(1) // Temporal not yet seen away: nothing to repair
				return
			}
			if i%2 == 1 {
				return // abandoned: the reconciler's
			}
			var filed struct {
				Reference string `json:"reference"`
			}
			var st stepStats
			err = h.retry(ctx, &st, func(ctx context.Context) error { return file(ctx, &filed) })
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, "retry: "+describe(err))
				return
			}
			retriedOK.Add(1)
			retryRefs[key] = filed.Reference
		})
	}
	waitCount(ctx, &firstSent, n, nil)
	sleep(ctx, h.cfg.filingDown-time.Since(stopped))
	if err := h.stack.Temporal.Start(ctx); err != nil {
		res.failed(fmt.Errorf("start Temporal again: %w", err))
		wg.Wait()
		return
	}
	back := time.Now()
	h.logf("  Temporal back after %.1f s; %d filings sent once", back.Sub(stopped).Seconds(), firstSent.Load())
	wg.Wait()
	away := h.answers.between(stopped, back)
	all := h.answers.between(stopped, time.Now())

	// Every filing's row, its workflow, its acknowledgement: the reconciler runs every few
	// seconds here (OCC_RECONCILE_EVERY, OCC_RECONCILE_AFTER).
	type row struct {
		Reference string `db:"reference"`
		Key       string `db:"request_key"`
		Email     string `db:"email"`
		Started   bool   `db:"started"`
		Status    string `db:"status"`
	}
	var rows []row
	var withWorkflow, acknowledged int
	deadline := time.Now().Add(h.cfg.stepTimeout)
	for {
		rows = nil
		if err := h.db.SelectContext(ctx, &rows, `SELECT c.reference, COALESCE(c.request_key, '') AS request_key, z.email,
			c.workflow_started_at IS NOT NULL AS started, c.status
			FROM complaints c JOIN citizens z ON z.id = c.citizen_id WHERE z.cin LIKE 'KN%' ORDER BY c.reference`); err != nil {
			res.failed(err)
			return
		}
		withWorkflow, acknowledged = 0, 0
		for _, r := range rows {
			if r.Started && r.Status != "submitted" {
				withWorkflow++
			}
			if len(h.mail.Messages(r.Email, r.Reference)) > 0 {
				acknowledged++
			}
		}
		if (withWorkflow == len(rows) && acknowledged == len(rows)) || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		sleep(ctx, time.Second)
	}
	repaired := time.Since(back)
	keys, sameRef, described, extraAcks := map[string]int{}, 0, 0, 0
	for _, r := range rows {
		keys[r.Key]++
		if ref, ok := retryRefs[r.Key]; ok && ref == r.Reference {
			sameRef++
		}
		if _, err := h.tc.DescribeWorkflow(ctx, workflows.ComplaintWorkflowID(r.Reference), ""); err == nil {
			described++
		} else if !errors.Is(err, context.Canceled) && !strings.Contains(err.Error(), "not found") {
			res.note("describe %s: %v", r.Reference, err)
		}
		if k := len(h.mail.Messages(r.Email, r.Reference)); k > 1 {
			extraAcks += k - 1
		}
	}
	distinctKeys := 0
	for k, c := range keys {
		if strings.HasPrefix(k, "KN-"+h.run+"-") && c == 1 {
			distinctKeys++
		}
	}
	res.figure("Temporal away (stop to ready)", secs(back.Sub(stopped)), "s")
	res.figure("filings", float64(n), "")
	res.figure("first attempts accepted before the outage was seen", float64(firstAccepted.Load()), "")
	res.figure("503 temporal_unavailable while away", float64(away.count(503, "temporal_unavailable")), "")
	res.figure("of them without Retry-After", float64(away.withoutRetryAfter(503, "temporal_unavailable")), "")
	res.figure("500 answers (from the stop to the end)", float64(all.count(500, "")), "")
	res.figure("slowest answer while away", secs(away.slowest()), "s")
	res.figure("retried filings accepted", float64(retriedOK.Load()), "")
	res.figure("complaint rows", float64(len(rows)), "")
	res.figure("keys with exactly one row", float64(distinctKeys), "")
	res.figure("retries answered with their first filing's reference", float64(sameRef), "")
	res.figure("rows with a started workflow (MySQL: started, in the queue)", float64(withWorkflow), "")
	res.figure("workflows found in Temporal", float64(described), "")
	res.figure("acknowledgement e-mails (one per complaint)", float64(acknowledged), "")
	res.figure("extra acknowledgement copies", float64(extraAcks), "")
	res.figure("Temporal back to every complaint acknowledged", secs(repaired), "s")
	if len(errs) > 0 {
		res.note("retries that failed: %s", strings.Join(tally(errs), "; "))
	}
	retried := n - n/2
	ok := len(rows) == n && distinctKeys == n && withWorkflow == n && described == n && acknowledged == n && extraAcks == 0 &&
		int(retriedOK.Load())+int(firstAccepted.Load()) >= retried && sameRef == int(retriedOK.Load()) &&
		away.count(503, "temporal_unavailable") > 0 && away.withoutRetryAfter(503, "temporal_unavailable") == 0 &&
		all.count(500, "") == 0 && away.slowest() <= apiOutageBound
	res.Verdict = verdict(ok)
	res.Summary = fmt.Sprintf("away %.0f s, %d refused with 503 meanwhile (%d 500s); %d filings → %d rows, %d keys once, "+
		"%d workflows, %d acknowledged (%d extra copies), all within %.0f s of the return",
		back.Sub(stopped).Seconds(), away.count(503, "temporal_unavailable"), all.count(500, ""), n, len(rows), distinctKeys,
		described, acknowledged, extraAcks, repaired.Seconds())
	if away.count(503, "temporal_unavailable") == 0 {
		res.Summary += "; no filing was refused for Temporal's absence: nothing was tested"
	}
}
