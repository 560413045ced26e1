package store_test

import (
	"context"
	"testing"
	"time"

	"occonnect/domain"
	"occonnect/store"
)

// TestApplyRetention: a run deletes what is past its retention (expired sessions, old
// Idempotency-Key answers, stale failure counts), erases e-mail bodies, anonymises the
// never-activated citizens whose enrollment lapsed long ago and erases the texts of
// complaints closed long ago; what is still within its period stays; a second run finds
// nothing more.
func TestApplyRetention(t *testing.T) {
	t.Parallel()
	st, db := newStore(t)
	ctx := context.Background()
	now := t0.Add(10 * 365 * 24 * time.Hour)
	day := 24 * time.Hour
	p := store.RetentionPolicy{Sessions: 7 * day, Idempotency: 7 * day, OutboxBodies: 7 * day, LapsedCitizens: 90 * day,
		ClosedTexts: 5 * 365 * day}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	for i, expires := range []time.Time{now.Add(-8 * day), now.Add(time.Hour)} {
		if err := st.CreateSession(ctx, store.Session{TokenHash: []byte{byte(i), 31: 1}, SubjectKind: domain.SubjectStaff, SubjectID: 1,
			Scope: domain.ScopeFull, CreatedAt: expires.Add(-time.Hour), LastSeenAt: expires.Add(-time.Hour), ExpiresAt: expires}); err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO idempotency_keys (scope, idem_key, request_hash, created_at) VALUES ('s', 'old', REPEAT('a', 32), ?), ('s', 'new', REPEAT('a', 32), ?)`,
		now.Add(-8*day), now.Add(-time.Hour))
	exec(`INSERT INTO auth_failures (subject_key, failures, locks, updated_at) VALUES (REPEAT('k', 32), 2, 0, ?)`, now.Add(-2*day))
	exec(`INSERT INTO email_outbox (message_key, kind, to_addr, subject, text_body, html_body, created_at, sent_at) VALUES
		('m/old', 'x', 'a@example.ma', 's', 'secret', '<p>secret</p>', ?, NULL),
		('m/new', 'x', 'a@example.ma', 's', 'secret', '<p>secret</p>', ?, NULL),
		('m/sent', 'x', 'a@example.ma', 's', 'secret', '<p>secret</p>', ?, ?)`, now.Add(-8*day), now.Add(-time.Hour), now.Add(-time.Hour), now)

	// Never activated, lapsed 100 days ago: anonymised; lapsed 10 days ago: kept.
	lapsedLong, _ := enrolled(t, st, "RT100001")
	lapsedRecent, _ := enrolled(t, st, "RT100002")
	for _, e := range []struct {
		id string
		at time.Time
	}{{lapsedLong, now.Add(-100 * day)}, {lapsedRecent, now.Add(-10 * day)}} {
		if err := st.SetEnrollmentStatus(ctx, e.id, domain.EnrollmentLapsed, domain.StepLapsed, domain.StepLapsed, e.at, 0); err != nil {
			t.Fatal(err)
		}
		exec(`UPDATE enrollments SET updated_at = ? WHERE id = ?`, e.at, e.id)
	}
	// Complaints closed 6 years ago (texts erased) and last year (kept).
	cid := alwActiveCitizen(t, st, "RT200001")
	var refs []string
	for i, closed := range []time.Time{now.Add(-6 * 365 * day), now.Add(-365 * day)} {
		ref, err := st.CreateComplaint(ctx, store.NewComplaint{CitizenID: cid, Category: domain.CategoryOther, Subject: "Mon dossier",
			Description: "Détails personnels", Year: 2026 + i, Now: closed.Add(-day)})
		if err != nil {
			t.Fatal(err)
		}
		exec(`UPDATE complaints SET status = 'closed', closed_at = ?, feedback_comment = 'merci' WHERE reference = ?`, closed, ref)
		refs = append(refs, ref)
	}

	bodies := count(t, db, `SELECT COUNT(*) FROM email_outbox WHERE text_body IS NOT NULL`)
	c, err := st.ApplyRetention(ctx, p, now)
	if err != nil {
		t.Fatal(err)
	}
	// Every body but the recent unsent one: the credentials e-mails of the enrollments too.
	want := store.RetentionCounts{Sessions: 1, IdempotencyKeys: 1, AuthFailures: 1, OutboxBodies: int64(bodies - 1), LapsedCitizens: 1,
		ComplaintTexts: 1}
	if c != want {
		t.Fatalf("counts %+v, want %+v", c, want)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM email_outbox WHERE text_body IS NOT NULL AND message_key = 'm/new'`); n != 1 ||
		count(t, db, `SELECT COUNT(*) FROM email_outbox WHERE text_body IS NOT NULL`) != 1 {
		t.Errorf("e-mail bodies left other than the recent unsent one")
	}
	var cit struct {
		CIN   string `db:"cin"`
		Last  string `db:"last_name"`
		Email string `db:"email"`
	}
	if err := db.GetContext(ctx, &cit, `SELECT c.cin, c.last_name, c.email FROM citizens c JOIN enrollments e ON e.citizen_id = c.id WHERE e.id = ?`, lapsedLong); err != nil {
		t.Fatal(err)
	}
	if cit.CIN[:1] != store.AnonymisedCINPrefix || cit.Last != "-" || cit.Email != "anonymised@invalid" {
		t.Errorf("the long-lapsed citizen is not anonymised: %+v", cit)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM citizens WHERE cin IN ('RT100002', 'RT200001')`); n != 2 {
		t.Errorf("%d of the recent and active citizens kept, want 2", n)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM complaint_messages WHERE reference = ? AND body = '-'`, refs[0]); n == 0 {
		t.Error("the old complaint's conversation is not erased")
	}
	if n := count(t, db, `SELECT COUNT(*) FROM complaints WHERE reference = ? AND subject = 'Mon dossier'`, refs[1]); n != 1 {
		t.Error("the recent complaint's texts were erased")
	}
	enrolled(t, st, "RT100001") // the anonymised citizen's CIN is free to be enrolled again

	again, err := st.ApplyRetention(ctx, p, now)
	if err != nil || again != (store.RetentionCounts{}) {
		t.Fatalf("a second run: %+v, %v; want nothing", again, err)
	}
}
