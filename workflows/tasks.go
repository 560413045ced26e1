package workflows

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"occonnect/activities/contract"
	"occonnect/domain"
)

// Error types with which task Updates are refused; the API maps them to HTTP answers.
const (
	ErrTaskAlreadyClaimed = "TaskAlreadyClaimed"
	ErrTaskNotAssignee    = "TaskNotAssignee"
	ErrTaskClosed         = "TaskClosed"
	ErrTaskForbidden      = "TaskForbidden"
	ErrTaskUnknown        = "TaskUnknown"
	ErrInvalidOutcome     = "InvalidOutcome"
	ErrTextRequired       = "TextRequired"
	ErrInvalidState       = "InvalidState"
	ErrInvalidAssignee    = "InvalidAssignee"
)

// TaskActor is the staff member acting on a task (from the API's session).
type TaskActor struct {
	StaffID int64
	Role    domain.Role
}

// ClaimTaskRequest claims a task; the first claim wins.
type ClaimTaskRequest struct {
	TaskID string
	Actor  TaskActor
}

// ReleaseTaskRequest gives a claimed task back to its queue.
type ReleaseTaskRequest struct {
	TaskID string
	Actor  TaskActor
}

// CompleteTaskRequest completes a claimed task with an outcome. For complaints the
// officer's text is stored by the API as a draft message and passed as MessageID, so that it
// never enters the history; DTS decisions carry a short Comment.
type CompleteTaskRequest struct {
	TaskID    string
	Actor     TaskActor
	Outcome   string
	Comment   string
	MessageID int64
}

// ReassignTaskRequest gives a task (open or claimed) to a staff member who works tasks
// (an officer, a supervisor or the head of unit): a supervisor or the head of unit decides.
// The API checks that the assignee exists and is enabled, and passes their role.
type ReassignTaskRequest struct {
	TaskID   string
	Actor    TaskActor
	Assignee TaskActor
}

// TaskResult answers the task Updates.
type TaskResult struct {
	TaskID        string
	State         domain.TaskState
	AssigneeID    int64
	Outcome       string
	SubjectStatus string // e.g. the DTS request's status after the outcome
	SupplementMAD int64
}

// task is a workflow's view of its officer task: the source of truth for claims (the
// Update validators run on it), mirrored to MySQL by the ApplyTaskChange activity.
type task struct {
	ID              string
	Kind            domain.TaskKind
	State           domain.TaskState
	Queue           domain.Queue
	EscalationLevel int
	Assignee        int64
	DueAt           time.Time
	Version         int
}

func refuse(errType, format string, args ...any) error {
	return temporal.NewApplicationError(fmt.Sprintf(format, args...), errType)
}

func (t *task) check(id string) error {
	switch {
	case t.ID == "" || t.ID != id:
		return refuse(ErrTaskUnknown, "no such task in this workflow")
	case t.State == domain.TaskDone || t.State == domain.TaskCancelled:
		return refuse(ErrTaskClosed, "the task is %s", t.State)
	}
	return nil
}

func (t *task) validateClaim(req ClaimTaskRequest) error {
	if err := t.check(req.TaskID); err != nil {
		return err
	}
	if t.State == domain.TaskClaimed {
		return refuse(ErrTaskAlreadyClaimed, "the task is already claimed")
	}
	if !req.Actor.Role.MayWork(t.Queue) {
		return refuse(ErrTaskForbidden, "the %s queue is not open to role %s", t.Queue, req.Actor.Role)
	}
	return nil
}

func (t *task) validateRelease(req ReleaseTaskRequest) error {
	if err := t.check(req.TaskID); err != nil {
		return err
	}
	if t.State != domain.TaskClaimed || t.Assignee != req.Actor.StaffID {
		return refuse(ErrTaskNotAssignee, "only the assignee releases a claimed task")
	}
	return nil
}

func (t *task) validateComplete(req CompleteTaskRequest, outcomes []string, needsComment func(string) bool) error {
	if err := t.check(req.TaskID); err != nil {
		return err
	}
	if t.State != domain.TaskClaimed || t.Assignee != req.Actor.StaffID {
		return refuse(ErrTaskNotAssignee, "only the assignee completes a claimed task")
	}
	if !slices.Contains(outcomes, req.Outcome) {
		return refuse(ErrInvalidOutcome, "outcome must be one of %v", outcomes)
	}
	if needsComment(req.Outcome) && req.Comment == "" {
		return refuse(ErrInvalidOutcome, "outcome %s needs a comment", req.Outcome)
	}
	return nil
}

// validateReassign: the actor supervises the task's queue; the assignee works tasks and is
// not already the assignee. The assignee may be of any level (a supervisor may hand an
// escalated task back to an officer).
func (t *task) validateReassign(req ReassignTaskRequest) error {
	if err := t.check(req.TaskID); err != nil {
		return err
	}
	if !req.Actor.Role.Reassigns() || !req.Actor.Role.MayWork(t.Queue) {
		return refuse(ErrTaskForbidden, "role %s may not reassign a task of the %s queue", req.Actor.Role, t.Queue)
	}
	if !req.Assignee.Role.WorksTasks() {
		return refuse(ErrInvalidAssignee, "role %s does not work tasks", req.Assignee.Role)
	}
	if req.Assignee.StaffID == 0 || (t.State == domain.TaskClaimed && t.Assignee == req.Assignee.StaffID) {
		return refuse(ErrInvalidAssignee, "the task is already assigned to this staff member")
	}
	return nil
}

// change moves the task and returns the transition for the read model.
func (t *task) change(action string, staffID int64, eventKey string) contract.TaskChangeInput {
	t.Version++
	return contract.TaskChangeInput{
		TaskID: t.ID, EventKey: fmt.Sprintf("%s/%d/%s", t.ID, t.Version, eventKey), Action: action, StaffID: staffID,
		State: t.State, Queue: t.Queue, EscalationLevel: t.EscalationLevel, AssigneeStaffID: t.Assignee, Version: t.Version,
	}
}

// claim and release apply a validated Update and mirror it.
func (t *task) claim(ctx workflow.Context, req ClaimTaskRequest) (TaskResult, error) {
	t.State, t.Assignee = domain.TaskClaimed, req.Actor.StaffID
	err := workflow.ExecuteActivity(summarized(answerActivity(ctx), "record the claim"), contract.ApplyTaskChange, t.change("claimed", req.Actor.StaffID, "claimed")).Get(ctx, nil)
	return TaskResult{TaskID: t.ID, State: t.State, AssigneeID: t.Assignee}, err
}

func (t *task) release(ctx workflow.Context, req ReleaseTaskRequest) (TaskResult, error) {
	t.State, t.Assignee = domain.TaskOpen, 0
	err := workflow.ExecuteActivity(summarized(answerActivity(ctx), "record the release"), contract.ApplyTaskChange, t.change("released", req.Actor.StaffID, "released")).Get(ctx, nil)
	return TaskResult{TaskID: t.ID, State: t.State}, err
}

func (t *task) reassign(ctx workflow.Context, req ReassignTaskRequest) (TaskResult, error) {
	t.State, t.Assignee = domain.TaskClaimed, req.Assignee.StaffID
	err := workflow.ExecuteActivity(answerActivity(ctx), contract.ApplyTaskChange, t.change("reassigned", req.Actor.StaffID, "reassigned")).Get(ctx, nil)
	return TaskResult{TaskID: t.ID, State: t.State, AssigneeID: t.Assignee}, err
}

// escalate moves the task to the supervisors' queue and mails them.
func (t *task) escalate(ctx workflow.Context, reference string) error {
	t.Queue, t.EscalationLevel = domain.QueueSupervisors, t.EscalationLevel+1
	var res contract.EscalateTaskResult
	if err := workflow.ExecuteActivity(summarized(dbActivity(ctx), "escalate to the supervisors"), contract.EscalateTask, contract.EscalateTaskInput{
		Change: t.change("escalated", 0, "escalated"), Kind: t.Kind, Reference: reference, DueAt: t.DueAt,
	}).Get(ctx, &res); err != nil {
		return err
	}
	for _, id := range res.OutboxIDs {
		if err := workflow.ExecuteActivity(summarized(emailActivity(ctx), "mail the supervisors"), contract.SendEmail, contract.SendEmailInput{OutboxID: id}).Get(ctx, nil); err != nil {
			var appErr *temporal.ApplicationError
			if !(errors.As(err, &appErr) && appErr.Type() == contract.ErrTypeEmailRejected) {
				return err
			}
			workflow.GetLogger(ctx).Warn("escalation e-mail rejected", "outbox_id", id)
		}
	}
	return nil
}
