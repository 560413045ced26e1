package store_test

import (
	"context"
	"regexp"
	"slices"
	"testing"
	"time"

	"occonnect/domain"
	"occonnect/store"
)

// TestLiveSessions: a citizen's list of sessions holds the live ones only (not revoked,
// expired or idle; not another subject's), newest first, each with a public id that is
// not its hash and the summary of its client; a session without a public id is given one
// once, for good.
func TestLiveSessions(t *testing.T) {
	t.Parallel()
	st, db := newStore(t)
	ctx := context.Background()
	now := t0.Add(3 * time.Hour)
	seenSince := now.Add(-30 * time.Minute)

	mk := func(name string, kind domain.SubjectKind, subject int64, created, seen time.Time, ua string) store.Session {
		se := store.Session{TokenHash: alwHash("live", name), SubjectKind: kind, SubjectID: subject, Scope: domain.ScopeFull,
			CreatedAt: created, LastSeenAt: seen, ExpiresAt: created.Add(12 * time.Hour), UserAgent: ua}
		if err := st.CreateSession(ctx, se); err != nil {
			t.Fatalf("CreateSession %s: %v", name, err)
		}
		return se
	}
	older := mk("older", domain.SubjectCitizen, 7, t0, now.Add(-time.Minute), "Chrome on Windows")
	newer := mk("newer", domain.SubjectCitizen, 7, t0.Add(time.Hour), now, "OC Connect Android 2.3")
	unknownAgent := mk("no agent", domain.SubjectCitizen, 7, t0.Add(30*time.Minute), seenSince, "")
	idle := mk("idle", domain.SubjectCitizen, 7, t0.Add(2*time.Hour), seenSince.Add(-time.Microsecond), "x")
	expired := mk("expired", domain.SubjectCitizen, 7, now.Add(-12*time.Hour), now, "x")
	revoked := mk("revoked", domain.SubjectCitizen, 7, t0, now, "x")
	mk("other citizen", domain.SubjectCitizen, 8, t0, now, "x")
	mk("staff", domain.SubjectStaff, 7, t0, now, "x")
	if err := st.RevokeSession(ctx, revoked.TokenHash, now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	// A session from before migration 00012: no public id, no user agent.
	legacyHash := alwHash("live", "legacy")
	if _, err := db.ExecContext(ctx, `INSERT INTO sessions (token_hash, subject_kind, subject_id, scope, created_at, last_seen_at,
		expires_at) VALUES (?, 'citizen', 7, 'full', ?, ?, ?)`, legacyHash, t0.Add(-time.Hour), now, t0.Add(11*time.Hour)); err != nil {
		t.Fatal(err)
	}

	list, err := st.LiveSessions(ctx, domain.SubjectCitizen, 7, now, seenSince)
	if err != nil {
		t.Fatalf("LiveSessions: %v", err)
	}
	hashes := make([][]byte, 0, len(list))
	for _, se := range list {
		hashes = append(hashes, se.TokenHash)
	}
	want := [][]byte{newer.TokenHash, unknownAgent.TokenHash, older.TokenHash, legacyHash}
	if !slices.EqualFunc(hashes, want, func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Fatalf("LiveSessions gave %d sessions %x, want newer, no agent, older, legacy (not idle %x, expired %x, revoked %x)",
			len(list), hashes, idle.TokenHash[:4], expired.TokenHash[:4], revoked.TokenHash[:4])
	}
	ulidPattern := regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{26}$`)
	hexPattern := regexp.MustCompile(`^[0-9A-F]{26}$`)
	ids := map[string]bool{}
	for i, se := range list {
		if i < 3 && !ulidPattern.MatchString(se.PublicID) || i == 3 && !hexPattern.MatchString(se.PublicID) {
			t.Errorf("session %d: public id %q", i, se.PublicID)
		}
		if ids[se.PublicID] {
			t.Errorf("public id %q given twice", se.PublicID)
		}
		ids[se.PublicID] = true
	}
	if list[0].UserAgent != "OC Connect Android 2.3" || list[1].UserAgent != "" || list[2].UserAgent != "Chrome on Windows" || list[3].UserAgent != "" {
		t.Errorf("user agents %q %q %q %q", list[0].UserAgent, list[1].UserAgent, list[2].UserAgent, list[3].UserAgent)
	}
	if !list[0].CreatedAt.Equal(newer.CreatedAt) || !list[0].LastSeenAt.Equal(newer.LastSeenAt) || list[0].SubjectID != 7 {
		t.Errorf("newer session read as %+v", list[0])
	}
	again, err := st.LiveSessions(ctx, domain.SubjectCitizen, 7, now, seenSince)
	if err != nil || len(again) != len(list) || again[3].PublicID != list[3].PublicID {
		t.Errorf("the legacy session's public id changed: %q then %+v (%v)", list[3].PublicID, again, err)
	}

	if got, err := st.LiveSessions(ctx, domain.SubjectCitizen, 99, now, seenSince); err != nil || got == nil || len(got) != 0 {
		t.Errorf("a citizen without sessions: %v, %v; want an empty list", got, err)
	}
}

// TestRevokeLiveSession: a session is ended by its public id only by its owner and only
// while it is live; RevokeSessionsExcept ends all of a subject's other sessions.
func TestRevokeLiveSession(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := context.Background()
	now := t0.Add(time.Hour)
	seenSince := now.Add(-30 * time.Minute)

	mk := func(name string, kind domain.SubjectKind, subject int64, seen time.Time) store.Session {
		se := store.Session{TokenHash: alwHash("revoke", name), SubjectKind: kind, SubjectID: subject, Scope: domain.ScopeFull,
			CreatedAt: t0, LastSeenAt: seen, ExpiresAt: t0.Add(12 * time.Hour)}
		if err := st.CreateSession(ctx, se); err != nil {
			t.Fatalf("CreateSession %s: %v", name, err)
		}
		return se
	}
	mine := mk("mine", domain.SubjectCitizen, 7, now)
	mine2 := mk("mine 2", domain.SubjectCitizen, 7, now)
	mine3 := mk("mine 3", domain.SubjectCitizen, 7, now)
	idle := mk("idle", domain.SubjectCitizen, 7, seenSince.Add(-time.Second))
	theirs := mk("theirs", domain.SubjectCitizen, 8, now)
	staff := mk("staff", domain.SubjectStaff, 7, now)
	publicID := func(se store.Session) string {
		t.Helper()
		var id string
		if err := st.DB().GetContext(ctx, &id, `SELECT public_id FROM sessions WHERE token_hash = ?`, se.TokenHash); err != nil {
			t.Fatal(err)
		}
		return id
	}
	revokedAt := func(se store.Session) time.Time {
		t.Helper()
		got, err := st.SessionByHash(ctx, se.TokenHash)
		if err != nil {
			t.Fatal(err)
		}
		return got.RevokedAt.Time
	}

	for name, se := range map[string]store.Session{"another citizen's": theirs, "a staff member's": staff, "an idle": idle} {
		ended, err := st.RevokeLiveSession(ctx, domain.SubjectCitizen, 7, publicID(se), now, seenSince)
		if err != nil || ended || !revokedAt(se).IsZero() {
			t.Errorf("%s session: ended %v, %v, revoked at %v; want untouched", name, ended, err, revokedAt(se))
		}
	}
	if ended, err := st.RevokeLiveSession(ctx, domain.SubjectCitizen, 7, "01ARZ3NDEKTSV4RRFFQ69G5FAV", now, seenSince); err != nil || ended {
		t.Errorf("unknown id: ended %v, %v", ended, err)
	}
	if ended, err := st.RevokeLiveSession(ctx, domain.SubjectCitizen, 7, publicID(mine2), now, seenSince); err != nil || !ended {
		t.Fatalf("own session: ended %v, %v", ended, err)
	}
	if !revokedAt(mine2).Equal(now) || !revokedAt(mine).IsZero() {
		t.Errorf("revoked at %v (want %v), the other at %v (want not)", revokedAt(mine2), now, revokedAt(mine))
	}
	if ended, err := st.RevokeLiveSession(ctx, domain.SubjectCitizen, 7, publicID(mine2), now.Add(time.Minute), seenSince); err != nil || ended {
		t.Errorf("an ended session again: ended %v, %v", ended, err)
	}

	later := now.Add(time.Minute)
	n, err := st.RevokeSessionsExcept(ctx, domain.SubjectCitizen, 7, mine.TokenHash, later)
	if err != nil || n != 2 { // mine 3 and the idle one; mine 2 was ended already
		t.Fatalf("RevokeSessionsExcept: %d, %v; want 2", n, err)
	}
	for name, tc := range map[string]struct {
		se   store.Session
		want time.Time
	}{"kept": {mine, time.Time{}}, "mine 3": {mine3, later}, "idle": {idle, later}, "mine 2 keeps its time": {mine2, now},
		"another citizen's": {theirs, time.Time{}}, "a staff member's": {staff, time.Time{}}} {
		if got := revokedAt(tc.se); !got.Equal(tc.want) {
			t.Errorf("%s: revoked at %v, want %v", name, got, tc.want)
		}
	}
	if got, _ := st.SessionByHash(ctx, mine.TokenHash); got.Scope != domain.ScopeFull || !got.LastSeenAt.Equal(now) {
		t.Errorf("the kept session changed: %+v", got)
	}
}

// TestSetCitizenLanguage: the language is set; the table refuses one the e-mails are not
// written in.
func TestSetCitizenLanguage(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := context.Background()
	_, cid := enrolled(t, st, "LG100001")
	_, other := enrolled(t, st, "LG100002")
	if err := st.SetCitizenLanguage(ctx, cid, "ar"); err != nil {
		t.Fatalf("SetCitizenLanguage: %v", err)
	}
	if c, err := st.CitizenByID(ctx, cid); err != nil || c.Language != "ar" {
		t.Errorf("language %q, %v; want ar", c.Language, err)
	}
	if c, _ := st.CitizenByID(ctx, other); c.Language != "fr" {
		t.Errorf("another citizen's language became %q", c.Language)
	}
	if err := st.SetCitizenLanguage(ctx, cid, "en"); err == nil {
		t.Error("language en stored")
	}
	if c, _ := st.CitizenByID(ctx, cid); c.Language != "ar" {
		t.Errorf("language %q after a refused change, want ar", c.Language)
	}
}
