package ratelimit

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"occonnect/store"
)

// Shared keeps the buckets of a scope in MySQL, so that every API process behind a load
// balancer spends from the same ones: N processes do not allow N times the limit.
type Shared struct {
	store *store.Store
	scope string
	rate  Rate
}

// Take spends an attempt of key from the scope's shared bucket. Now and then (one take in
// 256) it also deletes the scope's buckets unused for a whole period, which are full again.
func (s *Shared) Take(ctx context.Context, key string, now time.Time) (time.Duration, error) {
	wait, err := s.store.TakeToken(ctx, s.scope, []byte(key), float64(s.rate.Requests)/s.rate.Per.Seconds(), s.rate.Requests, now)
	if err != nil {
		return 0, err
	}
	if rand.IntN(256) == 0 {
		if _, err := s.store.ForgetIdleBuckets(ctx, s.scope, now.Add(-s.rate.Per)); err != nil {
			return wait, err
		}
	}
	return wait, nil
}

// NewShared is the limit r of scope for the whole deployment: each attempt is first spent
// from this process's bucket (an attempt refused there costs no query, so a flood on one
// process does not reach the database), then from the shared one. A disabled Rate gives
// nil: no limit.
func NewShared(st *store.Store, scope string, r Rate) Limiter {
	if !r.enabled() {
		return nil
	}
	// The limit is part of the scope: processes configured alike share buckets, and a
	// bucket is never refilled at another limit's rate.
	scope = fmt.Sprintf("%s:%d/%s", scope, r.Requests, r.Per)
	return both{New(r, MaxKeys), &Shared{store: st, scope: scope, rate: r}}
}

// both asks first, then second.
type both [2]Limiter

func (b both) Take(ctx context.Context, key string, now time.Time) (time.Duration, error) {
	for _, l := range b {
		if wait, err := l.Take(ctx, key, now); wait > 0 || err != nil {
			return wait, err
		}
	}
	return 0, nil
}

// Take spends an attempt from l, a nil Limiter allowing everything.
func Take(ctx context.Context, l Limiter, key string, now time.Time) (time.Duration, error) {
	if l == nil {
		return 0, nil
	}
	return l.Take(ctx, key, now)
}
