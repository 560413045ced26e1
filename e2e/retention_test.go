package e2e

import (
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	actcontract "occonnect/activities/contract"
	"occonnect/domain"
	"occonnect/store"
	"occonnect/workflows"
)

// retentionPolicy is the production default (internal/config's OCC_RETENTION_*).
var retentionPolicy = actcontract.RetentionInput{Sessions: 7 * 24 * time.Hour, Idempotency: 7 * 24 * time.Hour,
	OutboxBodies: 7 * 24 * time.Hour, LapsedCitizens: 90 * 24 * time.Hour, ClosedTexts: 5 * 365 * 24 * time.Hour}

// TestRetentionRunsOnItsSchedule: the worker keeps the nightly retention Schedule (03:00,
// Africa/Casablanca) in Temporal; a run (triggered here) deletes an expired session and an
// old Idempotency-Key answer, and reports its counts as its result in the Temporal UI.
func TestRetentionRunsOnItsSchedule(t *testing.T) {
	ctx := t.Context()
	h := env.temporal.ScheduleClient().GetHandle(ctx, workflows.RetentionScheduleID)
	d, err := h.Describe(ctx)
	must(t, err)
	spec := d.Schedule.Spec
	if len(spec.Calendars) != 1 || spec.TimeZoneName != "Africa/Casablanca" || spec.Calendars[0].Hour[0].Start != 3 {
		t.Fatalf("the retention schedule's spec: %+v", spec)
	}
	old := time.Now().Add(-8 * 24 * time.Hour)
	must(t, env.store.CreateSession(ctx, store.Session{TokenHash: []byte("retention-test-expired-session-1"), SubjectKind: domain.SubjectStaff,
		SubjectID: 1, Scope: domain.ScopeFull, CreatedAt: old, LastSeenAt: old, ExpiresAt: old.Add(time.Hour)}))
	_, err = env.store.DB().ExecContext(ctx, `INSERT INTO idempotency_keys (scope, idem_key, request_hash, created_at)
		VALUES ('retention-test', 'old', REPEAT('a', 32), ?)`, old)
	must(t, err)

	before := d.Info.RecentActions
	must(t, h.Trigger(ctx, client.ScheduleTriggerOptions{}))
	var run string
	for deadline := time.Now().Add(30 * time.Second); run == ""; time.Sleep(200 * time.Millisecond) {
		d, err := h.Describe(ctx)
		must(t, err)
		if len(d.Info.RecentActions) > len(before) {
			run = d.Info.RecentActions[len(d.Info.RecentActions)-1].StartWorkflowResult.WorkflowID
		}
		if time.Now().After(deadline) {
			t.Fatal("the triggered retention run did not start")
		}
	}
	var res actcontract.RetentionResult
	must(t, env.temporal.GetWorkflow(ctx, run, "").Get(ctx, &res))
	if res.Sessions < 1 || res.IdempotencyKeys < 1 {
		t.Fatalf("the run's result: %+v, want the expired session and the old key counted", res)
	}
	var n int
	must(t, env.store.DB().GetContext(ctx, &n, `SELECT COUNT(*) FROM sessions WHERE token_hash = ?`, []byte("retention-test-expired-session-1")))
	if n != 0 {
		t.Fatal("the expired session is still there")
	}
	t.Logf("retention run %s: %+v", run, res)
}
