// Package service holds the use cases of the back office: signing in, sessions and the
// lockout, passwords, enrollment, allowances and debits, DTS requests, complaints, officer
// tasks, staff accounts, exchange points, the FAQ, and the rules and holidays ops edit.
//
// The JSON API (package api) and the officer console (package console) are two thin
// adapters over it: they decode a request, authorize the caller, call one use case and
// render its answer. A use case validates its input, applies the business rules, writes
// MySQL through the store and starts or updates Temporal workflows; it answers with data,
// or with a *Refusal whose Reason the adapters map to their answers (Explain gives the
// refusal behind any error). Nothing here knows HTTP.
package service

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
	"go.temporal.io/sdk/client"

	"occonnect/domain"
	"occonnect/internal/passhash"
	"occonnect/internal/ratelimit"
	"occonnect/mail"
	"occonnect/store"
	"occonnect/workflows"
)

// Deps are the collaborators of the use cases.
type Deps struct {
	Store    *store.Store
	Temporal client.Client
	Hasher   *passhash.Hasher
	// Mailer sends the staff's one-time passwords (the staff accounts' use cases); nil:
	// those use cases answer Unavailable.
	Mailer mail.Sender
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// ReissueWindow is given to new enrollment workflows.
	ReissueWindow time.Duration
	// Complaints are the service levels given to new complaint workflows (zero: defaults).
	Complaints workflows.ComplaintConfig
	// CredentialTTL is the validity of a staff member's one-time password (24 h when 0).
	CredentialTTL time.Duration
	// AccountLimit bounds the sign-in attempts per login name and client address,
	// AddressLimit those per client address (zero: no limit). Both are shared by every
	// process on the database (ratelimit.NewShared).
	AccountLimit, AddressLimit ratelimit.Rate
	// AddressFailures is the failures in a row that shut a client address out of the
	// sign-ins for a while (domain.AddressLock): 0 for domain.AddressLock's, below 0 for
	// none (the tests that sign in from one address all day).
	AddressFailures int
	// StaffMFA says which staff roles must sign in with a second factor (none: nobody is
	// made to; those enrolled use it).
	StaffMFA MFAPolicy
	// Secrets seals the staff's TOTP secrets at rest (the payload keys; nil: in clear,
	// only where payloads may be).
	Secrets Sealer
}

// Services are the use cases, one value per area; each holds only what it uses.
type Services struct {
	Auth           *Auth
	Enrollments    *Enrollments
	Allowances     *Allowances
	DTS            *DTS
	Complaints     *Complaints
	Tasks          *Tasks
	Staff          *Staff
	ExchangePoints *ExchangePoints
	FAQ            *FAQ
	Rules          *Rules
	Idempotency    *Idempotency
	Health         *Health
	Reconciler     *Reconciler
	Audit          *Audit
	Recovery       *Recovery
	Exports        *Exports
	// AddressLimiter bounds the sign-in attempts per client address (nil: no limit): the
	// adapters spend from it before any sign-in use case runs.
	AddressLimiter ratelimit.Limiter

	background *sync.WaitGroup
}

// New builds the use cases on their collaborators.
func New(d Deps) *Services {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.CredentialTTL <= 0 {
		d.CredentialTTL = 24 * time.Hour
	}
	d.Complaints.Defaults()
	c := clock(d.Now)
	wf := newWorkflowClient(d.Temporal)
	bg := &sync.WaitGroup{}
	auth := &Auth{store: d.Store, hasher: d.Hasher, clock: c, wf: wf, mfa: d.StaffMFA, secrets: d.Secrets,
		accountLimiter: ratelimit.NewShared(d.Store, "account", d.AccountLimit)}
	if d.AddressFailures >= 0 {
		lock := domain.AddressLock
		if d.AddressFailures > 0 {
			lock.MaxFailures = d.AddressFailures
		}
		auth.addressLock = &lock
	}
	audit := &Audit{store: d.Store, clock: c}
	dts := &DTS{store: d.Store, clock: c, wf: wf}
	complaints := &Complaints{store: d.Store, clock: c, wf: wf, config: d.Complaints, audit: audit}
	return &Services{
		Auth: auth,
		Enrollments: &Enrollments{store: d.Store, clock: c, wf: wf, auth: auth, reissueWindow: d.ReissueWindow, audit: audit,
			log: d.Logger, background: bg},
		Allowances:     &Allowances{store: d.Store, clock: c, auth: auth},
		DTS:            dts,
		Complaints:     complaints,
		Tasks:          &Tasks{store: d.Store, clock: c, wf: wf, complaints: complaints, audit: audit},
		Staff:          &Staff{store: d.Store, hasher: d.Hasher, mailer: d.Mailer, ttl: d.CredentialTTL, clock: c, log: d.Logger},
		ExchangePoints: &ExchangePoints{store: d.Store, clock: c},
		FAQ:            &FAQ{store: d.Store, clock: c},
		Rules:          &Rules{store: d.Store, clock: c},
		Idempotency:    &Idempotency{store: d.Store, clock: c},
		Health:         &Health{store: d.Store, temporal: d.Temporal},
		Audit:          audit,
		Exports:        &Exports{store: d.Store, audit: audit},
		Recovery:       &Recovery{store: d.Store, hasher: d.Hasher, clock: c, auth: auth, wf: wf, background: bg, log: d.Logger},
		Reconciler:     &Reconciler{store: d.Store, clock: c, complaints: complaints, dts: dts, log: d.Logger},
		AddressLimiter: ratelimit.NewShared(d.Store, "ip", d.AddressLimit),
		background:     bg,
	}
}

// Wait blocks until the work the use cases started in the background is done (a
// citizen's request for new credentials), for a graceful shutdown.
func (s *Services) Wait() { s.background.Wait() }

// clock is the use cases' time source; now is always UTC.
type clock func() time.Time

func (c clock) now() time.Time {
	if c == nil {
		return time.Now().UTC()
	}
	return c().UTC()
}

// currentYear is the calendar year in Africa/Casablanca.
func (c clock) currentYear() int { return c.now().In(domain.Casablanca).Year() }

// newID makes an opaque, time-ordered identifier (ULID).
func newID() string { return ulid.Make().String() }

// Health says whether the back office can serve: MySQL and Temporal reachable.
type Health struct {
	store    *store.Store
	temporal client.Client
}

// Checks are the dependencies' states: "ok" or "unreachable".
type Checks struct {
	MySQL, Temporal string
}

// Ready checks MySQL and Temporal (each within the context's deadline).
func (h *Health) Ready(ctx context.Context) (Checks, bool) {
	c := Checks{MySQL: "ok", Temporal: "ok"}
	if err := h.store.Ping(ctx); err != nil {
		c.MySQL = "unreachable"
	}
	if _, err := h.temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		c.Temporal = "unreachable"
	}
	return c, c.MySQL == "ok" && c.Temporal == "ok"
}
