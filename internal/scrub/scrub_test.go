package scrub

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"go.temporal.io/sdk/temporal"
)

func TestScrub(t *testing.T) {
	dup := fmt.Errorf("insert citizen: %w", &mysql.MySQLError{Number: 1062, Message: "Duplicate entry 'AB123456' for key 'citizens_cin'"})
	if m := Message(dup); strings.Contains(m, "AB123456") || !strings.Contains(m, "insert citizen") || !strings.Contains(m, "1062") {
		t.Fatalf("Message = %q", m)
	}
	if e := Error(dup); strings.Contains(e.Error(), "AB123456") {
		t.Fatalf("Error = %q", e)
	}
	plain := errors.New("connection refused to 'host'")
	if Error(plain) != plain || Message(plain) != plain.Error() {
		t.Fatal("a non-database error must be kept")
	}
	app := temporal.NewNonRetryableApplicationError("not found", "NotFound", nil)
	if Error(app) != app {
		t.Fatal("an application error must be kept")
	}
	if Error(nil) != nil || Message(nil) != "" {
		t.Fatal("nil")
	}
}
