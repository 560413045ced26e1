package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"occonnect/api"
	"occonnect/domain"
	"occonnect/internal/apitest"
	"occonnect/store"
)

// bodyRoute is one operation that reads a JSON body: the role of its caller ("" for none,
// "citizen" for a citizen), the path it is called on (its variables filled in) and whether
// it wants an Idempotency-Key (a new one each time, so that the handler runs every time).
type bodyRoute struct {
	caller      domain.Role
	path        string
	idempotency bool
}

const citizen domain.Role = "citizen"

// bodyRoutes are the router's operations that take a JSON body; TestBodyRoutesCoverRouter
// keeps the list complete.
var bodyRoutes = map[string]bodyRoute{
	"POST /api/v1/activation":                         {path: "/api/v1/activation"},
	"POST /api/v1/activation/resend":                  {path: "/api/v1/activation/resend"},
	"POST /api/v1/auth/login":                         {path: "/api/v1/auth/login"},
	"POST /api/v1/staff/login":                        {path: "/api/v1/staff/login"},
	"POST /api/v1/staff/login/mfa":                    {path: "/api/v1/staff/login/mfa"},
	"POST /api/v1/auth/recovery":                      {path: "/api/v1/auth/recovery"},
	"POST /api/v1/admin/citizens/data-export":         {path: "/api/v1/admin/citizens/data-export"},
	"POST /api/v1/auth/recovery/confirm":              {path: "/api/v1/auth/recovery/confirm"},
	"PUT /api/v1/me/password":                         {caller: citizen, path: "/api/v1/me/password"},
	"PATCH /api/v1/me":                                {caller: citizen, path: "/api/v1/me"},
	"POST /api/v1/dts/simulations":                    {path: "/api/v1/dts/simulations"},
	"POST /api/v1/me/dts-requests":                    {caller: citizen, path: "/api/v1/me/dts-requests"},
	"POST /api/v1/me/complaints":                      {caller: citizen, path: "/api/v1/me/complaints"},
	"POST /api/v1/me/complaints/{reference}/messages": {caller: citizen, path: "/api/v1/me/complaints/REC-2026-000001/messages"},
	"POST /api/v1/me/complaints/{reference}/reopen":   {caller: citizen, path: "/api/v1/me/complaints/REC-2026-000001/reopen"},
	"POST /api/v1/me/complaints/{reference}/feedback": {caller: citizen, path: "/api/v1/me/complaints/REC-2026-000001/feedback"},
	"POST /api/v1/enrollments":                        {caller: domain.RoleAgent, path: "/api/v1/enrollments"},
	"PATCH /api/v1/enrollments/{enrollment_id}":       {caller: domain.RoleAgent, path: "/api/v1/enrollments/01J00000000000000000000000"},
	"POST /api/v1/allowance-operations":               {caller: domain.RoleAgent, path: "/api/v1/allowance-operations", idempotency: true},
	"POST /api/v1/tasks/{id}/complete":                {caller: domain.RoleOfficer, path: "/api/v1/tasks/01JTASK0000000000000000000/complete"},
	"POST /api/v1/tasks/{id}/reassign":                {caller: domain.RoleSupervisor, path: "/api/v1/tasks/01JTASK0000000000000000000/reassign"},
	"PUT /api/v1/admin/allowance-rules/{year}":        {caller: domain.RoleAdmin, path: "/api/v1/admin/allowance-rules/2099"},
	"PUT /api/v1/admin/holidays/{year}":               {caller: domain.RoleAdmin, path: "/api/v1/admin/holidays/2026"},
	"POST /api/v1/staff":                              {caller: domain.RoleAdmin, path: "/api/v1/staff"},
	"POST /api/v1/admin/exchange-points":              {caller: domain.RoleAdmin, path: "/api/v1/admin/exchange-points"},
	"PUT /api/v1/admin/exchange-points/{code}":        {caller: domain.RoleAdmin, path: "/api/v1/admin/exchange-points/EP-0001"},
	"POST /api/v1/admin/faq":                          {caller: domain.RoleAdmin, path: "/api/v1/admin/faq"},
	"PUT /api/v1/admin/faq/{id}":                      {caller: domain.RoleAdmin, path: "/api/v1/admin/faq/1"},
}

// noBodyRoutes are the POST, PUT and DELETE operations that read no body.
var noBodyRoutes = []string{
	"POST /api/v1/auth/logout",
	"POST /api/v1/me/dts-requests/{id}/cancel",
	"POST /api/v1/enrollments/{enrollment_id}/resend",
	"POST /api/v1/tasks/{id}/claim",
	"POST /api/v1/tasks/{id}/release",
	"POST /api/v1/admin/exchange-points/{code}/deactivate",
	"POST /api/v1/admin/exchange-points/{code}/activate",
	"DELETE /api/v1/admin/faq/{id}",
	"DELETE /api/v1/me/sessions",
	"DELETE /api/v1/me/sessions/{id}",
	"POST /api/v1/admin/staff/{id}/disable",
	"POST /api/v1/admin/staff/{id}/enable",
	"POST /api/v1/admin/staff/{id}/reissue-password",
	"POST /api/v1/admin/staff/{id}/unlock",
	"POST /api/v1/admin/staff/{id}/mfa/reset",
}

// TestBodyRoutesCoverRouter: every operation of the router that may carry a body is
// fuzzed, or listed as reading none.
func TestBodyRoutesCoverRouter(t *testing.T) {
	for r := range api.RouterRoutes(t) {
		method, _, _ := strings.Cut(r, " ")
		if method == http.MethodGet {
			continue
		}
		if _, ok := bodyRoutes[r]; !ok && !slices.Contains(noBodyRoutes, r) {
			t.Errorf("%s is neither in bodyRoutes (decode_fuzz_test.go) nor in noBodyRoutes", r)
		}
	}
}

// FuzzDecodeRequest sends arbitrary bytes as the JSON body of every operation that reads
// one, through the whole handler on the shared test server (real MariaDB, a caller of the
// route's role): authentication, Idempotency-Key, decoding, validation and the use case.
// No body may make a handler panic or answer 5xx: the answer must be a 4xx problem
// document (validation_failed with its field errors), or the route's success (a 2xx, JSON
// or empty). The seeds in testdata/fuzz/FuzzDecodeRequest run with every `go test`; to
// search for more:
//
//	go test -run '^$' -fuzz FuzzDecodeRequest -fuzztime 30s ./api/
func FuzzDecodeRequest(f *testing.F) {
	s := apitest.New(f, apitest.Options{Now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)})
	agent := s.NewStaff(f, domain.RoleAgent, "agent@fuzz.local")
	tokens := map[domain.Role]string{domain.RoleAgent: agent.Token}
	for _, role := range []domain.Role{domain.RoleOfficer, domain.RoleSupervisor, domain.RoleAdmin} {
		tokens[role] = s.NewStaff(f, role, string(role)+"@fuzz.local").Token
	}
	e := s.Enroll(f, store.NewEnrollment{CIN: "AB123456", FirstName: "Fuzz", LastName: "Test", Email: "citizen@fuzz.local",
		BirthDate: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), Language: "fr", AgentStaffID: agent.ID, ExchangePointCode: apitest.AgentPoint})
	tokens[citizen] = s.Session(f, domain.SubjectCitizen, e.CitizenID, domain.ScopeFull)
	names := make([]string, 0, len(bodyRoutes))
	for name := range bodyRoutes {
		names = append(names, name)
	}
	slices.Sort(names)
	var keys atomic.Int64

	f.Fuzz(func(t *testing.T, body []byte) {
		for _, name := range names {
			route := bodyRoutes[name]
			method, _, _ := strings.Cut(name, " ")
			req := apitest.NewRequest(tokens[route.caller], method, route.path, string(body))
			req.Header.Set("Content-Type", "application/json") // also for an empty body
			if route.idempotency {
				req.Header.Set("Idempotency-Key", fmt.Sprintf("fuzz-key-%d", keys.Add(1)))
			}
			w := s.Serve(req)
			s.Services.Wait()

			switch status := w.Code; {
			case status >= 400 && status < 500:
				p := apitest.Problem(t, w)
				if p.Code == "" {
					t.Fatalf("%s: %d without a code: %s", name, status, w.Body)
				}
				if p.Code == "validation_failed" && len(p.Errors) == 0 {
					t.Fatalf("%s: validation_failed without field errors: %s", name, w.Body)
				}
			case status == http.StatusNoContent && w.Body.Len() == 0:
			case status >= 200 && status < 300 && w.Header().Get("Content-Type") == "application/json":
				// The route's success.
			default:
				t.Fatalf("%s: %d %s: %s", name, status, w.Header().Get("Content-Type"), w.Body)
			}
		}
	})
}
