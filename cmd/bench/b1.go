package main

import (
	"context"
	"fmt"

	"occonnect/internal/stack"
)

// b1: N citizens from the agent's enrolment to an active account through the API, the
// worker, MySQL and Mailpit, against the bare workflow (same activities, same Updates)
// started directly with the client on the same Temporal server. Target: ≥ 0.5 × its rate.
func (b *bench) b1(ctx context.Context) Result {
	n, c := b.s.b1N, b.s.b1Concurrency
	res := Result{ID: "B1", Title: "enrollment end to end", Target: "all active, ≥ 0.5 × the baseline's rate", Engine: b.engine}

	w, err := b.sys.startBareWorker()
	if err != nil {
		res.failed(fmt.Errorf("baseline worker: %w", err))
		return res
	}
	var base recorder
	elapsed := b.jobs(ctx, n, c, &base, func(ctx context.Context, i int) error {
		ctx, cancel := context.WithTimeout(ctx, b.s.flowTimeout)
		defer cancel()
		return b.sys.bareRun(ctx, fmt.Sprintf("bench-baseline/%s/%d", b.run, i))
	})
	w.Stop()
	baseRow := base.row("baseline: bare workflow, 5 no-op activities, 2 Updates", "workflows", elapsed)
	res.Rows = append(res.Rows, baseRow)

	var sys recorder
	b.profile(&res, "b1", func() {
		elapsed = b.jobs(ctx, n, c, &sys, func(ctx context.Context, _ int) error {
			ctx, cancel := context.WithTimeout(ctx, b.s.flowTimeout)
			defer cancel()
			cit := b.newCitizen()
			if err := b.api.EnrolToActive(ctx, b.agent, b.mail, cit); err != nil {
				return err
			}
			b.addActive(cit)
			return nil
		})
	})
	row := sys.row("enrolment → e-mail → activation → password change → active", "citizens", elapsed)
	res.Rows = append(res.Rows, row)
	res.note("concurrency %d; latency is from the agent's POST /enrollments to GET /me/enrollment answering active; the baseline's from its start to its second Update's completion", c)
	res.note("each citizen costs 4 Argon2id computations (issue, activation, the password change's check and new hash)")
	if err := errorsNote(&base); err != nil {
		res.note("baseline errors: %v", err)
	}
	if err := errorsNote(&sys); err != nil {
		res.note("errors: %v", err)
	}
	if err := b.settle(ctx); err != nil {
		res.note("the welcome e-mails did not all arrive: %v", err)
	}

	if baseRow.Rate > 0 {
		res.Ratio = round(row.Rate/baseRow.Rate, 2)
	}
	res.Verdict = verdict(row.Errors == 0 && row.N == n && res.Ratio >= 0.5)
	res.Summary = fmt.Sprintf("%d/%d active, %.1f enrollments/s = %.2f × baseline %.1f/s (target ≥ 0.5×); p50/p95/p99 %.0f/%.0f/%.0f ms",
		row.N, n, row.Rate, res.Ratio, baseRow.Rate, row.P50, row.P95, row.P99)
	return res
}

// tokens are the sessions of active citizens, for the polling clients.
func tokens(cs []*stack.Citizen) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Token
	}
	return out
}

// b1OnCluster runs B1 again, baseline included, on a Temporal cluster on PostgreSQL that
// it starts in dir (and stops): the same system, the same load, another engine.
func (b *bench) b1OnCluster(ctx context.Context, dir string) Result {
	fmt.Println("  starting a Temporal cluster on PostgreSQL")
	cb := &bench{s: b.s, run: b.run + "k"}
	closeStack, err := cb.open(ctx, dir, stack.Options{Cluster: true})
	if err != nil {
		return Result{ID: "B1", Title: "enrollment end to end", Engine: "Temporal cluster on PostgreSQL", Verdict: broken, Summary: err.Error()}
	}
	defer closeStack()
	return cb.b1(ctx)
}
