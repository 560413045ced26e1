package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"occonnect/activities/contract"
)

// ReconcileScheduleID is the Temporal Schedule that runs Reconcile (worker.EnsureSchedules).
const ReconcileScheduleID = "occonnect-reconcile"

// Reconcile starts the workflows of complaints and DTS requests recorded without one
// (service.Reconciler). A Temporal Schedule runs it every few minutes, one run at a time:
// its history is one activity, and what it did is its result (counts, no ids).
func Reconcile(ctx workflow.Context, in contract.ReconcileInput) (contract.ReconcileResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		// A batch of starts, each bounded by the client's start timeout.
		StartToCloseTimeout: 5 * time.Minute,
		// The next scheduled run takes over from a run that keeps failing.
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 5 * time.Second, MaximumAttempts: 3},
	})
	var res contract.ReconcileResult
	err := workflow.ExecuteActivity(summarized(ctx, "start the workflows of rows left without one"), contract.StartMissingWorkflows, in).Get(ctx, &res)
	return res, err
}
