// Package worker registers the workflows and activities and runs the Temporal worker.
package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"occonnect/activities"
	"occonnect/internal/codec"
	"occonnect/workflows"
)

// Option adjusts the client options of Dial.
type Option func(*client.Options)

// WithMetrics sends the SDK's metrics (workflow and activity counts and latencies, requests
// to the server, pollers) to h; see metrics.Temporal.
func WithMetrics(h client.MetricsHandler) Option {
	return func(o *client.Options) { o.MetricsHandler = h }
}

// Dial connects a Temporal client; the API, the worker and the commands use it. With a
// keyring every payload, failure message and stack trace is encrypted (internal/codec).
// The SDK logs through logger: its workflow and activity lines carry WorkflowType,
// WorkflowID, RunID (and ActivityType, ActivityID, Attempt), never an input.
func Dial(ctx context.Context, address, namespace string, logger *slog.Logger, keys *codec.Keyring, opts ...Option) (client.Client, error) {
	c, err := client.DialContext(ctx, clientOptions(address, namespace, logger, keys, opts))
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s: %w", address, err)
	}
	return c, nil
}

// DialLazy is Dial for a process that must start while Temporal is away (the API: it
// serves what MySQL holds, and refuses the rest as Temporal unavailable until it is
// back): the connection is made at the first request, and made again after a failure.
func DialLazy(address, namespace string, logger *slog.Logger, keys *codec.Keyring, opts ...Option) (client.Client, error) {
	c, err := client.NewLazyClient(clientOptions(address, namespace, logger, keys, opts))
	if err != nil {
		return nil, fmt.Errorf("client for Temporal at %s: %w", address, err)
	}
	return c, nil
}

func clientOptions(address, namespace string, logger *slog.Logger, keys *codec.Keyring, opts []Option) client.Options {
	dc, fc := codec.Converters(keys)
	o := client.Options{
		HostPort:         address,
		Namespace:        namespace,
		Logger:           tlog.NewStructuredLogger(logger),
		DataConverter:    dc,
		FailureConverter: fc,
	}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// StopTimeout is how long a stopping worker (SIGTERM: a rolling restart, a scale-down)
// lets the activities it runs finish before cancelling them; it polls no new task
// meanwhile. Give the process at least this much grace before a kill (the compose file's
// stop_grace_period, Kubernetes' terminationGracePeriodSeconds).
const StopTimeout = 15 * time.Second

// New builds a worker on the back-office task queue with every workflow and activity.
func New(c client.Client, acts *activities.Activities) worker.Worker {
	w := worker.New(c, workflows.TaskQueue, worker.Options{
		Interceptors:      []interceptor.WorkerInterceptor{&scrubInterceptor{}},
		WorkerStopTimeout: StopTimeout,
	})
	Register(w, acts)
	return w
}

// Register adds the workflows and activities to a registry (a worker, a test environment or
// a replayer).
func Register(r interface {
	RegisterWorkflow(w interface{})
	RegisterActivity(a interface{})
}, acts *activities.Activities) {
	r.RegisterWorkflow(workflows.Enrollment)
	r.RegisterWorkflow(workflows.DTS)
	r.RegisterWorkflow(workflows.Complaint)
	r.RegisterWorkflow(workflows.Reconcile)
	r.RegisterWorkflow(workflows.Retention)
	r.RegisterWorkflow(workflows.Recovery)
	if acts != nil {
		r.RegisterActivity(acts)
	}
}
