package service

import (
	"context"
	"log/slog"

	"occonnect/activities/contract"
	"occonnect/internal/scrub"
	"occonnect/store"
)

// Reconciler starts the workflows of complaints and DTS requests recorded without one. A
// filing writes the row, then starts the workflow; when the second step fails (Temporal
// away, the API killed in between) and the citizen does not retry with the same key, the
// row would wait for ever. The worker runs StartMissing on a Temporal Schedule
// (worker.EnsureSchedules).
type Reconciler struct {
	store      *store.Store
	clock      clock
	complaints *Complaints
	dts        *DTS
	log        *slog.Logger
}

// reconcileBatch bounds the rows one run starts; a backlog takes several runs.
const reconcileBatch = 500

// StartMissing starts the workflows of the rows recorded more than in.OlderThan ago
// without one, oldest first. A start that fails is counted and left to the next run;
// the run fails only when MySQL cannot list the rows.
func (r *Reconciler) StartMissing(ctx context.Context, in contract.ReconcileInput) (contract.ReconcileResult, error) {
	var res contract.ReconcileResult
	before := r.clock.now().Add(-in.OlderThan)
	complaints, err := r.store.UnstartedComplaints(ctx, before, reconcileBatch)
	if err != nil {
		return res, err
	}
	for _, c := range complaints {
		if err := r.complaints.startWorkflow(ctx, c); err != nil {
			res.Failed++
			r.log.WarnContext(ctx, "reconciler: complaint workflow not started", "reference", c.ID, "error", scrub.Message(err))
			continue
		}
		res.Complaints++
	}
	requests, err := r.store.UnstartedDTSRequests(ctx, before, reconcileBatch)
	if err != nil {
		return res, err
	}
	for _, d := range requests {
		if err := r.dts.startWorkflow(ctx, d); err != nil {
			res.Failed++
			r.log.WarnContext(ctx, "reconciler: DTS workflow not started", "request_id", d.ID, "error", scrub.Message(err))
			continue
		}
		res.DTSRequests++
	}
	return res, nil
}
