package workflows

import (
	"strconv"
	"time"

	"go.temporal.io/sdk/workflow"

	"occonnect/activities/contract"
)

// Recovery workflow names. The API reaches the workflow by SignalWithStart: a citizen's
// request, or the confirmation, starts it when none runs.
const (
	// SignalRecoveryRequested: the citizen asked for a code (again: a new code supersedes).
	SignalRecoveryRequested = "recovery-requested"
	// SignalRecoveryUsed: a code set a new password, at the time the signal carries.
	SignalRecoveryUsed = "recovery-used"
)

// RecoveryWorkflowID is the workflow ID of a citizen's password recovery (the internal
// citizen id, never the CIN).
func RecoveryWorkflowID(citizenID int64) string {
	return "recovery/" + strconv.FormatInt(citizenID, 10)
}

// RecoveryInput names the citizen: ids only, as everything a recovery history holds (no
// code, CIN, e-mail or password).
type RecoveryInput struct {
	CitizenID int64
}

// RecoveryResult is how the run ended: codes issued, and used or expired.
type RecoveryResult struct {
	Issued  int
	Used    bool
	Expired bool
}

// Recovery is a citizen's password recovery: each request issues a code (the previous one
// stops working) and e-mails it; the run waits until the last code's deadline, or until a
// code is used, when it e-mails the notice of the change. The code's hash and wrong tries
// live in MySQL (the API checks them); the run holds the deadline.
func Recovery(ctx workflow.Context, in RecoveryInput) (RecoveryResult, error) {
	var res RecoveryResult
	requested := workflow.GetSignalChannel(ctx, SignalRecoveryRequested)
	used := workflow.GetSignalChannel(ctx, SignalRecoveryUsed)
	if err := workflow.UpsertTypedSearchAttributes(ctx, SearchProcess.ValueSet("recovery"), SearchStatus.ValueSet("started")); err != nil {
		return res, err
	}
	var deadline time.Time
	for {
		var at time.Time
		if used.ReceiveAsync(&at) {
			res.Used = true
			return res, recoveryNotice(ctx, in.CitizenID, at)
		}
		if requested.ReceiveAsync(nil) {
			for requested.ReceiveAsync(nil) { // requests already waiting: one code for them
			}
			res.Issued++
			var issued contract.IssueRecoveryCodeResult
			if err := workflow.ExecuteActivity(summarized(dbActivity(ctx), "issue a recovery code"), contract.IssueRecoveryCode,
				contract.IssueRecoveryCodeInput{CitizenID: in.CitizenID, IssueNo: res.Issued}).Get(ctx, &issued); err != nil {
				return res, err
			}
			if issued.OutboxID == 0 {
				return res, workflow.UpsertTypedSearchAttributes(ctx, SearchStatus.ValueSet("not_active"))
			}
			deadline = issued.ExpiresAt
			if err := workflow.UpsertTypedSearchAttributes(ctx, SearchStatus.ValueSet("code_sent"), SearchDueAt.ValueSet(deadline)); err != nil {
				return res, err
			}
			if err := sendEmails(ctx, issued.OutboxID); err != nil {
				return res, err
			}
			continue
		}
		if !deadline.IsZero() && !workflow.Now(ctx).Before(deadline) {
			res.Expired = true
			return res, workflow.UpsertTypedSearchAttributes(ctx, SearchStatus.ValueSet("expired"), SearchDueAt.ValueUnset())
		}
		waitForSignalOr(ctx, deadline, requested, used)
	}
}

// waitForSignalOr blocks until one of the channels has a signal or the deadline passes
// (zero: no deadline); the timer is cancelled when a signal wins.
func waitForSignalOr(ctx workflow.Context, deadline time.Time, chans ...workflow.ReceiveChannel) {
	tctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	sel := workflow.NewSelector(ctx)
	for _, ch := range chans {
		sel.AddReceive(ch, func(workflow.ReceiveChannel, bool) {}) // left in the channel for the loop
	}
	if !deadline.IsZero() {
		sel.AddFuture(workflow.NewTimer(tctx, deadline.Sub(workflow.Now(ctx))), func(workflow.Future) {})
	}
	sel.Select(ctx)
}

// recoveryNotice e-mails the notice of a password changed by recovery at at.
func recoveryNotice(ctx workflow.Context, citizenID int64, at time.Time) error {
	if err := workflow.UpsertTypedSearchAttributes(ctx, SearchStatus.ValueSet("used"), SearchDueAt.ValueUnset()); err != nil {
		return err
	}
	var id int64
	if err := workflow.ExecuteActivity(summarized(dbActivity(ctx), "queue the notice of the change"), contract.QueueRecoveryNotice,
		contract.QueueRecoveryNoticeInput{CitizenID: citizenID, At: at}).Get(ctx, &id); err != nil {
		return err
	}
	return sendEmails(ctx, id)
}
