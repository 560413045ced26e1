package workflows_test

import (
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/worker"

	"occonnect/internal/codec"
	"occonnect/internal/testenv"
	"occonnect/workflows"
)

// TestReplayRecordedHistories replays histories recorded from the real dev server by the
// end-to-end tests (OCC_RECORD_HISTORY=$PWD/workflows/testdata go test ./e2e/): the
// enrollment (happy path, expiry and re-issue), the DTS review (approved, rejected,
// cancelled) and a complaint (request for information, answer, resolution, rating,
// reopening, rejection) recorded before (v0) and after (v1) the
// "complaint-start-cycle-guard" version; the *_search.json ones were recorded after the
// "search-attributes" version (every workflow upserts its search attributes); the
// complaint ones named *_mail_queue.json and complaint_resolved_smtp_down.json (resolved
// while SMTP was down, its e-mail retried) after the "complaint-mail-queue" version (the
// e-mails sent from a coroutine of their own, not from the Update handlers); the
// *_cancel_timer.json ones after "complaint-cancel-timer" too (the main loop's wake-up
// timer cancelled when a handler wins), as are the long paths run in seconds by
// TestComplaintLongPaths and TestSearchFindsRuns: a first-response reminder and
// escalation, the auto-close after the reopening window, and a run that continued as new
// (both runs); an enrollment that lapsed (TestEnrollmentLapses); a DTS review escalated
// to the supervisors, then rejected (TestDTSEscalatesThenRejected); the enrollment ones
// named *_password_window.json after "enrollment-password-window" (an activation keeps the
// credentials valid for the password change); complaint_closed_unanswered.json after
// "complaint-citizen-deadline" (a request for information left unanswered: the citizen
// reminded, then the complaint closed unanswered, TestComplaintClosedUnanswered);
// complaint_lifecycle_recompute_due.json after "complaint-recompute-due" (the first response
// target checked against the holidays before it escalates); complaint_resolution_escalated.json
// (first response given, the clock paused and resumed, the resolution target missed: the
// assignee reminded, the task escalated, TestComplaintLongPaths); dts_approved_recompute_due.json
// after "dts-recompute-due" (the review's due time checked against the holidays);
// recovery_used.json and recovery_reissued_used.json, a citizen's password recovery (a
// code used; three codes, one burnt and one superseded, the last used; TestPasswordRecovery).
// A change to
// a workflow that breaks determinism for running executions fails here: guard it with
// workflow.GetVersion.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) < 37 {
		t.Fatalf("want the recorded histories in testdata, found %v (%v)", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			keys, err := codec.ParseKeys(testenv.PayloadKeys)
			if err != nil {
				t.Fatal(err)
			}
			dc, fc := codec.Converters(keys)
			r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{DataConverter: dc, FailureConverter: fc})
			if err != nil {
				t.Fatal(err)
			}
			r.RegisterWorkflow(workflows.Enrollment)
			r.RegisterWorkflow(workflows.DTS)
			r.RegisterWorkflow(workflows.Complaint)
			r.RegisterWorkflow(workflows.Recovery)
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatalf("replay: %v", err)
			}
		})
	}
}
