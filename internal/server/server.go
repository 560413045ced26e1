// Package server assembles what the api process serves: the JSON API and the officer
// console on one router, over one set of use cases, behind the common HTTP middleware
// (request IDs, access log, metrics, security headers, CORS, body limit, panic recovery).
package server

import (
	"log/slog"
	"net/http"
	"net/netip"

	"time"

	"github.com/gorilla/mux"

	"occonnect/api"
	"occonnect/console"
	"occonnect/internal/config"
	"occonnect/internal/metrics"
	"occonnect/internal/web"
	"occonnect/service"
)

// Options configure the handler.
type Options struct {
	Services *service.Services
	Logger   *slog.Logger
	// Metrics counts the requests by route template and status (nil: none).
	Metrics *metrics.HTTP
	// TrustedProxies are the peers whose X-Forwarded-For and X-Forwarded-Proto are believed.
	TrustedProxies []netip.Prefix
	// CORSOrigins are the exact origins a browser may call the API from; none by default.
	CORSOrigins []string
	// PublicURL is the base URL clients reach the API at (the OpenAPI document's server).
	PublicURL string
	// Now is the clock of the rate limit and the console's SLA states (time.Now when nil).
	Now func() time.Time
	// Contacts are the Office's contacts GET /api/v1/app-config gives (zero: the
	// configuration's defaults).
	Contacts config.Contacts
}

// Handler is the whole HTTP surface of the api process: Routes behind the common
// middleware.
func Handler(o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return web.Common(Routes(o), web.Options{Logger: o.Logger, Metrics: o.Metrics, TrustedProxies: o.TrustedProxies,
		CORSOrigins: o.CORSOrigins, Internal: api.WriteInternal})
}

// Routes is every route of the api process: the JSON API's and the console's. With no
// Services (route listings), the routes exist and must not be called.
func Routes(o Options) *mux.Router {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s := o.Services
	if s == nil {
		s = &service.Services{}
	}
	// The API and the console spend sign-in attempts from one budget per address.
	if o.Contacts == (config.Contacts{}) {
		o.Contacts = config.DefaultContacts()
	}
	r := api.New(api.Deps{Services: o.Services, Logger: o.Logger, IPLimiter: s.AddressLimiter, TrustedProxies: o.TrustedProxies,
		PublicURL: o.PublicURL, Now: o.Now, AppConfig: api.AppConfig(o.Contacts)}).Router()
	console.New(console.Deps{Auth: s.Auth, Tasks: s.Tasks, IPLimiter: s.AddressLimiter,
		TrustedProxies: o.TrustedProxies, Logger: o.Logger, Now: o.Now}).Register(r)
	return r
}
