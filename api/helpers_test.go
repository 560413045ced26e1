package api_test

import (
	"net/http/httptest"
	"testing"

	"occonnect/domain"
	"occonnect/internal/apitest"
)

// The API's tests run on the adapters' shared test server (internal/apitest), through the
// whole handler of the api process. This file holds the little they share beyond it.

// adminEnv is the shared server with an admin and an officer: the callers of the tests of
// the admin routes (an officer is refused them).
type adminEnv struct {
	*apitest.Server
	admin, officer apitest.Member
}

func newAdminEnv(t *testing.T, o apitest.Options) *adminEnv {
	t.Helper()
	s := apitest.New(t, o)
	return &adminEnv{Server: s, admin: s.NewStaff(t, domain.RoleAdmin, "admin@t.local"), officer: s.NewStaff(t, domain.RoleOfficer, "officer@t.local")}
}

// asAdmin sends a request as the admin.
func (e *adminEnv) asAdmin(method, path, body string, headers ...string) *httptest.ResponseRecorder {
	return e.Call(e.admin.Token, method, path, body, headers...)
}

// problemFields reads a problem's code and field errors.
func problemFields(t *testing.T, w *httptest.ResponseRecorder) (string, map[string]string) {
	t.Helper()
	p := apitest.Problem(t, w)
	return p.Code, apitest.Fields(p)
}
