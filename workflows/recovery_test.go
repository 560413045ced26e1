package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"

	"occonnect/activities/contract"
)

// newRecoveryHarness mocks the recovery's activities: each code lives 15 minutes from the
// workflow time it is issued at; active says whether the account is still active.
func newRecoveryHarness(t *testing.T, active bool) *harness {
	h := newHarness(t, Recovery, time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC))
	n := int64(0)
	h.env.OnActivity(a.IssueRecoveryCode, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.IssueRecoveryCodeInput) (contract.IssueRecoveryCodeResult, error) {
			if !active {
				return contract.IssueRecoveryCodeResult{}, nil
			}
			n++
			return contract.IssueRecoveryCodeResult{ExpiresAt: h.env.Now().Add(15 * time.Minute), OutboxID: 100 + n}, nil
		})
	h.env.OnActivity(a.QueueRecoveryNotice, mock.Anything, mock.Anything).Return(int64(900), nil)
	h.env.OnActivity(a.SendEmail, mock.Anything, mock.Anything).Return(nil)
	return h
}

func (h *harness) signalAt(at time.Duration, name string, arg any) {
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(name, arg) }, at)
}

// TestRecoveryExpires: a request issues a code and sends it; a second request 5 minutes
// later supersedes it (a new code, a new deadline); nothing else comes, and the run ends
// at the second code's deadline, its timer the only one left.
func TestRecoveryExpires(t *testing.T) {
	h := newRecoveryHarness(t, true)
	h.signalAt(0, SignalRecoveryRequested, nil)
	h.signalAt(5*time.Minute, SignalRecoveryRequested, nil)
	res := runToResult[RecoveryResult](h, RecoveryInput{CitizenID: 42})
	assert.Equal(t, RecoveryResult{Issued: 2, Expired: true}, res)
	assert.Equal(t, []contract.SendEmailInput{{OutboxID: 101}, {OutboxID: 102}}, h.emails())
	assert.Equal(t, h.start.Add(20*time.Minute), h.env.Now().UTC(), "ends at the second code's deadline")
	assert.Equal(t, []contract.IssueRecoveryCodeInput{{CitizenID: 42, IssueNo: 1}, {CitizenID: 42, IssueNo: 2}},
		inputs[contract.IssueRecoveryCodeInput](h, a.IssueRecoveryCode))
}

// TestRecoveryUsed: a code used sends the notice of the change and ends the run, at once.
func TestRecoveryUsed(t *testing.T) {
	h := newRecoveryHarness(t, true)
	at := time.Date(2026, 12, 3, 10, 3, 0, 0, time.UTC)
	h.signalAt(0, SignalRecoveryRequested, nil)
	h.signalAt(3*time.Minute, SignalRecoveryUsed, at)
	res := runToResult[RecoveryResult](h, RecoveryInput{CitizenID: 42})
	assert.Equal(t, RecoveryResult{Issued: 1, Used: true}, res)
	assert.Equal(t, []contract.QueueRecoveryNoticeInput{{CitizenID: 42, At: at}}, inputs[contract.QueueRecoveryNoticeInput](h, a.QueueRecoveryNotice))
	assert.Equal(t, []contract.SendEmailInput{{OutboxID: 101}, {OutboxID: 900}}, h.emails())
	assert.Equal(t, h.start.Add(3*time.Minute), h.env.Now().UTC())
}

// TestRecoveryStartedByUse: a run started by the confirmation (the code's run had ended
// meanwhile) only sends the notice; an account no longer active gets no code.
func TestRecoveryStartedByUse(t *testing.T) {
	h := newRecoveryHarness(t, true)
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	h.signalAt(0, SignalRecoveryUsed, at)
	res := runToResult[RecoveryResult](h, RecoveryInput{CitizenID: 42})
	assert.Equal(t, RecoveryResult{Used: true}, res)
	assert.Empty(t, h.callsOf(a.IssueRecoveryCode))

	h = newRecoveryHarness(t, false)
	h.signalAt(0, SignalRecoveryRequested, nil)
	res = runToResult[RecoveryResult](h, RecoveryInput{CitizenID: 42})
	assert.Equal(t, RecoveryResult{Issued: 1}, res)
	assert.Empty(t, h.emails())
}
