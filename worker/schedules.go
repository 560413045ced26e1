package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"occonnect/activities/contract"
	"occonnect/workflows"
)

// EnsureSchedules creates, or brings up to date, the Temporal Schedule of the reconciler
// (workflows.Reconcile every `every`, one run at a time, for the rows older than `after`:
// a younger row's own start may still be under way). Every worker calls it when it
// starts: the first creates the Schedule, the others update it to the same; the last
// configuration started wins.
func EnsureSchedules(ctx context.Context, c client.Client, every, after time.Duration) error {
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}}
	action := &client.ScheduleWorkflowAction{
		ID:                       workflows.ReconcileScheduleID,
		Workflow:                 workflows.Reconcile,
		Args:                     []any{contract.ReconcileInput{OlderThan: after}},
		TaskQueue:                workflows.TaskQueue,
		WorkflowExecutionTimeout: 30 * time.Minute,
		StaticSummary:            "Reconciler: start the workflows of complaints and DTS requests recorded without one",
	}
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:     workflows.ReconcileScheduleID,
		Spec:   spec,
		Action: action,
		// A run missed while Temporal was away is taken when it is back, not a year's
		// worth of them: one run catches up on every row.
		CatchupWindow: max(every, time.Minute),
		Note:          "OC Connect: created by the worker (worker.EnsureSchedules); OCC_RECONCILE_EVERY and OCC_RECONCILE_AFTER set it",
	})
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		if err != nil {
			return fmt.Errorf("create the reconciler's schedule: %w", err)
		}
		return nil
	}
	err = c.ScheduleClient().GetHandle(ctx, workflows.ReconcileScheduleID).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := in.Description.Schedule
			s.Spec, s.Action = &spec, action
			if s.Policy != nil {
				s.Policy.CatchupWindow = max(every, time.Minute)
			}
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
	if err != nil {
		return fmt.Errorf("update the reconciler's schedule: %w", err)
	}
	return nil
}
