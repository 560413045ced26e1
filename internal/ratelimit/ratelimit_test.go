package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// TestKeyedLimiter: a burst of N, then one attempt every Per/N, per key; the wait until
// the next attempt is exact.
func TestKeyedLimiter(t *testing.T) {
	k := New(Rate{Requests: 20, Per: time.Minute}, 100)
	for i := range 20 {
		if wait := k.take("a", t0); wait != 0 {
			t.Fatalf("attempt %d: wait %v, want allowed", i+1, wait)
		}
	}
	if wait := k.take("a", t0); wait != 3*time.Second {
		t.Fatalf("21st attempt: wait %v, want 3s", wait)
	}
	if wait := k.take("a", t0.Add(time.Second)); wait != 2*time.Second {
		t.Fatalf("one second later: wait %v, want 2s (a refused attempt costs nothing)", wait)
	}
	if wait := k.take("b", t0); wait != 0 {
		t.Fatalf("another key: wait %v, want allowed", wait)
	}
	if wait := k.take("a", t0.Add(3*time.Second)); wait != 0 {
		t.Fatalf("after 3s: wait %v, want allowed", wait)
	}
	if wait := k.take("a", t0.Add(3*time.Second)); wait != 3*time.Second {
		t.Fatalf("right after: wait %v, want 3s", wait)
	}
	if New(Rate{}, 100) != nil || New(Rate{Requests: 5}, 100) != nil {
		t.Error("a zero rate limit must be no limiter")
	}
}

// TestKeyedLimiterBounded: a flood of distinct keys never holds more than max of them,
// and keys unseen for Per (whose bucket is full again) are dropped.
func TestKeyedLimiterBounded(t *testing.T) {
	k := New(Rate{Requests: 2, Per: time.Minute}, 1000)
	for i := range 50_000 {
		k.take(fmt.Sprintf("198.51.%d.%d", i/256, i%256), t0.Add(time.Duration(i)*time.Microsecond))
	}
	if n := k.Len(); n != 1000 {
		t.Fatalf("after 50,000 distinct keys: %d held, want the bound 1000", n)
	}
	// The most recent keys are the ones kept, with their state.
	last := fmt.Sprintf("198.51.%d.%d", 49_999/256, 49_999%256)
	k.take(last, t0.Add(time.Second))
	if wait := k.take(last, t0.Add(time.Second)); wait == 0 {
		t.Error("the most recent key lost its state")
	}
	// A minute later everything has expired: one take leaves only its own key.
	k.take("203.0.113.1", t0.Add(2*time.Minute))
	if n := k.Len(); n != 1 {
		t.Errorf("after the idle period: %d keys held, want 1", n)
	}
}
