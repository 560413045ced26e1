package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"occonnect/activities/contract"
)

// RetentionScheduleID is the Temporal Schedule that runs Retention every night
// (worker.EnsureSchedules).
const RetentionScheduleID = "occonnect-retention"

// Retention applies the retention policy once (activities.ApplyRetention): its result,
// visible in the Web UI, counts what it deleted and erased.
func Retention(ctx workflow.Context, in contract.RetentionInput) (contract.RetentionResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		// Batches of deletions; a first run on a large backlog takes a while.
		StartToCloseTimeout: 30 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Minute, MaximumAttempts: 5},
	})
	var res contract.RetentionResult
	err := workflow.ExecuteActivity(summarized(ctx, "delete and erase what is no longer kept"), contract.ApplyRetention, in).Get(ctx, &res)
	return res, err
}
