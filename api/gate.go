package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"occonnect/internal/ratelimit"
	"occonnect/internal/scrub"
	"occonnect/internal/web"
	"occonnect/service"
	"occonnect/store"
)

// handlerFunc is a handler that returns its error; serve writes it as problem+json.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// serve runs h and answers its error.
func (a *API) serve(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			a.writeError(w, r, err)
		}
	}
}

type ctxKey int

const ctxPrincipal ctxKey = iota

// principalFrom is the caller admitted by authed.
func principalFrom(ctx context.Context) *service.Principal {
	p, _ := ctx.Value(ctxPrincipal).(*service.Principal)
	return p
}

// adminActor is the staff member acting, for the audit trail.
func adminActor(r *http.Request) store.AdminActor {
	return store.AdminActor{StaffID: principalFrom(r.Context()).ID, RequestID: web.RequestID(r.Context())}
}

// bearer is the request's bearer token ("" when none).
func bearer(r *http.Request) (string, error) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return "", problem(http.StatusUnauthorized, "unauthorized")
	}
	return token, nil
}

// authed checks the bearer token and the caller's kind, role and scope (access), then
// runs h with the caller in the request's context.
func (a *API) authed(access service.Access, h handlerFunc) http.Handler {
	return a.serve(func(w http.ResponseWriter, r *http.Request) error {
		token, err := bearer(r)
		if err != nil {
			return err
		}
		p, err := a.gate.auth.Authenticate(r.Context(), token)
		if err != nil {
			return err
		}
		if err := access.Admit(p); err != nil {
			return err
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), ctxPrincipal, p)))
	})
}

// gate holds what the routes' wrappers use: sessions, the per-address rate limit and the
// Idempotency-Key store.
type gate struct {
	auth           *service.Auth
	idem           *service.Idempotency
	ipLimiter      ratelimit.Limiter // nil: no limit
	trustedProxies []netip.Prefix
	now            func() time.Time
	log            *slog.Logger
}

// limitIP spends one attempt of the client's address before h runs (so before any body
// decoding, query or Argon2id work), and answers 429 when none is left. Retry-After is
// rounded up to whole seconds, so that a client that waits exactly that long finds an
// attempt available.
func (g *gate) limitIP(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		wait, err := ratelimit.Take(r.Context(), g.ipLimiter, web.IPKey(web.ClientIP(r, g.trustedProxies)), g.now())
		if err != nil {
			return err
		}
		if wait > 0 {
			return &service.Refusal{Reason: service.RateLimited, RetryAfter: (wait + time.Second - 1).Truncate(time.Second)}
		}
		return h(w, r)
	}
}

// bufferedWriter keeps the answer so that it can be stored for replay.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }
func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}
func (b *bufferedWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

// idempotent honours an Idempotency-Key: the first answer (below 500) to a key is stored
// and replayed for the same body; another body with the same key is 422; a request that
// arrives while the first one runs is 409. Keys are scoped to the caller and the route.
func (g *gate) idempotent(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		key := r.Header.Get("Idempotency-Key")
		if key == "" {
			return h(w, r)
		}
		if len(key) > 128 {
			return problem(http.StatusBadRequest, "validation_failed", fieldErr("Idempotency-Key", "too_long"))
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				return problem(http.StatusRequestEntityTooLarge, "payload_too_large")
			}
			return problem(http.StatusBadRequest, "malformed_json")
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		p := principalFrom(r.Context())
		scope := fmt.Sprintf("%s:%d:%s %s", p.Kind, p.ID, r.Method, r.URL.Path)
		sum := sha256.Sum256(body)
		ctx := r.Context()
		stored, err := g.idem.Begin(ctx, scope, key, sum[:])
		if err != nil {
			return err
		}
		if stored != nil {
			w.Header().Set("Content-Type", stored.ContentType)
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(stored.StatusCode)
			_, _ = w.Write(stored.Body)
			return nil
		}
		buf := &bufferedWriter{header: w.Header()}
		if herr := h(buf, r); herr != nil {
			writeError(g.log, buf, r, herr)
		}
		if buf.status >= 500 || buf.status == 0 {
			if err := g.idem.Release(ctx, scope, key); err != nil {
				g.log.ErrorContext(ctx, "release idempotency key", "request_id", web.RequestID(ctx), "error", scrub.Message(err))
			}
		} else if err := g.idem.Complete(ctx, scope, key, service.Answer{
			StatusCode: buf.status, ContentType: buf.header.Get("Content-Type"), Body: buf.body.Bytes(),
		}); err != nil {
			return err
		}
		w.WriteHeader(buf.status)
		_, _ = w.Write(buf.body.Bytes())
		return nil
	}
}

// readyTimeout bounds /readyz's checks.
const readyTimeout = 2 * time.Second

func contextWithTimeout(r *http.Request, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), d)
}

func scrubbed(err error) string { return scrub.Message(err) }
