// Package api is the HTTP API of the back office (gorilla/mux): a thin translation that
// decodes and validates, authorizes, calls the store or the Temporal client, and encodes.
// Errors are RFC 9457 problem+json with stable codes, in French, Arabic or English.
package api

import (
	"context"
	"database/sql/driver"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/gorilla/mux"
	"github.com/oklog/ulid/v2"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"occonnect/internal/metrics"
	"occonnect/internal/passhash"
	"occonnect/mail"
	"occonnect/store"
	"occonnect/workflows"
)

// Deps are the collaborators of the API.
type Deps struct {
	Store    *store.Store
	Temporal client.Client
	Hasher   *passhash.Hasher
	Logger   *slog.Logger
	Now      func() time.Time
	// ReissueWindow is passed to new enrollment workflows.
	ReissueWindow time.Duration
	// Complaints are the service levels given to new complaint workflows (zero: defaults).
	Complaints workflows.ComplaintConfig
	// Mailer sends the staff's one-time passwords (admin endpoints); nil in tests that do
	// not create staff.
	Mailer mail.Sender
	// CredentialTTL is the validity of a staff member's one-time password.
	CredentialTTL time.Duration
	// RateLimitIP and RateLimitAccount bound the sign-in attempts (activation, its resend,
	// citizen and staff login) per client address and per login name; zero: no limit.
	RateLimitIP, RateLimitAccount RateLimit
	// TrustedProxies are the peers whose X-Forwarded-For and X-Forwarded-Proto are believed.
	TrustedProxies []netip.Prefix
	// CORSOrigins are the exact origins a browser may call the API from; none by default.
	CORSOrigins []string
	// Metrics counts the requests by route template and status (nil: none).
	Metrics *metrics.HTTP
	// PublicURL is the base URL clients reach the API at, the server the OpenAPI document
	// at /api/v1/openapi.yaml lists (empty: the file's own, http://127.0.0.1:8080).
	PublicURL string
}

// Server holds the handlers.
type Server struct {
	store         *store.Store
	temporal      client.Client
	hasher        *passhash.Hasher
	log           *slog.Logger
	now           func() time.Time
	reissueWindow time.Duration
	complaints    workflows.ComplaintConfig
	mailer        mail.Sender
	credentialTTL time.Duration
	background    sync.WaitGroup // asynchronous work started by handlers
	metrics       *metrics.HTTP  // nil: none

	ipLimiter, accountLimiter *keyedLimiter // nil: no limit
	trustedProxies            []netip.Prefix
	corsOrigins               map[string]bool
	openAPI                   []byte // the document served, with Deps.PublicURL as its server
}

// New builds a Server.
func New(d Deps) *Server {
	s := &Server{store: d.Store, temporal: d.Temporal, hasher: d.Hasher, log: d.Logger, now: d.Now, reissueWindow: d.ReissueWindow,
		complaints: d.Complaints, mailer: d.Mailer, credentialTTL: d.CredentialTTL}
	if s.credentialTTL <= 0 {
		s.credentialTTL = 24 * time.Hour
	}
	s.complaints.Defaults()
	s.ipLimiter, s.accountLimiter = newKeyedLimiter(d.RateLimitIP, maxLimiterKeys), newKeyedLimiter(d.RateLimitAccount, maxLimiterKeys)
	s.trustedProxies = d.TrustedProxies
	s.metrics = d.Metrics
	s.openAPI = mustOpenAPIFor(d.PublicURL)
	if len(d.CORSOrigins) > 0 {
		s.corsOrigins = map[string]bool{}
		for _, o := range d.CORSOrigins {
			s.corsOrigins[o] = true
		}
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}

// Wait blocks until the background work started by handlers is done (graceful shutdown).
func (s *Server) Wait() { s.background.Wait() }

func (s *Server) clock() time.Time { return s.now().UTC() }

// Handler is the whole API with its middleware, and the officer console at /console (not
// in Router(): the OpenAPI document describes the JSON API only).
func (s *Server) Handler() http.Handler { return s.common(s.Routes()) }

// Routes is Router() with the console: every route the API process serves.
func (s *Server) Routes() *mux.Router {
	r := s.Router()
	s.mountConsole(r)
	return r
}

// Router maps every route. The OpenAPI document must list exactly these (see the test).
func (s *Server) Router() *mux.Router {
	// SkipClean: a path with "..", "//" or an encoded "/" is not redirected (301) to its
	// cleaned form, which would be a non-problem answer and turn a POST into a GET; it
	// matches no route (404).
	r := mux.NewRouter().SkipClean(true)
	r.Use(captureRoute)
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, problem(http.StatusNotFound, "not_found"))
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, problem(http.StatusMethodNotAllowed, "method_not_allowed"))
	})

	r.HandleFunc("/healthz", s.healthz).Methods(http.MethodGet)
	r.HandleFunc("/readyz", s.readyz).Methods(http.MethodGet)

	v1 := prefixed{r, "/api/v1"}
	v1.HandleFunc("/openapi.yaml", s.serveOpenAPI).Methods(http.MethodGet)

	// Citizens.
	v1.Handle("/activation", s.serve(s.limitIP(s.activate))).Methods(http.MethodPost)
	v1.Handle("/activation/resend", s.serve(s.limitIP(s.activationResend))).Methods(http.MethodPost)
	v1.Handle("/auth/login", s.serve(s.limitIP(s.login))).Methods(http.MethodPost)
	v1.Handle("/auth/logout", s.authed(anyone(true), s.logout)).Methods(http.MethodPost)
	v1.Handle("/me", s.authed(citizens(), s.me)).Methods(http.MethodGet)
	v1.Handle("/me/password", s.authed(anyone(true), s.changePassword)).Methods(http.MethodPut)
	v1.Handle("/me/enrollment", s.polled(s.myEnrollment)).Methods(http.MethodGet)

	// Allowances and DTS (citizens).
	v1.Handle("/me/allowances", s.polled(s.myAllowances)).Methods(http.MethodGet)
	v1.Handle("/me/allowances/operations", s.authed(citizens(), s.myOperations)).Methods(http.MethodGet)
	v1.Handle("/dts/simulations", s.serve(s.simulateDTS)).Methods(http.MethodPost)
	v1.Handle("/me/dts-requests", s.authed(citizens(), s.idempotent(s.createDTSRequest))).Methods(http.MethodPost)
	v1.Handle("/me/dts-requests", s.authed(citizens(), s.myDTSRequests)).Methods(http.MethodGet)
	v1.Handle("/me/dts-requests/{id}", s.authed(citizens(), s.myDTSRequest)).Methods(http.MethodGet)
	v1.Handle("/me/dts-requests/{id}/cancel", s.authed(citizens(), s.cancelDTSRequest)).Methods(http.MethodPost)

	// Exchange points (public; /nearest before /{code}).
	v1.Handle("/exchange-points", s.serve(s.listExchangePoints)).Methods(http.MethodGet)
	v1.Handle("/exchange-points/nearest", s.serve(s.nearestExchangePoints)).Methods(http.MethodGet)
	v1.Handle("/exchange-points/{code}", s.serve(s.getExchangePoint)).Methods(http.MethodGet)

	// FAQ (public).
	v1.Handle("/faq", s.serve(s.faq)).Methods(http.MethodGet)

	// Complaints (citizens).
	v1.Handle("/me/complaints", s.authed(citizens(), s.idempotent(s.fileComplaint))).Methods(http.MethodPost)
	v1.Handle("/me/complaints", s.authed(citizens(), s.myComplaints)).Methods(http.MethodGet)
	v1.Handle("/me/complaints/{reference}", s.authed(citizens(), s.myComplaint)).Methods(http.MethodGet)
	v1.Handle("/me/complaints/{reference}/messages", s.authed(citizens(), s.replyToComplaint)).Methods(http.MethodPost)
	v1.Handle("/me/complaints/{reference}/reopen", s.authed(citizens(), s.reopenComplaint)).Methods(http.MethodPost)
	v1.Handle("/me/complaints/{reference}/feedback", s.authed(citizens(), s.complaintFeedback)).Methods(http.MethodPost)

	// Staff.
	v1.Handle("/staff/login", s.serve(s.limitIP(s.staffLogin))).Methods(http.MethodPost)
	v1.Handle("/enrollments", s.authed(staff("agent"), s.idempotent(s.createEnrollment))).Methods(http.MethodPost)
	v1.Handle("/enrollments/{enrollment_id}", s.authed(staff("agent", "admin"), s.getEnrollment)).Methods(http.MethodGet)
	v1.Handle("/enrollments/{enrollment_id}/resend", s.authed(staff("agent"), s.resendEnrollment)).Methods(http.MethodPost)
	v1.Handle("/allowance-operations", s.authed(staff("agent"), s.idempotent(s.recordDebit))).Methods(http.MethodPost)
	v1.Handle("/dts-requests", s.authed(staff("officer", "supervisor", "head_of_unit"), s.staffDTSRequests)).Methods(http.MethodGet)
	v1.Handle("/tasks", s.authed(staff("officer", "supervisor", "head_of_unit"), s.listTasks)).Methods(http.MethodGet)
	v1.Handle("/tasks/{id}", s.authed(staff("officer", "supervisor", "head_of_unit"), s.getTask)).Methods(http.MethodGet)
	v1.Handle("/tasks/{id}/claim", s.authed(staff("officer", "supervisor", "head_of_unit"), s.claimTask)).Methods(http.MethodPost)
	v1.Handle("/tasks/{id}/release", s.authed(staff("officer", "supervisor", "head_of_unit"), s.releaseTask)).Methods(http.MethodPost)
	v1.Handle("/tasks/{id}/complete", s.authed(staff("officer", "supervisor", "head_of_unit"), s.completeTask)).Methods(http.MethodPost)
	v1.Handle("/tasks/{id}/reassign", s.authed(staff("supervisor", "head_of_unit"), s.reassignTask)).Methods(http.MethodPost)
	v1.Handle("/admin/allowance-rules/{year}", s.authed(staff("admin"), s.getAllowanceRules)).Methods(http.MethodGet)
	v1.Handle("/admin/allowance-rules/{year}", s.authed(staff("admin"), s.putAllowanceRules)).Methods(http.MethodPut)
	v1.Handle("/admin/holidays/{year}", s.authed(staff("admin"), s.getHolidays)).Methods(http.MethodGet)
	v1.Handle("/admin/holidays/{year}", s.authed(staff("admin"), s.putHolidays)).Methods(http.MethodPut)
	v1.Handle("/staff", s.authed(staff("admin"), s.idempotent(s.createStaff))).Methods(http.MethodPost)
	v1.Handle("/admin/exchange-points", s.authed(staff("admin"), s.createExchangePoint)).Methods(http.MethodPost)
	v1.Handle("/admin/exchange-points/{code}", s.authed(staff("admin"), s.updateExchangePoint)).Methods(http.MethodPut)
	v1.Handle("/admin/exchange-points/{code}/deactivate", s.authed(staff("admin"), s.deactivateExchangePoint)).Methods(http.MethodPost)
	v1.Handle("/admin/exchange-points/{code}/activate", s.authed(staff("admin"), s.activateExchangePoint)).Methods(http.MethodPost)
	v1.Handle("/admin/faq", s.authed(staff("admin"), s.adminListFAQ)).Methods(http.MethodGet)
	v1.Handle("/admin/faq", s.authed(staff("admin"), s.adminCreateFAQ)).Methods(http.MethodPost)
	v1.Handle("/admin/faq/{id}", s.authed(staff("admin"), s.adminUpdateFAQ)).Methods(http.MethodPut)
	v1.Handle("/admin/faq/{id}", s.authed(staff("admin"), s.adminDeleteFAQ)).Methods(http.MethodDelete)
	v1.Handle("/admin/staff", s.authed(staff("admin"), s.adminListStaff)).Methods(http.MethodGet)
	v1.Handle("/admin/staff/{id}", s.authed(staff("admin"), s.adminGetStaff)).Methods(http.MethodGet)
	v1.Handle("/admin/staff/{id}/disable", s.authed(staff("admin"), s.disableStaff)).Methods(http.MethodPost)
	v1.Handle("/admin/staff/{id}/enable", s.authed(staff("admin"), s.enableStaff)).Methods(http.MethodPost)
	v1.Handle("/admin/staff/{id}/reissue-password", s.authed(staff("admin"), s.reissueStaffPassword)).Methods(http.MethodPost)
	v1.Handle("/complaints", s.authed(staff("officer", "supervisor", "head_of_unit"), s.staffComplaints)).Methods(http.MethodGet)
	v1.Handle("/complaints/{reference}", s.authed(staff("officer", "supervisor", "head_of_unit"), s.staffComplaint)).Methods(http.MethodGet)
	return r
}

// prefixed registers routes under a path prefix on the router itself. A subrouter would
// answer a known path with another method 404 instead of 405: in gorilla/mux 1.8.1 its
// routes inherit the prefix matcher, whose match clears the method mismatch of the route
// before.
type prefixed struct {
	r      *mux.Router
	prefix string
}

func (p prefixed) Handle(path string, h http.Handler) *mux.Route { return p.r.Handle(p.prefix+path, h) }

func (p prefixed) HandleFunc(path string, f func(http.ResponseWriter, *http.Request)) *mux.Route {
	return p.r.HandleFunc(p.prefix+path, f)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{"mysql": "ok", "temporal": "ok"}
	status := http.StatusOK
	if err := s.store.Ping(ctx); err != nil {
		checks["mysql"], status = "unreachable", http.StatusServiceUnavailable
	}
	if _, err := s.temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		checks["temporal"], status = "unreachable", http.StatusServiceUnavailable
	}
	writeJSON(w, status, map[string]any{"status": map[bool]string{true: "ready", false: "not_ready"}[status == http.StatusOK], "checks": checks})
}

// newID makes an opaque, time-ordered identifier (ULID).
func newID() string { return ulid.Make().String() }

// isUnavailable tells infrastructure outages (answered 503, worth a retry) from bugs.
func isUnavailable(err error) bool {
	var netErr net.Error
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	return errors.As(err, &netErr) || errors.As(err, &unavailable) || errors.As(err, &deadline) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) || errors.Is(err, context.DeadlineExceeded)
}
