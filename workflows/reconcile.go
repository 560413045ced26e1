package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"occonnect/activities/contract"
)

// The workflows the worker's Temporal Schedules start (worker.EnsureSchedules): each runs
// one activity and returns what it did, visible in the Web UI.
const (
	// ReconcileScheduleID runs Reconcile every few minutes.
	ReconcileScheduleID = "occonnect-reconcile"
	// RetentionScheduleID runs Retention every night.
	RetentionScheduleID = "occonnect-retention"
)

// Reconcile starts the workflows of complaints and DTS requests recorded without one
// (service.Reconciler), one run at a time: counts, no ids, in its result.
func Reconcile(ctx workflow.Context, in contract.ReconcileInput) (contract.ReconcileResult, error) {
	// A batch of starts, each bounded by the client's start timeout; the next scheduled
	// run takes over from a run that keeps failing.
	return scheduledRun[contract.ReconcileResult](ctx, 5*time.Minute, 5*time.Second, 3,
		"start the workflows of rows left without one", contract.StartMissingWorkflows, in)
}

// Retention applies the retention policy once (activities.ApplyRetention): its result
// counts what it deleted and erased.
func Retention(ctx workflow.Context, in contract.RetentionInput) (contract.RetentionResult, error) {
	// Batches of deletions: a first run on a large backlog takes a while.
	return scheduledRun[contract.RetentionResult](ctx, 30*time.Minute, time.Minute, 5,
		"delete and erase what is no longer kept", contract.ApplyRetention, in)
}

// scheduledRun runs the one activity of a scheduled workflow and returns its result.
func scheduledRun[Out any](ctx workflow.Context, timeout, retryAfter time.Duration, attempts int32, summary, activity string, in any) (Out, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: timeout,
		// The activity heartbeats while it runs: a completion lost while Temporal was away
		// (or a worker that died) is retried within seconds, not after timeout, during
		// which the Schedule would skip every run.
		HeartbeatTimeout: contract.ScheduledRunHeartbeat,
		RetryPolicy:      &temporal.RetryPolicy{InitialInterval: retryAfter, MaximumAttempts: attempts},
	})
	var out Out
	err := workflow.ExecuteActivity(summarized(ctx, summary), activity, in).Get(ctx, &out)
	return out, err
}
