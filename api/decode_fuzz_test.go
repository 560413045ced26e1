package api

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"github.com/jmoiron/sqlx"

	"occonnect/domain"
	"occonnect/mail"
	"occonnect/store"
)

// bodyRoute is one operation that reads a JSON body: its handler (without the
// authentication and idempotency wrappers, whose principal is given directly), the
// caller and the path variables.
type bodyRoute struct {
	handler func(s *Server) handlerFunc
	caller  *principal
	vars    map[string]string
	headers map[string]string
}

var (
	fuzzCitizen = &principal{kind: domain.SubjectCitizen, id: 1, scope: domain.ScopeFull}
	fuzzAgent   = &principal{kind: domain.SubjectStaff, id: 2, scope: domain.ScopeFull,
		staff: store.Staff{ID: 2, Email: "agent@fuzz.local", Role: "agent", ExchangePointCode: sql.NullString{String: "EP-0001", Valid: true}}}
	fuzzOfficer    = &principal{kind: domain.SubjectStaff, id: 3, scope: domain.ScopeFull, staff: store.Staff{ID: 3, Email: "officer@fuzz.local", Role: "officer"}}
	fuzzSupervisor = &principal{kind: domain.SubjectStaff, id: 5, scope: domain.ScopeFull, staff: store.Staff{ID: 5, Email: "supervisor@fuzz.local", Role: "supervisor"}}
	fuzzAdmin      = &principal{kind: domain.SubjectStaff, id: 4, scope: domain.ScopeFull, staff: store.Staff{ID: 4, Email: "admin@fuzz.local", Role: "admin"}}
)

// bodyRoutes are the router's operations that take a JSON body; TestBodyRoutesCoverRouter
// keeps the list complete.
var bodyRoutes = map[string]bodyRoute{
	"POST /api/v1/activation":        {handler: func(s *Server) handlerFunc { return s.activate }},
	"POST /api/v1/activation/resend": {handler: func(s *Server) handlerFunc { return s.activationResend }},
	"POST /api/v1/auth/login":        {handler: func(s *Server) handlerFunc { return s.login }},
	"POST /api/v1/staff/login":       {handler: func(s *Server) handlerFunc { return s.staffLogin }},
	"PUT /api/v1/me/password":        {handler: func(s *Server) handlerFunc { return s.changePassword }, caller: fuzzCitizen},
	"POST /api/v1/dts/simulations":   {handler: func(s *Server) handlerFunc { return s.simulateDTS }},
	"POST /api/v1/me/dts-requests":   {handler: func(s *Server) handlerFunc { return s.createDTSRequest }, caller: fuzzCitizen},
	"POST /api/v1/me/complaints":     {handler: func(s *Server) handlerFunc { return s.fileComplaint }, caller: fuzzCitizen},
	"POST /api/v1/me/complaints/{reference}/messages": {handler: func(s *Server) handlerFunc { return s.replyToComplaint },
		caller: fuzzCitizen, vars: map[string]string{"reference": "REC-2026-000001"}},
	"POST /api/v1/me/complaints/{reference}/reopen": {handler: func(s *Server) handlerFunc { return s.reopenComplaint },
		caller: fuzzCitizen, vars: map[string]string{"reference": "REC-2026-000001"}},
	"POST /api/v1/me/complaints/{reference}/feedback": {handler: func(s *Server) handlerFunc { return s.complaintFeedback },
		caller: fuzzCitizen, vars: map[string]string{"reference": "REC-2026-000001"}},
	"POST /api/v1/enrollments": {handler: func(s *Server) handlerFunc { return s.createEnrollment }, caller: fuzzAgent},
	"POST /api/v1/allowance-operations": {handler: func(s *Server) handlerFunc { return s.recordDebit }, caller: fuzzAgent,
		headers: map[string]string{"Idempotency-Key": "fuzz-key-0001"}},
	"POST /api/v1/tasks/{id}/complete": {handler: func(s *Server) handlerFunc { return s.completeTask }, caller: fuzzOfficer,
		vars: map[string]string{"id": "01JTASK0000000000000000000"}},
	"POST /api/v1/tasks/{id}/reassign": {handler: func(s *Server) handlerFunc { return s.reassignTask }, caller: fuzzSupervisor,
		vars: map[string]string{"id": "01JTASK0000000000000000000"}},
	"PUT /api/v1/admin/allowance-rules/{year}": {handler: func(s *Server) handlerFunc { return s.putAllowanceRules }, caller: fuzzAdmin,
		vars: map[string]string{"year": "2099"}},
	"PUT /api/v1/admin/holidays/{year}": {handler: func(s *Server) handlerFunc { return s.putHolidays }, caller: fuzzAdmin,
		vars: map[string]string{"year": "2026"}},
	"POST /api/v1/staff":                 {handler: func(s *Server) handlerFunc { return s.createStaff }, caller: fuzzAdmin},
	"POST /api/v1/admin/exchange-points": {handler: func(s *Server) handlerFunc { return s.createExchangePoint }, caller: fuzzAdmin},
	"PUT /api/v1/admin/exchange-points/{code}": {handler: func(s *Server) handlerFunc { return s.updateExchangePoint }, caller: fuzzAdmin,
		vars: map[string]string{"code": "EP-0001"}},
	"POST /api/v1/admin/faq": {handler: func(s *Server) handlerFunc { return s.adminCreateFAQ }, caller: fuzzAdmin},
	"PUT /api/v1/admin/faq/{id}": {handler: func(s *Server) handlerFunc { return s.adminUpdateFAQ }, caller: fuzzAdmin,
		vars: map[string]string{"id": "1"}},
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
	"POST /api/v1/admin/staff/{id}/disable",
	"POST /api/v1/admin/staff/{id}/enable",
	"POST /api/v1/admin/staff/{id}/reissue-password",
}

// TestBodyRoutesCoverRouter: every operation of the router that may carry a body is
// fuzzed, or listed as reading none.
func TestBodyRoutesCoverRouter(t *testing.T) {
	for r := range routerRoutes(t) {
		method, _, _ := strings.Cut(r, " ")
		if method == http.MethodGet {
			continue
		}
		if _, ok := bodyRoutes[r]; !ok && !slices.Contains(noBodyRoutes, r) {
			t.Errorf("%s is neither in bodyRoutes (decode_fuzz_test.go) nor in noBodyRoutes", r)
		}
	}
}

// errStoreReached is what the fuzzing store answers: the request got past validation.
var errStoreReached = errors.New("the request reached the store")

type reachedKey struct{}

// reachConnector is a database connector that never connects: it records, in the flag
// carried by the request's context, that the handler went on to the database.
type reachConnector struct{}

func (reachConnector) Connect(ctx context.Context) (driver.Conn, error) {
	if flag, ok := ctx.Value(reachedKey{}).(*atomic.Bool); ok {
		flag.Store(true)
	}
	return nil, errStoreReached
}

func (reachConnector) Driver() driver.Driver { return reachDriver{} }

type reachDriver struct{}

func (reachDriver) Open(string) (driver.Conn, error) { return nil, errStoreReached }

type discardMailer struct{}

func (discardMailer) Send(context.Context, string, mail.Message, string) error { return nil }

// FuzzDecodeRequest sends arbitrary bytes as the JSON body of every operation that reads
// one, through the handler itself (decode, then validate), up to the store, which refuses
// to connect. The answer must be a 4xx problem document, or the request must have got past
// validation to the store (or be accepted without it: POST /activation/resend). A panic, a
// 5xx before the store or a 4xx that is not a problem document fails. The seeds in
// testdata/fuzz/FuzzDecodeRequest run with every `go test`; to search for more:
//
//	go test -run '^$' -fuzz FuzzDecodeRequest -fuzztime 30s ./api/
func FuzzDecodeRequest(f *testing.F) {
	db := sqlx.NewDb(sql.OpenDB(reachConnector{}), "mysql")
	f.Cleanup(func() { _ = db.Close() })
	s := New(Deps{Store: store.New(db), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Mailer: discardMailer{},
		Now: func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }})
	names := make([]string, 0, len(bodyRoutes))
	for name := range bodyRoutes {
		names = append(names, name)
	}
	slices.Sort(names)

	f.Fuzz(func(t *testing.T, body []byte) {
		for _, name := range names {
			route := bodyRoutes[name]
			method, path, _ := strings.Cut(name, " ")
			reached := new(atomic.Bool)
			ctx := context.WithValue(context.Background(), reachedKey{}, reached)
			if route.caller != nil {
				ctx = context.WithValue(ctx, ctxPrincipal, route.caller)
			}
			req := httptest.NewRequestWithContext(ctx, method, pathParam.ReplaceAllString(path, "x"), bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			for k, v := range route.headers {
				req.Header.Set(k, v)
			}
			req = mux.SetURLVars(req, route.vars)
			rec := httptest.NewRecorder()
			req.Body = http.MaxBytesReader(rec, req.Body, maxBody)
			s.serve(route.handler(s))(rec, req)
			s.Wait()

			switch status := rec.Code; {
			case status >= 400 && status < 500:
				var p Problem
				if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
					t.Fatalf("%s: %d with Content-Type %q", name, status, ct)
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Code == "" || p.Status != status {
					t.Fatalf("%s: %d with a bad problem document %s (%v)", name, status, rec.Body.Bytes(), err)
				}
				if p.Code == "validation_failed" && len(p.Errors) == 0 {
					t.Fatalf("%s: validation_failed without field errors: %s", name, rec.Body.Bytes())
				}
			case reached.Load():
				// Valid: the handler went on to the store (which failed).
			case status < 300:
				// Accepted without touching the store (the resend runs in the background).
			default:
				t.Fatalf("%s: %d before reaching the store: %s", name, status, rec.Body.Bytes())
			}
		}
	})
}

// TestDecodeJSONStrict: what encoding/json accepts and the document does not is refused.
func TestDecodeJSONStrict(t *testing.T) {
	decode := func(body string, dst any) error {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		return decodeJSON(req, dst)
	}
	for _, tt := range []struct {
		body        string
		code, field string // "" "": accepted
	}{
		{`{"cin":"AB123456","password":"x"}`, "", ""},
		{`{"CIN":"AB123456","password":"x"}`, "unknown_field", "CIN"},
		{`{"cin":"AB123456","Password":"x"}`, "unknown_field", "Password"},
		{`{"cin":"AB1","cin":"AB123456","password":"x"}`, "validation_failed", "cin"},
		{`{"cin":"AB1","CIN":"AB123456"}`, "unknown_field", "CIN"},
		{`{"cin":1}`, "validation_failed", "cin"},
		{`{"cin":"A"} {}`, "malformed_json", ""},
		{`{"is_admin":true}`, "unknown_field", "is_admin"},
	} {
		var req credentialsRequest
		err := decode(tt.body, &req)
		var ae *apiError
		switch {
		case tt.code == "" && err != nil:
			t.Errorf("%s: %v, want accepted", tt.body, err)
		case tt.code == "":
		case !errors.As(err, &ae) || ae.code != tt.code || ae.status != http.StatusBadRequest:
			t.Errorf("%s: %v, want 400 %s", tt.body, err, tt.code)
		case tt.field != "" && (len(ae.fields) != 1 || ae.fields[0].Field != tt.field):
			t.Errorf("%s: fields %v, want %s", tt.body, ae.fields, tt.field)
		}
	}
	// Nested members: the rules of a year and the holidays, and the free keys of a map.
	var rules putRulesBody
	if err := decode(`{"edition":"E","rules":[{"type":"tourism","entitlement_mad":1,"label_fr":"a","label_ar":"b"},{"Type":"x"}]}`, &rules); err == nil ||
		err.(*apiError).code != "unknown_field" || err.(*apiError).fields[0].Field != "rules[1].Type" {
		t.Errorf("nested case mismatch: %v", err)
	}
	var ep exchangePointFields
	if err := decode(`{"hours":{"mon":["09:00-12:00"],"Mon":[]},"lat":1,"lat":2}`, &ep); err == nil ||
		err.(*apiError).code != "validation_failed" || err.(*apiError).fields[0].Field != "lat" {
		t.Errorf("duplicate after a map: %v", err)
	}
	var big putHolidaysBody
	if err := decode(`{"dated":[`+strings.Repeat(`{"date":"2026-01-01","name_fr":"x","name_ar":"y"},`, 2000)+`{}]}`, &big); err == nil ||
		err.(*apiError).code != "payload_too_large" {
		t.Errorf("over 64 KiB without a MaxBytesReader: %v", err)
	}
}
