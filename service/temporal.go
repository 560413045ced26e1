package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"occonnect/workflows"
)

// workflowClient is the use cases' access to Temporal: starting the workflow of a row just
// written, and sending Updates to running workflows.
//
// An outage of Temporal (its frontend unreachable, or not answering) is refused as
// TemporalUnavailable, with a Retry-After, instead of a wait: a request that has no answer
// after slowAfter checks Temporal's health (within probeTimeout) and is abandoned if
// Temporal is down; after that the next requests check its health first and are refused at
// once while it stays down; the first that finds it back clears the mark. A person waits
// about three seconds at most for the refusal, not the request's whole deadline. An
// abandoned start or Update is safe to send again: starts are keyed by the workflow ID,
// and the Updates that must not run twice carry their own Update ID.
type workflowClient struct {
	temporal  client.Client
	down      *atomic.Bool  // the last request found Temporal unreachable
	slowAfter time.Duration // 0: never check during a request
}

func newWorkflowClient(c client.Client) workflowClient {
	return workflowClient{temporal: c, down: new(atomic.Bool), slowAfter: time.Second}
}

const (
	// startTimeout bounds a workflow's start: Temporal answers it once the start is stored.
	startTimeout = 10 * time.Second
	// probeTimeout bounds the health check of a Temporal thought down.
	probeTimeout = 2 * time.Second
	// temporalRetryAfter is the Retry-After of a TemporalUnavailable refusal.
	temporalRetryAfter = 5 * time.Second
)

// call runs one request to Temporal under the outage policy above.
func (w workflowClient) call(ctx context.Context, request func(context.Context) error) error {
	if w.down == nil {
		return request(ctx)
	}
	if w.down.Load() {
		if err := w.probe(ctx); err != nil {
			return err
		}
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var outage atomic.Pointer[error]
	if w.slowAfter > 0 {
		check := time.AfterFunc(w.slowAfter, func() {
			if err := w.probe(ctx); err != nil {
				outage.Store(&err)
				cancel()
			}
		})
		defer check.Stop()
	}
	err := request(rctx)
	if err == nil {
		return nil
	}
	if o := outage.Load(); o != nil {
		return *o
	}
	if !isUnavailable(err) {
		return err
	}
	// Unreachable, or no answer in time: Temporal's outage, or only a slow workflow (an
	// Update waits for a worker)? Its health check tells them apart.
	if perr := w.probe(ctx); perr != nil {
		return perr
	}
	return err
}

// probe checks Temporal's health within probeTimeout (even when the request's context is
// already done) and records the outcome; an unhealthy Temporal is TemporalUnavailable.
func (w workflowClient) probe(ctx context.Context) error {
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), probeTimeout)
	defer cancel()
	if _, err := w.temporal.CheckHealth(pctx, &client.CheckHealthRequest{}); err != nil {
		w.down.Store(true)
		return &Refusal{Reason: TemporalUnavailable, RetryAfter: temporalRetryAfter, cause: err}
	}
	w.down.Store(false)
	return nil
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
	err := w.call(ctx, func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, startTimeout)
		defer cancel()
		_, err := w.temporal.ExecuteWorkflow(ctx, opts, workflow, input)
		return err
	})
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

// signalWithStart signals a workflow, starting it with input when none runs under its ID
// (a closed one's ID is reused): the requests of a process that a new request joins, such
// as a citizen's password recovery.
func (w workflowClient) signalWithStart(ctx context.Context, workflowID, signal string, arg any, workflow, input any) error {
	opts := client.StartWorkflowOptions{ID: workflowID, TaskQueue: workflows.TaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE}
	return w.call(ctx, func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, startTimeout)
		defer cancel()
		_, err := w.temporal.SignalWithStartWorkflow(ctx, workflowID, signal, arg, opts, workflow, input)
		return err
	})
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
	return w.call(ctx, func(ctx context.Context) error {
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
	})
}

// retryUpdateID derives the Update ID of a person's action from the request's
// Idempotency-Key, so that the retry of an action whose answer was lost (a 503, a dropped
// connection) joins the first one's outcome instead of being validated again and refused
// (the server runs an Update ID once per run). Without a key it is "": a random ID. The
// key is hashed with the action, its subject and the caller: what reaches the history
// says nothing of them.
func retryUpdateID(name, subject string, p *Principal, key string) string {
	if key == "" {
		return ""
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%s\x00%d\x00%s", name, subject, p.Kind, p.ID, key))
	return name + "-" + hex.EncodeToString(sum[:12])
}

// temporalDown: the request failed because Temporal could not be reached, not on the
// workflow's answer.
func temporalDown(err error) bool {
	var r *Refusal
	return (errors.As(err, &r) && r.Reason == TemporalUnavailable) || isUnavailable(err)
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
