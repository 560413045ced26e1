package stack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"occonnect/internal/testenv"
)

// Server is a server of the stack that a fault-injection run stops and starts again: a
// Process, or the Temporal cluster as a whole.
type Server interface {
	Start(ctx context.Context) error
	// Stop sends SIGTERM, waits up to grace, then kills; a zero grace kills at once.
	Stop(grace time.Duration) error
	Kill() error
	Running() bool
	// ReadyIn is how long the last start took to be ready.
	ReadyIn() time.Duration
	String() string
}

// Cluster is the Temporal cluster of a stack (Options.Cluster): the processes of
// scripts/temporal-cluster.sh — frontend, two history hosts, two matching hosts, the
// worker service — each a Process of its own, so that a run can kill one host and start it
// again, on its ports and databases; as a Server it stops and starts them all.
type Cluster struct {
	// Hosts are the processes in their order of start (testenv.ClusterHosts).
	Hosts []*Process

	spec      testenv.ClusterSpec
	dir       string
	namespace string
	readyIn   time.Duration
}

func newCluster(spec testenv.ClusterSpec, dir, namespace string) *Cluster {
	c := &Cluster{spec: spec, dir: dir, namespace: namespace}
	for _, h := range testenv.ClusterHosts {
		p := &Process{Name: "temporal " + h.Name, Path: spec.Script, Args: []string{"--service", h.Name},
			Env: spec.Env, Dir: dir, LogPath: filepath.Join(dir, "temporal-"+h.Name+".log"), StartTimeout: 2 * time.Minute}
		switch h.Name {
		case "frontend":
			p.Ready = c.frontendReady
		case "worker": // no gRPC server: its membership port
			p.Ready = listening(fmt.Sprintf("127.0.0.1:%d", spec.Base+100+h.Offset))
		default:
			p.Ready = listening(spec.HostAddress(h.Name))
		}
		c.Hosts = append(c.Hosts, p)
	}
	return c
}

// Host is the process of that name (frontend, history1, …), nil for another name.
func (c *Cluster) Host(name string) *Process {
	for _, p := range c.Hosts {
		if p.Name == "temporal "+name {
			return p
		}
	}
	return nil
}

// setUp creates the databases and their schemas, as the cluster script does before its
// first start.
func (c *Cluster) setUp(ctx context.Context) error {
	cmd := exec.CommandContext(ctx, filepath.Join(filepath.Dir(c.spec.Script), "temporal-schema.sh"))
	cmd.Env = append(os.Environ(), c.spec.Env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("the Temporal schemas: %w\n%s", err, out)
	}
	return nil
}

// Start starts the processes that are not running, the frontend first (the first process
// on new databases writes the cluster's metadata), and makes sure the namespace exists.
func (c *Cluster) Start(ctx context.Context) error {
	began := time.Now()
	for _, p := range c.Hosts {
		if p.Running() {
			continue
		}
		if err := p.Start(ctx); err != nil {
			// As a supervisor (systemd, compose's restart policy) would: once more. After
			// every host stopped at once, a new host first tries to join the stopped ones
			// named in cluster_membership and may give up (ringpop's maxJoinDuration) before
			// their rows expire; the next try finds them gone.
			if err2 := p.Start(ctx); err2 != nil {
				return errors.Join(err, err2)
			}
		}
	}
	cmd := exec.CommandContext(ctx, c.spec.Script, "--namespace")
	cmd.Env = append(os.Environ(), c.spec.Env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("the Temporal namespace: %w\n%s", err, out)
	}
	if err := waitFor(ctx, time.Minute, c.namespaceReady); err != nil {
		return err
	}
	c.readyIn = time.Since(began)
	return nil
}

// Stop stops every process, in the reverse order of start.
func (c *Cluster) Stop(grace time.Duration) error {
	var errs []error
	for i := len(c.Hosts) - 1; i >= 0; i-- {
		errs = append(errs, c.Hosts[i].Stop(grace))
	}
	return errors.Join(errs...)
}

// Kill kills every process at once (the machine lost).
func (c *Cluster) Kill() error { return c.Stop(0) }

// Running: every process runs.
func (c *Cluster) Running() bool {
	for _, p := range c.Hosts {
		if !p.Running() {
			return false
		}
	}
	return true
}

// ReadyIn is how long the last Start took.
func (c *Cluster) ReadyIn() time.Duration { return c.readyIn }

func (c *Cluster) String() string { return "temporal cluster" }

// frontendReady: the frontend answers its health check.
func (c *Cluster) frontendReady(ctx context.Context) error {
	cl, err := client.DialContext(ctx, client.Options{HostPort: c.spec.Address, Logger: quiet})
	if err != nil {
		return err
	}
	defer cl.Close()
	_, err = cl.CheckHealth(ctx, &client.CheckHealthRequest{})
	return err
}

// namespaceReady: the frontend answers with the namespace.
func (c *Cluster) namespaceReady(ctx context.Context) error {
	cl, err := client.DialContext(ctx, client.Options{HostPort: c.spec.Address, Logger: quiet})
	if err != nil {
		return err
	}
	defer cl.Close()
	_, err = cl.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: c.namespace})
	return err
}

// listening: something accepts connections on addr (a history, matching or worker host
// once its gRPC server runs).
func listening(addr string) func(context.Context) error {
	return func(ctx context.Context) error {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return conn.Close()
	}
}

// waitFor polls ready until it answers nil, for at most timeout.
func waitFor(ctx context.Context, timeout time.Duration, ready func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		err := ready(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready after %s: %w", timeout, err)
		case <-time.After(300 * time.Millisecond):
		}
	}
}
