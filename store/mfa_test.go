package store_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"occonnect/domain"
	"occonnect/store"
)

// TestMFAOnce: a pending enrolment keeps its first secret; a TOTP step and a recovery
// code are each used once, even by requests at the same instant; a challenge is spent
// once, and not after it expired or received too many wrong codes.
func TestMFAOnce(t *testing.T) {
	st, _ := newStore(t)
	ctx := context.Background()
	id := alwNewStaff(t, st, domain.RoleSupervisor)
	m, err := st.StartMFAEnrolment(ctx, id, "sealed-1", t0)
	if err != nil || m.SecretSealed != "sealed-1" || m.Confirmed() {
		t.Fatalf("start: %+v %v", m, err)
	}
	if m, _ = st.StartMFAEnrolment(ctx, id, "sealed-2", t0); m.SecretSealed != "sealed-1" {
		t.Fatalf("a second start replaced the pending secret: %q", m.SecretSealed)
	}
	if ok, err := st.UseTOTPStep(ctx, id, 10); ok || err != nil {
		t.Fatalf("a step of an unconfirmed enrolment was used: %v %v", ok, err)
	}
	hashes := [][]byte{[]byte("h1"), []byte("h2")}
	if ok, err := st.ConfirmMFA(ctx, id, 100, hashes, t0); !ok || err != nil {
		t.Fatalf("confirm: %v %v", ok, err)
	}
	if ok, _ := st.ConfirmMFA(ctx, id, 101, hashes, t0); ok {
		t.Fatal("confirmed twice")
	}
	once := func(what string, use func() bool) {
		var n atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if use() {
					n.Add(1)
				}
			})
		}
		wg.Wait()
		if n.Load() != 1 {
			t.Errorf("%s: used %d times by 8 concurrent requests, want 1", what, n.Load())
		}
	}
	once("TOTP step 101", func() bool { ok, err := st.UseTOTPStep(ctx, id, 101); return ok && err == nil })
	if ok, _ := st.UseTOTPStep(ctx, id, 100); ok {
		t.Error("an earlier step was used after a later one")
	}
	once("recovery code h1", func() bool { ok, err := st.UseRecoveryCode(ctx, id, []byte("h1"), t0); return ok && err == nil })
	if n, _ := st.RecoveryCodesLeft(ctx, id); n != 1 {
		t.Errorf("%d recovery codes left, want 1", n)
	}

	now := t0.Add(time.Minute)
	ch := func(hash string, expires time.Time) []byte {
		if err := st.CreateMFAChallenge(ctx, storeChallenge(id, hash, now, expires)); err != nil {
			t.Fatal(err)
		}
		return []byte(hash)
	}
	live := ch("challenge-live", now.Add(5*time.Minute))
	once("challenge", func() bool { ok, err := st.UseMFAChallenge(ctx, live, 5, now); return ok && err == nil })
	expired := ch("challenge-expired", now)
	if ok, _ := st.UseMFAChallenge(ctx, expired, 5, now); ok {
		t.Error("an expired challenge was used")
	}
	burnt := ch("challenge-burnt", now.Add(5*time.Minute))
	for range 5 {
		if _, err := st.FailMFAChallenge(ctx, burnt); err != nil {
			t.Fatal(err)
		}
	}
	if ok, _ := st.UseMFAChallenge(ctx, burnt, 5, now); ok {
		t.Error("a challenge with 5 wrong codes was used")
	}
}

func storeChallenge(staffID int64, hash string, now, expires time.Time) store.MFAChallenge {
	return store.MFAChallenge{TokenHash: []byte(hash), StaffID: staffID, CreatedAt: now, ExpiresAt: expires}
}
