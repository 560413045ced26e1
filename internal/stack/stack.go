// Package stack runs the real stack of the back office as child processes that can be
// killed and started again: a Temporal dev server (file-backed by default, so that its
// runs survive a restart), Mailpit, a database of its own on the MariaDB server with the
// migrations applied, and the `occonnect api` and `occonnect worker` processes. The
// benchmarks (cmd/bench) build on it, and so can fault-injection runs; internal/testenv is
// the lighter kit of the tests (in-memory Temporal, nothing restarts).
//
// With Options.Dev it uses what `make dev` runs instead (Temporal on 127.0.0.1:7233,
// Mailpit on 127.0.0.1:8025 and 1025) and isolates itself in a Temporal namespace and a
// database of its own, both removed by Close.
package stack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"google.golang.org/protobuf/types/known/durationpb"

	"occonnect/internal/codec"
	"occonnect/internal/testenv"
	"occonnect/workflows"
)

// Options say what to start.
type Options struct {
	// Dir holds the state files and the logs; a new temporary folder when empty.
	Dir string
	// Keep leaves Dir in place at Close (for the logs).
	Keep bool
	// TemporalInMemory runs the dev server without its SQLite file (faster; nothing
	// survives a restart of the server).
	TemporalInMemory bool
	// DBPrefix names the database (occtest_<prefix>_<random>; default "stack").
	DBPrefix string
	// Binary is the occonnect binary that StartAPI and StartWorker run (see Build).
	Binary string
	// PProf sets OCC_PPROF=true for the api and worker: net/http/pprof on their metrics
	// listeners (App.MetricsAddr).
	PProf bool
	// Dev uses the servers `make dev` runs instead of starting them.
	Dev bool
	// Cluster runs a Temporal cluster on PostgreSQL (scripts/temporal-cluster.sh: frontend,
	// two history and two matching hosts, the worker service, each a process of its own:
	// Stack.Cluster) instead of the dev server, in databases of its own dropped by Close.
	Cluster bool
}

// Stack is a running stack.
type Stack struct {
	Dir             string
	Temporal        Server   // the dev server's Process or the Cluster; nil with Options.Dev
	Cluster         *Cluster // with Options.Cluster
	TemporalAddress string
	Namespace       string
	Mailpit         *Process // nil with Options.Dev
	// Mail reads what Mailpit received.
	Mail     *testenv.Mailpit
	SMTPHost string
	SMTPPort int
	// DSN is the database's (go-sql-driver format).
	DSN string
	// PayloadKeys is the payload codec key of this stack (OCC_PAYLOAD_KEYS).
	PayloadKeys string

	opts   Options
	apps   []*App
	closes []func() // in the order of start; Close runs them backwards
}

// App is an occonnect api or worker process.
type App struct {
	*Process
	// URL is the API's base URL (api only).
	URL string
	// MetricsAddr is the address of its metrics listener (and of pprof with Options.PProf).
	MetricsAddr string
}

// Start starts the stack: Temporal (with the workflows' search attributes) and Mailpit
// (unless Options.Dev), then the database. On error, what was started is stopped.
func Start(ctx context.Context, opts Options) (s *Stack, err error) {
	started := &Stack{opts: opts, Dir: opts.Dir, Namespace: "default"}
	s = started
	defer func() {
		if err != nil {
			started.Close() // s may already be nil: a return nil, err
			s = nil
		}
	}()
	if s.Dir == "" {
		if s.Dir, err = os.MkdirTemp("", "occstack-"); err != nil {
			return nil, err
		}
	} else if err = os.MkdirAll(s.Dir, 0o755); err != nil {
		return nil, err
	}
	if !opts.Keep {
		dir := s.Dir
		s.closes = append(s.closes, func() { _ = os.RemoveAll(dir) })
	}
	if s.opts.Binary != "" {
		if s.opts.Binary, err = filepath.Abs(s.opts.Binary); err != nil {
			return nil, err
		}
	}
	if s.PayloadKeys, err = codec.NewKey("stack"); err != nil {
		return nil, err
	}
	if opts.Dev {
		err = s.attachDev(ctx)
	} else {
		err = s.startServers(ctx)
	}
	if err != nil {
		return nil, err
	}
	prefix := opts.DBPrefix
	if prefix == "" {
		prefix = "stack"
	}
	dsn, drop, err := testenv.NewDatabase(ctx, prefix)
	if err != nil {
		return nil, err
	}
	s.DSN = dsn
	s.closes = append(s.closes, drop)
	return s, nil
}

func (s *Stack) startServers(ctx context.Context) error {
	temporalBin, err := findTool("OCC_TEMPORAL_BIN", "temporal")
	if err != nil {
		return err
	}
	mailpitBin, err := findTool("OCC_MAILPIT_BIN", "mailpit")
	if err != nil {
		return err
	}
	ports, err := freePorts(3)
	if err != nil {
		return err
	}
	if s.opts.Cluster {
		if err := s.startCluster(ctx); err != nil {
			return err
		}
	} else {
		s.TemporalAddress = fmt.Sprintf("127.0.0.1:%d", ports[0])
		args := []string{"server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", strconv.Itoa(ports[0]), "--log-level", "error"}
		args = append(args, workflows.DevServerSearchAttributeArgs()...)
		if !s.opts.TemporalInMemory {
			args = append(args, "--db-filename", filepath.Join(s.Dir, "temporal.db"))
		}
		dev := &Process{Name: "temporal", Path: temporalBin, Args: args, Dir: s.Dir,
			LogPath: filepath.Join(s.Dir, "temporal.log"), Ready: s.temporalReady}
		s.Temporal = dev
		if err := dev.Start(ctx); err != nil {
			return err
		}
		s.closes = append(s.closes, func() { _ = dev.Stop(5 * time.Second) })
	}

	s.SMTPHost, s.SMTPPort = "127.0.0.1", ports[1]
	s.Mail = &testenv.Mailpit{SMTPHost: s.SMTPHost, SMTPPort: s.SMTPPort, APIURL: fmt.Sprintf("http://127.0.0.1:%d", ports[2])}
	s.Mailpit = &Process{Name: "mailpit", Path: mailpitBin, Dir: s.Dir, LogPath: filepath.Join(s.Dir, "mailpit.log"),
		Args: []string{"--smtp", fmt.Sprintf("127.0.0.1:%d", ports[1]), "--listen", fmt.Sprintf("127.0.0.1:%d", ports[2]),
			"--database", filepath.Join(s.Dir, "mailpit.db"), "--max", "0"},
		Ready: func(ctx context.Context) error { return httpOK(ctx, s.Mail.APIURL+"/api/v1/info") }}
	if err := s.Mailpit.Start(ctx); err != nil {
		return err
	}
	s.closes = append(s.closes, func() { _ = s.Mailpit.Stop(5 * time.Second) })
	return nil
}

// attachDev uses make dev's servers, in a namespace of this stack's own.
func (s *Stack) attachDev(ctx context.Context) error {
	s.TemporalAddress = envOr("OCC_TEMPORAL_ADDRESS", "127.0.0.1:7233")
	s.SMTPHost = envOr("OCC_SMTP_HOST", "127.0.0.1")
	port, err := strconv.Atoi(envOr("OCC_SMTP_PORT", "1025"))
	if err != nil {
		return fmt.Errorf("OCC_SMTP_PORT: %w", err)
	}
	s.SMTPPort = port
	s.Mail = &testenv.Mailpit{SMTPHost: s.SMTPHost, SMTPPort: s.SMTPPort, APIURL: "http://127.0.0.1:8025"}
	if err := httpOK(ctx, s.Mail.APIURL+"/api/v1/info"); err != nil {
		return fmt.Errorf("make dev's Mailpit: %w (is make dev running?)", err)
	}
	if err := s.temporalReady(ctx); err != nil {
		return fmt.Errorf("make dev's Temporal: %w (is make dev running?)", err)
	}
	s.Namespace = "occstack-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	nc, err := client.NewNamespaceClient(client.Options{HostPort: s.TemporalAddress, Logger: quiet})
	if err != nil {
		return err
	}
	defer nc.Close()
	if err := nc.Register(ctx, &workflowservice.RegisterNamespaceRequest{Namespace: s.Namespace,
		WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour)}); err != nil {
		return fmt.Errorf("register namespace %s: %w", s.Namespace, err)
	}
	c, err := client.DialContext(ctx, client.Options{HostPort: s.TemporalAddress, Namespace: s.Namespace, Logger: quiet})
	if err != nil {
		return err
	}
	ns := s.Namespace
	s.closes = append(s.closes, func() {
		dctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = c.OperatorService().DeleteNamespace(dctx, &operatorservice.DeleteNamespaceRequest{Namespace: ns})
		c.Close()
	})
	// A new namespace takes a few seconds to reach the frontend's cache.
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: ns})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("namespace %s not usable: %w", ns, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	attrs := map[string]enumspb.IndexedValueType{}
	for _, k := range workflows.SearchAttributes {
		attrs[k.GetName()] = k.GetValueType()
	}
	if _, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: ns,
		SearchAttributes: attrs}); err != nil {
		return fmt.Errorf("search attributes of namespace %s: %w", ns, err)
	}
	return nil
}

// startCluster sets up the Temporal cluster's databases of its own (dropped at Close),
// starts its processes and registers the search attributes.
func (s *Stack) startCluster(ctx context.Context) error {
	spec, err := testenv.NewClusterSpec()
	if err != nil {
		return err
	}
	s.closes = append(s.closes, spec.Release)
	s.TemporalAddress = spec.Address
	s.Cluster = newCluster(spec, s.Dir, s.Namespace)
	s.Temporal = s.Cluster
	if err := s.Cluster.setUp(ctx); err != nil {
		return err
	}
	s.closes = append(s.closes, func() { _ = s.Cluster.Stop(10 * time.Second) })
	if err := s.Cluster.Start(ctx); err != nil {
		return err
	}
	return testenv.RegisterSearchAttributes(ctx, s.TemporalAddress)
}

func (s *Stack) temporalReady(ctx context.Context) error {
	c, err := client.DialContext(ctx, client.Options{HostPort: s.TemporalAddress, Logger: quiet})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
	return err
}

// Env is the configuration of an occonnect process on this stack (OCC_* variables), with
// extra NAME=value pairs appended (they win).
func (s *Stack) Env(extra ...string) []string {
	env := []string{
		"OCC_MYSQL_DSN=" + s.DSN,
		"OCC_TEMPORAL_ADDRESS=" + s.TemporalAddress,
		"OCC_TEMPORAL_NAMESPACE=" + s.Namespace,
		"OCC_SMTP_HOST=" + s.SMTPHost,
		"OCC_SMTP_PORT=" + strconv.Itoa(s.SMTPPort),
		"OCC_SMTP_TLS=none",
		"OCC_PAYLOAD_KEYS=" + s.PayloadKeys,
		"OCC_LOG_LEVEL=info",
		// The bench and chaos runs sign staff in by password (the second factor has its
		// own tests: e2e mfa_test.go, console_mfa_test.go).
		"OCC_STAFF_MFA=optional",
	}
	if s.opts.PProf {
		env = append(env, "OCC_PPROF=true")
	}
	return append(env, extra...)
}

// StartAPI runs `occonnect api` on a free port and waits until /readyz answers 200.
func (s *Stack) StartAPI(ctx context.Context, env ...string) (*App, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	app := &App{URL: fmt.Sprintf("http://127.0.0.1:%d", ports[0]), MetricsAddr: fmt.Sprintf("127.0.0.1:%d", ports[1])}
	env = append([]string{"OCC_API_ADDR=127.0.0.1:" + strconv.Itoa(ports[0]), "OCC_API_METRICS_ADDR=" + app.MetricsAddr}, env...)
	app.Process = s.appProcess("api", env, func(ctx context.Context) error { return httpOK(ctx, app.URL+"/readyz") })
	return app, s.startApp(ctx, app)
}

// StartWorker runs `occonnect worker` and waits until it logs that it started.
func (s *Stack) StartWorker(ctx context.Context, env ...string) (*App, error) {
	ports, err := freePorts(1)
	if err != nil {
		return nil, err
	}
	app := &App{MetricsAddr: fmt.Sprintf("127.0.0.1:%d", ports[0])}
	env = append([]string{"OCC_WORKER_METRICS_ADDR=" + app.MetricsAddr}, env...)
	app.Process = s.appProcess("worker", env, func(context.Context) error {
		out, err := app.Output()
		if err == nil && !strings.Contains(out, `"msg":"worker started"`) {
			err = errors.New("not started yet")
		}
		return err
	})
	return app, s.startApp(ctx, app)
}

func (s *Stack) appProcess(command string, env []string, ready func(context.Context) error) *Process {
	name := command
	for n := 2; ; n++ {
		if _, err := os.Stat(filepath.Join(s.Dir, name+".log")); errors.Is(err, os.ErrNotExist) {
			break
		}
		name = fmt.Sprintf("%s-%d", command, n)
	}
	return &Process{Name: name, Path: s.opts.Binary, Args: []string{command}, Env: s.Env(env...), Dir: s.Dir,
		LogPath: filepath.Join(s.Dir, name+".log"), Ready: ready}
}

func (s *Stack) startApp(ctx context.Context, app *App) error {
	if s.opts.Binary == "" {
		return errors.New("stack: Options.Binary is empty (see Build)")
	}
	if err := app.Start(ctx); err != nil {
		return err
	}
	s.apps = append(s.apps, app)
	return nil
}

// Close stops the apps (SIGTERM, then SIGKILL after 10 s), the servers it started, drops
// the database and removes Dir (unless Options.Keep).
func (s *Stack) Close() {
	for i := len(s.apps) - 1; i >= 0; i-- {
		_ = s.apps[i].Stop(10 * time.Second)
	}
	s.apps = nil
	for i := len(s.closes) - 1; i >= 0; i-- {
		s.closes[i]()
	}
	s.closes = nil
}

// Build compiles cmd/occonnect of this module into dir and returns the binary's path.
func Build(ctx context.Context, dir string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "occonnect")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/occonnect")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/occonnect: %w\n%s", err, b)
	}
	return out, nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for ; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
	}
	return "", errors.New("go.mod not found above the working folder")
}

// findTool finds a pinned tool: the variable the Makefile sets, else .tools/ of the module.
func findTool(envVar, name string) (string, error) {
	if p := os.Getenv(envVar); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if root, err := moduleRoot(); err == nil {
		if m, _ := filepath.Glob(filepath.Join(root, ".tools", name+"-*", name)); len(m) > 0 {
			return m[len(m)-1], nil
		}
	}
	return "", fmt.Errorf("%s not found: run through make (which builds it into .tools/) or set %s", name, envVar)
}

func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for len(ports) < n {
		p, err := testenv.FreePort()
		if err != nil {
			return nil, err
		}
		if !slices.Contains(ports, p) {
			ports = append(ports, p)
		}
	}
	return ports, nil
}

func httpOK(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

var quiet = tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))
