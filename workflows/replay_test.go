package workflows

import (
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/worker"
)

// TestReplayRecordedHistories replays histories recorded from the real dev server by the
// end-to-end tests (OCC_RECORD_HISTORY=$PWD/workflows/testdata go test ./e2e/). A change to
// a workflow that breaks determinism for running executions fails here: guard it with
// workflow.GetVersion.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/enrollment_*.json")
	if err != nil || len(files) < 2 {
		t.Fatalf("want the recorded histories in testdata, found %v (%v)", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflow(Enrollment)
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatalf("replay: %v", err)
			}
		})
	}
}
