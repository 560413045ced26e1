// Command chaos injects faults into the back office while it works and checks, from what
// the database, Mailpit and Temporal hold afterwards, that nothing was lost
// (docs/PERFORMANCE.md, "Fault injection"). Each scenario ends in a verdict line:
//
//	worker-kill       kill -9 the worker every few seconds while N citizens are taken from
//	                  enrolment to an active account: all active, no workflow left open,
//	                  one credentials e-mail each (or identical copies within the outbox's
//	                  bound: at most one duplicate per crash)
//	worker-term       stop the worker with SIGTERM every few seconds (a deploy) during
//	                  enrolments: it drains first, so no e-mail goes out twice
//	mailpit-down      stop Mailpit (SMTP) for a while during enrolments: every e-mail is
//	                  delivered once it is back
//	mariadb-restart   restart the MariaDB server (or, with -mariadb gate, cut the apps off
//	                  from it) during enrolments and debits: nothing lost, no debit applied
//	                  twice
//	temporal-restart  restart the Temporal dev server (file-backed) during enrolments: every
//	                  workflow resumes and completes
//	debits            concurrent debits on one allowance: never overdrawn, the ledger's sum
//	                  equals the accepted debits
//	filing-outage     Temporal unreachable while citizens file complaints (half retried with
//	                  their Idempotency-Key, half abandoned): each complaint filed once, each
//	                  with its workflow and its acknowledgement once Temporal is back
//
// and on a Temporal cluster (-cluster), with the whole cluster restarted by
// temporal-restart:
//
//	history-kill      kill -9 one of the two history hosts during enrolments, start it again
//	                  later: all active, every workflow completed, exactly one credentials
//	                  e-mail each
//	frontend-down     stop the frontend for a while during enrolments (new ones arriving):
//	                  meanwhile the API answers 503 temporal_unavailable with Retry-After,
//	                  never a 500 nor a hang; everything completes afterwards
//	worker-rolling    restart the two workers one after the other during enrolments and
//	                  complaints resolved by officers: none lost
//
// It starts its own stack (internal/stack: a Temporal dev server on its SQLite file, or the
// cluster on PostgreSQL in databases of its own, Mailpit, a database of its own on the
// local MariaDB, `occonnect api` and `occonnect worker` as processes) and removes it at
// the end.
//
//	go run ./cmd/chaos [-quick] [-cluster] [-scenario worker-kill,debits] [-n 200] [-json FILE]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"occonnect/internal/runreport"
)

// config is what a run does; quickConfig and fullConfig are the two sizes.
type config struct {
	quick        bool
	scenarios    []string
	n            int           // citizens per enrolment scenario
	concurrency  int           // citizens in flight at once
	killEvery    time.Duration // worker-kill: the interval between two kills
	kills        int           // worker-kill: how many kills (0: until the enrolments end)
	mailpitDown  time.Duration // mailpit-down: how long SMTP is away
	mariadb      string        // mariadb-restart: "restart" the server, or "gate" (close a proxy)
	dbKill       bool          // mariadb-restart: SIGKILL instead of a clean shutdown
	dbDown       time.Duration // mariadb-restart: how long the database is away
	dbAgents     int           // mariadb-restart: agents recording debits through the outage
	temporalKill bool          // temporal-restart: SIGKILL instead of SIGTERM
	temporalDown time.Duration // temporal-restart: how long the server stays stopped
	debits       int           // debits: concurrent debits on one allowance
	hostDown     time.Duration // history-kill: how long the killed host stays away
	frontendDown time.Duration // frontend-down: how long the frontend stays stopped
	complaints   int           // worker-rolling: complaints filed and resolved meanwhile
	filings      int           // filing-outage: complaints filed while Temporal is away
	filingDown   time.Duration // filing-outage: how long Temporal stays away
	stepTimeout  time.Duration // the longest a client retries one request
	flowTimeout  time.Duration // the longest one citizen's enrolment may take
	bin          string        // the occonnect binary (built when empty)
	keep         bool          // keep the run folder (logs)
	jsonPath     string
	cluster      bool // Temporal is a cluster on PostgreSQL, not the dev server
}

// Scenario names, in the order of a run: those of every engine, then those of the
// cluster (clusterScenarios).
var (
	engineScenarios = []string{"worker-kill", "worker-term", "mailpit-down", "mariadb-restart", "temporal-restart", "debits", "filing-outage"}
	scenarioNames   = append(append([]string(nil), engineScenarios...), clusterScenarios...)
)

func fullConfig() config {
	return config{scenarios: engineScenarios, n: 200, concurrency: 32, killEvery: 5 * time.Second, mailpitDown: time.Minute,
		mariadb: "restart", dbDown: 15 * time.Second, dbAgents: 8, temporalDown: 5 * time.Second, debits: 200,
		hostDown: 20 * time.Second, frontendDown: 20 * time.Second, complaints: 40, filings: 100, filingDown: 30 * time.Second,
		stepTimeout: 5 * time.Minute, flowTimeout: 20 * time.Minute}
}

// quickConfig is the size of the tests (make test): small N, short outages, and the
// database cut off by a gate instead of a restart of the shared server.
func quickConfig() config {
	return config{quick: true, scenarios: engineScenarios, n: 20, concurrency: 8, killEvery: 3 * time.Second, kills: 2,
		mailpitDown: 10 * time.Second, mariadb: "gate", dbDown: 5 * time.Second, dbAgents: 4, temporalDown: 2 * time.Second,
		debits: 50, hostDown: 10 * time.Second, frontendDown: 10 * time.Second, complaints: 8, filings: 20, filingDown: 10 * time.Second,
		stepTimeout: 2 * time.Minute, flowTimeout: 4 * time.Minute}
}

// withCluster runs on the cluster: its scenarios join the default list.
func (c *config) withCluster() {
	c.cluster = true
	if slices.Equal(c.scenarios, engineScenarios) {
		c.scenarios = scenarioNames
	}
}

func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("chaos", flag.ContinueOnError)
	quick := fs.Bool("quick", false, "small N and short outages, the database behind a gate (the size of the tests)")
	scenario := fs.String("scenario", "all", "the scenarios to run, comma-separated: all, "+strings.Join(scenarioNames, ", "))
	n := fs.Int("n", 0, "citizens per enrolment scenario (default 200; -quick 20)")
	conc := fs.Int("concurrency", 0, "citizens in flight at once (default 32; -quick 8)")
	killEvery := fs.Duration("kill-every", 0, "worker-kill: interval between kills (default 5s; -quick 3s)")
	kills := fs.Int("kills", -1, "worker-kill: number of kills, 0 until the enrolments end (default 0; -quick 2)")
	mailpitDown := fs.Duration("mailpit-down", 0, "mailpit-down: how long Mailpit is stopped (default 1m; -quick 10s)")
	mariadb := fs.String("mariadb", "", "mariadb-restart: restart (the local server: affects everything using it) or gate (cut the apps off with a proxy); default restart, -quick gate")
	dbKill := fs.Bool("mariadb-kill", false, "mariadb-restart: kill -9 the server instead of a clean shutdown")
	dbDown := fs.Duration("db-down", 0, "mariadb-restart: how long the database is away (default 15s; -quick 5s)")
	tKill := fs.Bool("temporal-kill", false, "temporal-restart: kill -9 the dev server instead of SIGTERM")
	tDown := fs.Duration("temporal-down", -1, "temporal-restart: how long the server stays stopped (default 5s; -quick 2s)")
	debits := fs.Int("debits", 0, "debits: concurrent debits on one allowance (default 200; -quick 50)")
	hostDown := fs.Duration("host-down", 0, "history-kill: how long the killed history host stays away (default 20s; -quick 10s)")
	frontendDown := fs.Duration("frontend-down", 0, "frontend-down: how long the frontend stays stopped (default 20s; -quick 10s)")
	filings := fs.Int("filings", 0, "filing-outage: complaints filed while Temporal is away (default 100; -quick 20)")
	filingDown := fs.Duration("filing-down", 0, "filing-outage: how long Temporal is away (default 30s; -quick 10s)")
	complaints := fs.Int("complaints", 0, "worker-rolling: complaints filed and resolved during the restarts (default 40; -quick 8)")
	bin := fs.String("bin", "", "the occonnect binary (built into the run folder when empty)")
	keep := fs.Bool("keep", false, "keep the run folder (the logs of every process)")
	jsonPath := fs.String("json", "", "write the results as JSON to this file")
	cluster := fs.Bool("cluster", false, "run on a Temporal cluster on PostgreSQL (scripts/temporal-cluster.sh) instead of the dev server; "+
		"adds the scenarios "+strings.Join(clusterScenarios, ", "))
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	cfg := fullConfig()
	if *quick {
		cfg = quickConfig()
	}
	if *scenario != "all" {
		cfg.scenarios = nil
		for name := range strings.SplitSeq(*scenario, ",") {
			name = strings.TrimSpace(name)
			if !slices.Contains(scenarioNames, name) {
				return config{}, fmt.Errorf("-scenario: unknown %q (%s)", name, strings.Join(scenarioNames, ", "))
			}
			if slices.Contains(clusterScenarios, name) && !*cluster {
				return config{}, fmt.Errorf("-scenario %s needs -cluster", name)
			}
			cfg.scenarios = append(cfg.scenarios, name)
		}
	}
	setInt := func(dst *int, v, unset int) {
		if v != unset {
			*dst = v
		}
	}
	setDur := func(dst *time.Duration, v, unset time.Duration) {
		if v != unset {
			*dst = v
		}
	}
	if *cluster {
		cfg.withCluster()
	}
	setInt(&cfg.n, *n, 0)
	setInt(&cfg.complaints, *complaints, 0)
	setInt(&cfg.filings, *filings, 0)
	setDur(&cfg.filingDown, *filingDown, 0)
	setDur(&cfg.hostDown, *hostDown, 0)
	setDur(&cfg.frontendDown, *frontendDown, 0)
	setInt(&cfg.concurrency, *conc, 0)
	setInt(&cfg.kills, *kills, -1)
	setInt(&cfg.debits, *debits, 0)
	setDur(&cfg.killEvery, *killEvery, 0)
	setDur(&cfg.mailpitDown, *mailpitDown, 0)
	setDur(&cfg.dbDown, *dbDown, 0)
	setDur(&cfg.temporalDown, *tDown, -1)
	if *mariadb != "" {
		if *mariadb != "restart" && *mariadb != "gate" {
			return config{}, fmt.Errorf("-mariadb: restart or gate, not %q", *mariadb)
		}
		cfg.mariadb = *mariadb
	}
	cfg.dbKill, cfg.temporalKill = *dbKill, *tKill
	cfg.bin, cfg.keep, cfg.jsonPath = *bin, *keep, *jsonPath
	if cfg.n < 1 || cfg.concurrency < 1 || cfg.debits < 2 || cfg.killEvery <= 0 {
		return config{}, fmt.Errorf("-n, -concurrency, -debits and -kill-every must be positive (-debits at least 2)")
	}
	return cfg, nil
}

// settings lists the configuration for the report.
func (c config) settings() map[string]string {
	return map[string]string{
		"scenarios": strings.Join(c.scenarios, ","), "n": fmt.Sprint(c.n), "concurrency": fmt.Sprint(c.concurrency),
		"kill-every": c.killEvery.String(), "kills": fmt.Sprint(c.kills), "mailpit-down": c.mailpitDown.String(),
		"mariadb": c.mariadb, "mariadb-kill": fmt.Sprint(c.dbKill), "db-down": c.dbDown.String(),
		"db-agents": fmt.Sprint(c.dbAgents), "temporal-kill": fmt.Sprint(c.temporalKill),
		"temporal-down": c.temporalDown.String(), "debits": fmt.Sprint(c.debits), "quick": fmt.Sprint(c.quick),
		"cluster": fmt.Sprint(c.cluster), "host-down": c.hostDown.String(), "frontend-down": c.frontendDown.String(),
		"complaints": fmt.Sprint(c.complaints), "filings": fmt.Sprint(c.filings), "filing-down": c.filingDown.String(),
	}
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err == flag.ErrHelp {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, cfg, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(1)
	}
	for _, r := range rep.Results {
		if r.Verdict != pass {
			os.Exit(1)
		}
	}
}

// run sets the stack up, runs the scenarios one after the other on it, prints their
// verdict lines and writes the JSON report.
func run(ctx context.Context, cfg config, out io.Writer) (*Report, error) {
	rep := &Report{Run: runreport.StartRun("chaos", cfg.quick, cfg.settings())}
	h, err := newHarness(ctx, cfg, out)
	if err != nil {
		return nil, err
	}
	defer h.close()
	rep.Machine.MariaDB = h.mariadbVersion
	for _, name := range cfg.scenarios {
		if ctx.Err() != nil {
			break
		}
		res := h.runScenario(ctx, name)
		rep.Results = append(rep.Results, res)
	}
	rep.Finish()
	fmt.Fprintln(out)
	for _, r := range rep.Results {
		fmt.Fprintln(out, r.line())
	}
	if cfg.jsonPath != "" {
		if err := writeJSON(cfg.jsonPath, rep); err != nil {
			return rep, err
		}
		fmt.Fprintf(out, "results written to %s\n", cfg.jsonPath)
	}
	return rep, ctx.Err()
}

func writeJSON(path string, v any) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
