// Package contract is what a workflow knows of an activity: the name it is registered
// under, its input and result types, and the types of its non-retryable errors. Workflows
// import this package, never package activities, so that no workflow reaches the store,
// sqlx or a database driver: what travels in a payload is made of domain types, opaque ids
// and times. The worker registers the methods of *activities.Activities, whose names are
// these (a test checks that the two lists agree).
package contract

import (
	"time"

	"occonnect/domain"
)

// Activity names: the methods of *activities.Activities, as the worker registers them.
const (
	IssueCredentials      = "IssueCredentials"
	SendEmail             = "SendEmail"
	SetEnrollmentStatus   = "SetEnrollmentStatus"
	ConfirmActivation     = "ConfirmActivation"
	CompleteEnrollment    = "CompleteEnrollment"
	StartComplaintCycle   = "StartComplaintCycle"
	ApplyComplaintChange  = "ApplyComplaintChange"
	ResumeClock           = "ResumeClock"
	NotifyComplaintStaff  = "NotifyComplaintStaff"
	CitizenDeadlines      = "CitizenDeadlines"
	ComputeDTS            = "ComputeDTS"
	CreateTask            = "CreateTask"
	ApplyTaskChange       = "ApplyTaskChange"
	EscalateTask          = "EscalateTask"
	DecideDTS             = "DecideDTS"
	StartMissingWorkflows = "StartMissingWorkflows"
	BusinessDeadline      = "BusinessDeadline"
	ApplyRetention        = "ApplyRetention"
	IssueRecoveryCode     = "IssueRecoveryCode"
	QueueRecoveryNotice   = "QueueRecoveryNotice"
)

// Types of the activities' non-retryable errors (temporal.ApplicationError.Type).
const (
	// ErrTypeEmailRejected: the SMTP server refused the e-mail for good (5xx).
	ErrTypeEmailRejected = "EmailRejected"
	// ErrTypeNotFound: the row the activity works on does not exist.
	ErrTypeNotFound = "NotFound"
	// ErrTypeInvalidState: the row is not in a state the activity can act on.
	ErrTypeInvalidState = "InvalidState"
	// ErrTypeNoRules: no allowance rules for the request's year.
	ErrTypeNoRules = "NoRules"
)

// IssueCredentialsInput names issue IssueNo of an enrollment's initial credentials.
type IssueCredentialsInput struct {
	EnrollmentID string
	IssueNo      int
}

// IssueCredentialsResult says when they expire and which outbox e-mail carries them, and
// the enrollment's exchange point (for the workflow's search attributes).
type IssueCredentialsResult struct {
	ExpiresAt         time.Time
	OutboxID          int64
	ExchangePointCode string
}

// SendEmailInput names a queued e-mail and, optionally, the enrollment step to record once
// it is handed to the SMTP server.
type SendEmailInput struct {
	OutboxID     int64
	EnrollmentID string
	Step         string
	StepKey      string
}

// SetEnrollmentStatusInput moves an enrollment's read model.
type SetEnrollmentStatusInput struct {
	EnrollmentID string
	Status       domain.EnrollmentStatus
	Step         string
	StepKey      string
	// Version orders the workflow's writes (its history length at the write; 0 from a
	// workflow before versions): a write that lands after a later one is ignored.
	Version int64
}

// ConfirmActivationInput names the credential issue that activated the account.
// PasswordWindow, when set, keeps the credentials valid at least that long after the
// activation, for the forced password change.
type ConfirmActivationInput struct {
	EnrollmentID   string
	IssueNo        int
	PasswordWindow time.Duration
	Version        int64 // as SetEnrollmentStatusInput's
}

// ConfirmActivationResult is when the activated credentials expire (zero without a
// PasswordWindow).
type ConfirmActivationResult struct {
	ExpiresAt time.Time
}

// CompleteEnrollmentResult names the queued welcome e-mail.
type CompleteEnrollmentResult struct {
	WelcomeOutboxID int64
}

// StartComplaintCycleInput opens a handling cycle of a complaint at time At (the
// workflow's clock, so that a retry computes the same deadlines).
type StartComplaintCycleInput struct {
	Snapshot                  domain.ComplaintSnapshot
	FromStatus                domain.ComplaintStatus
	Level                     int
	Queue                     domain.Queue
	FirstResponseBusinessDays int
	ResolutionDays            int
	ReminderPercent           int
	FirstResponseOverride     time.Duration // demonstrations only: a plain duration instead of business days
	ResolutionOverride        time.Duration // tests only: a plain duration instead of ResolutionDays
	PublishID                 int64
	Reopen                    bool
	At                        time.Time
	WorkflowID                string
}

// StartComplaintCycleResult gives the task and the deadlines, and the citizen's enrolment
// point (for the workflow's search attributes).
type StartComplaintCycleResult struct {
	TaskID                                  string
	FirstResponseDue, FirstResponseReminder time.Time
	// FirstResponseBusiness is the business time from the cycle's start to
	// FirstResponseDue (0 with the override): BusinessDeadline recomputes the target with
	// the holidays entered since.
	FirstResponseBusiness             time.Duration
	ResolutionDue, ResolutionReminder time.Time
	OutboxID                          int64
	ExchangePointCode                 string
}

// ApplyComplaintChangeInput is one transition decided by the workflow.
type ApplyComplaintChangeInput struct {
	Snapshot   domain.ComplaintSnapshot
	EventKey   string
	Actor      string
	StaffID    int64
	Action     string
	FromStatus domain.ComplaintStatus
	Task       *TaskChangeInput
	PublishID  int64
	Mail       string // info_requested, resolved, rejected, citizen_reminder, closed_unanswered, or ""
	// CloseAt is the date the citizen_reminder e-mail announces: when the complaint closes
	// unanswered.
	CloseAt time.Time
	At      time.Time
}

// ApplyComplaintChangeResult names the citizen's e-mail (0: none).
type ApplyComplaintChangeResult struct {
	OutboxID int64
}

// ResumeClockInput moves a business-time target after a pause.
type ResumeClockInput struct {
	PausedAt, At  time.Time
	Due, Reminder time.Time
}

// ResumeClockResult is the moved target.
type ResumeClockResult struct {
	Due, Reminder time.Time
	// Business is the business time from the resumption to Due.
	Business time.Duration
}

// BusinessDeadlineInput asks for the deadline that lies Business business time after
// Since, with the holidays table as it is now (a complaint's first response target when
// it falls due).
type BusinessDeadlineInput struct {
	Since    time.Time
	Business time.Duration
}

// BusinessDeadlineResult is the deadline.
type BusinessDeadlineResult struct {
	Due time.Time
}

// CitizenDeadlinesInput asks when a complaint waiting for the citizen since PausedAt is
// reminded and closed unanswered: ReminderBusinessDays business days after the pause, then
// CloseBusinessDays business days after the reminder. Override, when set, replaces each
// of the two by that plain duration (demonstrations and tests only).
type CitizenDeadlinesInput struct {
	PausedAt                                time.Time
	ReminderBusinessDays, CloseBusinessDays int
	Override                                time.Duration
}

// CitizenDeadlinesResult is when the citizen is reminded and when the complaint closes.
type CitizenDeadlinesResult struct {
	ReminderAt, CloseAt time.Time
}

// NotifyComplaintStaffInput is a reminder or an escalation notice.
type NotifyComplaintStaffInput struct {
	Reference  string
	Cycle      int
	Kind       string // reminder, escalation
	Target     string // first_response, resolution
	DueAt      time.Time
	Level      int
	AssigneeID int64
}

// NotifyComplaintStaffResult names the queued notices.
type NotifyComplaintStaffResult struct {
	OutboxIDs []int64
}

// ComputeDTSResult is the supplement of a request, with its allowance year and the
// citizen's enrolment point (for the workflow's search attributes).
type ComputeDTSResult struct {
	SupplementMAD     int64
	Year              int
	ExchangePointCode string
}

// CreateTaskInput opens an officer task due BusinessDays business days from now (or, when
// DueAfter is set, that long from now: demonstrations and tests only).
type CreateTaskInput struct {
	Kind         domain.TaskKind
	SubjectID    string
	WorkflowID   string
	TaskKey      string
	BusinessDays int
	DueAfter     time.Duration
}

// CreateTaskResult names the task and its deadline.
type CreateTaskResult struct {
	TaskID string
	DueAt  time.Time
	// DueAt lies Business business time after Since (0 with DueAfter): BusinessDeadline
	// counts it again, with the holidays entered since, when it comes.
	Since    time.Time
	Business time.Duration
}

// TaskChangeInput is a task transition decided by its workflow.
type TaskChangeInput struct {
	TaskID          string
	EventKey        string
	Action          string
	StaffID         int64
	State           domain.TaskState
	Queue           domain.Queue
	EscalationLevel int
	AssigneeStaffID int64
	Version         int
	Outcome         string
	Comment         string
	DueAt           time.Time // a deadline moved (zero: unchanged)
}

// EscalateTaskInput moves a task to the supervisors' queue.
type EscalateTaskInput struct {
	Change    TaskChangeInput
	Kind      domain.TaskKind
	Reference string
	DueAt     time.Time
}

// EscalateTaskResult names the notices queued for the supervisors.
type EscalateTaskResult struct {
	OutboxIDs []int64
}

// DecideDTSInput is a decision (approved, rejected) or a cancellation.
type DecideDTSInput struct {
	RequestID string
	Status    domain.DTSStatus
	StaffID   int64
	Comment   string
	Task      *TaskChangeInput
}

// DecideDTSResult names the citizen's e-mail (0 for a cancellation).
type DecideDTSResult struct {
	OutboxID int64
}

// IssueRecoveryCodeInput is the IssueNo-th code of a citizen's recovery workflow run:
// ids only (the code, CIN and e-mail never enter a history).
type IssueRecoveryCodeInput struct {
	CitizenID int64
	IssueNo   int
}

// IssueRecoveryCodeResult is the code's deadline and its queued e-mail (OutboxID 0: the
// account is no longer active, nothing was issued).
type IssueRecoveryCodeResult struct {
	ExpiresAt time.Time
	OutboxID  int64
}

// QueueRecoveryNoticeInput is the notice of a password changed by recovery at At.
type QueueRecoveryNoticeInput struct {
	CitizenID int64
	At        time.Time
}

// ScheduledRunHeartbeat is the heartbeat timeout of the scheduled runs (Reconcile,
// Retention): their activity heartbeats four times as often while it works.
const ScheduledRunHeartbeat = 20 * time.Second

// ReconcileInput is the reconciler's run: the rows recorded more than OlderThan ago
// without a started workflow get one (younger ones may still be starting).
type ReconcileInput struct {
	OlderThan time.Duration
}

// ReconcileResult counts what a reconciler run did (ids only in the logs, never here).
type ReconcileResult struct {
	Complaints  int // complaints whose workflow it started (or found started)
	DTSRequests int // DTS requests whose workflow it started (or found started)
	Failed      int // rows whose start failed: the next run tries them again
}

// RetentionInput is how long the nightly retention run keeps each kind of data (zero: for
// ever), as configured (OCC_RETENTION_*).
type RetentionInput struct {
	Sessions, Idempotency, OutboxBodies time.Duration
	LapsedCitizens, ClosedTexts         time.Duration
}

// RetentionResult counts what a retention run deleted or erased, and names the next year
// when it has no allowance rules yet (checked from 1 December).
type RetentionResult struct {
	Sessions, IdempotencyKeys, AuthFailures, RateLimitBuckets int64
	OutboxBodies, LapsedCitizens, ComplaintTexts              int64
	RulesMissingYear                                          int
}
