package service

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"time"

	"occonnect/store"
)

// Idempotency keeps the answers of requests sent with an Idempotency-Key, so that a
// retried request gets the first answer instead of doing the work twice.
type Idempotency struct {
	store *store.Store
	clock clock
}

// Answer is a stored answer.
type Answer = store.IdempotentResponse

// Begin claims key within scope for a request whose body hashes to bodyHash. It gives the
// stored answer when the same request already completed; IdempotencyKeyReused for another
// request with the key; IdempotencyInProgress (retry after a second) while the first one
// runs; (nil, nil) when the caller now owns the key and must Complete or Release it.
func (i *Idempotency) Begin(ctx context.Context, scope, key string, bodyHash []byte) (*Answer, error) {
	stored, err := i.store.BeginIdempotent(ctx, scope, key, bodyHash, i.clock.now())
	switch {
	case errors.Is(err, store.ErrIdempotencyMismatch):
		return nil, refuse(IdempotencyKeyReused)
	case errors.Is(err, store.ErrIdempotencyInProgress):
		return nil, &Refusal{Reason: IdempotencyInProgress, RetryAfter: time.Second}
	}
	return stored, err
}

// Complete stores the answer of the request that owns the key.
func (i *Idempotency) Complete(ctx context.Context, scope, key string, a Answer) error {
	return i.store.CompleteIdempotent(ctx, scope, key, a)
}

// Release gives the key up (the request failed in a way worth retrying).
func (i *Idempotency) Release(ctx context.Context, scope, key string) error {
	return i.store.ReleaseIdempotent(ctx, scope, key)
}

// requestHash identifies what a citizen asked, for a request key stored with the row it
// created: the fields, each length-prefixed so that no two requests share a hash.
func requestHash(fields ...string) []byte {
	h := sha256.New()
	for _, f := range fields {
		_ = binary.Write(h, binary.BigEndian, uint32(len(f)))
		h.Write([]byte(f))
	}
	return h.Sum(nil)
}

// keyedOrNew finds the row a citizen's request key created (find), or creates it (create)
// when there is none or no key. A row created meanwhile by the same key (a double tap
// that got past the Idempotency-Key gate) is read again; the key with another request is
// IdempotencyKeyReused.
func keyedOrNew(key string, find, create func() (store.Keyed, error)) (store.Keyed, error) {
	if key == "" {
		return create()
	}
	row, err := findKeyed(find)
	if !errors.Is(err, store.ErrNotFound) {
		return row, err
	}
	if row, err = create(); errors.Is(err, store.ErrDuplicateRequest) {
		return findKeyed(find)
	}
	return row, err
}

func findKeyed(find func() (store.Keyed, error)) (store.Keyed, error) {
	row, err := find()
	if errors.Is(err, store.ErrRequestKeyReused) {
		return row, refuse(IdempotencyKeyReused)
	}
	return row, err
}

func nullable(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
