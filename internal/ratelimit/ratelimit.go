// Package ratelimit bounds attempts per key (a client address, a hashed login name) with
// a token bucket per key: Keyed in this process's memory (golang.org/x/time/rate, bounded
// by a number of keys), Shared in MySQL for every process of the deployment, and Shared's
// usual form, NewShared, which asks this process's buckets first.
package ratelimit

import (
	"container/list"
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate allows Requests attempts per Per, as a token bucket (golang.org/x/time/rate):
// a burst of Requests, refilled evenly over Per. The zero value is no limit.
type Rate struct {
	Requests int
	Per      time.Duration
}

func (l Rate) enabled() bool { return l.Requests > 0 && l.Per > 0 }

// MaxKeys bounds a limiter's memory (about 250 bytes a key): past it, the key seen least
// recently is forgotten, as if its bucket were full again.
const MaxKeys = 100_000

// Keyed is one token bucket per key (a client address, a hashed login name) in a
// map bounded by max keys. A key unseen for Per has a full bucket, the same as a new one,
// so it is dropped; the keys are kept in the order they were last seen, which makes both
// the expiry and the eviction of the oldest key O(1).
type Keyed struct {
	mu    sync.Mutex
	limit rate.Limit
	burst int
	idle  time.Duration
	max   int
	keys  map[string]*list.Element
	lru   list.List // *entry, most recently seen first
}

type entry struct {
	key  string
	lim  *rate.Limiter
	seen time.Time
}

// New makes a limiter of at most max keys; a disabled Rate (zero) gives nil, which is no
// limit.
func New(l Rate, max int) *Keyed {
	if !l.enabled() {
		return nil
	}
	return &Keyed{
		limit: rate.Limit(float64(l.Requests) / l.Per.Seconds()),
		burst: l.Requests,
		idle:  l.Per,
		max:   max,
		keys:  map[string]*list.Element{},
	}
}

// Limiter spends attempts: Take spends one attempt of key at now; with none left it
// spends nothing and returns how long until one is back; 0 means allowed.
type Limiter interface {
	Take(ctx context.Context, key string, now time.Time) (time.Duration, error)
}

// Take is the Limiter's (a nil *Keyed allows everything; it never fails).
func (k *Keyed) Take(_ context.Context, key string, now time.Time) (time.Duration, error) {
	return k.take(key, now), nil
}

// take spends one attempt of key at now, as Take.
func (k *Keyed) take(key string, now time.Time) time.Duration {
	if k == nil {
		return 0
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for back := k.lru.Back(); back != nil && now.Sub(back.Value.(*entry).seen) >= k.idle; back = k.lru.Back() {
		k.remove(back)
	}
	var e *entry
	if el, ok := k.keys[key]; ok {
		e = el.Value.(*entry)
		k.lru.MoveToFront(el)
	} else {
		if k.lru.Len() >= k.max {
			k.remove(k.lru.Back())
		}
		e = &entry{key: key, lim: rate.NewLimiter(k.limit, k.burst)}
		k.keys[key] = k.lru.PushFront(e)
	}
	e.seen = now
	if e.lim.AllowN(now, 1) {
		return 0
	}
	missing := 1 - e.lim.TokensAt(now)
	return time.Duration(missing / float64(k.limit) * float64(time.Second))
}

func (k *Keyed) remove(el *list.Element) {
	delete(k.keys, el.Value.(*entry).key)
	k.lru.Remove(el)
}

// Len is the number of keys held.
func (k *Keyed) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.lru.Len()
}
