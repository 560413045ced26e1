package apitest

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"go.temporal.io/sdk/client"

	"occonnect/domain"
	"occonnect/store"
	"occonnect/workflows"
)

// Temporal is the use cases' Temporal client in the adapters' tests. It records the
// workflows started and the Updates sent, and answers each Update for the workflow: by
// default a task Update (claim, release, complete, reassign) is accepted and mirrored into
// the read model as the workflow's activity would write it; any other Update is an error
// (a 500) unless the test answers it (Respond).
type Temporal struct {
	client.Client // every other method is unused (nil: a call would panic)

	store *store.Store
	clock *Clock

	mu       sync.Mutex
	updates  []Update
	starts   []Started
	respond  func(Update) (any, error)
	startErr error
}

// Update is an Update the use cases sent.
type Update struct {
	WorkflowID, UpdateID, Name string
	Arg                        any
}

// Started is a workflow the use cases started.
type Started struct {
	WorkflowID string
	Workflow   any
	Args       []any
}

func newTemporal(st *store.Store, clock *Clock) *Temporal {
	f := &Temporal{store: st, clock: clock}
	f.respond = f.MirrorTasks
	return f
}

// Respond makes fn answer the Updates from now on (its result is the Update's; its error
// the workflow's refusal, e.g. a *temporal.ApplicationError of the validator's type); nil
// restores MirrorTasks.
func (f *Temporal) Respond(fn func(Update) (any, error)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fn == nil {
		fn = f.MirrorTasks
	}
	f.respond = fn
}

// FailStarts makes the workflow starts fail with err from now on (nil: they succeed).
func (f *Temporal) FailStarts(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.startErr = err
}

// Updates are the Updates sent so far, in order.
func (f *Temporal) Updates() []Update {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Update(nil), f.updates...)
}

// Starts are the workflows started so far, in order.
func (f *Temporal) Starts() []Started {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Started(nil), f.starts...)
}

// ExecuteWorkflow records the start.
func (f *Temporal) ExecuteWorkflow(_ context.Context, o client.StartWorkflowOptions, workflow any, args ...any) (client.WorkflowRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.startErr != nil {
		return nil, f.startErr
	}
	f.starts = append(f.starts, Started{WorkflowID: o.ID, Workflow: workflow, Args: args})
	return run{id: o.ID}, nil
}

// UpdateWorkflow records the Update and answers it with the responder.
func (f *Temporal) UpdateWorkflow(_ context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	u := Update{WorkflowID: o.WorkflowID, UpdateID: o.UpdateID, Name: o.UpdateName}
	if len(o.Args) > 0 {
		u.Arg = o.Args[0]
	}
	f.mu.Lock()
	f.updates = append(f.updates, u)
	respond := f.respond
	f.mu.Unlock()
	res, err := respond(u)
	if err != nil {
		return nil, err
	}
	return handle{res: res}, nil
}

// CheckHealth: the fake is always healthy.
func (f *Temporal) CheckHealth(context.Context, *client.CheckHealthRequest) (*client.CheckHealthResponse, error) {
	return &client.CheckHealthResponse{}, nil
}

// MirrorTasks is the default responder: it accepts a task Update and writes the task's
// transition as the workflow would, answering the workflow's TaskResult.
func (f *Temporal) MirrorTasks(u Update) (any, error) {
	switch req := u.Arg.(type) {
	case workflows.ClaimTaskRequest:
		return f.transition(req.TaskID, "claimed", req.Actor.StaffID, domain.TaskClaimed, req.Actor.StaffID, "")
	case workflows.ReleaseTaskRequest:
		return f.transition(req.TaskID, "released", req.Actor.StaffID, domain.TaskOpen, 0, "")
	case workflows.CompleteTaskRequest:
		return f.transition(req.TaskID, "completed", req.Actor.StaffID, domain.TaskDone, req.Actor.StaffID, req.Outcome)
	case workflows.ReassignTaskRequest:
		return f.transition(req.TaskID, "reassigned", req.Actor.StaffID, domain.TaskClaimed, req.Assignee.StaffID, "")
	}
	return nil, fmt.Errorf("apitest: no answer for the Update %s (set one with Temporal.Respond)", u.Name)
}

func (f *Temporal) transition(taskID, action string, staffID int64, state domain.TaskState, assignee int64, outcome string) (workflows.TaskResult, error) {
	if err := f.mirror(taskID, action, staffID, state, assignee, outcome); err != nil {
		return workflows.TaskResult{}, err
	}
	return workflows.TaskResult{TaskID: taskID, State: state, AssigneeID: assignee, Outcome: outcome}, nil
}

// Mirror writes a task transition as the workflow's activity would (the next version of
// the task, an audit event at the clock's time).
func (f *Temporal) Mirror(t testing.TB, taskID, action string, staffID int64, state domain.TaskState, assignee int64) {
	t.Helper()
	if err := f.mirror(taskID, action, staffID, state, assignee, ""); err != nil {
		t.Fatal(err)
	}
}

func (f *Temporal) mirror(taskID, action string, staffID int64, state domain.TaskState, assignee int64, outcome string) error {
	ctx := context.Background()
	x, err := f.store.TaskByID(ctx, taskID)
	if err != nil {
		return fmt.Errorf("apitest: mirror %s of task %s: %w", action, taskID, err)
	}
	v := x.Version + 1
	return f.store.ApplyTaskChange(ctx, store.TaskChange{TaskID: taskID, EventKey: fmt.Sprintf("%s/%d/%s", taskID, v, action),
		Action: action, StaffID: staffID, State: state, Queue: x.Queue, EscalationLevel: x.EscalationLevel, Version: v,
		AssigneeStaffID: assignee, Outcome: outcome, At: f.clock.Now()})
}

// handle is a completed Update: Get gives its result.
type handle struct{ res any }

func (handle) WorkflowID() string { return "" }
func (handle) RunID() string      { return "" }
func (handle) UpdateID() string   { return "" }

func (h handle) Get(_ context.Context, ptr any) error {
	if h.res == nil || ptr == nil {
		return nil
	}
	dst, src := reflect.ValueOf(ptr).Elem(), reflect.ValueOf(h.res)
	if !src.Type().AssignableTo(dst.Type()) {
		return fmt.Errorf("apitest: an Update result %T for a %s", h.res, dst.Type())
	}
	dst.Set(src)
	return nil
}

// run is a started workflow (the use cases only check the start's error).
type run struct {
	client.WorkflowRun
	id string
}

func (r run) GetID() string    { return r.id }
func (r run) GetRunID() string { return "" }
