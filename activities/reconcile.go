package activities

import (
	"context"

	"go.temporal.io/sdk/temporal"

	"occonnect/activities/contract"
)

// Starter starts the workflows of rows recorded without one.
type Starter interface {
	StartMissing(ctx context.Context, in contract.ReconcileInput) (contract.ReconcileResult, error)
}

// StartMissingWorkflows is the reconciler's run (the Reconcile workflow, on a Temporal
// Schedule): complaints and DTS requests recorded without their workflow (the API died
// between the row and the start, or Temporal was away and the citizen did not retry) get
// it now. Starting is idempotent on the workflow ID, so a row whose start was only slow
// is found started and marked.
func (a *Activities) StartMissingWorkflows(ctx context.Context, in contract.ReconcileInput) (contract.ReconcileResult, error) {
	if a.Starts == nil {
		return contract.ReconcileResult{}, temporal.NewNonRetryableApplicationError("this worker does not run the reconciler", "NotConfigured", nil)
	}
	defer keepAlive(ctx, contract.ScheduledRunHeartbeat/4)()
	res, err := a.Starts.StartMissing(ctx, in)
	if res.Complaints+res.DTSRequests+res.Failed > 0 {
		logger(ctx).Info("reconciler", "complaints_started", res.Complaints, "dts_started", res.DTSRequests, "failed", res.Failed)
	}
	return res, err
}
