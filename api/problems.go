package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"occonnect/internal/i18n"
	"occonnect/internal/web"
	"occonnect/service"
)

// Problem is an RFC 9457 problem+json document. Code is an open set: clients must accept
// codes they do not know.
type Problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Code      string       `json:"code"`
	Errors    []FieldError `json:"errors,omitempty"`
	RequestID string       `json:"request_id,omitempty"`
	// Token and ExpiresAt: the restricted token of a 403 password_change_required.
	Token     string     `json:"token,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// RemainingMAD: what remains of the allowance, with insufficient_allowance.
	RemainingMAD *int64 `json:"remaining_mad,omitempty"`
	// Challenge (with ExpiresAt) continues a staff sign-in answered 401 mfa_required at
	// POST /staff/login/mfa; Enrolment, the first time, is the second factor to set up.
	Challenge string         `json:"challenge,omitempty"`
	Enrolment *enrolmentJSON `json:"enrolment,omitempty"`
}

// enrolmentJSON is a TOTP secret to add to an authenticator app: as text, as its
// otpauth:// URI, and as its QR code (a PNG, base64).
type enrolmentJSON struct {
	Secret     string `json:"secret"`
	OTPAuthURI string `json:"otpauth_uri"`
	QRPNG      []byte `json:"qr_png"`
}

// FieldError is one invalid field.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// httpError is a problem of the HTTP layer itself, before any use case runs (a body that
// is not JSON, an unknown route) or after (an internal error).
type httpError struct {
	status int
	code   string
	fields []service.FieldError
}

func (e *httpError) Error() string { return e.code }

func problem(status int, code string, fields ...service.FieldError) *httpError {
	return &httpError{status: status, code: code, fields: fields}
}

func fieldErr(field, code string) service.FieldError {
	return service.FieldError{Field: field, Code: code}
}

// answer is what a problem document is made of.
type answer struct {
	status     int
	code       string
	detail     string // a more specific detail key than the code's own
	fields     []service.FieldError
	retryAfter time.Duration
	token      *service.Token
	remaining  *int64
	challenge  *service.MFAChallenge
}

// answerOf turns an error into its answer; ok is false for an unexpected error (500).
func answerOf(err error) (answer, bool) {
	var he *httpError
	if errors.As(err, &he) {
		return answer{status: he.status, code: he.code, fields: he.fields}, true
	}
	r := service.Explain(err)
	if r == nil {
		return answer{status: http.StatusInternalServerError, code: "internal"}, false
	}
	return answer{status: web.Status(r.Reason), code: r.Reason.Code(), detail: r.Detail, fields: r.Fields, retryAfter: r.RetryAfter,
		token: r.Token, remaining: r.RemainingMAD, challenge: r.Challenge}, true
}

// writeError answers an error as problem+json: a refusal with its status, an unexpected
// error as 500 (logged, scrubbed). A request whose client went away gets nothing.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	writeError(a.log, w, r, err)
}

func writeError(log *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the client went away
	}
	ans, ok := answerOf(err)
	if !ok {
		log.ErrorContext(r.Context(), "request failed", "request_id", web.RequestID(r.Context()), "error", scrubbed(err))
	} else if ans.code == "rate_limited" {
		log.InfoContext(r.Context(), "rate limited", "request_id", web.RequestID(r.Context()))
	}
	write(w, r, ans)
}

// writeProblem writes an HTTP-level problem.
func writeProblem(w http.ResponseWriter, r *http.Request, e *httpError) {
	write(w, r, answer{status: e.status, code: e.code, fields: e.fields})
}

// WriteInternal answers 500 internal (a handler panicked).
func WriteInternal(w http.ResponseWriter, r *http.Request) {
	writeProblem(w, r, problem(http.StatusInternalServerError, "internal"))
}

func write(w http.ResponseWriter, r *http.Request, ans answer) {
	l := web.Lang(r)
	p := Problem{
		Type:      "https://occonnect.oc.gov.ma/problems/" + strings.ReplaceAll(ans.code, "_", "-"),
		Title:     i18n.API.Text(l, "title."+ans.code),
		Status:    ans.status,
		Detail:    i18n.API.Text(l, "detail."+ans.code),
		Code:      ans.code,
		RequestID: web.RequestID(r.Context()),
	}
	if ans.detail != "" {
		p.Detail = i18n.API.Text(l, "detail."+ans.detail)
	}
	p.RemainingMAD = ans.remaining
	if ans.token != nil {
		p.Token, p.ExpiresAt = ans.token.Token, &ans.token.ExpiresAt
	}
	if c := ans.challenge; c != nil {
		p.Challenge, p.ExpiresAt = c.Challenge, &c.ExpiresAt
		if e := c.Enrolment; e != nil {
			p.Enrolment = &enrolmentJSON{Secret: e.Secret, OTPAuthURI: e.URI, QRPNG: e.QRPNG}
		}
	}
	for _, f := range ans.fields {
		p.Errors = append(p.Errors, FieldError{Field: f.Field, Code: f.Code, Message: i18n.API.Text(l, "field."+f.Code)})
	}
	if ans.retryAfter > 0 {
		secs := int(ans.retryAfter.Round(time.Second) / time.Second)
		if secs < 1 {
			secs = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Content-Language", l)
	w.WriteHeader(ans.status)
	_ = json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
