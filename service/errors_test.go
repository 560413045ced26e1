package service

import (
	"errors"
	"fmt"
	"testing"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"occonnect/store"
	"occonnect/workflows"
)

// TestReasonCodes: every reason has a code; two reasons share one only where the API
// answers the same code with two statuses (no_rules: 422 for a request that cannot be
// served, 404 for a year that has nothing to show; invalid_code: 401 for a second factor's
// code at a staff sign-in, 400 for a citizen's recovery code, as API.md fixes them).
func TestReasonCodes(t *testing.T) {
	seen := map[string]Reason{}
	for _, r := range Reasons() {
		code := r.Code()
		if code == "" {
			t.Errorf("reason %d has no code", r)
		}
		if other, dup := seen[code]; dup && code != "no_rules" && code != "invalid_code" {
			t.Errorf("reasons %d and %d share the code %s", other, r, code)
		}
		seen[code] = r
	}
	if Reason(0).Code() != "" || reasonCount.Code() != "" {
		t.Error("a value that is no reason has a code")
	}
}

func TestExplain(t *testing.T) {
	refusal := &Refusal{Reason: TaskClosed}
	for _, c := range []struct {
		err  error
		want Reason // 0: a fault
	}{
		{fmt.Errorf("claim: %w", refusal), TaskClosed},
		{fmt.Errorf("read task: %w", store.ErrNotFound), NotFound},
		{serviceerror.NewUnavailable("down"), Unavailable},
		{errors.New("a bug"), 0},
		{nil, 0},
	} {
		got := Explain(c.err)
		switch {
		case c.want == 0 && got != nil:
			t.Errorf("Explain(%v) = %v, want nil", c.err, got)
		case c.want != 0 && (got == nil || got.Reason != c.want):
			t.Errorf("Explain(%v) = %v, want %s", c.err, got, c.want)
		}
	}
	if msg := refuse(Invalid, FieldError{"email", "invalid_format"}, FieldError{"role", "invalid"}).Error(); msg != "validation_failed: email invalid_format, role invalid" {
		t.Errorf("Error() = %q", msg)
	}
}

// TestWorkflowRefusal: a workflow validator's error types map to their refusals; a closed
// workflow is a closed task.
func TestWorkflowRefusal(t *testing.T) {
	for errType, want := range map[string]Reason{
		workflows.ErrTaskAlreadyClaimed: TaskAlreadyClaimed,
		workflows.ErrTaskNotAssignee:    NotAssignee,
		workflows.ErrTaskForbidden:      Forbidden,
		workflows.ErrTaskUnknown:        NotFound,
		workflows.ErrInvalidOutcome:     Invalid,
		workflows.ErrTextRequired:       Invalid,
		workflows.ErrInvalidAssignee:    Invalid,
		workflows.ErrTaskClosed:         TaskClosed,
		workflows.ErrInvalidState:       Conflict,
	} {
		got := Explain(workflowRefusal(temporal.NewApplicationError("refused", errType)))
		if got == nil || got.Reason != want {
			t.Errorf("%s: %v, want %s", errType, got, want)
		}
	}
	if got := Explain(workflowRefusal(serviceerror.NewNotFound("closed"))); got == nil || got.Reason != TaskClosed {
		t.Errorf("closed workflow: %v", got)
	}
	plain := errors.New("network")
	if workflowRefusal(plain) != plain {
		t.Error("an error that is no refusal changed")
	}
}
