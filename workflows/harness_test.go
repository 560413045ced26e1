package workflows

import (
	"context"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"occonnect/activities"
	"occonnect/activities/contract"
)

// The workflow test harness, shared by every workflow's tests. A test builds its
// workflow's harness (newEnrollmentHarness, newDTSHarness, newCplHarness): that file mocks
// the activities with plain env.OnActivity(a.Method, …) calls, as samples-go does, and
// keeps only its workflow's default mock behaviour and test cases. The harness records
// every activity attempt in one place (a listener of the test environment, so that the
// mocks do not record anything themselves), schedules Updates and queries at a workflow
// time, checks their outcome and decodes results.
//
// Times come back in UTC (recorded inputs, Update results, query answers): a time that
// went through the data converter loses its location, and assert.Equal compares it.

// harness runs one workflow in a test environment with time skipping.
type harness struct {
	t   *testing.T
	env *testsuite.TestWorkflowEnvironment
	// start is the workflow's start time, as the test set it.
	start    time.Time
	workflow any

	mu    sync.Mutex
	calls []call
}

// call is one attempt of a (mocked) activity.
type call struct {
	// At is the workflow time the attempt started, in UTC.
	At       time.Time
	Activity string
	// Attempt is the attempt's number (1, then one more at each retry).
	Attempt int32
	// Input is the activity's argument, decoded to its type, times in UTC.
	Input any
}

// newHarness registers workflow and the activities in a new test environment that starts
// at start (zero: now). The caller mocks the activities the workflow calls.
func newHarness(t *testing.T, workflow any, start time.Time) *harness {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetTestTimeout(time.Minute) // wall clock: 2 shared cores under load
	env.RegisterWorkflow(workflow)
	env.RegisterActivity(&activities.Activities{})
	if start.IsZero() {
		start = env.Now()
	} else {
		env.SetStartTime(start)
	}
	h := &harness{t: t, env: env, start: start, workflow: workflow}
	env.SetOnActivityStartedListener(h.record)
	return h
}

// record notes an activity attempt as it starts, before its mock runs (so a mock that
// counts calls with callsOf sees its own).
func (h *harness) record(info *activity.Info, _ context.Context, args converter.EncodedValues) {
	c := call{At: h.env.Now().UTC(), Activity: info.ActivityType.Name, Attempt: info.Attempt}
	if m, ok := reflect.TypeOf(a).MethodByName(c.Activity); !ok || m.Type.NumIn() != 3 {
		h.t.Errorf("activity %s is not a method of *activities.Activities with one argument", c.Activity)
	} else {
		in := reflect.New(m.Type.In(2)) // receiver, context, argument
		if err := args.Get(in.Interface()); err != nil {
			h.t.Errorf("decode the input of %s: %v", c.Activity, err)
		}
		utcTimes(in.Elem())
		c.Input = in.Elem().Interface()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, c)
}

// execute runs the workflow to its end and returns its error (nil when it completed).
func (h *harness) execute(args ...any) error {
	h.t.Helper()
	h.env.ExecuteWorkflow(h.workflow, args...)
	require.True(h.t, h.env.IsWorkflowCompleted(), "workflow did not complete")
	return h.env.GetWorkflowError()
}

// runToResult runs the workflow to a successful end and returns its result.
func runToResult[R any](h *harness, args ...any) R {
	h.t.Helper()
	require.NoError(h.t, h.execute(args...))
	var res R
	require.NoError(h.t, h.env.GetWorkflowResult(&res))
	return res
}

// activityName is the name of an activity given as a method value of `a`
// (a.SendEmail: "SendEmail"), as the SDK names it.
func activityName(act any) string {
	name := runtime.FuncForPC(reflect.ValueOf(act).Pointer()).Name()
	name = strings.TrimSuffix(name, "-fm")
	return name[strings.LastIndex(name, ".")+1:]
}

// activityNames names a sequence of activities, to compare with order.
func activityNames(acts ...any) []string {
	out := make([]string, len(acts))
	for i, act := range acts {
		out[i] = activityName(act)
	}
	return out
}

// callsOf are the recorded attempts of act (a method value of `a`), in order.
func (h *harness) callsOf(act any) []call {
	name := activityName(act)
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []call
	for _, c := range h.calls {
		if c.Activity == name {
			out = append(out, c)
		}
	}
	return out
}

// order names the recorded attempts of every activity, in order.
func (h *harness) order() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]string, len(h.calls))
	for i, c := range h.calls {
		out[i] = c.Activity
	}
	return out
}

// inputs are the recorded inputs of act, of its input type T.
func inputs[T any](h *harness, act any) []T {
	h.t.Helper()
	var out []T
	for _, c := range h.callsOf(act) {
		in, ok := c.Input.(T)
		require.Truef(h.t, ok, "%s was called with %T, not %T", c.Activity, c.Input, in)
		out = append(out, in)
	}
	return out
}

// emails are the inputs of the SendEmail attempts.
func (h *harness) emails() []contract.SendEmailInput {
	return inputs[contract.SendEmailInput](h, a.SendEmail)
}

// updateOutcome collects the callbacks of one Update, with the workflow time it completed.
type updateOutcome struct {
	name        string
	sent        bool
	accepted    bool
	rejected    error
	completed   bool
	completedAt time.Time
	result      any
	err         error
}

// update sends an Update `at` after the start of the workflow (0: before its first task
// has run, in the same instant).
func (h *harness) update(at time.Duration, name, id string, args ...any) *updateOutcome {
	o := &updateOutcome{name: name + "/" + id}
	h.env.RegisterDelayedCallback(func() {
		o.sent = true
		h.env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{
			OnAccept: func() { o.accepted = true },
			OnReject: func(err error) { o.rejected = err },
			OnComplete: func(r any, err error) {
				o.completed = true
				o.completedAt = h.env.Now()
				o.result = r
				o.err = err
			},
		}, args...)
	}, at)
	return o
}

// The task Updates of the DTS and complaint workflows (tasks.go).

func (h *harness) claim(at time.Duration, id, taskID string, actor TaskActor) *updateOutcome {
	return h.update(at, UpdateClaimTask, id, ClaimTaskRequest{TaskID: taskID, Actor: actor})
}

func (h *harness) release(at time.Duration, id, taskID string, actor TaskActor) *updateOutcome {
	return h.update(at, UpdateReleaseTask, id, ReleaseTaskRequest{TaskID: taskID, Actor: actor})
}

func (h *harness) reassign(at time.Duration, id, taskID string, actor, to TaskActor) *updateOutcome {
	return h.update(at, UpdateReassignTask, id, ReassignTaskRequest{TaskID: taskID, Actor: actor, Assignee: to})
}

func (h *harness) completeTask(at time.Duration, id string, req CompleteTaskRequest) *updateOutcome {
	return h.update(at, UpdateCompleteTask, id, req)
}

// requireAccepted checks that the Update was accepted and its handler succeeded.
func requireAccepted(t *testing.T, o *updateOutcome) {
	t.Helper()
	require.Truef(t, o.sent, "update %s was never sent", o.name)
	require.NoErrorf(t, o.rejected, "update %s refused", o.name)
	require.Truef(t, o.accepted, "update %s not accepted", o.name)
	require.Truef(t, o.completed, "update %s did not complete", o.name)
	require.NoErrorf(t, o.err, "update %s failed", o.name)
}

// requireRefused checks that the validator refused the Update with an ApplicationError of
// one of errTypes (mostly one), and that its handler never ran.
func requireRefused(t *testing.T, o *updateOutcome, errTypes ...string) {
	t.Helper()
	require.NotEmpty(t, errTypes, "requireRefused needs an error type")
	requireValidatorRefused(t, o, errTypes)
	var appErr *temporal.ApplicationError
	require.ErrorAsf(t, o.rejected, &appErr, "update %s refused with %T: %v", o.name, o.rejected, o.rejected)
	assert.Containsf(t, errTypes, appErr.Type(), "update %s refused with %v", o.name, o.rejected)
}

// requireRefusedSaying checks that the validator refused the Update with an error whose
// message contains `contains`, and that its handler never ran.
func requireRefusedSaying(t *testing.T, o *updateOutcome, contains string) {
	t.Helper()
	requireValidatorRefused(t, o, contains)
	assert.Contains(t, o.rejected.Error(), contains)
}

func requireValidatorRefused(t *testing.T, o *updateOutcome, want any) {
	t.Helper()
	require.Truef(t, o.sent, "update %s was never sent", o.name)
	require.Errorf(t, o.rejected, "update %s should have been refused with %v", o.name, want)
	assert.Falsef(t, o.accepted, "refused update %s was accepted", o.name)
	assert.Falsef(t, o.completed, "refused update %s ran its handler", o.name)
}

// resultOf is the result an Update returned, of type T, times in UTC.
func resultOf[T any](t *testing.T, o *updateOutcome) T {
	t.Helper()
	r, ok := o.result.(T)
	require.Truef(t, ok, "update %s returned %T, not %T", o.name, o.result, r)
	return utc(r)
}

// queried is the answer of a query run at some point of the workflow.
type queried[T any] struct {
	at     time.Duration
	done   bool
	answer T
	err    error
}

// queryAt runs the query `at` after the start of the workflow.
func queryAt[T any](h *harness, at time.Duration, query string) *queried[T] {
	q := &queried[T]{at: at}
	h.env.RegisterDelayedCallback(func() {
		q.done = true
		v, err := h.env.QueryWorkflow(query)
		if err != nil {
			q.err = err
			return
		}
		q.err = v.Get(&q.answer)
	}, at)
	return q
}

// get is the query's answer, times in UTC; the query must have run and succeeded.
func (q *queried[T]) get(t *testing.T) T {
	t.Helper()
	require.Truef(t, q.done, "the query at %v was never run", q.at)
	require.NoError(t, q.err)
	return utc(q.answer)
}

var timeType = reflect.TypeOf(time.Time{})

// utc returns v with every time.Time in it (through structs, pointers and slices) in
// UTC, so that times that went through the data converter compare equal with assert.Equal.
func utc[T any](v T) T {
	p := reflect.New(reflect.TypeOf(&v).Elem())
	p.Elem().Set(reflect.ValueOf(&v).Elem())
	utcTimes(p.Elem())
	return p.Elem().Interface().(T)
}

// utcTimes sets every time.Time reachable from the settable v in UTC; pointed-to values
// are copied first, so that v shares nothing it changed.
func utcTimes(v reflect.Value) {
	switch {
	case v.Type() == timeType:
		if v.CanSet() {
			v.Set(reflect.ValueOf(v.Interface().(time.Time).UTC()))
		}
	case v.Kind() == reflect.Pointer:
		if !v.IsNil() {
			c := reflect.New(v.Type().Elem())
			c.Elem().Set(v.Elem())
			utcTimes(c.Elem())
			if v.CanSet() {
				v.Set(c)
			}
		}
	case v.Kind() == reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if f := v.Field(i); f.CanSet() {
				utcTimes(f)
			}
		}
	case v.Kind() == reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			utcTimes(v.Index(i))
		}
	}
}
