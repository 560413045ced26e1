package service

import (
	"context"
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
