package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"occonnect/internal/passhash"
	"occonnect/internal/stack"
	"occonnect/internal/testenv"
	"occonnect/store"
)

// harness is the stack of a run with the system on it: `occonnect api` and `occonnect
// worker` as processes that the scenarios kill and start again, the agents seeded, and the
// observers — a MySQL pool of its own (never behind the gate), a Temporal client and a
// Mailpit watcher.
type harness struct {
	cfg config
	out io.Writer
	run string // a short random id, in addresses, keys and references

	dir     string
	stack   *stack.Stack
	api     *stack.App
	worker  *stack.App    // the first of workers: the one worker-kill kills
	workers []*stack.App  // worker-rolling starts a second one
	appEnv  []string      // the apps' extra configuration
	answers *recorder     // what the API answered the clients
	gate    *testenv.Gate // between the apps and MariaDB (-mariadb gate), else nil
	db      *sqlx.DB
	store   *store.Store
	tc      client.Client
	mail    *stack.Mailbox
	client  *stack.Client

	agents         []string
	officers       []string
	agentPW        string // every seeded staff member's
	mariadbVersion string

	mu       sync.Mutex
	closers  []func()
	prefixes map[string]bool // the citizens' CIN prefixes taken: one per scenario
}

// agentCount is the number of agents seeded (the debits scenario spreads its debits over
// them, the way several exchange-point counters sell at once); officerCount the number of
// complaint officers.
const (
	agentCount   = 20
	officerCount = 4
)

func newHarness(ctx context.Context, cfg config, out io.Writer) (h *harness, err error) {
	started := &harness{cfg: cfg, out: out, run: randomID(3)}
	h = started
	// The driver logs each connection the outages break; the scenarios count what matters.
	_ = mysql.SetLogger(log.New(io.Discard, "", 0))
	defer func() {
		if err != nil {
			started.close() // h may already be nil: a return nil, err
			h = nil
		}
	}()
	if h.dir, err = os.MkdirTemp("", "occchaos-"); err != nil {
		return nil, err
	}
	if cfg.keep {
		h.logf("run folder (kept): %s", h.dir)
	} else {
		dir := h.dir
		h.closers = append(h.closers, func() { _ = os.RemoveAll(dir) })
	}
	bin := cfg.bin
	if bin == "" {
		h.logf("building occonnect")
		if bin, err = stack.Build(ctx, h.dir); err != nil {
			return nil, err
		}
	}
	engine := "Temporal dev server on SQLite"
	if cfg.cluster {
		engine = "Temporal cluster on PostgreSQL"
	}
	h.logf("starting the stack (%s, Mailpit, a database on MariaDB)", engine)
	if h.stack, err = stack.Start(ctx, stack.Options{Dir: filepath.Join(h.dir, "stack"), Keep: true, DBPrefix: "chaos", Binary: bin,
		Cluster: cfg.cluster}); err != nil {
		return nil, err
	}
	h.closers = append(h.closers, h.stack.Close)
	if h.db, err = store.Open(ctx, h.stack.DSN); err != nil {
		return nil, err
	}
	h.closers = append(h.closers, func() { _ = h.db.Close() })
	h.store = store.New(h.db)
	if err := h.db.GetContext(ctx, &h.mariadbVersion, "SELECT VERSION()"); err != nil {
		return nil, err
	}

	// The apps: no sign-in rate limit (every citizen signs in from 127.0.0.1), and the
	// database behind the gate when the run cuts it off that way.
	// The reconciler every few seconds: filing-outage waits for it.
	env := []string{"OCC_RATE_LIMIT_IP=off", "OCC_RATE_LIMIT_ACCOUNT=off", "OCC_SIGNIN_FAILURES_PER_ADDRESS=off",
		"OCC_RECONCILE_EVERY=5s", "OCC_RECONCILE_AFTER=5s"}
	if slices.Contains(cfg.scenarios, "mariadb-restart") && cfg.mariadb == "gate" {
		addr, err := stack.DSNAddr(h.stack.DSN)
		if err != nil {
			return nil, err
		}
		if h.gate, err = testenv.NewGate(addr); err != nil {
			return nil, err
		}
		h.closers = append(h.closers, h.gate.Close)
		dsn, err := stack.DSNVia(h.stack.DSN, fmt.Sprintf("127.0.0.1:%d", h.gate.Port()))
		if err != nil {
			return nil, err
		}
		env = append(env, "OCC_MYSQL_DSN="+dsn)
	}
	h.appEnv = env
	if h.worker, err = h.stack.StartWorker(ctx, env...); err != nil {
		return nil, err
	}
	h.workers = []*stack.App{h.worker}
	if h.api, err = h.stack.StartAPI(ctx, env...); err != nil {
		return nil, err
	}
	h.client = stack.NewClient(h.api.URL, cfg.concurrency+max(cfg.debits, agentCount)+16)
	h.answers = &recorder{next: h.client.HTTP.Transport}
	h.client.HTTP.Transport = h.answers

	if h.tc, err = client.DialContext(ctx, client.Options{HostPort: h.stack.TemporalAddress, Namespace: h.stack.Namespace,
		Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))}); err != nil {
		return nil, err
	}
	h.closers = append(h.closers, h.tc.Close)
	mctx, cancel := context.WithCancel(context.Background())
	h.closers = append(h.closers, cancel)
	if h.mail, err = stack.NewMailbox(mctx, h.stack.Mail, 200*time.Millisecond); err != nil {
		return nil, err
	}
	if err := h.seed(ctx); err != nil {
		return nil, err
	}
	h.logf("stack ready in %s (api %s, Temporal %s)", h.dir, h.api.URL, h.stack.TemporalAddress)
	return h, nil
}

// close stops what newHarness started, in reverse order.
func (h *harness) close() {
	h.mu.Lock()
	closers := h.closers
	h.closers = nil
	h.mu.Unlock()
	for i := len(closers) - 1; i >= 0; i-- {
		closers[i]()
	}
}

func (h *harness) logf(format string, args ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	fmt.Fprintf(h.out, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// seed adds the exchange point and the agents, all with one password.
func (h *harness) seed(ctx context.Context) error {
	if err := h.store.UpsertExchangePoint(ctx, store.ExchangePoint{Code: "EP-0001", Name: "Chaos point", City: "Rabat",
		Address: "Avenue Mohammed V", Lat: 34.02, Lon: -6.84, Active: true}); err != nil {
		return err
	}
	hasher, err := passhash.NewHasher(passhash.DefaultParams)
	if err != nil {
		return err
	}
	h.agentPW = "chaos-agent-" + randomID(12)
	hash, err := hasher.Hash(h.agentPW)
	if err != nil {
		return err
	}
	for i := range agentCount {
		email := fmt.Sprintf("agent%02d@chaos.oc.local", i+1)
		if err := h.store.UpsertStaff(ctx, store.Staff{Email: email, Role: "agent", PasswordHash: hash,
			ExchangePointCode: sql.NullString{String: "EP-0001", Valid: true}, CreatedAt: time.Now().UTC()}); err != nil {
			return err
		}
		h.agents = append(h.agents, email)
	}
	for i := range officerCount {
		email := fmt.Sprintf("officer%02d@chaos.oc.local", i+1)
		if err := h.store.UpsertStaff(ctx, store.Staff{Email: email, Role: "officer", PasswordHash: hash,
			CreatedAt: time.Now().UTC()}); err != nil {
			return err
		}
		h.officers = append(h.officers, email)
	}
	return nil
}

// agentTokens signs n agents in (a fresh session for each scenario: sessions expire after
// 30 minutes idle).
func (h *harness) agentTokens(ctx context.Context, n int) ([]string, error) {
	return h.staffTokens(ctx, h.agents[:min(n, len(h.agents))])
}

// staffTokens signs staff members in.
func (h *harness) staffTokens(ctx context.Context, emails []string) ([]string, error) {
	tokens := make([]string, len(emails))
	for i := range tokens {
		var st stepStats
		err := h.retry(ctx, &st, func(ctx context.Context) error {
			var err error
			tokens[i], err = h.client.StaffLogin(ctx, emails[i], h.agentPW)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("staff sign-in: %w", err)
		}
	}
	return tokens, nil
}

// healthy puts the stack back as a scenario found it: worker and servers running, the
// gate open.
func (h *harness) healthy(ctx context.Context) error {
	if h.gate != nil {
		h.gate.SetOpen(true)
	}
	servers := []stack.Server{h.stack.Temporal, h.stack.Mailpit, h.api.Process}
	for _, w := range h.workers {
		servers = append(servers, w.Process)
	}
	for _, p := range servers {
		if !p.Running() {
			h.logf("starting %s again", p)
			if err := p.Start(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
