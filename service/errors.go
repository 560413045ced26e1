package service

import (
	"context"
	"database/sql/driver"
	"errors"
	"net"
	"time"

	"github.com/go-sql-driver/mysql"
	"go.temporal.io/api/serviceerror"

	"occonnect/store"
)

// Reason says why a use case refused a request. Its Code is the stable, machine-readable
// code that the adapters show: problem+json's code in the API (which maps each reason to
// an HTTP status in one table), the key of the console's message. Codes are an open set:
// a client must accept codes it does not know.
type Reason int

// The reasons, with their codes.
const (
	_ Reason = iota
	// Invalid: the request's fields are not valid; FieldErrors says which (validation_failed).
	Invalid
	// NotFound: no such resource, or not one the caller may see (not_found).
	NotFound
	// Conflict: the resource's state does not allow it (conflict); Detail may say why.
	Conflict
	// Forbidden: the caller's role or scope may not do this (forbidden).
	Forbidden
	// Unauthorized: no valid session (unauthorized).
	Unauthorized
	// Unavailable: MySQL, Temporal or SMTP cannot be reached; worth a retry (unavailable).
	Unavailable
	// RateLimited: too many attempts; RetryAfter says when to try again (rate_limited).
	RateLimited
	// TemporalUnavailable: the workflow engine cannot be reached, so what needs it
	// (enrolling, activating, tasks) waits; what reads MySQL goes on. Worth a retry after
	// RetryAfter (temporal_unavailable).
	TemporalUnavailable

	// Sign-in and accounts.
	InvalidCredentials     // invalid_credentials: wrong CIN, e-mail or password (never which)
	AccountLocked          // account_locked: too many failures; RetryAfter
	CredentialsExpired     // credentials_expired: the one-time password expired
	PasswordChangeRequired // password_change_required: Token is a password-change session
	AlreadyActive          // already_active: activation of an active account
	MFARequired            // mfa_required: the password is right; Challenge asks for the second factor
	InvalidCode            // invalid_code: a wrong, used or expired second-factor code or challenge
	InvalidRecoveryCode    // invalid_code: a wrong, used, expired or burnt password-recovery code (400)

	// Allowances and the DTS.
	NoRules               // no_rules: no allowance rules for that year (the request cannot be served)
	YearWithoutRules      // no_rules: the year asked for has no rules (nothing to show)
	InsufficientAllowance // insufficient_allowance: RemainingMAD says what is left
	AccountNotActive      // account_not_active: only active accounts are debited
	DTSRequestExists      // dts_request_exists: one pending or approved request a year
	PastYear              // past_year: the rules of a past year are final
	BelowUsed             // below_used: new figures below what was used; FieldErrors
	IdempotencyKeyReused  // idempotency_key_reused: the same key with another request
	IdempotencyInProgress // idempotency_in_progress: the first request with the key runs

	// Complaints and tasks.
	NotWaitingForCitizen // not_waiting_for_citizen: no question is waiting for the citizen
	ReopenWindowClosed   // reopen_window_closed: more than the window after the resolution
	FeedbackNotAllowed   // feedback_not_allowed: once, after the resolution
	TaskAlreadyClaimed   // task_already_claimed: another officer claimed it first
	TaskClosed           // task_closed: completed or cancelled
	NotAssignee          // not_assignee: only the officer who claimed the task

	reasonCount // not a reason: the number of reasons + 1
)

var reasonCodes = [reasonCount]string{
	Invalid: "validation_failed", NotFound: "not_found", Conflict: "conflict", Forbidden: "forbidden",
	Unauthorized: "unauthorized", Unavailable: "unavailable", RateLimited: "rate_limited",
	TemporalUnavailable: "temporal_unavailable",
	InvalidCredentials:  "invalid_credentials", AccountLocked: "account_locked", CredentialsExpired: "credentials_expired",
	PasswordChangeRequired: "password_change_required", AlreadyActive: "already_active",
	MFARequired: "mfa_required", InvalidCode: "invalid_code", InvalidRecoveryCode: "invalid_code",
	NoRules: "no_rules", YearWithoutRules: "no_rules", InsufficientAllowance: "insufficient_allowance",
	AccountNotActive: "account_not_active", DTSRequestExists: "dts_request_exists", PastYear: "past_year",
	BelowUsed: "below_used", IdempotencyKeyReused: "idempotency_key_reused", IdempotencyInProgress: "idempotency_in_progress",
	NotWaitingForCitizen: "not_waiting_for_citizen", ReopenWindowClosed: "reopen_window_closed",
	FeedbackNotAllowed: "feedback_not_allowed", TaskAlreadyClaimed: "task_already_claimed", TaskClosed: "task_closed",
	NotAssignee: "not_assignee",
}

// Reasons lists every reason (for the adapters' tables and their tests).
func Reasons() []Reason {
	out := make([]Reason, 0, reasonCount-1)
	for r := Invalid; r < reasonCount; r++ {
		out = append(out, r)
	}
	return out
}

// Code is the reason's stable code ("" for a value that is no reason).
func (r Reason) Code() string {
	if r <= 0 || r >= reasonCount {
		return ""
	}
	return reasonCodes[r]
}

func (r Reason) String() string { return r.Code() }

// FieldError is one invalid field: its name as the caller sent it (a JSON member, a query
// parameter, "rules[2].entitlement_mad") and a code (required, invalid, too_long, …).
type FieldError struct {
	Field, Code string
}

// Refusal is a use case's answer when the request was understood and is not done. It
// never holds a personal datum: adapters show it to the caller and may log its reason.
type Refusal struct {
	Reason Reason
	// Fields are the invalid fields (Invalid, BelowUsed).
	Fields []FieldError
	// Detail, when set, is a more specific explanation than the reason's own
	// (account_active, staff_email_taken, …): a key of the problems catalog.
	Detail string
	// RetryAfter is when to try again (AccountLocked, RateLimited, Unavailable,
	// TemporalUnavailable).
	RetryAfter time.Duration
	// Token is the password-change session of a PasswordChangeRequired sign-in.
	Token *Token
	// Challenge is what an MFARequired sign-in continues with.
	Challenge *MFAChallenge
	// RemainingMAD is what remains of the allowance (InsufficientAllowance).
	RemainingMAD *int64
	// cause is the error behind the refusal, for errors.Is/As (never shown).
	cause error
}

// Error names the reason and the invalid fields ("validation_failed: email invalid_format").
func (r *Refusal) Error() string {
	msg := r.Reason.Code()
	if r.Detail != "" {
		msg += " (" + r.Detail + ")"
	}
	for i, f := range r.Fields {
		sep := ", "
		if i == 0 {
			sep = ": "
		}
		msg += sep + f.Field + " " + f.Code
	}
	return msg
}

// Unwrap gives the error behind the refusal (a workflow's, a store's), if any.
func (r *Refusal) Unwrap() error { return r.cause }

// refuse makes a refusal with field errors.
func refuse(reason Reason, fields ...FieldError) *Refusal {
	return &Refusal{Reason: reason, Fields: fields}
}

// conflict is a Conflict refusal with a specific detail.
func conflict(detail string) *Refusal { return &Refusal{Reason: Conflict, Detail: detail} }

// invalidField is an Invalid refusal of one field.
func invalidField(field, code string) *Refusal {
	return refuse(Invalid, FieldError{Field: field, Code: code})
}

// fieldErrors collects the invalid fields of a request.
type fieldErrors []FieldError

func (v *fieldErrors) add(field, code string) { *v = append(*v, FieldError{Field: field, Code: code}) }

// err is the Invalid refusal of the fields collected, nil when there are none.
func (v fieldErrors) err() error {
	if len(v) == 0 {
		return nil
	}
	return refuse(Invalid, v...)
}

// Explain gives the refusal an error stands for: a *Refusal as it is, a row that does not
// exist as NotFound, an outage of MySQL or Temporal (or a deadline) as Unavailable. Nil
// means a fault of the back office itself (an adapter answers 500 and logs it).
func Explain(err error) *Refusal {
	var r *Refusal
	switch {
	case err == nil:
		return nil
	case errors.As(err, &r):
		return r
	case errors.Is(err, store.ErrNotFound):
		return &Refusal{Reason: NotFound, cause: err}
	case isUnavailable(err):
		return &Refusal{Reason: Unavailable, RetryAfter: 2 * time.Second, cause: err}
	}
	return nil
}

// isUnavailable tells infrastructure outages (worth a retry) from bugs.
func isUnavailable(err error) bool {
	var netErr net.Error
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	return errors.As(err, &netErr) || errors.As(err, &unavailable) || errors.As(err, &deadline) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) || errors.Is(err, context.DeadlineExceeded)
}
