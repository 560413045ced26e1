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

// Schedules configures the Temporal Schedules the worker keeps.
type Schedules struct {
	// ReconcileEvery is the reconciler's interval; ReconcileAfter the age of the rows it
	// repairs (a younger row's own start may still be under way).
	ReconcileEvery, ReconcileAfter time.Duration
	// Retention is what the nightly retention run (03:00, Africa/Casablanca) keeps.
	Retention contract.RetentionInput
}

// EnsureSchedules creates, or brings up to date, the Temporal Schedules of the back
// office: the reconciler (workflows.Reconcile every ReconcileEvery) and the nightly
// retention run (workflows.Retention), each one run at a time. Every worker calls it when
// it starts: the first creates them, the others update them to the same; the last
// configuration started wins.
func EnsureSchedules(ctx context.Context, c client.Client, s Schedules) error {
	if err := ensureSchedule(ctx, c, workflows.ReconcileScheduleID,
		client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: s.ReconcileEvery}}},
		&client.ScheduleWorkflowAction{
			ID:                       workflows.ReconcileScheduleID,
			Workflow:                 workflows.Reconcile,
			Args:                     []any{contract.ReconcileInput{OlderThan: s.ReconcileAfter}},
			TaskQueue:                workflows.TaskQueue,
			WorkflowExecutionTimeout: 30 * time.Minute,
			StaticSummary:            "Reconciler: start the workflows of complaints and DTS requests recorded without one",
		},
		// A run missed while Temporal was away is taken when it is back, not a year's
		// worth of them: one run catches up on every row.
		max(s.ReconcileEvery, time.Minute),
		"OC Connect: created by the worker (worker.EnsureSchedules); OCC_RECONCILE_EVERY and OCC_RECONCILE_AFTER set it"); err != nil {
		return err
	}
	return ensureSchedule(ctx, c, workflows.RetentionScheduleID,
		client.ScheduleSpec{
			Calendars:    []client.ScheduleCalendarSpec{{Hour: []client.ScheduleRange{{Start: 3}}, Minute: []client.ScheduleRange{{Start: 0}}}},
			TimeZoneName: "Africa/Casablanca",
		},
		&client.ScheduleWorkflowAction{
			ID:                       workflows.RetentionScheduleID,
			Workflow:                 workflows.Retention,
			Args:                     []any{s.Retention},
			TaskQueue:                workflows.TaskQueue,
			WorkflowExecutionTimeout: 3 * time.Hour,
			StaticSummary:            "Retention (law 09-08): delete expired sessions and keys, erase e-mail bodies, anonymise what is kept no longer",
		},
		// A night missed during an outage is run when Temporal is back, that day.
		12*time.Hour,
		"OC Connect: created by the worker (worker.EnsureSchedules); OCC_RETENTION_* set what it keeps")
}

// ensureSchedule creates schedule id, or updates it to spec and action.
func ensureSchedule(ctx context.Context, c client.Client, id string, spec client.ScheduleSpec, action *client.ScheduleWorkflowAction,
	catchup time.Duration, note string) error {
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{ID: id, Spec: spec, Action: action, CatchupWindow: catchup, Note: note})
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		if err != nil {
			return fmt.Errorf("create the schedule %s: %w", id, err)
		}
		return nil
	}
	err = c.ScheduleClient().GetHandle(ctx, id).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := in.Description.Schedule
			s.Spec, s.Action = &spec, action
			if s.Policy != nil {
				s.Policy.CatchupWindow = catchup
			}
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
	if err != nil {
		return fmt.Errorf("update the schedule %s: %w", id, err)
	}
	return nil
}
