package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"time"

	"github.com/gorilla/mux"

	"occonnect/internal/scrub"
	"occonnect/store"
)

type ctxKey int

const (
	ctxRequestID ctxKey = iota
	ctxPrincipal
	ctxRoute
)

// routeInfo carries the matched route template out of the router, for the access log
// (mux sets the current route on its own copy of the request).
type routeInfo struct{ template string }

// captureRoute is a mux middleware that records the matched route's template.
func captureRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info, ok := r.Context().Value(ctxRoute).(*routeInfo); ok {
			if t, err := mux.CurrentRoute(r).GetPathTemplate(); err == nil {
				info.template = t
			}
		}
		next.ServeHTTP(w, r)
	})
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxRequestID).(string)
	return id
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
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

// common gives every request an id, security headers, CORS, a body limit, panic recovery and one
// access-log line (route template, never the path: paths can hold references).
func (s *Server) common(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-ID")
		if !requestIDPattern.MatchString(id) {
			id = newRequestID()
		}
		route := &routeInfo{template: "unmatched"}
		ctx := context.WithValue(context.WithValue(r.Context(), ctxRequestID, id), ctxRoute, route)
		r = r.WithContext(ctx)
		h := w.Header()
		h.Set("X-Request-ID", id)
		s.setSecurityHeaders(h, r)
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				s.log.ErrorContext(ctx, "panic", "request_id", id, "panic", p, "stack", string(debug.Stack()))
				if rec.status == 0 {
					writeProblem(rec, r, problem(http.StatusInternalServerError, "internal"))
				}
			}
			s.log.LogAttrs(ctx, slog.LevelInfo, "http request",
				slog.String("request_id", id), slog.String("method", r.Method), slog.String("route", route.template),
				slog.Int("status", rec.status), slog.Duration("duration", time.Since(start)))
			status := rec.status
			if status == 0 { // nothing written: net/http answers 200
				status = http.StatusOK
			}
			s.metrics.Observe(route.template, r.Method, status, time.Since(start))
		}()
		if !s.cors(rec, r) {
			next.ServeHTTP(rec, r)
		}
	})
}

const maxBody = 64 << 10

// handlerFunc is a handler that returns its error; serve writes it as problem+json.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) serve(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	}
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		writeProblem(w, r, ae)
		return
	}
	if errors.Is(err, store.ErrNotFound) {
		writeProblem(w, r, problem(http.StatusNotFound, "not_found"))
		return
	}
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the client went away
	}
	status, code := http.StatusInternalServerError, "internal"
	if isUnavailable(err) {
		status, code = http.StatusServiceUnavailable, "unavailable"
		w.Header().Set("Retry-After", "2")
	}
	s.log.ErrorContext(r.Context(), "request failed", "request_id", requestID(r.Context()), "error", scrub.Message(err))
	writeProblem(w, r, problem(status, code))
}
