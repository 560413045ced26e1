package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"occonnect/internal/stack"
)

// b3MaxWorkerRSS is the target: the worker's resident memory with 10,000 open enrollments.
const b3MaxWorkerRSS = 300e6

// b3: N open enrollments waiting for activation, made through `occonnect api` and run by
// `occonnect worker`, each a process of its own whose resident memory is read from /proc;
// the baseline is the same processes idle. Also: how long the processes take to start,
// and the N workflows to reach "waiting for activation" (credentials e-mailed).
func (b *bench) b3(ctx context.Context) Result {
	n, c := b.s.b3N, b.s.b3Concurrency
	res := Result{ID: "B3", Title: fmt.Sprintf("memory at scale (%d open enrollments)", n),
		Target: "worker RSS < 300 MB with 10,000 open enrollments waiting for activation"}
	if err := b.settle(ctx); err != nil {
		res.note("e-mails still arriving when the measure started: %v", err)
	}
	b.sys.stopWorker() // the process below must be the only worker
	wk, err := b.stack.StartWorker(ctx)
	if err != nil {
		res.failed(err)
		return res
	}
	api, err := b.stack.StartAPI(ctx)
	if err != nil {
		res.failed(err)
		return res
	}
	res.metric("worker: start to ready", round(wk.ReadyIn().Seconds(), 2), "s")
	res.metric("api: start to ready (/readyz)", round(api.ReadyIn().Seconds(), 2), "s")
	sleep(ctx, 2*time.Second)
	idleW, errW := wk.Memory()
	idleA, errA := api.Memory()
	if errW != nil || errA != nil {
		res.failed(fmt.Errorf("memory of the processes: %v %v", errW, errA))
		return res
	}
	res.metric("baseline: worker RSS, idle", mb(idleW.RSS), "MB")
	res.metric("baseline: api RSS, idle", mb(idleA.RSS), "MB")

	client := stack.NewClient(api.URL, c+4)
	agent, err := client.StaffLogin(ctx, b.agents[0], b.agentPW)
	if err != nil {
		res.failed(err)
		return res
	}
	profiled := b.childCPUProfile(ctx, &res, wk, "b3-worker", map[bool]time.Duration{true: 10 * time.Second, false: 30 * time.Second}[b.s.quick])
	mails := b.mail.Total()
	began := time.Now()
	var rec recorder
	elapsed := b.jobs(ctx, n, c, &rec, func(ctx context.Context, _ int) error {
		return client.Enrol(ctx, agent, b.newCitizen())
	})
	enrolled := rec.row("POST /enrollments (workflow started)", "enrollments", elapsed)
	b.mu.Lock()
	b.mails += enrolled.N
	b.mu.Unlock()
	wctx, cancel := context.WithTimeout(ctx, b.s.b3Wait)
	stop := progress(wctx, enrolled.N, func() int { return b.mail.Total() - mails })
	err = b.mail.WaitTotal(wctx, mails+enrolled.N)
	stop()
	cancel()
	waited := time.Since(began)
	open := b.mail.Total() - mails
	res.Rows = append(res.Rows, enrolled, Row{Name: "… credentials e-mailed: waiting for activation", Unit: "enrollments",
		N: open, Errors: enrolled.N - open, Seconds: round(waited.Seconds(), 2), Rate: round(float64(open)/waited.Seconds(), 1)})
	if err != nil {
		res.note("not all enrollments reached waiting for activation: %v", err)
	}
	if err := errorsNote(&rec); err != nil {
		res.note("enrolment errors: %v", err)
	}

	sleep(ctx, 3*time.Second)
	memW, errW := wk.Memory()
	memA, errA := api.Memory()
	if errW != nil || errA != nil {
		res.failed(fmt.Errorf("memory of the processes: %v %v", errW, errA))
		return res
	}
	res.metric(fmt.Sprintf("worker RSS, %d open", open), mb(memW.RSS), "MB")
	res.metric("worker peak RSS (VmHWM)", mb(memW.Peak), "MB")
	res.metric(fmt.Sprintf("api RSS, %d open", open), mb(memA.RSS), "MB")
	res.metric("api peak RSS (VmHWM)", mb(memA.Peak), "MB")
	if memW.Peak >= b3MaxWorkerRSS {
		res.note("the worker's peak (%.0f MB) passed 300 MB while the credentials were issued: each Argon2id hash holds 19 MiB, and the worker runs as many IssueCredentials at once as its activity slots allow", mb(memW.Peak))
	}
	if open > 0 {
		res.metric("worker memory per open enrollment", round((float64(memW.RSS)-float64(idleW.RSS))/float64(open)/1e3, 1), "kB")
	}
	b.childProfile(ctx, &res, wk, "heap", "b3-worker-heap")
	b.childProfile(ctx, &res, api, "heap", "b3-api-heap")
	profiled()

	// A worker started again with the enrollments open (after a crash, or a deploy).
	if err := wk.Kill(); err == nil {
		if err := wk.Start(ctx); err != nil {
			res.note("worker restart: %v", err)
		} else {
			sleep(ctx, 5*time.Second)
			res.metric("worker restarted (kill -9): start to ready", round(wk.ReadyIn().Seconds(), 2), "s")
			if m, err := wk.Memory(); err == nil {
				res.metric("worker restarted: RSS after 5 s", mb(m.RSS), "MB")
			}
		}
	}

	res.Ratio = round(float64(memW.RSS)/float64(idleW.RSS), 2)
	res.Verdict = verdict(open == n && memW.RSS < b3MaxWorkerRSS)
	res.Summary = fmt.Sprintf("worker %.0f MB with %d/%d open enrollments (%.2f × idle %.0f MB, peak %.0f MB; target < 300 MB), api %.0f MB; all waiting after %.0f s",
		mb(memW.RSS), open, n, res.Ratio, mb(idleW.RSS), mb(memW.Peak), mb(memA.RSS), waited.Seconds())
	if n < 10000 {
		res.Summary += fmt.Sprintf(" (N=%d, the target is for 10,000)", n)
	}
	return res
}

// mb is bytes in megabytes (10^6, the unit of the target).
func mb(b uint64) float64 { return round(float64(b)/1e6, 1) }

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// childCPUProfile starts recording a CPU profile of a child process for d through its
// pprof endpoint (OCC_PPROF=true on its metrics listener), when -profile is set; wait
// returns once it is saved.
func (b *bench) childCPUProfile(ctx context.Context, res *Result, app *stack.App, name string, d time.Duration) (wait func()) {
	if b.profDir == "" {
		return func() {}
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		b.fetchProfile(ctx, res, app, fmt.Sprintf("profile?seconds=%d", int(d.Seconds())), name+"-cpu")
	})
	return wg.Wait
}

// childProfile saves one profile (heap, goroutine…) of a child process.
func (b *bench) childProfile(ctx context.Context, res *Result, app *stack.App, profile, name string) {
	if b.profDir != "" {
		b.fetchProfile(ctx, res, app, profile, name)
	}
}

var profileMu sync.Mutex

func (b *bench) fetchProfile(ctx context.Context, res *Result, app *stack.App, query, name string) {
	note := func(format string, args ...any) {
		profileMu.Lock()
		defer profileMu.Unlock()
		res.note(format, args...)
	}
	url := "http://" + app.MetricsAddr + "/debug/pprof/" + query
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		note("profile %s: %v", name, err)
		return
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		note("profile %s: %v (is pprof served with OCC_PPROF=true?)", name, err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		note("profile %s: %s", name, resp.Status)
		return
	}
	path := filepath.Join(b.profDir, name+".pprof")
	f, err := os.Create(path)
	if err != nil {
		note("profile %s: %v", name, err)
		return
	}
	defer f.Close()
	if _, err := io.Copy(f, resp.Body); err != nil {
		note("profile %s: %v", name, err)
		return
	}
	profileMu.Lock()
	res.Profiles = append(res.Profiles, path)
	profileMu.Unlock()
}
