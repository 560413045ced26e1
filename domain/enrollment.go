package domain

// EnrollmentStatus is the state of an enrollment as the app and agents see it. The
// enrollment workflow owns the transitions; its activities write them to MySQL.
type EnrollmentStatus string

const (
	// EnrollmentCredentialsPending: enrolled at the exchange point, credentials not issued yet.
	EnrollmentCredentialsPending EnrollmentStatus = "credentials_pending"
	// EnrollmentAwaitingActivation: initial credentials issued (and being mailed).
	EnrollmentAwaitingActivation EnrollmentStatus = "awaiting_activation"
	// EnrollmentPasswordChangeRequired: activated with the initial password; a new one is due.
	EnrollmentPasswordChangeRequired EnrollmentStatus = "password_change_required"
	// EnrollmentCredentialsExpired: the initial password expired; waiting for a re-issue.
	EnrollmentCredentialsExpired EnrollmentStatus = "credentials_expired"
	// EnrollmentActive: the password was changed; the account is active. Final.
	EnrollmentActive EnrollmentStatus = "active"
	// EnrollmentLapsed: no re-issue within the window; the agent must enrol again. Final.
	EnrollmentLapsed EnrollmentStatus = "lapsed"
)

// Final reports whether no further transition can happen.
func (s EnrollmentStatus) Final() bool { return s == EnrollmentActive || s == EnrollmentLapsed }

// Step names of the enrollment timeline (GET /me/enrollment, GET /enrollments/{id}).
const (
	StepEnrolled           = "enrolled"
	StepCredentialsIssued  = "credentials_issued"
	StepCredentialsEmailed = "credentials_emailed"
	StepEmailFailed        = "credentials_email_failed"
	StepCredentialsExpired = "credentials_expired"
	StepActivated          = "activated"
	StepPasswordChanged    = "password_changed"
	StepLapsed             = "lapsed"
)

// CitizenStatus is the state of a citizen's account: pending until the first password
// change, then active.
type CitizenStatus string

// Citizen statuses.
const (
	CitizenPending CitizenStatus = "pending"
	CitizenActive  CitizenStatus = "active"
)
