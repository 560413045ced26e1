package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"occonnect/internal/testenv"
	"occonnect/store"
)

// TestTakeToken: a burst, then one token every 1/rate; a refused take costs nothing; a
// bucket is per scope and key; concurrent takes of one key never spend more than the
// bucket holds; idle buckets are forgotten.
func TestTakeToken(t *testing.T) {
	ctx := context.Background()
	st := store.New(testenv.MySQL(t))
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	const perSecond = 1.0 / 3 // 20 a minute
	take := func(scope, key string, at time.Time) time.Duration {
		t.Helper()
		wait, err := st.TakeToken(ctx, scope, []byte(key), perSecond, 20, at)
		if err != nil {
			t.Fatal(err)
		}
		return wait
	}
	for i := range 20 {
		if wait := take("ip:20/1m", "a", t0); wait != 0 {
			t.Fatalf("attempt %d: wait %v", i+1, wait)
		}
	}
	if wait := take("ip:20/1m", "a", t0); wait != 3*time.Second {
		t.Fatalf("21st: wait %v, want 3s", wait)
	}
	if wait := take("ip:20/1m", "a", t0.Add(time.Second)); wait != 2*time.Second {
		t.Fatalf("a second later: wait %v, want 2s (a refused take costs nothing)", wait)
	}
	if wait := take("ip:20/1m", "b", t0); wait != 0 {
		t.Fatalf("another key: wait %v", wait)
	}
	if wait := take("account:20/1m", "a", t0); wait != 0 {
		t.Fatalf("another scope: wait %v", wait)
	}
	if wait := take("ip:20/1m", "a", t0.Add(3*time.Second)); wait != 0 {
		t.Fatalf("after 3s: wait %v", wait)
	}
	// A process whose clock is behind neither refills nor moves the bucket back.
	if wait := take("ip:20/1m", "a", t0); wait != 3*time.Second {
		t.Fatalf("a clock behind: wait %v, want 3s", wait)
	}

	// 30 processes at once on a fresh key: exactly the 20 of the burst go through.
	var mu sync.Mutex
	allowed := 0
	var wg sync.WaitGroup
	for range 30 {
		wg.Go(func() {
			wait, err := st.TakeToken(ctx, "ip:20/1m", []byte("c"), perSecond, 20, t0)
			if err != nil {
				t.Error(err)
				return
			}
			if wait == 0 {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if allowed != 20 {
		t.Errorf("%d concurrent takes allowed, want 20", allowed)
	}

	n, err := st.ForgetIdleBuckets(ctx, "ip:20/1m", t0.Add(time.Second))
	if err != nil || n != 2 { // b and c; a was used at t0+3s
		t.Errorf("forgot %d buckets, %v; want 2", n, err)
	}
}
