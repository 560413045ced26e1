package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"occonnect/activities/contract"
	"occonnect/domain"
)

// DTSInput starts the review of a DTS request. It carries the request id only.
type DTSInput struct {
	RequestID string
	// ReviewBusinessDays: the officers' deadline before the task escalates (default 2).
	ReviewBusinessDays int
	// ReviewOverride, when set, replaces that deadline by a plain duration: for tests of
	// the escalation only (the paths that take days, run in seconds).
	ReviewOverride time.Duration
}

// DTSResult is the final status of the request (approved, rejected or cancelled).
type DTSResult struct {
	Status        domain.DTSStatus
	SupplementMAD int64
}

// CancelDTSRequest withdraws a pending request (the citizen).
type CancelDTSRequest struct{}

// DTSState answers the state query and the cancel Update.
type DTSState struct {
	Status          domain.DTSStatus
	SupplementMAD   int64
	TaskID          string
	TaskState       domain.TaskState
	EscalationLevel int
}

// DTS reviews a request for the supplementary tourist allowance: compute the supplement,
// open an officer task, escalate it to the supervisors after the deadline, and apply the
// decision (credit the ledger, or reject with the reason) or the citizen's cancellation.
func DTS(ctx workflow.Context, in DTSInput) (DTSResult, error) {
	if in.ReviewBusinessDays <= 0 {
		in.ReviewBusinessDays = 2
	}
	d := &dtsReview{in: in, status: domain.DTSPending}
	// Version 1: the review deadline is checked against the holidays when it comes, so that
	// a holiday entered meanwhile moves it. Runs started before escalate at the first date.
	d.recomputeDue = workflow.GetVersion(ctx, "dts-recompute-due", workflow.DefaultVersion, 1) == 1
	if err := d.setup(ctx); err != nil {
		return DTSResult{}, err
	}
	d.ops = newOpsAttributes(ctx)
	if err := d.show(ctx); err != nil {
		return DTSResult{}, err
	}
	return d.run(ctx)
}

type dtsReview struct {
	in            DTSInput
	status        domain.DTSStatus
	supplementMAD int64
	task          task
	closing       bool // a decision or cancellation is being applied
	closed        bool
	mailOutboxID  int64

	ops           *opsAttributes
	year          int    // the allowance year, from ComputeDTS
	exchangePoint string // the citizen's enrolment point, from ComputeDTS

	// The task's due time lies dueBusiness business time after dueSince (0: a plain
	// duration, not recomputed); recomputeDue: checked against the holidays when it comes.
	dueSince     time.Time
	dueBusiness  time.Duration
	recomputeDue bool
}

// show publishes the request's status to ops (search attributes, current details).
func (d *dtsReview) show(ctx workflow.Context) error {
	v := opsView{Process: processDTS, Status: string(d.status), Level: d.task.EscalationLevel, ExchangePoint: d.exchangePoint, Year: d.year}
	var fact string
	switch {
	case d.status != domain.DTSPending:
		fact = "Decided; the citizen is mailed."
	case d.task.ID == "":
		fact = "Computing the supplement and opening the officers' task."
	default:
		v.DueAt = d.task.DueAt
		fact = fmt.Sprintf("Task %s in the %s queue, due %s (escalation level %d).", d.task.ID, d.task.Queue, fmtDue(v.DueAt), v.Level)
	}
	v.Details = details(v.Status, fact)
	return d.ops.show(ctx, v)
}

func (d *dtsReview) state() DTSState {
	return DTSState{Status: d.status, SupplementMAD: d.supplementMAD, TaskID: d.task.ID, TaskState: d.task.State,
		EscalationLevel: d.task.EscalationLevel}
}

func (d *dtsReview) setup(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryDTSState, func() (DTSState, error) { return d.state(), nil }); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateClaimTask, d.task.claim, workflow.UpdateHandlerOptions{
		Validator: func(req ClaimTaskRequest) error { return d.open(d.task.validateClaim(req)) },
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateReleaseTask, d.task.release, workflow.UpdateHandlerOptions{
		Validator: func(req ReleaseTaskRequest) error { return d.open(d.task.validateRelease(req)) },
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateReassignTask, d.task.reassign, workflow.UpdateHandlerOptions{
		Validator: func(req ReassignTaskRequest) error { return d.open(d.task.validateReassign(req)) },
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateCompleteTask, d.complete, workflow.UpdateHandlerOptions{
		Validator: func(req CompleteTaskRequest) error {
			return d.open(d.task.validateComplete(req, []string{domain.OutcomeApprove, domain.OutcomeReject},
				func(o string) bool { return o == domain.OutcomeReject }))
		},
	}); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, UpdateCancelDTS, d.cancel, workflow.UpdateHandlerOptions{
		Validator: func(CancelDTSRequest) error { return d.open(nil) },
	})
}

// open refuses every Update once a decision or cancellation is under way.
func (d *dtsReview) open(err error) error {
	if d.closing || d.closed {
		return refuse(ErrTaskClosed, "the request is %s", d.status)
	}
	return err
}

func (d *dtsReview) run(ctx workflow.Context) (DTSResult, error) {
	var computed contract.ComputeDTSResult
	err := workflow.ExecuteActivity(summarized(dbActivity(ctx), "compute the supplement"), contract.ComputeDTS, d.in.RequestID).Get(ctx, &computed)
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == contract.ErrTypeNoRules {
		// The rules of the year were removed after the request was accepted: refuse it,
		// unless the citizen withdrew it meanwhile.
		if err := workflow.Await(ctx, func() bool { return !d.closing || d.closed }); err != nil {
			return DTSResult{}, err
		}
		if d.closed {
			return d.finish(ctx, nil)
		}
		d.closing = true
		return d.finish(ctx, d.decide(ctx, domain.DTSRejected, 0, "Aucune règle de dotation pour cette année. / لا توجد قواعد مخصصات لهذه السنة.", nil))
	}
	if err != nil {
		return DTSResult{}, err
	}
	d.supplementMAD = computed.SupplementMAD
	d.year, d.exchangePoint = computed.Year, computed.ExchangePointCode

	var created contract.CreateTaskResult
	if err := workflow.ExecuteActivity(summarized(dbActivity(ctx), "open the officers' task"), contract.CreateTask, contract.CreateTaskInput{
		Kind: "dts", SubjectID: d.in.RequestID, WorkflowID: DTSWorkflowID(d.in.RequestID),
		TaskKey: "dts/" + d.in.RequestID + "/review", BusinessDays: d.in.ReviewBusinessDays, DueAfter: d.in.ReviewOverride,
	}).Get(ctx, &created); err != nil {
		return DTSResult{}, err
	}
	d.task = task{ID: created.TaskID, Kind: "dts", State: domain.TaskOpen, Queue: domain.QueueOfficers, DueAt: created.DueAt}
	d.dueSince, d.dueBusiness = created.Since, created.Business
	if err := d.show(ctx); err != nil {
		return DTSResult{}, err
	}
	if d.closing || d.closed {
		// Cancelled while the task was being created: close the task too.
		if err := workflow.Await(ctx, func() bool { return d.closed }); err != nil {
			return DTSResult{}, err
		}
		d.task.State = domain.TaskCancelled
		if err := workflow.ExecuteActivity(dbActivity(ctx), contract.ApplyTaskChange, d.task.change("cancelled", 0, "cancelled")).Get(ctx, nil); err != nil {
			return DTSResult{}, err
		}
		return d.finish(ctx, nil)
	}

	var ok bool
	for {
		ok, err = workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
			Timeout:      d.task.DueAt.Sub(workflow.Now(ctx)),
			TimerOptions: workflow.TimerOptions{Summary: "DTS review escalates to supervisors"},
		}, func() bool { return d.closing || d.closed })
		if err != nil {
			return DTSResult{}, err
		}
		if ok {
			break
		}
		moved, err := d.moveDue(ctx)
		if err != nil {
			return DTSResult{}, err
		}
		if !moved {
			break
		}
	}
	if !ok {
		if err := d.task.escalate(ctx, d.in.RequestID); err != nil {
			return DTSResult{}, err
		}
		if err := d.show(ctx); err != nil {
			return DTSResult{}, err
		}
	}
	if err := workflow.Await(ctx, func() bool { return d.closed }); err != nil {
		return DTSResult{}, err
	}
	return d.finish(ctx, nil)
}

// moveDue counts the review's business time again when its due time comes, with the
// holidays table as it is then: a holiday entered since the task was opened moves the due
// time (the task's too) later, and the escalation waits for it. It tells whether it moved.
func (d *dtsReview) moveDue(ctx workflow.Context) (bool, error) {
	if !d.recomputeDue || d.dueBusiness <= 0 {
		return false, nil
	}
	var res contract.BusinessDeadlineResult
	if err := workflow.ExecuteActivity(summarized(dbActivity(ctx), "check the review's due time against the holidays"),
		contract.BusinessDeadline, contract.BusinessDeadlineInput{Since: d.dueSince, Business: d.dueBusiness}).Get(ctx, &res); err != nil {
		return false, err
	}
	if !res.Due.After(d.task.DueAt) || !res.Due.After(workflow.Now(ctx)) {
		return false, nil
	}
	d.task.DueAt = res.Due
	tc := d.task.change("due_moved", 0, "due-moved")
	tc.DueAt = res.Due
	if err := workflow.ExecuteActivity(dbActivity(ctx), contract.ApplyTaskChange, tc).Get(ctx, nil); err != nil {
		return false, err
	}
	return true, d.show(ctx)
}

// finish mails the decision, waits for the handlers and returns the final status.
func (d *dtsReview) finish(ctx workflow.Context, err error) (DTSResult, error) {
	if err != nil {
		return DTSResult{}, err
	}
	if err := d.show(ctx); err != nil {
		return DTSResult{}, err
	}
	if d.mailOutboxID != 0 {
		err := workflow.ExecuteActivity(summarized(emailActivity(ctx), "mail the decision"), contract.SendEmail, contract.SendEmailInput{OutboxID: d.mailOutboxID}).Get(ctx, nil)
		var appErr *temporal.ApplicationError
		if err != nil && !(errors.As(err, &appErr) && appErr.Type() == contract.ErrTypeEmailRejected) {
			return DTSResult{}, err
		}
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return DTSResult{}, err
	}
	res := DTSResult{Status: d.status}
	if d.status == domain.DTSApproved {
		res.SupplementMAD = d.supplementMAD
	}
	return res, nil
}

// decide applies a decision or cancellation through the DecideDTS activity.
func (d *dtsReview) decide(ctx workflow.Context, status domain.DTSStatus, staffID int64, comment string, change *contract.TaskChangeInput) error {
	var res contract.DecideDTSResult
	if err := workflow.ExecuteActivity(summarized(dbActivity(ctx), "record the request "+string(status)), contract.DecideDTS, contract.DecideDTSInput{
		RequestID: d.in.RequestID, Status: status, StaffID: staffID, Comment: comment, Task: change,
	}).Get(ctx, &res); err != nil {
		return err
	}
	d.status, d.mailOutboxID, d.closed = status, res.OutboxID, true
	return nil
}

func (d *dtsReview) complete(ctx workflow.Context, req CompleteTaskRequest) (TaskResult, error) {
	d.closing = true
	status := domain.DTSRejected
	if req.Outcome == domain.OutcomeApprove {
		status = domain.DTSApproved
	}
	saved := d.task
	d.task.State = domain.TaskDone
	change := d.task.change("completed", req.Actor.StaffID, "completed")
	change.Outcome, change.Comment = req.Outcome, req.Comment
	if err := d.decide(ctx, status, req.Actor.StaffID, req.Comment, &change); err != nil {
		d.closing, d.task = false, saved
		return TaskResult{}, err
	}
	return TaskResult{TaskID: d.task.ID, State: d.task.State, AssigneeID: d.task.Assignee, Outcome: req.Outcome,
		SubjectStatus: string(d.status), SupplementMAD: d.supplementMAD}, nil
}

func (d *dtsReview) cancel(ctx workflow.Context, _ CancelDTSRequest) (DTSState, error) {
	d.closing = true
	saved := d.task
	var change *contract.TaskChangeInput
	if d.task.ID != "" {
		d.task.State, d.task.Assignee = domain.TaskCancelled, 0
		c := d.task.change("cancelled", 0, "cancelled")
		change = &c
	}
	if err := d.decide(ctx, domain.DTSCancelled, 0, "", change); err != nil {
		d.closing, d.task = false, saved
		return d.state(), err
	}
	return d.state(), nil
}
