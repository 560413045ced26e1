// Command bench measures the back office against the real stack and compares each figure
// with a baseline measured in the same run, so that the answer is a ratio that holds on a
// noisy machine (docs/PERFORMANCE.md):
//
//	B1  enrollment end to end (agent → e-mail read from Mailpit → activation → password
//	    change → active) against a bare workflow with the same activities and Updates
//	B2  the app's polling (GET /me/enrollment, /me/allowances) against a bare handler
//	    reading one row by primary key from the same MySQL pool
//	B3  memory of the worker and the API, as processes of their own, with N open
//	    enrollments waiting for activation, against the same processes idle
//	B4  allowance debits by concurrent agents on distinct citizens and on one citizen,
//	    never overdrawn, against a bare locked insert
//
// It starts the stack itself (internal/stack: a file-backed Temporal dev server, Mailpit, a
// database of its own on MariaDB) or uses `make dev`'s (-dev); B1 runs a second time, its
// baseline too, on a Temporal cluster on PostgreSQL that it starts (-cluster, on by
// default: the two engines side by side from one run). It prints a table and a verdict
// line per benchmark, and writes the figures as JSON (-out); -report renders such a file
// as the Markdown of docs/PERFORMANCE.md.
//
//	go run ./cmd/bench [-quick] [-only B1,B2] [-markdown] [-profile]
//	go run ./cmd/bench -report bench/results/latest.json
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"occonnect/internal/passhash"
	"occonnect/internal/runreport"
	"occonnect/internal/stack"
)

// settings are the flags.
type settings struct {
	quick, dev, markdown, profile, keep, temporalMemory, cluster bool
	only, out, bin, report                                       string

	b1N, b1Concurrency   int
	b2Clients            int
	b2Duration, b2Warmup time.Duration
	b3N, b3Concurrency   int
	b3Wait               time.Duration
	b4Agents, b4Debits   int
	flowTimeout          time.Duration
}

func parseFlags() (*settings, map[string]string) {
	s := &settings{}
	flag.BoolVar(&s.quick, "quick", false, "small N and short durations (to check the harness; figures are indicative)")
	flag.BoolVar(&s.dev, "dev", false, "use the Temporal server and Mailpit of a running `make dev` instead of starting them")
	flag.BoolVar(&s.markdown, "markdown", false, "also print the Markdown tables of docs/PERFORMANCE.md")
	flag.BoolVar(&s.profile, "profile", false, "save CPU and heap profiles next to -out (profiles/)")
	flag.BoolVar(&s.keep, "keep", false, "keep the run folder (logs of every process)")
	flag.BoolVar(&s.temporalMemory, "temporal-memory", false, "run the Temporal dev server in memory instead of on its SQLite file")
	flag.BoolVar(&s.cluster, "cluster", true, "run B1 a second time on a Temporal cluster on PostgreSQL started by the run (scripts/temporal-cluster.sh), next to the first run's engine")
	flag.StringVar(&s.only, "only", "B1,B2,B3,B4", "the benchmarks to run, comma-separated")
	flag.StringVar(&s.out, "out", "bench/results/latest.json", "where to write the JSON figures")
	flag.StringVar(&s.bin, "bin", "", "the occonnect binary for B3 (built into the run folder when empty)")
	flag.StringVar(&s.report, "report", "", "print the Markdown report of an earlier JSON file and exit")
	flag.IntVar(&s.b1N, "b1-n", 300, "B1: citizens taken to an active account")
	flag.IntVar(&s.b1Concurrency, "b1-concurrency", 32, "B1: citizens in flight at once")
	flag.IntVar(&s.b2Clients, "b2-clients", 64, "B2: concurrent polling clients")
	flag.DurationVar(&s.b2Duration, "b2-duration", 20*time.Second, "B2: measured duration of each phase")
	flag.DurationVar(&s.b2Warmup, "b2-warmup", 2*time.Second, "B2: unmeasured warm-up before each phase")
	flag.IntVar(&s.b3N, "b3-n", 10000, "B3: open enrollments waiting for activation")
	flag.IntVar(&s.b3Concurrency, "b3-concurrency", 32, "B3: enrolments in flight at once")
	flag.DurationVar(&s.b3Wait, "b3-wait", 0, "B3: how long to wait for all the enrollments to wait for activation (0: 250 ms an enrollment, at least 10 min)")
	flag.IntVar(&s.b4Agents, "b4-agents", 32, "B4: concurrent agents")
	flag.IntVar(&s.b4Debits, "b4-debits", 3200, "B4: debits per scenario")
	flag.DurationVar(&s.flowTimeout, "flow-timeout", 5*time.Minute, "B1: the longest one citizen's enrolment may take")
	flag.Parse()

	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if s.quick {
		quick := func(name string, p *int, v int) {
			if !set[name] {
				*p = v
			}
		}
		quick("b1-n", &s.b1N, 40)
		quick("b1-concurrency", &s.b1Concurrency, 8)
		quick("b3-n", &s.b3N, 200)
		quick("b3-concurrency", &s.b3Concurrency, 8)
		quick("b4-debits", &s.b4Debits, 320)
		if !set["b2-duration"] {
			s.b2Duration = 3 * time.Second
		}
		if !set["b2-warmup"] {
			s.b2Warmup = time.Second
		}
	}
	values := map[string]string{}
	flag.VisitAll(func(f *flag.Flag) {
		if f.Name != "report" {
			values[f.Name] = f.Value.String()
		}
	})
	// Effective values after -quick.
	for name, v := range map[string]int{"b1-n": s.b1N, "b1-concurrency": s.b1Concurrency, "b3-n": s.b3N,
		"b3-concurrency": s.b3Concurrency, "b4-debits": s.b4Debits} {
		values[name] = fmt.Sprint(v)
	}
	if s.b3Wait <= 0 {
		s.b3Wait = max(10*time.Minute, time.Duration(s.b3N)*250*time.Millisecond)
	}
	values["b2-duration"], values["b2-warmup"], values["b3-wait"] = s.b2Duration.String(), s.b2Warmup.String(), s.b3Wait.String()
	return s, values
}

func main() {
	s, values := parseFlags()
	if s.report != "" {
		rep, err := readJSON(s.report)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		printMarkdown(os.Stdout, rep)
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, s, values)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	for _, r := range rep.Results {
		if r.Verdict != pass {
			os.Exit(1)
		}
	}
}

// bench is one run: the stack, the system in this process, the active citizens made so
// far (B2 and B4 reuse B1's).
type bench struct {
	s       *settings
	run     string // a short random id, in addresses and keys
	stack   *stack.Stack
	sys     *system
	mail    *stack.Mailbox
	api     *stack.Client // the in-process API
	agents  []string      // agent e-mails
	agentPW string
	agent   string // a session of agents[0] on the in-process API
	engine  string // what runs Temporal, in words
	profDir string

	mu    sync.Mutex
	next  int              // citizens numbered so far
	pool  []*stack.Citizen // active citizens with a full session
	mails int              // e-mails the system should have sent so far
}

func run(ctx context.Context, s *settings, values map[string]string) (*Report, error) {
	rep := &Report{Run: runreport.StartRun("bench", s.quick, values)}
	b := &bench{s: s, run: randomID(3)}
	dir, err := os.MkdirTemp("", "occbench-")
	if err != nil {
		return nil, err
	}
	if s.keep {
		fmt.Printf("run folder (kept): %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	if s.profile {
		b.profDir = filepath.Join(filepath.Dir(s.out), "profiles")
		if err := os.MkdirAll(b.profDir, 0o755); err != nil {
			return nil, err
		}
	}
	only := strings.Split(strings.ToUpper(s.only), ",")
	for _, id := range only {
		if !slices.Contains([]string{"B1", "B2", "B3", "B4"}, id) {
			return nil, fmt.Errorf("-only: unknown benchmark %q (B1, B2, B3, B4)", id)
		}
	}
	if slices.Contains(only, "B3") && s.bin == "" {
		fmt.Println("building occonnect for B3")
		if s.bin, err = stack.Build(ctx, dir); err != nil {
			return nil, err
		}
	}

	rep.Argon2id = measureArgon2id(map[bool]int{true: 5, false: 20}[s.quick])
	fmt.Printf("Argon2id %s: %.1f ms a hash\n", rep.Argon2id.Params, rep.Argon2id.MsEach)

	fmt.Println("starting the stack")
	closeStack, err := b.open(ctx, filepath.Join(dir, "stack"), stack.Options{TemporalInMemory: s.temporalMemory, Dev: s.dev})
	if err != nil {
		return nil, err
	}
	defer closeStack()
	rep.Machine.Stack = map[bool]string{true: "make dev's Temporal and Mailpit, namespace " + b.stack.Namespace,
		false: "started by the run: " + b.engine + ", Mailpit"}[s.dev]
	if err := b.sys.db.GetContext(ctx, &rep.Machine.MariaDB, "SELECT VERSION()"); err != nil {
		return nil, err
	}

	// B3 last: it stops the in-process worker and leaves its enrollments open.
	for _, id := range []string{"B1", "B1-cluster", "B2", "B4", "B3"} {
		if !slices.Contains(only, strings.TrimSuffix(id, "-cluster")) || id == "B1-cluster" && !s.cluster {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		fmt.Printf("running %s\n", id)
		var res Result
		switch id {
		case "B1":
			res = b.b1(ctx)
		case "B1-cluster":
			res = b.b1OnCluster(ctx, filepath.Join(dir, "cluster"))
		case "B2":
			res = b.b2(ctx)
		case "B3":
			res = b.b3(ctx)
		case "B4":
			res = b.b4(ctx)
		}
		fmt.Printf("%s %s: %s\n", res.ID, res.Verdict, res.Summary)
		rep.Results = append(rep.Results, res)
	}
	slices.SortStableFunc(rep.Results, func(a, b Result) int { return strings.Compare(a.ID, b.ID) })
	rep.Finish()
	printText(os.Stdout, rep)
	if s.markdown {
		fmt.Println()
		printMarkdown(os.Stdout, rep)
	}
	if err := writeJSON(s.out, rep); err != nil {
		return rep, err
	}
	fmt.Printf("\nfigures written to %s\n", s.out)
	return rep, ctx.Err()
}

// open starts a stack with opts (its state in dir) and the system on it, seeds the agents
// and signs the first one in; close stops them.
func (b *bench) open(ctx context.Context, dir string, opts stack.Options) (close func(), err error) {
	opts.Dir, opts.Keep, opts.DBPrefix, opts.Binary, opts.PProf = dir, true, "bench", b.s.bin, b.s.profile
	if b.stack, err = stack.Start(ctx, opts); err != nil {
		return nil, err
	}
	close = func() {
		if b.sys != nil {
			b.sys.close()
		}
		b.stack.Close()
	}
	defer func() {
		if err != nil {
			close()
		}
	}()
	switch {
	case opts.Dev:
		b.engine = "make dev's Temporal"
	case opts.Cluster:
		b.engine = "Temporal cluster on PostgreSQL 15 (frontend, 2 history, 2 matching, worker service; 16 shards)"
	case opts.TemporalInMemory:
		b.engine = "Temporal dev server in memory"
	default:
		b.engine = "Temporal dev server on SQLite"
	}
	if b.sys, err = startSystem(ctx, b.stack, filepath.Join(dir, "system.log")); err != nil {
		return nil, err
	}
	if b.mail, err = stack.NewMailbox(ctx, b.stack.Mail, 100*time.Millisecond); err != nil {
		return nil, err
	}
	s := b.s
	b.api = stack.NewClient(b.sys.apiURL, max(s.b1Concurrency, s.b2Clients, s.b3Concurrency, s.b4Agents)+8)
	b.agentPW = "bench-agent-" + randomID(12)
	if b.agents, err = b.sys.seed(ctx, max(s.b4Agents, 1), b.agentPW); err != nil {
		return nil, err
	}
	if b.agent, err = b.api.StaffLogin(ctx, b.agents[0], b.agentPW); err != nil {
		return nil, err
	}
	return close, nil
}

// newCitizen numbers a new citizen of this run.
func (b *bench) newCitizen() *stack.Citizen {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.next++
	return stack.NewCitizen("BQ", b.run, b.next)
}

func (b *bench) addActive(c *stack.Citizen) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pool = append(b.pool, c)
	b.mails += 2 // credentials and welcome
}

// ensureActive tops the pool of active citizens up to n through the enrolment flow.
func (b *bench) ensureActive(ctx context.Context, n int) ([]*stack.Citizen, error) {
	b.mu.Lock()
	missing := n - len(b.pool)
	b.mu.Unlock()
	if missing > 0 {
		fmt.Printf("  taking %d more citizens to an active account\n", missing)
		var rec recorder
		b.jobs(ctx, missing, min(missing, b.s.b1Concurrency), &rec, func(ctx context.Context, _ int) error {
			c := b.newCitizen()
			if err := b.api.EnrolToActive(ctx, b.agent, b.mail, c); err != nil {
				return err
			}
			b.addActive(c)
			return nil
		})
		if rec.errors > 0 {
			return nil, fmt.Errorf("%d enrolments failed: %s", rec.errors, strings.Join(rec.first, "; "))
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.pool[:n]), nil
}

// activeCitizens tops the active citizens up to n, waits for the e-mails owed to settle,
// and returns the citizens with their row ids (for the bare handlers).
func (b *bench) activeCitizens(ctx context.Context, res *Result, n int) ([]*stack.Citizen, []int64, error) {
	cs, err := b.ensureActive(ctx, n)
	if err != nil {
		return nil, nil, err
	}
	if err := b.settle(ctx); err != nil {
		res.note("e-mails still arriving when the measure started: %v", err)
	}
	ids := make([]int64, len(cs))
	for i, c := range cs {
		citizen, err := b.sys.store.CitizenByCIN(ctx, c.CIN)
		if err != nil {
			return nil, nil, err
		}
		ids[i] = citizen.ID
	}
	return cs, ids, nil
}

// settle waits until every e-mail the system owes has been delivered, so that one
// benchmark's tail does not run into the next one.
func (b *bench) settle(ctx context.Context) error {
	b.mu.Lock()
	want := b.mails
	b.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	return b.mail.WaitTotal(ctx, want)
}

// jobs runs n jobs on c goroutines; each success's duration goes to rec. It returns the
// wall time from the first start to the last end.
func (b *bench) jobs(ctx context.Context, n, c int, rec *recorder, job func(ctx context.Context, i int) error) time.Duration {
	work := make(chan int)
	var wg sync.WaitGroup
	began := time.Now()
	defer progress(ctx, n, func() int {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return len(rec.lat) + rec.errors
	})()
	for range max(c, 1) {
		wg.Go(func() {
			for i := range work {
				t := time.Now()
				if err := job(ctx, i); err != nil {
					rec.fail(err)
				} else {
					rec.ok(time.Since(t))
				}
			}
		})
	}
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	return time.Since(began)
}

// progress prints how many of n are done every 15 s until the returned function is called.
func progress(ctx context.Context, n int, done func() int) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	began := time.Now()
	go func() {
		t := time.NewTicker(15 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				fmt.Printf("  … %d/%d after %.0f s\n", done(), n, time.Since(began).Seconds())
			}
		}
	}()
	return cancel
}

// loop runs op on c goroutines for warmup (not recorded) and then for d (recorded), and
// returns the measured wall time.
func loop(ctx context.Context, c int, warmup, d time.Duration, rec *recorder, op func(ctx context.Context, client, i int) error) time.Duration {
	var wg sync.WaitGroup
	start := time.Now().Add(warmup)
	end := start.Add(d)
	for client := range c {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				t := time.Now()
				if t.After(end) {
					return
				}
				err := op(ctx, client, i)
				if t.Before(start) {
					continue
				}
				if err != nil {
					rec.fail(err)
				} else {
					rec.ok(time.Since(t))
				}
			}
		})
	}
	wg.Wait()
	return d
}

// profile records a CPU profile of this process (the API, the worker and the load) while
// fn runs, and a heap profile after it, when -profile is set.
func (b *bench) profile(res *Result, name string, fn func()) {
	if b.profDir == "" {
		fn()
		return
	}
	cpuPath := filepath.Join(b.profDir, name+"-cpu.pprof")
	f, err := os.Create(cpuPath)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		res.note("CPU profile %s: %v", name, err)
		fn()
		return
	}
	fn()
	pprof.StopCPUProfile()
	f.Close()
	res.Profiles = append(res.Profiles, cpuPath)
	heapPath := filepath.Join(b.profDir, name+"-heap.pprof")
	if h, err := os.Create(heapPath); err == nil {
		if err := pprof.Lookup("heap").WriteTo(h, 0); err == nil {
			res.Profiles = append(res.Profiles, heapPath)
		}
		h.Close()
	}
}

func measureArgon2id(n int) Argon2id {
	p := passhash.DefaultParams
	a := Argon2id{Params: fmt.Sprintf("m=%d KiB, t=%d, p=%d", p.Memory, p.Iterations, p.Parallelism), Samples: n}
	began := time.Now()
	for range n {
		if _, err := passhash.Hash("tajine au citron 2024", p); err != nil {
			return a
		}
	}
	a.MsEach = round(float64(time.Since(began))/float64(time.Millisecond)/float64(n), 1)
	return a
}

func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// errorsNote summarizes a recorder's errors for a note.
func errorsNote(rec *recorder) error {
	if rec.errors == 0 {
		return nil
	}
	return errors.New(strings.Join(rec.first, "; "))
}
