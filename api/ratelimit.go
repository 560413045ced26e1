package api

import (
	"container/list"
	"context"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimit allows Requests attempts per Per, as a token bucket (golang.org/x/time/rate):
// a burst of Requests, refilled evenly over Per. The zero value is no limit.
type RateLimit struct {
	Requests int
	Per      time.Duration
}

func (l RateLimit) enabled() bool { return l.Requests > 0 && l.Per > 0 }

// maxLimiterKeys bounds each limiter's memory (about 250 bytes a key): past it, the key
// seen least recently is forgotten, as if its bucket were full again.
const maxLimiterKeys = 100_000

// keyedLimiter is one token bucket per key (a client address, a hashed login name) in a
// map bounded by max keys. A key unseen for Per has a full bucket, the same as a new one,
// so it is dropped; the keys are kept in the order they were last seen, which makes both
// the expiry and the eviction of the oldest key O(1).
type keyedLimiter struct {
	mu    sync.Mutex
	limit rate.Limit
	burst int
	idle  time.Duration
	max   int
	keys  map[string]*list.Element
	lru   list.List // *limiterEntry, most recently seen first
}

type limiterEntry struct {
	key  string
	lim  *rate.Limiter
	seen time.Time
}

// newKeyedLimiter returns nil (no limit) for a disabled RateLimit.
func newKeyedLimiter(l RateLimit, max int) *keyedLimiter {
	if !l.enabled() {
		return nil
	}
	return &keyedLimiter{
		limit: rate.Limit(float64(l.Requests) / l.Per.Seconds()),
		burst: l.Requests,
		idle:  l.Per,
		max:   max,
		keys:  map[string]*list.Element{},
	}
}

// take spends one attempt of key at now. With none left it spends nothing and returns how
// long until one is back; 0 means allowed.
func (k *keyedLimiter) take(key string, now time.Time) time.Duration {
	k.mu.Lock()
	defer k.mu.Unlock()
	for back := k.lru.Back(); back != nil && now.Sub(back.Value.(*limiterEntry).seen) >= k.idle; back = k.lru.Back() {
		k.remove(back)
	}
	var e *limiterEntry
	if el, ok := k.keys[key]; ok {
		e = el.Value.(*limiterEntry)
		k.lru.MoveToFront(el)
	} else {
		if k.lru.Len() >= k.max {
			k.remove(k.lru.Back())
		}
		e = &limiterEntry{key: key, lim: rate.NewLimiter(k.limit, k.burst)}
		k.keys[key] = k.lru.PushFront(e)
	}
	e.seen = now
	if e.lim.AllowN(now, 1) {
		return 0
	}
	missing := 1 - e.lim.TokensAt(now)
	return time.Duration(missing / float64(k.limit) * float64(time.Second))
}

func (k *keyedLimiter) remove(el *list.Element) {
	delete(k.keys, el.Value.(*limiterEntry).key)
	k.lru.Remove(el)
}

// len is the number of keys held.
func (k *keyedLimiter) len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.lru.Len()
}

// rateLimited is the 429 answer; Retry-After is rounded up to whole seconds, so that a
// client that waits exactly that long finds an attempt available.
func (s *Server) rateLimited(ctx context.Context, limit string, wait time.Duration) error {
	s.log.InfoContext(ctx, "rate limited", "request_id", requestID(ctx), "limit", limit)
	return &apiError{status: http.StatusTooManyRequests, code: "rate_limited",
		retryAfter: (wait + time.Second - 1).Truncate(time.Second)}
}

// limitIP spends one attempt of the client's address before h runs (so before any body
// decoding, query or Argon2id work), and answers 429 when none is left.
func (s *Server) limitIP(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.ipLimiter != nil {
			if wait := s.ipLimiter.take(ipKey(clientIP(r, s.trustedProxies)), s.clock()); wait > 0 {
				return s.rateLimited(r.Context(), "ip", wait)
			}
		}
		return h(w, r)
	}
}

// limitAccount spends one attempt of a login name, keyed by its loginKey (the hash the
// lockout counts failures against, never the name itself). It runs before the lockout
// check, so a rate-limited attempt neither costs Argon2id work nor counts as a failure.
func (s *Server) limitAccount(ctx context.Context, key []byte) error {
	if s.accountLimiter != nil {
		if wait := s.accountLimiter.take(string(key), s.clock()); wait > 0 {
			return s.rateLimited(ctx, "account", wait)
		}
	}
	return nil
}

// clientIP is the address of the client: the connection's peer, or, when the peer is a
// trusted proxy, the last address of X-Forwarded-For that is not a trusted proxy (the
// entries left of it were written by the client and prove nothing).
func clientIP(r *http.Request, trusted []netip.Prefix) netip.Addr {
	addr, _ := parseAddr(r.RemoteAddr)
	if !isTrusted(addr, trusted) {
		return addr
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, ok := parseAddr(hops[i])
		if !ok {
			break // not written by a trusted proxy: keep the last hop that was
		}
		addr = hop
		if !isTrusted(hop, trusted) {
			break
		}
	}
	return addr
}

// behindTLS says whether the client reached us over TLS: directly, or through a trusted
// proxy that says so in X-Forwarded-Proto.
func behindTLS(r *http.Request, trusted []netip.Prefix) bool {
	if r.TLS != nil {
		return true
	}
	addr, _ := parseAddr(r.RemoteAddr)
	if !isTrusted(addr, trusted) {
		return false
	}
	protos := strings.Split(r.Header.Get("X-Forwarded-Proto"), ",")
	return strings.EqualFold(strings.TrimSpace(protos[len(protos)-1]), "https")
}

// parseAddr reads an address with or without a port ("192.0.2.1", "[2001:db8::1]:443").
func parseAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ipKey is the limiter key of an address: IPv6 clients are counted per /64, the block a
// single subscriber usually holds.
func ipKey(a netip.Addr) string {
	if a.Is6() {
		return netip.PrefixFrom(a, 64).Masked().String()
	}
	return a.String()
}
