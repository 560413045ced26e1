// Package web is the HTTP plumbing that the JSON API and the officer console share: the
// request ID, the access log and request metrics, the security headers, CORS, the body
// limit, panic recovery, the client's address behind trusted proxies, and the language of
// Accept-Language, and the HTTP status of each refusal of the use cases. It knows no
// route.
package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/netip"
	"regexp"
	"runtime/debug"
	"time"

	"github.com/gorilla/mux"
	"golang.org/x/text/language"

	"occonnect/internal/metrics"
	"occonnect/service"
)

// MaxBody bounds every request body (64 KiB); a larger one is refused by whoever reads it.
const MaxBody = 64 << 10

type ctxKey int

const (
	ctxRequestID ctxKey = iota
	ctxRoute
)

// RequestID is the request's ID (from a well-formed X-Request-ID, else generated).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxRequestID).(string)
	return id
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// routeInfo carries the matched route template out of the router, for the access log
// (mux sets the current route on its own copy of the request).
type routeInfo struct{ template string }

// CaptureRoute is a mux middleware that records the matched route's template for Common's
// log line and metrics.
func CaptureRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info, ok := r.Context().Value(ctxRoute).(*routeInfo); ok {
			if t, err := mux.CurrentRoute(r).GetPathTemplate(); err == nil {
				info.template = t
			}
		}
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Options configure Common.
type Options struct {
	Logger *slog.Logger
	// Metrics counts the requests by route template and status (nil: none).
	Metrics *metrics.HTTP
	// TrustedProxies are the peers whose X-Forwarded-For and X-Forwarded-Proto are believed.
	TrustedProxies []netip.Prefix
	// CORSOrigins are the exact origins a browser may call from; none by default.
	CORSOrigins []string
	// Internal answers a request whose handler panicked, when it had written nothing.
	Internal func(w http.ResponseWriter, r *http.Request)
}

// Common gives every request an ID, the security headers, CORS, the body limit, panic
// recovery and one access-log line with its metrics (route template, never the path:
// paths can hold references).
func Common(next http.Handler, o Options) http.Handler {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	cors := newCORS(o.CORSOrigins)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-ID")
		if !requestIDPattern.MatchString(id) {
			id = newRequestID()
		}
		route := &routeInfo{template: "unmatched"}
		ctx := context.WithValue(context.WithValue(r.Context(), ctxRequestID, id), ctxRoute, route)
		// The client's address behind the trusted proxies, for the lockout's count per source.
		ctx = service.WithClientAddress(ctx, IPKey(ClientIP(r, o.TrustedProxies)))
		ctx = service.WithRequestID(ctx, id)
		// What opened a session, for its owner's list of sessions: a summary, never the header.
		ctx = service.WithUserAgent(ctx, UserAgentSummary(r.UserAgent()))
		r = r.WithContext(ctx)
		h := w.Header()
		h.Set("X-Request-ID", id)
		setSecurityHeaders(h, r, o.TrustedProxies)
		r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				log.ErrorContext(ctx, "panic", "request_id", id, "panic", p, "stack", string(debug.Stack()))
				if rec.status == 0 {
					if o.Internal != nil {
						o.Internal(rec, r)
					} else {
						http.Error(rec, "internal error", http.StatusInternalServerError)
					}
				}
			}
			log.LogAttrs(ctx, slog.LevelInfo, "http request",
				slog.String("request_id", id), slog.String("method", r.Method), slog.String("route", route.template),
				slog.Int("status", rec.status), slog.Duration("duration", time.Since(start)))
			status := rec.status
			if status == 0 { // nothing written: net/http answers 200
				status = http.StatusOK
			}
			o.Metrics.Observe(route.template, r.Method, status, time.Since(start))
		}()
		if !cors.handle(rec, r) {
			next.ServeHTTP(rec, r)
		}
	})
}

var supported = language.NewMatcher([]language.Tag{language.English, language.French, language.Arabic})

// Lang picks en, fr or ar from Accept-Language (en when none matches).
func Lang(r *http.Request) string {
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return "en"
	}
	_, idx, conf := supported.Match(tags...)
	if conf == language.No {
		return "en"
	}
	return [...]string{"en", "fr", "ar"}[idx]
}
