// Package apitest is the one test server of the HTTP adapters: the JSON API's tests (api)
// and the officer console's (console) run against it. A Server is the whole handler of the
// api process (server.Handler: the API and the console behind the common middleware) over
// real use cases (service.New) on a fresh MariaDB database of the test's own
// (testenv.MySQL), with a settable clock, a recording mailer, a cheap Argon2id hasher and
// a fake Temporal client that mirrors task Updates into the read model.
//
// A test makes a server (New), the staff and citizens it needs (NewStaff, Enroll,
// Session), sends requests (Call, Serve) and reads the answers (Decode, Problem,
// WantProblem). Everything is dropped at the test's cleanup.
package apitest

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/oklog/ulid/v2"

	"occonnect/api"
	"occonnect/domain"
	"occonnect/internal/metrics"
	"occonnect/internal/passhash"
	"occonnect/internal/ratelimit"
	"occonnect/internal/server"
	"occonnect/internal/testenv"
	"occonnect/mail"
	"occonnect/service"
	"occonnect/store"
)

// Start is where the clock starts unless Options.Now says otherwise: Monday 2 March
// 2026, 09:00 UTC (10:00 in Casablanca).
var Start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// Password is the password of every staff member NewStaff creates.
const Password = "apitest-password-2026"

// AgentPoint is the exchange point of the agents NewStaff creates (created with the first
// agent when the database has none of that code).
const AgentPoint = "EP-0001"

// Options configure a Server; the zero value is a server without limits or CORS.
type Options struct {
	// Now is the clock's start (Start when zero).
	Now time.Time
	// NoMailer builds the use cases without a mailer: the staff accounts' use cases then
	// answer unavailable. Mailer still records nothing.
	NoMailer bool
	// RateLimitIP bounds the sign-ins per client address; AccountLimit per login name.
	RateLimitIP, AccountLimit ratelimit.Rate
	TrustedProxies            []netip.Prefix
	CORSOrigins               []string
	// Metrics counts the requests (nil: none).
	Metrics *metrics.HTTP
	// Logger receives the server's logs (discarded when nil).
	Logger *slog.Logger
}

// Server is the api process's handler on a database of its own.
type Server struct {
	Handler  http.Handler
	Services *service.Services
	Store    *store.Store
	DB       *sqlx.DB
	Clock    *Clock
	Temporal *Temporal
	// Mailer records the e-mails the use cases send (staff passwords).
	Mailer *mail.RecordingSender
	Hasher *passhash.Hasher

	passwordHash string // of Password
}

// New starts a server on a fresh database; the test's cleanup waits for the background
// work of the use cases, then drops the database.
func New(t testing.TB, o Options) *Server {
	t.Helper()
	db := testenv.MySQL(t)
	st := store.New(db)
	start := o.Now
	if start.IsZero() {
		start = Start
	}
	clock := &Clock{now: start.UTC()}
	hasher, err := passhash.NewHasher(passhash.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := hasher.Hash(Password)
	if err != nil {
		t.Fatal(err)
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{Store: st, DB: db, Clock: clock, Mailer: &mail.RecordingSender{}, Hasher: hasher, passwordHash: hash}
	s.Temporal = newTemporal(st, clock)
	deps := service.Deps{Store: st, Temporal: s.Temporal, Hasher: hasher, Logger: logger, Now: clock.Now, AccountLimit: o.AccountLimit, AddressLimit: o.RateLimitIP}
	if !o.NoMailer {
		deps.Mailer = s.Mailer
	}
	s.Services = service.New(deps)
	t.Cleanup(s.Services.Wait) // before the database is dropped (cleanups run last first)
	s.Handler = server.Handler(server.Options{Services: s.Services, Logger: logger, Metrics: o.Metrics,
		TrustedProxies: o.TrustedProxies, CORSOrigins: o.CORSOrigins, Now: clock.Now})
	return s
}

// Clock is the server's settable time (the use cases', the rate limits' and the
// console's).
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now is the current time, in UTC.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set puts the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t.UTC()
}

// NewID is an opaque id as the use cases make them (a ULID).
func NewID() string { return ulid.Make().String() }

// Member is a staff member made by NewStaff, with a full session.
type Member struct {
	ID    int64
	Email string
	Role  domain.Role
	// Token is the bearer token of a full session (also the console's cookie value).
	Token string
}

// NewStaff creates an enabled staff member with Password and a full session. An agent
// belongs to AgentPoint.
func (s *Server) NewStaff(t testing.TB, role domain.Role, email string) Member {
	t.Helper()
	ctx := context.Background()
	member := store.Staff{Email: email, Role: role, PasswordHash: s.passwordHash, CreatedAt: s.Clock.Now()}
	if role == domain.RoleAgent {
		s.ExchangePoint(t, AgentPoint)
		member.ExchangePointCode.String, member.ExchangePointCode.Valid = AgentPoint, true
	}
	id, err := s.Store.CreateStaff(ctx, member)
	if err != nil {
		t.Fatalf("create staff %s: %v", email, err)
	}
	return Member{ID: id, Email: email, Role: role, Token: s.Session(t, domain.SubjectStaff, id, domain.ScopeFull)}
}

// ExchangePoint creates an active exchange point of that code in Rabat, unless one exists.
func (s *Server) ExchangePoint(t testing.TB, code string) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Store.ExchangePointByCode(ctx, code); err == nil {
		return
	}
	if err := s.Store.UpsertExchangePoint(ctx, store.ExchangePoint{Code: code, Name: "Rabat Agdal", City: "Rabat",
		Address: "1 av. de France", Lat: 34, Lon: -6.8, Active: true}); err != nil {
		t.Fatal(err)
	}
}

// Session opens a session as the sign-in use cases do (a 256-bit token stored hashed, 12 h
// for a full session, 15 min for a password-change one) and returns its bearer token.
func (s *Server) Session(t testing.TB, kind domain.SubjectKind, id int64, scope domain.SessionScope) string {
	t.Helper()
	token, hash, err := passhash.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	now := s.Clock.Now()
	ttl := service.SessionAbsolute
	if scope != domain.ScopeFull {
		ttl = service.RestrictedSessionTTL
	}
	if err := s.Store.CreateSession(context.Background(), store.Session{TokenHash: hash, SubjectKind: kind, SubjectID: id,
		Scope: scope, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(ttl)}); err != nil {
		t.Fatal(err)
	}
	return token
}

// Enroll records an enrollment as the agent's request does (the citizen pending, the
// enrollment's workflow not started); ID and Now default to a new id and the clock.
func (s *Server) Enroll(t testing.TB, n store.NewEnrollment) store.Enrollment {
	t.Helper()
	ctx := context.Background()
	if n.ID == "" {
		n.ID = NewID()
	}
	if n.Now.IsZero() {
		n.Now = s.Clock.Now()
	}
	res, err := s.Store.Enroll(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	e, err := s.Store.EnrollmentByID(ctx, res.EnrollmentID)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// NewRequest builds a request: a bearer token ("" for none), a JSON body ("" for none;
// else sent as application/json) and headers as name, value pairs (an empty value sets
// nothing).
func NewRequest(token, method, path, body string, headers ...string) *http.Request {
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, path, nil)
	} else {
		r = httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] != "" {
			r.Header.Set(headers[i], headers[i+1])
		}
	}
	return r
}

// Serve sends a request to the handler and returns the answer.
func (s *Server) Serve(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	s.Handler.ServeHTTP(w, r)
	return w
}

// Call sends NewRequest(token, method, path, body, headers...) to the handler.
func (s *Server) Call(token, method, path, body string, headers ...string) *httptest.ResponseRecorder {
	return s.Serve(NewRequest(token, method, path, body, headers...))
}

// Decode reads a JSON answer into a T.
func Decode[T any](t testing.TB, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("%v in the answer (%d): %s", err, w.Code, w.Body)
	}
	return v
}

// Problem reads a problem+json answer (and fails on any other content type).
func Problem(t testing.TB, w *httptest.ResponseRecorder) api.Problem {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("answer %d as %q, want application/problem+json: %s", w.Code, ct, w.Body)
	}
	p := Decode[api.Problem](t, w)
	if p.Status != w.Code {
		t.Errorf("problem status %d in an answer %d", p.Status, w.Code)
	}
	return p
}

// WantProblem fails unless the answer is a problem with that status and code.
func WantProblem(t testing.TB, w *httptest.ResponseRecorder, status int, code string) api.Problem {
	t.Helper()
	p := Problem(t, w)
	if w.Code != status || p.Code != code {
		t.Errorf("answer %d %s, want %d %s: %s", w.Code, p.Code, status, code, w.Body)
	}
	return p
}

// Fields maps a problem's field errors to their codes (empty, never nil).
func Fields(p api.Problem) map[string]string {
	out := map[string]string{}
	for _, f := range p.Errors {
		out[f.Field] = f.Code
	}
	return out
}
