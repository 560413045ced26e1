// Package workflows holds the durable processes of the back office, one file per workflow,
// and the names (task queue, updates, queries, workflow IDs) that the API and the worker
// share.
package workflows

import "strconv"

// TaskQueue is the task queue of the back-office worker.
const TaskQueue = "occonnect"

// Enrollment workflow names.
const (
	// UpdateActivate: the API verified the initial password against MySQL.
	UpdateActivate = "activate"
	// UpdatePasswordChanged: the API stored a valid new password as pending.
	UpdatePasswordChanged = "password-changed"
	// UpdateResendCredentials: an agent or the citizen asked for new credentials.
	UpdateResendCredentials = "resend-credentials"
	// QueryEnrollmentState answers the workflow's own view (ops; the app reads MySQL).
	QueryEnrollmentState = "state"
)

// ActivateUpdateID is the Update ID of the activation with credentials issue issueNo:
// every request that activates the same issue sends the same ID, so the server runs it
// once and the others wait for its outcome.
func ActivateUpdateID(issueNo int) string { return "activate-" + strconv.Itoa(issueNo) }

// EnrollmentWorkflowID is the workflow ID of an enrollment: an opaque generated id, never
// the CIN.
func EnrollmentWorkflowID(enrollmentID string) string { return "enrollment/" + enrollmentID }

// Officer task names, shared by every workflow that owns tasks (DTS now, complaints later):
// the API routes /tasks/{id}/claim|release|complete to the task's workflow with these.
const (
	UpdateClaimTask    = "claim-task"
	UpdateReleaseTask  = "release-task"
	UpdateCompleteTask = "complete-task"
	// UpdateReassignTask: a supervisor or the head of unit gives the task to a staff member.
	UpdateReassignTask = "reassign-task"
)

// DTS workflow names.
const (
	// UpdateCancelDTS: the citizen withdraws a pending request.
	UpdateCancelDTS = "cancel"
	// QueryDTSState answers the workflow's own view (ops; the app reads MySQL).
	QueryDTSState = "state"
)

// DTSWorkflowID is the workflow ID of a DTS request (an opaque generated id).
func DTSWorkflowID(requestID string) string { return "dts/" + requestID }

// Complaint workflow names (the task Updates above apply too).
const (
	// UpdateCitizenReply: the citizen answered an officer's request for information.
	UpdateCitizenReply = "citizen-reply"
	// UpdateReopen: the citizen reopens a resolved complaint within the window.
	UpdateReopen = "reopen"
	// QueryComplaintState answers the workflow's own view (ops; the app reads MySQL).
	QueryComplaintState = "state"
)

// ComplaintWorkflowID is the workflow ID of a complaint: its public reference (REC-…).
func ComplaintWorkflowID(reference string) string { return "complaint/" + reference }
