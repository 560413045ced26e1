// Package scrub removes values that database errors quote (e.g. MySQL's "Duplicate entry
// 'AB123456' for key …") from error messages before they reach a log line or a workflow
// history: such a value can be a CIN, a name or an e-mail address.
package scrub

import (
	"errors"
	"regexp"

	"github.com/go-sql-driver/mysql"
	"go.temporal.io/sdk/temporal"
)

var quoted = regexp.MustCompile(`'[^']*'`)

// Message is err's message with the quoted values of database errors replaced by '…'.
func Message(err error) string {
	if err == nil {
		return ""
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return quoted.ReplaceAllString(err.Error(), "'…'")
	}
	return err.Error()
}

// Error returns err unchanged unless it carries a database error, in which case it returns
// a plain (retryable) error with the scrubbed message. Application errors, which say
// whether to retry, are kept as they are.
func Error(err error) error {
	if err == nil {
		return nil
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return err
	}
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		return err
	}
	return errors.New(Message(err))
}
