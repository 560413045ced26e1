package store_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"occonnect/domain"
	"occonnect/store"
)

// TestPolledReadsWithSession: the one-query reads of the app's polls return the session
// and exactly what the two separate reads return (LatestEnrollment with EnrollmentSteps, Balances).
func TestPolledReadsWithSession(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := context.Background()

	cid := alwActiveCitizen(t, st, "PS100001")
	alwMustDebit(t, st, alwDebit(cid, 2026, "tourism", 12_000, "ps-1"))
	alwMustDebit(t, st, alwDebit(cid, 2026, "medical", 3_000, "ps-2"))
	pendingEID, pendingCID := enrolled(t, st, "PS100002")
	staffID := alwNewStaff(t, st, "agent")

	mk := func(name string, kind domain.SubjectKind, subject int64) store.Session {
		se := store.Session{TokenHash: alwHash("polled", name), SubjectKind: kind, SubjectID: subject, Scope: domain.ScopeFull,
			CreatedAt: t0, LastSeenAt: t0.Add(time.Minute), ExpiresAt: t0.Add(12 * time.Hour)}
		if err := st.CreateSession(ctx, se); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		return se
	}
	active := mk("active", domain.SubjectCitizen, cid)
	pending := mk("pending", domain.SubjectCitizen, pendingCID)
	staffSession := mk("staff", domain.SubjectStaff, staffID)
	noEnrollment := mk("no-enrollment", domain.SubjectCitizen, 987654321)
	if err := st.RevokeSession(ctx, pending.TokenHash, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name    string
		se      store.Session
		citizen int64
		revoked bool
	}{{"active citizen", active, cid, false}, {"pending citizen, revoked session", pending, pendingCID, true}} {
		se, e, steps, err := st.SessionLatestEnrollment(ctx, tc.se.TokenHash)
		if err != nil {
			t.Fatalf("%s: SessionLatestEnrollment: %v", tc.name, err)
		}
		wantE, err := st.LatestEnrollment(ctx, tc.citizen)
		if err != nil {
			t.Fatal(err)
		}
		wantSteps, err := st.EnrollmentSteps(ctx, wantE.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(e, wantE) || !reflect.DeepEqual(steps, wantSteps) || len(steps) == 0 {
			t.Errorf("%s: enrollment %+v %+v, want %+v %+v", tc.name, e, steps, wantE, wantSteps)
		}
		if se.SubjectID != tc.citizen || se.SubjectKind != domain.SubjectCitizen || se.RevokedAt.Valid != tc.revoked {
			t.Errorf("%s: session %+v", tc.name, se)
		}
	}
	if _, e, _, _ := st.SessionLatestEnrollment(ctx, pending.TokenHash); e.ID != pendingEID {
		t.Errorf("pending citizen's enrollment %q, want %q", e.ID, pendingEID)
	}
	for name, se := range map[string]store.Session{"staff": staffSession, "no enrollment": noEnrollment} {
		got, e, steps, err := st.SessionLatestEnrollment(ctx, se.TokenHash)
		if err != nil || got.SubjectID != se.SubjectID || got.SubjectKind != se.SubjectKind || e.ID != "" || len(steps) != 0 {
			t.Errorf("%s: session %+v, enrollment %+v %v, err %v; want the session and no enrollment", name, got, e, steps, err)
		}
	}
	if _, _, _, err := st.SessionLatestEnrollment(ctx, alwHash("unknown")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown token: err = %v, want ErrNotFound", err)
	}

	se, balances, err := st.SessionBalances(ctx, active.TokenHash, 2026)
	if err != nil {
		t.Fatalf("SessionBalances: %v", err)
	}
	want, err := st.Balances(ctx, cid, 2026)
	if err != nil {
		t.Fatal(err)
	}
	if se.SubjectID != cid || !reflect.DeepEqual(balances, want) {
		t.Errorf("SessionBalances = %+v %+v, want %+v", se, balances, want)
	}
	if b := balances[0]; b.Rule.Type != "tourism" || b.UsedMAD != 12_000 {
		t.Errorf("first balance %+v, want tourism with 12,000 MAD used", b)
	}
	if se, _, err := st.SessionBalances(ctx, active.TokenHash, 1999); !errors.Is(err, store.ErrNoRules) || se.SubjectID != cid {
		t.Errorf("year without rules: session %+v, err %v; want the session and ErrNoRules", se, err)
	}
	if _, balances, err := st.SessionBalances(ctx, staffSession.TokenHash, 2026); err != nil || len(balances) != 5 || balances[0].UsedMAD != 0 {
		t.Errorf("staff session: %+v, %v; want the rules, nothing used", balances, err)
	}
	if _, _, err := st.SessionBalances(ctx, alwHash("unknown"), 2026); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown token: err = %v, want ErrNotFound", err)
	}
}
