package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"occonnect/internal/stack"
)

// b2Citizens is how many distinct active citizens the polling clients share.
const b2Citizens = 32

// b2: the app's polling — GET /me/enrollment and GET /me/allowances with valid tokens at
// 64 concurrent clients — against a bare net/http handler in this process reading one row
// by primary key from the same MySQL pool. Target: p99 < 20 ms and ≥ 0.7 × its rate.
func (b *bench) b2(ctx context.Context) Result {
	clients, d, warm := b.s.b2Clients, b.s.b2Duration, b.s.b2Warmup
	res := Result{ID: "B2", Title: "polling", Target: "p99 < 20 ms and ≥ 0.7 × the baseline's rate, each endpoint"}
	cs, ids, err := b.activeCitizens(ctx, &res, b2Citizens)
	if err != nil {
		res.failed(err)
		return res
	}
	toks := tokens(cs)
	bare := stack.NewClient(b.sys.bareURL, clients+8)

	// Where each request's CPU goes: this process (the API and the load) and MariaDB.
	dbPID := 0
	if server, err := stack.LocalMariaDB(ctx, b.stack.DSN); err == nil {
		dbPID = server.PID
	} else {
		res.note("MariaDB's CPU not measured: %v", err)
	}
	var cpuNotes []string
	cpuNote := func(name string, n int, c cpuUse) {
		if n > 0 && c.ok {
			cpuNotes = append(cpuNotes, fmt.Sprintf("%s %.0f + %.0f µs", name,
				float64(c.self.Microseconds())/float64(n), float64(c.db.Microseconds())/float64(n)))
		}
	}

	var base recorder
	var elapsed time.Duration
	c := cpuDuring(warm, dbPID, func() {
		elapsed = loop(ctx, clients, warm, d, &base, func(ctx context.Context, client, i int) error {
			return bare.Expect(ctx, http.StatusOK, nil, http.MethodGet, fmt.Sprintf("/bare/citizens/%d", ids[(client+i)%len(ids)]), "", nil)
		})
	})
	baseRow := base.row("baseline: bare handler, one row by primary key", "requests", elapsed)
	res.Rows = append(res.Rows, baseRow)
	cpuNote("baseline", baseRow.N, c)

	ok := true
	var lines []string
	for _, path := range []string{"/api/v1/me/enrollment", "/api/v1/me/allowances"} {
		var rec recorder
		b.profile(&res, "b2"+strings.ReplaceAll(path[len("/api/v1"):], "/", "-"), func() {
			c = cpuDuring(warm, dbPID, func() {
				elapsed = loop(ctx, clients, warm, d, &rec, func(ctx context.Context, client, i int) error {
					return b.api.Expect(ctx, http.StatusOK, nil, http.MethodGet, path, toks[(client+i)%len(toks)], nil)
				})
			})
		})
		row := rec.row("GET "+path, "requests", elapsed)
		res.Rows = append(res.Rows, row)
		cpuNote(path[len("/api/v1"):], row.N, c)
		if err := errorsNote(&rec); err != nil {
			res.note("%s errors: %v", path, err)
		}
		ratio := 0.0
		if baseRow.Rate > 0 {
			ratio = round(row.Rate/baseRow.Rate, 2)
		}
		if res.Ratio == 0 || ratio < res.Ratio {
			res.Ratio = ratio // the worse endpoint's
		}
		ok = ok && row.Errors == 0 && row.P99 < 20 && ratio >= 0.7
		lines = append(lines, fmt.Sprintf("%s %.0f req/s = %.2f × baseline, p99 %.1f ms", path[len("/api/v1"):], row.Rate, ratio, row.P99))
	}
	res.note("%d clients, %d citizens' sessions, %s measured after %s of warm-up per row; the load runs in the same process", clients, len(toks), d, warm)
	if len(cpuNotes) > 0 {
		res.note("CPU a request, this process (API and load) + MariaDB: %s", strings.Join(cpuNotes, "; "))
	}
	res.Verdict = verdict(ok)
	res.Summary = fmt.Sprintf("%s; baseline %.0f req/s, p99 %.1f ms (target p99 < 20 ms, ≥ 0.7×)", strings.Join(lines, "; "), baseRow.Rate, baseRow.P99)
	return res
}

// cpuUse is the CPU time this process and MariaDB used while a loop measured.
type cpuUse struct {
	self, db time.Duration
	ok       bool
}

// cpuDuring runs run (a loop with warm-up warm) and reads the CPU time of this process and
// of MariaDB (pid dbPID; 0: not measured) from the end of the warm-up to the end of run.
func cpuDuring(warm time.Duration, dbPID int, run func()) cpuUse {
	if dbPID == 0 {
		run()
		return cpuUse{}
	}
	var self0, db0 time.Duration
	var err0 error
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(warm)
		if self0, err0 = stack.ReadCPU(0); err0 == nil {
			db0, err0 = stack.ReadCPU(dbPID)
		}
	}()
	run()
	<-done
	self1, err1 := stack.ReadCPU(0)
	db1, err2 := stack.ReadCPU(dbPID)
	if err0 != nil || err1 != nil || err2 != nil {
		return cpuUse{}
	}
	return cpuUse{self: self1 - self0, db: db1 - db0, ok: true}
}
