package console

// For the external tests (package console_test): the cookies, the CSRF token of a session
// and the SLA states the task rows show.
const (
	SessionCookie = sessionCookie
	LoginCookie   = loginCookie
	SLAOnTime     = slaOnTime
	SLADueSoon    = slaDueSoon
	SLAOverdue    = slaOverdue
	SLAPaused     = slaPaused
)

var CSRFToken = csrfToken
