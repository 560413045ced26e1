// Package api is the JSON API of the back office (gorilla/mux), the HTTP contract of the
// mobile app and the officers' tools (api/openapi.yaml). It is a thin adapter over the use
// cases of package service: each handler decodes the request, authorizes the caller,
// calls one use case and encodes its answer. Refusals become RFC 9457 problem+json with a
// stable code, in French, Arabic or English; one table (web.Status) gives each refusal
// its HTTP status.
package api

import (
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/gorilla/mux"

	"occonnect/domain"
	"occonnect/internal/ratelimit"
	"occonnect/internal/web"
	"occonnect/service"
)

// Deps are the collaborators of the API.
type Deps struct {
	Services *service.Services
	Logger   *slog.Logger
	// IPLimiter bounds the sign-in attempts per client address (nil: no limit); the
	// console shares it, so that both count against one budget.
	IPLimiter ratelimit.Limiter
	// TrustedProxies are the peers whose X-Forwarded-For is believed (the client address).
	TrustedProxies []netip.Prefix
	// PublicURL is the base URL clients reach the API at, the server the OpenAPI document
	// lists (config OCC_PUBLIC_URL); "" keeps the file's.
	PublicURL string
	// Now is the rate limiter's clock (time.Now when nil).
	Now func() time.Time
	// AppConfig is what GET /app-config gives the app (the configuration's contacts).
	AppConfig AppConfig
}

// AppConfig is the app's public configuration: the Office's contacts (OCC_SUPPORT_EMAIL,
// OCC_SUPPORT_PHONE, OCC_CONTACT_EMAIL, OCC_WEBSITE, which the e-mails print too).
type AppConfig struct {
	SupportEmail, SupportPhone, ContactEmail, Website string
}

// appConfigJSON: GET /app-config (public), the contacts and languages the app shows;
// cacheable for an hour.
func (a *API) appConfigJSON(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Cache-Control", "public, max-age=3600")
	writeJSON(w, http.StatusOK, struct {
		SupportEmail string   `json:"support_email"`
		SupportPhone string   `json:"support_phone"`
		ContactEmail string   `json:"contact_email"`
		Website      string   `json:"website"`
		Languages    []string `json:"languages"`
	}{a.appConfig.SupportEmail, a.appConfig.SupportPhone, a.appConfig.ContactEmail, a.appConfig.Website, []string{"fr", "ar"}})
	return nil
}

// API is the JSON API's handlers: one handler set per service, each with the service it
// calls.
type API struct {
	log     *slog.Logger
	gate    gate
	openAPI []byte // the document served, with Deps.PublicURL as its server
	// appConfig is GET /app-config's answer.
	appConfig AppConfig

	health         healthHandlers
	auth           authHandlers
	enrollments    enrollmentHandlers
	allowances     allowanceHandlers
	dts            dtsHandlers
	complaints     complaintHandlers
	tasks          taskHandlers
	staff          staffHandlers
	audit          auditHandlers
	exchangePoints exchangePointHandlers
	faq            faqHandlers
	rules          ruleHandlers
}

// New builds the API. With no Services (route listings in tests), the routes exist but
// must not be called.
func New(d Deps) *API {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	s := d.Services
	if s == nil {
		s = &service.Services{}
	}
	a := &API{log: d.Logger, openAPI: mustOpenAPIFor(d.PublicURL), appConfig: d.AppConfig}
	if d.Now == nil {
		d.Now = time.Now
	}
	a.gate = gate{auth: s.Auth, idem: s.Idempotency, ipLimiter: d.IPLimiter, trustedProxies: d.TrustedProxies, now: d.Now, log: d.Logger}
	a.health = healthHandlers{svc: s.Health}
	a.auth = authHandlers{svc: s.Auth, recovery: s.Recovery, exports: s.Exports}
	a.enrollments = enrollmentHandlers{svc: s.Enrollments}
	a.allowances = allowanceHandlers{svc: s.Allowances}
	a.dts = dtsHandlers{svc: s.DTS}
	a.complaints = complaintHandlers{svc: s.Complaints}
	a.tasks = taskHandlers{svc: s.Tasks}
	a.staff = staffHandlers{svc: s.Staff}
	a.audit = auditHandlers{svc: s.Audit}
	a.exchangePoints = exchangePointHandlers{svc: s.ExchangePoints}
	a.faq = faqHandlers{svc: s.FAQ}
	a.rules = ruleHandlers{svc: s.Rules}
	return a
}

// Router is a router with the API's routes only (the OpenAPI document must list exactly
// these; a test checks it).
func (a *API) Router() *mux.Router {
	// SkipClean: a path with "..", "//" or an encoded "/" is not redirected (301) to its
	// cleaned form, which would be a non-problem answer and turn a POST into a GET; it
	// matches no route (404).
	r := mux.NewRouter().SkipClean(true)
	r.Use(web.CaptureRoute)
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, problem(http.StatusNotFound, "not_found"))
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, problem(http.StatusMethodNotAllowed, "method_not_allowed"))
	})
	a.Register(r)
	return r
}

// Register adds the API's routes to r.
func (a *API) Register(r *mux.Router) {
	g := &a.gate
	citizens := service.CitizensOnly()
	officers := service.StaffWith(domain.TaskRoles...) // officers, supervisors, head of unit
	agents := service.StaffWith(domain.RoleAgent)
	admins := service.StaffWith(domain.RoleAdmin)

	r.HandleFunc("/healthz", a.health.healthz).Methods(http.MethodGet)
	r.Handle("/readyz", a.serve(a.health.readyz)).Methods(http.MethodGet)

	v1 := prefixed{r, "/api/v1"}
	v1.HandleFunc("/openapi.yaml", a.serveOpenAPI).Methods(http.MethodGet)

	// Citizens: activation, sign-in, the account.
	v1.Handle("/activation", a.serve(g.limitIP(a.auth.activate))).Methods(http.MethodPost)
	v1.Handle("/activation/resend", a.serve(g.limitIP(a.enrollments.citizenResend))).Methods(http.MethodPost)
	v1.Handle("/auth/login", a.serve(g.limitIP(a.auth.login))).Methods(http.MethodPost)
	v1.Handle("/auth/recovery", a.serve(g.limitIP(a.auth.requestRecovery))).Methods(http.MethodPost)
	v1.Handle("/auth/recovery/confirm", a.serve(g.limitIP(a.auth.confirmRecovery))).Methods(http.MethodPost)
	v1.Handle("/auth/logout", a.authed(service.Anyone(true), a.auth.logout)).Methods(http.MethodPost)
	v1.Handle("/me", a.authed(citizens, a.auth.me)).Methods(http.MethodGet)
	v1.Handle("/me", a.authed(citizens, a.auth.updateMe)).Methods(http.MethodPatch)
	v1.Handle("/me/sessions", a.authed(citizens, a.auth.mySessions)).Methods(http.MethodGet)
	v1.Handle("/me/sessions", a.authed(citizens, a.auth.endMyOtherSessions)).Methods(http.MethodDelete)
	v1.Handle("/me/sessions/{id}", a.authed(citizens, a.auth.endMySession)).Methods(http.MethodDelete)
	v1.Handle("/me/data-export", a.authed(citizens, a.auth.myDataExport)).Methods(http.MethodGet)
	v1.Handle("/me/password", a.authed(service.Anyone(true), a.auth.changePassword)).Methods(http.MethodPut)
	v1.Handle("/me/enrollment", a.serve(a.enrollments.mine)).Methods(http.MethodGet) // polled: the service checks the session

	// Allowances and DTS (citizens).
	v1.Handle("/me/allowances", a.serve(a.allowances.mine)).Methods(http.MethodGet) // polled: the service checks the session
	v1.Handle("/me/allowances/operations", a.authed(citizens, a.allowances.operations)).Methods(http.MethodGet)
	v1.Handle("/dts/simulations", a.serve(a.dts.simulate)).Methods(http.MethodPost)
	v1.Handle("/me/dts-requests", a.authed(citizens, g.idempotent(a.dts.request))).Methods(http.MethodPost)
	v1.Handle("/me/dts-requests", a.authed(citizens, a.dts.mine)).Methods(http.MethodGet)
	v1.Handle("/me/dts-requests/{id}", a.authed(citizens, a.dts.get)).Methods(http.MethodGet)
	v1.Handle("/me/dts-requests/{id}/cancel", a.authed(citizens, a.dts.cancel)).Methods(http.MethodPost)

	// Exchange points (public; /nearest before /{code}).
	v1.Handle("/exchange-points", a.serve(a.exchangePoints.list)).Methods(http.MethodGet)
	v1.Handle("/exchange-points/nearest", a.serve(a.exchangePoints.nearest)).Methods(http.MethodGet)
	v1.Handle("/exchange-points/{code}", a.serve(a.exchangePoints.get)).Methods(http.MethodGet)

	// FAQ (public).
	v1.Handle("/faq", a.serve(a.faq.search)).Methods(http.MethodGet)
	v1.Handle("/app-config", a.serve(a.appConfigJSON)).Methods(http.MethodGet)

	// Complaints (citizens).
	v1.Handle("/me/complaints", a.authed(citizens, g.idempotent(a.complaints.file))).Methods(http.MethodPost)
	v1.Handle("/me/complaints", a.authed(citizens, a.complaints.mine)).Methods(http.MethodGet)
	v1.Handle("/me/complaints/{reference}", a.authed(citizens, a.complaints.get)).Methods(http.MethodGet)
	v1.Handle("/me/complaints/{reference}/messages", a.authed(citizens, g.idempotent(a.complaints.reply))).Methods(http.MethodPost)
	v1.Handle("/me/complaints/{reference}/reopen", a.authed(citizens, g.idempotent(a.complaints.reopen))).Methods(http.MethodPost)
	v1.Handle("/me/complaints/{reference}/feedback", a.authed(citizens, a.complaints.feedback)).Methods(http.MethodPost)

	// Staff.
	v1.Handle("/staff/login", a.serve(g.limitIP(a.auth.staffLogin))).Methods(http.MethodPost)
	v1.Handle("/staff/login/mfa", a.serve(g.limitIP(a.auth.staffLoginMFA))).Methods(http.MethodPost)
	v1.Handle("/enrollments", a.authed(agents, g.idempotent(a.enrollments.create))).Methods(http.MethodPost)
	v1.Handle("/enrollments/{enrollment_id}", a.authed(service.StaffWith(domain.RoleAgent, domain.RoleAdmin), a.enrollments.get)).Methods(http.MethodGet)
	v1.Handle("/enrollments/{enrollment_id}", a.authed(service.StaffWith(domain.RoleAgent, domain.RoleAdmin), a.enrollments.correctEmail)).Methods(http.MethodPatch)
	v1.Handle("/enrollments/{enrollment_id}/resend", a.authed(agents, a.enrollments.resend)).Methods(http.MethodPost)
	v1.Handle("/allowance-operations", a.authed(agents, g.idempotent(a.allowances.debit))).Methods(http.MethodPost)
	v1.Handle("/dts-requests", a.authed(officers, a.dts.list)).Methods(http.MethodGet)
	v1.Handle("/tasks", a.authed(officers, a.tasks.list)).Methods(http.MethodGet)
	v1.Handle("/tasks/{id}", a.authed(officers, a.tasks.get)).Methods(http.MethodGet)
	v1.Handle("/tasks/{id}/claim", a.authed(officers, g.idempotent(a.tasks.claim))).Methods(http.MethodPost)
	v1.Handle("/tasks/{id}/release", a.authed(officers, g.idempotent(a.tasks.release))).Methods(http.MethodPost)
	v1.Handle("/tasks/{id}/complete", a.authed(officers, g.idempotent(a.tasks.complete))).Methods(http.MethodPost)
	v1.Handle("/tasks/{id}/reassign", a.authed(service.StaffWith(domain.RoleSupervisor, domain.RoleHeadOfUnit), g.idempotent(a.tasks.reassign))).Methods(http.MethodPost)
	v1.Handle("/complaints", a.authed(officers, a.complaints.list)).Methods(http.MethodGet)
	v1.Handle("/complaints/{reference}", a.authed(officers, a.complaints.staffGet)).Methods(http.MethodGet)

	// Admins.
	v1.Handle("/admin/allowance-rules/{year}", a.authed(admins, a.rules.getAllowanceRules)).Methods(http.MethodGet)
	v1.Handle("/admin/allowance-rules/{year}", a.authed(admins, a.rules.putAllowanceRules)).Methods(http.MethodPut)
	v1.Handle("/admin/holidays/{year}", a.authed(admins, a.rules.getHolidays)).Methods(http.MethodGet)
	v1.Handle("/admin/holidays/{year}", a.authed(admins, a.rules.putHolidays)).Methods(http.MethodPut)
	v1.Handle("/staff", a.authed(admins, g.idempotent(a.staff.create))).Methods(http.MethodPost)
	v1.Handle("/admin/staff", a.authed(admins, a.staff.list)).Methods(http.MethodGet)
	v1.Handle("/admin/staff/{id}", a.authed(admins, a.staff.get)).Methods(http.MethodGet)
	v1.Handle("/admin/staff/{id}/disable", a.authed(admins, a.staff.disable)).Methods(http.MethodPost)
	v1.Handle("/admin/staff/{id}/enable", a.authed(admins, a.staff.enable)).Methods(http.MethodPost)
	v1.Handle("/admin/staff/{id}/reissue-password", a.authed(admins, a.staff.reissuePassword)).Methods(http.MethodPost)
	v1.Handle("/admin/staff/{id}/unlock", a.authed(admins, a.staff.unlock)).Methods(http.MethodPost)
	v1.Handle("/admin/staff/{id}/mfa/reset", a.authed(admins, a.staff.resetMFA)).Methods(http.MethodPost)
	v1.Handle("/admin/citizens/data-export", a.authed(admins, a.auth.citizenDataExport)).Methods(http.MethodPost)
	v1.Handle("/admin/audit", a.authed(admins, a.audit.list)).Methods(http.MethodGet)
	v1.Handle("/admin/exchange-points", a.authed(admins, a.exchangePoints.create)).Methods(http.MethodPost)
	v1.Handle("/admin/exchange-points/{code}", a.authed(admins, a.exchangePoints.update)).Methods(http.MethodPut)
	v1.Handle("/admin/exchange-points/{code}/deactivate", a.authed(admins, a.exchangePoints.deactivate)).Methods(http.MethodPost)
	v1.Handle("/admin/exchange-points/{code}/activate", a.authed(admins, a.exchangePoints.activate)).Methods(http.MethodPost)
	v1.Handle("/admin/faq", a.authed(admins, a.faq.all)).Methods(http.MethodGet)
	v1.Handle("/admin/faq", a.authed(admins, a.faq.create)).Methods(http.MethodPost)
	v1.Handle("/admin/faq/{id}", a.authed(admins, a.faq.update)).Methods(http.MethodPut)
	v1.Handle("/admin/faq/{id}", a.authed(admins, a.faq.delete)).Methods(http.MethodDelete)
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

// healthHandlers: /healthz and /readyz.
type healthHandlers struct{ svc *service.Health }

// healthz: the process is up.
func (h healthHandlers) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz: MySQL and Temporal reachable (within 2 s).
func (h healthHandlers) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := contextWithTimeout(r, readyTimeout)
	defer cancel()
	checks, ok := h.svc.Ready(ctx)
	status, word := http.StatusOK, "ready"
	if !ok {
		status, word = http.StatusServiceUnavailable, "not_ready"
	}
	writeJSON(w, status, map[string]any{"status": word, "checks": map[string]string{"mysql": checks.MySQL, "temporal": checks.Temporal}})
	return nil
}
