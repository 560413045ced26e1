package testenv

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"occonnect/workflows"
)

// Engine is which Temporal the tests run on: OCC_TEST_TEMPORAL=cluster for the cluster on
// PostgreSQL (make test runs the end-to-end and fault-injection tests on both), else the
// dev server.
func Engine() string {
	if os.Getenv("OCC_TEST_TEMPORAL") == "cluster" {
		return "cluster"
	}
	return "dev-server"
}

// Cluster is a Temporal cluster on PostgreSQL for the tests (scripts/temporal-cluster.sh:
// frontend, two history and two matching hosts, the worker service), on free ports and in
// databases of its own, dropped by Stop.
type Cluster struct {
	Address string
	Dir     string // the processes' logs

	cmd     *exec.Cmd
	done    chan struct{}
	env     []string
	script  string
	dropDBs func()
}

// clusterTool is a binary of cluster mode: its variable (set by the Makefile), else the
// folder make builds it into.
func clusterTool(envVar, dir, name string) (string, error) {
	if p := os.Getenv(envVar); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if root := moduleRoot(); root != "" {
		matches, _ := filepath.Glob(filepath.Join(root, ".tools", dir+"-*", name))
		if len(matches) > 0 {
			return matches[len(matches)-1], nil
		}
	}
	return "", fmt.Errorf("%s not found: run the tests with `make test`, which builds it into .tools/ (or set %s)", name, envVar)
}

// claimPortBlock finds a base port whose block (base … base+10, base+100 … base+105: the
// script's layout) is free on 127.0.0.1, and claims it for this process with a lock file,
// so that two test processes starting clusters at once (make test runs the e2e and chaos
// packages in parallel) never take the same block. release gives it back; the claim of a
// process that died is taken over.
func claimPortBlock() (base int, release func(), err error) {
	offsets := []int{10} // the frontend's HTTP port
	for _, h := range ClusterHosts {
		offsets = append(offsets, h.Offset, 100+h.Offset) // gRPC and membership
	}
	for range 100 {
		base = 20000 + 200*rand.IntN(50) // blocks 200 apart: they never overlap
		lock := filepath.Join(os.TempDir(), fmt.Sprintf("occtest-cluster-ports-%d.lock", base))
		if !claim(lock) {
			continue
		}
		free := true
		for _, o := range offsets {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", base+o))
			if err != nil {
				free = false
				break
			}
			l.Close()
		}
		if free {
			return base, func() { _ = os.Remove(lock) }, nil
		}
		_ = os.Remove(lock)
	}
	return 0, nil, errors.New("no free block of ports for the Temporal cluster")
}

// claim creates the lock file with this process's id; a lock whose process is gone is
// taken over.
func claim(lock string) bool {
	for range 2 {
		f, err := os.OpenFile(lock, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			fmt.Fprint(f, os.Getpid())
			f.Close()
			return true
		}
		b, rerr := os.ReadFile(lock)
		pid, perr := strconv.Atoi(strings.TrimSpace(string(b)))
		if rerr != nil || perr != nil || syscall.Kill(pid, 0) == nil {
			return false // held by a live process (or being written)
		}
		_ = os.Remove(lock) // its process died: take it over
	}
	return false
}

// ClusterHosts are the processes of the cluster (scripts/temporal-cluster.sh --service
// NAME), in their order of start, with their gRPC port's offset from the frontend's (the
// script's layout; membership ports are 100 above).
var ClusterHosts = []struct {
	Name   string
	Offset int
}{{"frontend", 0}, {"history1", 1}, {"history2", 2}, {"matching1", 3}, {"matching2", 4}, {"worker", 5}}

// ClusterSpec is how to run a cluster for the tests: the script, its environment (the
// pinned binaries, a free block of ports, databases of its own) and its frontend's
// address. Release drops the databases and frees the ports once the cluster is stopped.
type ClusterSpec struct {
	Script  string   // scripts/temporal-cluster.sh, absolute
	Env     []string // to add to the environment
	Address string
	Base    int    // the frontend's port, which the others follow
	release func() // gives the ports back
}

// HostAddress is the gRPC address of a process of ClusterHosts ("" for an unknown name).
func (s ClusterSpec) HostAddress(name string) string {
	for _, h := range ClusterHosts {
		if h.Name == name {
			return fmt.Sprintf("127.0.0.1:%d", s.Base+h.Offset)
		}
	}
	return ""
}

// NewClusterSpec prepares a cluster's run.
func NewClusterSpec() (ClusterSpec, error) {
	var env []string
	for _, t := range []struct{ envVar, dir, name string }{
		{"TEMPORAL_SERVER_BIN", "temporal-server", "server"},
		{"TEMPORAL_SQL_TOOL", "temporal-sql-tool", "sql"},
		{"TEMPORAL_UI_BIN", "temporal-ui", "server"},
		{"OCC_TEMPORAL_BIN", "temporal", "temporal"},
	} {
		p, err := clusterTool(t.envVar, t.dir, t.name)
		if err != nil {
			return ClusterSpec{}, err
		}
		env = append(env, t.envVar+"="+p)
	}
	base, release, err := claimPortBlock()
	if err != nil {
		return ClusterSpec{}, err
	}
	suffix := randomSuffix()
	env = append(env, "TEMPORAL_PORT_BASE="+strconv.Itoa(base), "TEMPORAL_UI_PORT=0", "TEMPORAL_LOG_LEVEL=error",
		// Few connections per process: a test cluster carries little load, and two of them
		// side by side (e2e and chaos) must stay under PostgreSQL's max_connections (100).
		"TEMPORAL_PG_MAX_CONNS=5", "TEMPORAL_PG_VISIBILITY_MAX_CONNS=2",
		"TEMPORAL_DB=occtest_temporal_"+suffix, "TEMPORAL_VISIBILITY_DB=occtest_temporal_visibility_"+suffix)
	return ClusterSpec{Script: filepath.Join(moduleRoot(), "scripts", "temporal-cluster.sh"), Env: env,
		Address: fmt.Sprintf("127.0.0.1:%d", base), Base: base, release: release}, nil
}

// Release drops the spec's PostgreSQL databases and gives its ports back, once the
// cluster is stopped.
func (s ClusterSpec) Release() {
	s.dropDatabases()
	if s.release != nil {
		s.release()
	}
}

// dropDatabases drops the spec's PostgreSQL databases.
func (s ClusterSpec) dropDatabases() {
	var names []string
	for _, kv := range s.Env {
		if v, ok := strings.CutPrefix(kv, "TEMPORAL_DB="); ok {
			names = append(names, v)
		}
		if v, ok := strings.CutPrefix(kv, "TEMPORAL_VISIBILITY_DB="); ok {
			names = append(names, v)
		}
	}
	dropPostgresDatabases(names...)
}

// errExited: the cluster's script ended while the cluster was starting.
var errExited = errors.New("the Temporal cluster exited while starting")

// StartCluster starts a Temporal cluster on PostgreSQL (127.0.0.1:5432 unless
// TEMPORAL_PG_ADDR says otherwise), registers the workflows' search attributes in its
// default namespace and waits until it answers. A cluster that exits while starting (a
// port taken in the meantime) is started again on other ports, twice at most.
func StartCluster(ctx context.Context) (*Cluster, error) {
	for attempt := 1; ; attempt++ {
		c, err := startCluster(ctx)
		if err == nil || !errors.Is(err, errExited) || attempt == 3 {
			return c, err
		}
	}
}

func startCluster(ctx context.Context) (*Cluster, error) {
	spec, err := NewClusterSpec()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "occtest-cluster-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{Address: spec.Address, Dir: dir, env: append(os.Environ(), spec.Env...), script: spec.Script,
		dropDBs: spec.Release}
	if err := c.start(ctx); err != nil {
		err = fmt.Errorf("%w\n%s", err, c.logTail())
		c.Stop()
		return nil, err
	}
	if err := RegisterSearchAttributes(ctx, c.Address); err != nil {
		err = fmt.Errorf("%w\n%s", err, c.logTail())
		c.Stop()
		return nil, err
	}
	return c, nil
}

// start runs the script and waits until the frontend answers with the namespace.
func (c *Cluster) start(ctx context.Context) error {
	log, err := os.OpenFile(filepath.Join(c.Dir, "cluster.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(c.script, c.Dir)
	cmd.Env = c.env
	cmd.Stdout, cmd.Stderr = log, log
	// A process group of its own: Stop ends the script and every server it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		log.Close()
		return err
	}
	c.cmd, c.done = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); log.Close(); close(c.done) }()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		cl, err := client.Dial(client.Options{HostPort: c.Address, Logger: quietLogger{}})
		if err == nil {
			_, err = cl.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
			cl.Close()
			if err == nil {
				return nil
			}
		}
		select {
		case <-c.done:
			return errExited
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the Temporal cluster did not answer on %s: %v (logs in %s)", c.Address, err, c.Dir)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// RegisterSearchAttributes adds the workflows' search attributes to the default namespace
// of the cluster at address, retrying while the namespace, just created, has not reached
// the frontend's cache.
func RegisterSearchAttributes(ctx context.Context, address string) error {
	cl, err := client.Dial(client.Options{HostPort: address, Logger: quietLogger{}})
	if err != nil {
		return err
	}
	defer cl.Close()
	attrs := map[string]enums.IndexedValueType{}
	for _, k := range workflows.SearchAttributes {
		attrs[k.GetName()] = k.GetValueType()
	}
	deadline := time.Now().Add(time.Minute)
	for {
		_, err = cl.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
			Namespace: "default", SearchAttributes: attrs})
		if err == nil || strings.Contains(err.Error(), "already exists") {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("register the search attributes on the cluster: %w", err)
		}
		time.Sleep(time.Second)
	}
}

// logTail is the end of the script's log and of each server's, for an error message (the
// folder goes with Stop).
func (c *Cluster) logTail() string {
	var out strings.Builder
	logs, _ := filepath.Glob(filepath.Join(c.Dir, "*.log"))
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		if len(b) > 1500 {
			b = b[len(b)-1500:]
		}
		fmt.Fprintf(&out, "--- %s\n%s\n", filepath.Base(l), b)
	}
	return out.String()
}

// Restart stops every process of the cluster and starts them again on the same ports and
// databases (the state is kept).
func (c *Cluster) Restart(ctx context.Context) error {
	c.kill()
	return c.start(ctx)
}

func (c *Cluster) kill() {
	if c.cmd == nil || c.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
	<-c.done
	c.cmd = nil
}

// Stop ends the cluster, drops its databases and removes its logs.
func (c *Cluster) Stop() {
	if c == nil {
		return
	}
	c.kill()
	if c.dropDBs != nil {
		c.dropDBs()
	}
	_ = os.RemoveAll(c.Dir)
}

// dropPostgresDatabases drops the cluster's databases with psql, as the PostgreSQL
// superuser of scripts/temporal-schema.sh; a failure leaves them (their names are the
// run's own).
func dropPostgresDatabases(names ...string) {
	addr := os.Getenv("TEMPORAL_PG_ADDR")
	if addr == "" {
		addr = "127.0.0.1:5432"
	}
	user := os.Getenv("TEMPORAL_PG_ADMIN_USER")
	if user == "" {
		user = "postgres"
	}
	host, port, _ := net.SplitHostPort(addr)
	for _, n := range names {
		cmd := exec.Command("psql", "-h", host, "-p", port, "-U", user, "-d", "postgres", "-qtA",
			"-c", `DROP DATABASE IF EXISTS "`+n+`" WITH (FORCE)`)
		cmd.Env = append(os.Environ(), "PGPASSWORD="+os.Getenv("TEMPORAL_PG_ADMIN_PASSWORD"))
		_ = cmd.Run()
	}
}

// StartEngine starts the Temporal of Engine(): the dev server, or the cluster. It returns
// the frontend's address and what stops it.
func StartEngine(ctx context.Context) (address string, stop func(), err error) {
	if Engine() == "cluster" {
		c, err := StartCluster(ctx)
		if err != nil {
			return "", nil, err
		}
		return c.Address, c.Stop, nil
	}
	t, err := StartTemporal(ctx)
	if err != nil {
		return "", nil, err
	}
	return t.Address, t.Stop, nil
}
