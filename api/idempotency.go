package api

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"occonnect/internal/scrub"
	"occonnect/store"
)

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
func (s *Server) idempotent(h handlerFunc) handlerFunc {
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
		scope := fmt.Sprintf("%s:%d:%s %s", p.kind, p.id, r.Method, r.URL.Path)
		sum := sha256.Sum256(body)
		ctx := r.Context()
		stored, err := s.store.BeginIdempotent(ctx, scope, key, sum[:], s.clock())
		switch {
		case errors.Is(err, store.ErrIdempotencyMismatch):
			return problem(http.StatusUnprocessableEntity, "idempotency_key_reused")
		case errors.Is(err, store.ErrIdempotencyInProgress):
			return &apiError{status: http.StatusConflict, code: "idempotency_in_progress", retryAfter: time.Second}
		case err != nil:
			return err
		case stored != nil:
			w.Header().Set("Content-Type", stored.ContentType)
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(stored.StatusCode)
			_, _ = w.Write(stored.Body)
			return nil
		}
		buf := &bufferedWriter{header: w.Header()}
		herr := h(buf, r)
		if herr != nil {
			s.writeError(buf, r, herr)
		}
		if buf.status >= 500 || buf.status == 0 {
			if err := s.store.ReleaseIdempotent(ctx, scope, key); err != nil {
				s.log.ErrorContext(ctx, "release idempotency key", "request_id", requestID(ctx), "error", scrub.Message(err))
			}
		} else if err := s.store.CompleteIdempotent(ctx, scope, key, store.IdempotentResponse{
			StatusCode: buf.status, ContentType: buf.header.Get("Content-Type"), Body: buf.body.Bytes(),
		}); err != nil {
			return err
		}
		w.WriteHeader(buf.status)
		_, _ = w.Write(buf.body.Bytes())
		return nil
	}
}
