package domain

// SubjectKind is who holds a session, or whose failed sign-ins are counted.
type SubjectKind string

// Subject kinds.
const (
	SubjectCitizen SubjectKind = "citizen"
	SubjectStaff   SubjectKind = "staff"
)

// SessionScope is what a session may do.
type SessionScope string

// Session scopes.
const (
	// ScopeFull: every route of the holder's kind and role.
	ScopeFull SessionScope = "full"
	// ScopePasswordChange: only change the password (after a sign-in with a one-time
	// password).
	ScopePasswordChange SessionScope = "password_change"
)
