package web

import (
	"net/http"

	"occonnect/service"
)

// statusOf is the HTTP status of each refusal of the use cases: the one table that maps
// them, for the API and the console (a test checks that every reason has its row).
var statusOf = map[service.Reason]int{
	service.Invalid:                http.StatusBadRequest,
	service.NotFound:               http.StatusNotFound,
	service.Conflict:               http.StatusConflict,
	service.Forbidden:              http.StatusForbidden,
	service.Unauthorized:           http.StatusUnauthorized,
	service.Unavailable:            http.StatusServiceUnavailable,
	service.RateLimited:            http.StatusTooManyRequests,
	service.TemporalUnavailable:    http.StatusServiceUnavailable,
	service.InvalidCredentials:     http.StatusUnauthorized,
	service.AccountLocked:          http.StatusLocked,
	service.CredentialsExpired:     http.StatusUnauthorized,
	service.PasswordChangeRequired: http.StatusForbidden,
	service.AlreadyActive:          http.StatusConflict,
	service.MFARequired:            http.StatusUnauthorized,
	service.InvalidCode:            http.StatusUnauthorized,
	service.InvalidRecoveryCode:    http.StatusBadRequest,
	service.NoRules:                http.StatusUnprocessableEntity,
	service.YearWithoutRules:       http.StatusNotFound,
	service.InsufficientAllowance:  http.StatusConflict,
	service.AccountNotActive:       http.StatusConflict,
	service.DTSRequestExists:       http.StatusConflict,
	service.PastYear:               http.StatusConflict,
	service.BelowUsed:              http.StatusConflict,
	service.IdempotencyKeyReused:   http.StatusUnprocessableEntity,
	service.IdempotencyInProgress:  http.StatusConflict,
	service.NotWaitingForCitizen:   http.StatusConflict,
	service.ReopenWindowClosed:     http.StatusConflict,
	service.FeedbackNotAllowed:     http.StatusConflict,
	service.TaskAlreadyClaimed:     http.StatusConflict,
	service.TaskClosed:             http.StatusConflict,
	service.NotAssignee:            http.StatusForbidden,
}

// Status is the HTTP status of a refusal (500 for a reason without a row).
func Status(r service.Reason) int {
	if s, ok := statusOf[r]; ok {
		return s
	}
	return http.StatusInternalServerError
}
