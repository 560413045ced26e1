package workflows

import (
	"occonnect/activities/contract"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"occonnect/domain"
)

// TestDTS_Reassign: only a supervisor (or the head of unit) reassigns; the assignee must be
// a staff member who works tasks and not already the assignee; the new assignee completes.
func TestDTS_Reassign(t *testing.T) {
	h := newDTSHarness(t, dtsOptions{})
	byOfficer := h.reassign(time.Hour, "by-officer", dtsTestTaskID, dtsOfficer, dtsOfficer2)
	toAgent := h.reassign(time.Hour+time.Minute, "to-agent", dtsTestTaskID, dtsSupervisor, dtsAgent)
	open := h.reassign(time.Hour+2*time.Minute, "open", dtsTestTaskID, dtsSupervisor, dtsOfficer) // an open task: given to 7
	same := h.reassign(time.Hour+3*time.Minute, "same", dtsTestTaskID, dtsSupervisor, dtsOfficer)
	unknown := h.reassign(time.Hour+4*time.Minute, "unknown", "T-other", dtsSupervisor, dtsOfficer2)
	moved := h.reassign(time.Hour+5*time.Minute, "moved", dtsTestTaskID, dtsSupervisor, dtsOfficer2) // a claimed task: to 8
	stale := h.complete(2*time.Hour, "complete-7", dtsOfficer, domain.OutcomeApprove, "")
	done := h.complete(2*time.Hour+time.Minute, "complete-8", dtsOfficer2, domain.OutcomeApprove, "")

	res := h.run(DTSInput{RequestID: dtsTestRequestID})

	assert.Equal(t, domain.DTSApproved, res.Status)
	requireRefused(t, byOfficer, ErrTaskForbidden)
	requireRefused(t, toAgent, ErrInvalidAssignee)
	requireAccepted(t, open)
	assert.Equal(t, TaskResult{TaskID: dtsTestTaskID, State: domain.TaskClaimed, AssigneeID: 7}, resultOf[TaskResult](t, open))
	requireRefused(t, same, ErrInvalidAssignee)
	requireRefused(t, unknown, ErrTaskUnknown)
	requireAccepted(t, moved)
	requireRefused(t, stale, ErrTaskNotAssignee)
	requireAccepted(t, done)
	assert.Equal(t, []contract.TaskChangeInput{
		dtsChange(1, "reassigned", "reassigned", 20, domain.TaskClaimed, domain.QueueOfficers, 0, 7),
		dtsChange(2, "reassigned", "reassigned", 20, domain.TaskClaimed, domain.QueueOfficers, 0, 8),
	}, h.taskChanges())
	decisions := h.decideInputs()
	require.Len(t, decisions, 1)
	assert.Equal(t, int64(8), decisions[0].StaffID)
}

// TestComplaint_Reassign: a supervisor gives the queued complaint to an officer (it becomes
// claimed), then to another one while it waits for the citizen (it keeps waiting); the
// reassignment is audited and mirrored to the task.
func TestComplaint_Reassign(t *testing.T) {
	h := newCplHarness(t, cplOptions{})
	byOfficer := h.reassign(time.Hour, "by-officer", "T1", cplOfficer, cplOfficer2)
	first := h.reassign(2*time.Hour, "first", "T1", cplSupervisor, cplOfficer)
	ask := h.complete(3*time.Hour, "ask", "T1", cplOfficer, domain.OutcomeRequestInfo, 40)
	second := h.reassign(4*time.Hour, "second", "T1", cplHead, cplOfficer2)
	waiting := h.queryAt(4*time.Hour + time.Minute)
	reply := h.reply(5*time.Hour, "reply", 41)
	resolve := h.complete(6*time.Hour, "resolve", "T1", cplOfficer2, domain.OutcomeResolve, 42)

	h.run()

	requireRefused(t, byOfficer, ErrTaskForbidden)
	requireAccepted(t, first)
	assert.Equal(t, TaskResult{TaskID: "T1", State: domain.TaskClaimed, AssigneeID: 7, SubjectStatus: string(domain.ComplaintClaimed)},
		resultOf[TaskResult](t, first))
	requireAccepted(t, ask)
	requireAccepted(t, second)
	assert.Equal(t, string(domain.ComplaintWaitingForCitizen), resultOf[TaskResult](t, second).SubjectStatus)
	st := waiting.get(t)
	assert.Equal(t, int64(8), st.Task.Assignee)
	assert.Equal(t, domain.ComplaintWaitingForCitizen, st.Status)
	requireAccepted(t, reply)
	requireAccepted(t, resolve)

	assert.Equal(t, []string{"reassigned", domain.OutcomeRequestInfo, "reassigned", "citizen_replied", domain.OutcomeResolve, "closed"}, h.actions())
	changes := h.changes()
	assert.Equal(t, domain.ComplaintInQueue, changes[0].FromStatus)
	assert.Equal(t, domain.ComplaintClaimed, changes[0].Snapshot.Status)
	assert.Equal(t, int64(20), changes[0].StaffID)
	assert.Equal(t, cplTaskChange("T1", 1, "reassigned", "reassigned", 20, domain.TaskClaimed, domain.QueueOfficers, 0, 7, ""),
		changes[0].Task)
	assert.Equal(t, domain.ComplaintWaitingForCitizen, changes[2].Snapshot.Status)
	assert.Equal(t, cplTaskChange("T1", 3, "reassigned", "reassigned", 30, domain.TaskClaimed, domain.QueueOfficers, 0, 8, ""),
		changes[2].Task)
}
