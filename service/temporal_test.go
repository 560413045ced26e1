package service

import (
	"context"
	"errors"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"occonnect/workflows"
)

// startingClient is a Temporal client whose ExecuteWorkflow answers err and records the
// options it was given; every other method is the nil interface's (a test calling one
// panics).
type startingClient struct {
	client.Client
	err  error
	opts client.StartWorkflowOptions
}

func (c *startingClient) ExecuteWorkflow(_ context.Context, opts client.StartWorkflowOptions, _ any, _ ...any) (client.WorkflowRun, error) {
	c.opts = opts
	return nil, c.err
}

// TestStartPolicy: the one "row, then workflow" policy. The start keeps a running
// workflow and never restarts a closed one; a workflow that already ran is no error; a
// failed start runs the compensation on a context the request's cancellation does not
// reach, and both errors are returned.
func TestStartPolicy(t *testing.T) {
	down := serviceerror.NewUnavailable("temporal down")
	for _, c := range []struct {
		name            string
		startErr        error
		compensateErr   error
		wantCompensated bool
		wantErr         []error
	}{
		{name: "started"},
		{name: "already started", startErr: serviceerror.NewWorkflowExecutionAlreadyStarted("x", "", "")},
		{name: "start failed", startErr: down, wantCompensated: true, wantErr: []error{down}},
		{name: "compensation failed too", startErr: down, compensateErr: errors.New("mysql down"), wantCompensated: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			tc := &startingClient{err: c.startErr}
			ctx, cancel := context.WithCancel(context.Background())
			compensated := false
			err := workflowClient{temporal: tc}.start(ctx, client.StartWorkflowOptions{ID: "dts/x"}, "DTS", nil,
				func(ctx context.Context) error {
					compensated = true
					if ctx.Err() != nil {
						t.Error("the compensation's context is already done")
					}
					return c.compensateErr
				})
			cancel()
			if tc.opts.TaskQueue != workflows.TaskQueue || tc.opts.ID != "dts/x" ||
				tc.opts.WorkflowIDConflictPolicy != enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING ||
				tc.opts.WorkflowIDReusePolicy != enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE {
				t.Errorf("start options %+v", tc.opts)
			}
			if compensated != c.wantCompensated {
				t.Errorf("compensated = %v, want %v", compensated, c.wantCompensated)
			}
			switch {
			case c.startErr == nil || !c.wantCompensated:
				if err != nil {
					t.Errorf("err = %v, want nil", err)
				}
			default:
				if !errors.Is(err, c.startErr) || (c.compensateErr != nil && !errors.Is(err, c.compensateErr)) {
					t.Errorf("err = %v, want the start's and the compensation's", err)
				}
				if Explain(err) == nil || Explain(err).Reason != Unavailable {
					t.Errorf("Explain(%v) = %v, want Unavailable", err, Explain(err))
				}
			}
		})
	}

	// Without a compensation (an enrollment: the retry repairs), the start's error alone.
	tc := &startingClient{err: down}
	if err := (workflowClient{temporal: tc}).start(context.Background(), client.StartWorkflowOptions{ID: "enrollment/x"}, "Enrollment", nil, nil); !errors.Is(err, down) {
		t.Errorf("err = %v, want %v", err, down)
	}
}

// outageClient is a Temporal client whose starts and health checks answer what the test
// says, counting them.
type outageClient struct {
	client.Client
	startErr, healthErr error
	starts, checks      int
}

func (c *outageClient) ExecuteWorkflow(ctx context.Context, _ client.StartWorkflowOptions, _ any, _ ...any) (client.WorkflowRun, error) {
	c.starts++
	if _, ok := ctx.Deadline(); !ok {
		return nil, errors.New("a start without a deadline")
	}
	return nil, c.startErr
}

func (c *outageClient) CheckHealth(ctx context.Context, _ *client.CheckHealthRequest) (*client.CheckHealthResponse, error) {
	c.checks++
	if _, ok := ctx.Deadline(); !ok {
		return nil, errors.New("a health check without a deadline")
	}
	return &client.CheckHealthResponse{}, c.healthErr
}

// TestTemporalOutage: a request that finds Temporal unreachable is refused as
// TemporalUnavailable with a Retry-After; while it stays down the next requests are
// refused after a health check, without waiting on Temporal; once it answers again they
// go through. A request that times out while Temporal is healthy (a slow workflow) keeps
// its error: Unavailable, not an outage of Temporal.
func TestTemporalOutage(t *testing.T) {
	unreachable := serviceerror.NewUnavailable("connection refused")
	tc := &outageClient{startErr: unreachable, healthErr: unreachable}
	wf := newWorkflowClient(tc)
	start := func() error {
		return wf.start(context.Background(), client.StartWorkflowOptions{ID: "enrollment/x"}, "Enrollment", nil, nil)
	}
	refusedAsOutage := func(err error) {
		t.Helper()
		r := Explain(err)
		if r == nil || r.Reason != TemporalUnavailable || r.RetryAfter <= 0 || r.Reason.Code() != "temporal_unavailable" {
			t.Fatalf("err = %v (refusal %+v), want temporal_unavailable with a Retry-After", err, r)
		}
	}

	refusedAsOutage(start())
	if tc.starts != 1 || tc.checks != 1 {
		t.Fatalf("first request: %d starts, %d health checks; want 1 and 1", tc.starts, tc.checks)
	}
	refusedAsOutage(start())
	if tc.starts != 1 || tc.checks != 2 {
		t.Fatalf("while down: %d starts, %d health checks; want no new start and one more check", tc.starts, tc.checks)
	}

	tc.startErr, tc.healthErr = nil, nil // Temporal is back
	if err := start(); err != nil {
		t.Fatalf("Temporal back: %v", err)
	}
	if tc.starts != 2 || tc.checks != 3 {
		t.Fatalf("back: %d starts, %d health checks; want 2 and 3", tc.starts, tc.checks)
	}
	if err := start(); err != nil || tc.checks != 3 {
		t.Fatalf("healthy again: err %v, %d health checks (want no check before a request)", err, tc.checks)
	}

	tc.startErr = serviceerror.NewDeadlineExceeded("no answer in time") // Temporal healthy
	err := start()
	if r := Explain(err); r == nil || r.Reason != Unavailable {
		t.Fatalf("a timeout with Temporal healthy: %v, want Unavailable", err)
	}
	if wf.down.Load() {
		t.Fatal("a healthy Temporal marked down")
	}
}

// slowClient is a Temporal client whose starts wait for release (or their context), and
// whose health check answers healthErr.
type slowClient struct {
	client.Client
	release   chan struct{}
	healthErr error
}

func (c *slowClient) ExecuteWorkflow(ctx context.Context, _ client.StartWorkflowOptions, _ any, _ ...any) (client.WorkflowRun, error) {
	select {
	case <-c.release:
		return nil, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *slowClient) CheckHealth(context.Context, *client.CheckHealthRequest) (*client.CheckHealthResponse, error) {
	return &client.CheckHealthResponse{}, c.healthErr
}

// TestTemporalOutageDuringRequest: a request without an answer after slowAfter is
// abandoned and refused as TemporalUnavailable when Temporal's health check fails, and
// left to finish when it passes (a busy Temporal is no outage).
func TestTemporalOutageDuringRequest(t *testing.T) {
	tc := &slowClient{release: make(chan struct{}), healthErr: serviceerror.NewUnavailable("connection refused")}
	wf := newWorkflowClient(tc)
	wf.slowAfter = 20 * time.Millisecond
	began := time.Now()
	err := wf.start(context.Background(), client.StartWorkflowOptions{ID: "enrollment/x"}, "Enrollment", nil, nil)
	if r := Explain(err); r == nil || r.Reason != TemporalUnavailable {
		t.Fatalf("err = %v, want temporal_unavailable", err)
	}
	if took := time.Since(began); took > startTimeout/2 {
		t.Fatalf("refused after %s: the request was not abandoned", took)
	}
	if !wf.down.Load() {
		t.Fatal("Temporal not marked down")
	}

	tc.healthErr = nil // healthy, only slow: the request is awaited
	wf.down.Store(false)
	time.AfterFunc(100*time.Millisecond, func() { close(tc.release) })
	began = time.Now()
	if err := wf.start(context.Background(), client.StartWorkflowOptions{ID: "enrollment/y"}, "Enrollment", nil, nil); err != nil {
		t.Fatalf("a slow start with Temporal healthy: %v", err)
	}
	if took := time.Since(began); took < 100*time.Millisecond {
		t.Fatalf("answered after %s, before the start", took)
	}
}
