package service

import (
	"context"
	"errors"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"occonnect/workflows"
)

// workflowClient is the use cases' access to Temporal: starting the workflow of a row just
// written, and sending Updates to running workflows.
type workflowClient struct {
	temporal client.Client
}

// start is the one policy for "write the row, then start its workflow". The workflow ID
// comes from the row's key; the conflict policy keeps a running workflow and the reuse
// policy refuses to start a closed one again, so a request retried after a failure
// between the two (Temporal down, the API killed) never starts a second workflow: the
// retry finds the row and repairs the gap, or finds the workflow done and leaves it. When the start fails, compensate (if not nil) undoes the
// row, on a context that outlives the request's cancellation, so that the caller can try
// again from scratch; its own failure is joined to the start's.
func (w workflowClient) start(ctx context.Context, opts client.StartWorkflowOptions, workflow, input any,
	compensate func(context.Context) error) error {
	opts.TaskQueue = workflows.TaskQueue
	opts.WorkflowIDConflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING
	opts.WorkflowIDReusePolicy = enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE
	_, err := w.temporal.ExecuteWorkflow(ctx, opts, workflow, input)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err == nil || errors.As(err, &started) {
		return nil
	}
	if compensate != nil {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if cerr := compensate(ctx); cerr != nil {
			return errors.Join(err, cerr)
		}
	}
	return err
}

// updateTimeout bounds the wait for an Update's outcome: a person is waiting for it.
const updateTimeout = 20 * time.Second

// update sends an Update and waits for its result (decoded into result). updateID ""
// makes a random one. The server runs an Update ID at most once per run: a second request
// with the same ID, while the first is in flight or after it completed, waits for and
// returns the first one's outcome instead of being validated again; a refused Update
// leaves no trace, so its ID can be tried again. A refusal by the workflow's validator
// comes back as a *temporal.ApplicationError with the type the validator gave; a closed
// or unknown workflow as *serviceerror.NotFound.
func (w workflowClient) update(ctx context.Context, workflowID, updateID, name string, result any, args ...any) error {
	ctx, cancel := context.WithTimeout(ctx, updateTimeout)
	defer cancel()
	h, err := w.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		UpdateID:     updateID,
		WorkflowID:   workflowID,
		UpdateName:   name,
		Args:         args,
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return err
	}
	return h.Get(ctx, result)
}

// workflowRefusal maps an Update refused by a workflow (its validator's error type) to a
// refusal; other errors pass unchanged.
func workflowRefusal(err error) error {
	var appErr *temporal.ApplicationError
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &appErr):
		r := &Refusal{Reason: Conflict, cause: err}
		switch appErr.Type() {
		case workflows.ErrTaskAlreadyClaimed:
			r.Reason = TaskAlreadyClaimed
		case workflows.ErrTaskNotAssignee:
			r.Reason = NotAssignee
		case workflows.ErrTaskForbidden:
			r.Reason = Forbidden
		case workflows.ErrTaskUnknown:
			r.Reason = NotFound
		case workflows.ErrInvalidOutcome:
			r.Reason, r.Fields = Invalid, []FieldError{{"outcome", "invalid"}}
		case workflows.ErrTextRequired:
			r.Reason, r.Fields = Invalid, []FieldError{{"comment", "required"}}
		case workflows.ErrInvalidAssignee:
			r.Reason, r.Fields = Invalid, []FieldError{{"assignee_staff_id", "invalid"}}
		case workflows.ErrTaskClosed:
			r.Reason = TaskClosed
		}
		return r
	case errors.As(err, &notFound):
		return &Refusal{Reason: TaskClosed, cause: err}
	}
	return err
}

// isWorkflowRefusal reports whether err is a workflow's refusal of an Update (its
// validator said no, or the workflow is closed or unknown).
func isWorkflowRefusal(err error) bool {
	var appErr *temporal.ApplicationError
	var notFound *serviceerror.NotFound
	return errors.As(err, &appErr) || errors.As(err, &notFound)
}
