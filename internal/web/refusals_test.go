package web

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"occonnect/internal/i18n"
	"occonnect/service"
	"occonnect/store"
)

// TestEveryReasonAnswered: every refusal of the use cases has its row in the one table of
// HTTP statuses (a 4xx, or 503 for an outage: never the 500 of a reason without a row) and
// its title and detail in the API's catalog, in every language; the table has no row for a
// value that is no reason.
func TestEveryReasonAnswered(t *testing.T) {
	reasons := service.Reasons()
	if len(reasons) == 0 {
		t.Fatal("no reasons")
	}
	for _, r := range reasons {
		if r.Code() == "" {
			t.Errorf("reason %d has no code", int(r))
			continue
		}
		if _, ok := statusOf[r]; !ok {
			t.Errorf("%s: no row in web.statusOf (it would answer %d)", r.Code(), Status(r))
		}
		if s := Status(r); s != http.StatusServiceUnavailable && (s < 400 || s >= 500) {
			t.Errorf("%s: status %d, want a 4xx (or 503)", r.Code(), s)
		}
		for _, key := range []string{"title." + r.Code(), "detail." + r.Code()} {
			if !i18n.API.Has(key) {
				t.Errorf("%s: no %q in the API catalog (internal/i18n/catalog/api)", r.Code(), key)
			}
		}
	}
	for r := range statusOf {
		if !slices.Contains(reasons, r) {
			t.Errorf("web.statusOf has a row for %d, which is no reason", int(r))
		}
	}
	if got := Status(service.Reason(0)); got != http.StatusInternalServerError {
		t.Errorf("Status of no reason = %d, want 500", got)
	}
}

// detailKey finds the specific details the use cases give their refusals:
// conflict("…") and Detail: "…".
var detailKey = regexp.MustCompile(`(?:conflict\(|Detail:\s*)"([a-z_]+)"`)

// TestRefusalDetailsInCatalog: every specific detail a use case gives a refusal (the key
// the API shows instead of the reason's own detail) is in the API's catalog.
func TestRefusalDetailsInCatalog(t *testing.T) {
	files, err := filepath.Glob("../../service/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("service sources: %v %v", files, err)
	}
	found := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range detailKey.FindAllSubmatch(src, -1) {
			found++
			if key := "detail." + string(m[1]); !i18n.API.Has(key) {
				t.Errorf("%s: no %q in the API catalog", filepath.Base(f), key)
			}
		}
	}
	if found == 0 {
		t.Error("no refusal details found in service/: the pattern is out of date")
	}
}

// TestExplain: the refusal behind an error, as both adapters read it.
func TestExplain(t *testing.T) {
	refusal := &service.Refusal{Reason: service.AccountLocked, RetryAfter: time.Minute}
	for _, tc := range []struct {
		name string
		err  error
		want *service.Refusal // nil: a fault of the back office (500)
	}{
		{"nil", nil, nil},
		{"a refusal", refusal, refusal},
		{"a wrapped refusal", fmt.Errorf("sign in: %w", refusal), refusal},
		{"a row that does not exist", store.ErrNotFound, &service.Refusal{Reason: service.NotFound}},
		{"a wrapped missing row", fmt.Errorf("read the task: %w", store.ErrNotFound), &service.Refusal{Reason: service.NotFound}},
		{"MySQL or Temporal out of reach", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")},
			&service.Refusal{Reason: service.Unavailable}},
		{"a deadline", fmt.Errorf("update: %w", context.DeadlineExceeded), &service.Refusal{Reason: service.Unavailable}},
		{"a bug", errors.New("nil map"), nil},
	} {
		got := service.Explain(tc.err)
		switch {
		case tc.want == nil && got != nil:
			t.Errorf("%s: %+v, want nil", tc.name, got)
		case tc.want == nil:
		case got == nil:
			t.Errorf("%s: nil, want %s", tc.name, tc.want.Reason)
		case tc.want == refusal && got != refusal:
			t.Errorf("%s: %+v, want the refusal itself", tc.name, got)
		case got.Reason != tc.want.Reason:
			t.Errorf("%s: %s, want %s", tc.name, got.Reason, tc.want.Reason)
		case got.Reason == service.NotFound && !errors.Is(got, store.ErrNotFound):
			t.Errorf("%s: the refusal does not unwrap to store.ErrNotFound", tc.name)
		case got.Reason == service.Unavailable && got.RetryAfter <= 0:
			t.Errorf("%s: unavailable without Retry-After", tc.name)
		}
	}
	if got := Status(service.Explain(store.ErrNotFound).Reason); got != http.StatusNotFound {
		t.Errorf("a missing row answers %d, want 404", got)
	}
}
