package store_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/oklog/ulid/v2"

	"occonnect/domain"
	"occonnect/internal/testenv"
	"occonnect/store"
)

// t0 is the fixed "now" of the tests (whole microseconds: DATETIME(6) keeps them exactly).
var t0 = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)

func newStore(t *testing.T) (*store.Store, *sqlx.DB) {
	t.Helper()
	db := testenv.MySQL(t)
	return store.New(db), db
}

func newAgent(t *testing.T, st *store.Store) int64 {
	t.Helper()
	id, err := st.CreateStaff(context.Background(), store.Staff{
		Email: "agent-" + strings.ToLower(ulid.Make().String()) + "@oc.gov.ma", Role: domain.RoleAgent,
		PasswordHash: "$argon2id$dummy", CreatedAt: t0,
	})
	if err != nil {
		t.Fatalf("CreateStaff: %v", err)
	}
	return id
}

func newEnrollment(cin string, agent int64, now time.Time) store.NewEnrollment {
	return store.NewEnrollment{
		ID: ulid.Make().String(), CIN: cin, FirstName: "Amina", LastName: "Benali",
		Email: "amina@example.ma", Phone: "+212600000000", BirthDate: time.Date(1990, 5, 17, 0, 0, 0, 0, time.UTC),
		Language: "fr", AgentStaffID: agent, ExchangePointCode: "", Now: now,
	}
}

func mustEnroll(t *testing.T, st *store.Store, n store.NewEnrollment) store.EnrollResult {
	t.Helper()
	res, err := st.Enroll(context.Background(), n)
	if err != nil {
		t.Fatalf("Enroll: %v", err)
	}
	return res
}

// count runs a SELECT COUNT(*) query.
var count = testenv.Count

type enrollmentRow struct {
	Status            string         `db:"status"`
	CitizenID         int64          `db:"citizen_id"`
	OpenCitizenID     sql.NullInt64  `db:"open_citizen_id"`
	AgentStaffID      int64          `db:"agent_staff_id"`
	ExchangePointCode sql.NullString `db:"exchange_point_code"`
	CredentialsIssued int            `db:"credentials_issued"`
}

func readEnrollment(t *testing.T, db *sqlx.DB, id string) enrollmentRow {
	t.Helper()
	var r enrollmentRow
	if err := db.Get(&r, `SELECT status, citizen_id, open_citizen_id, agent_staff_id, exchange_point_code, credentials_issued
		FROM enrollments WHERE id = ?`, id); err != nil {
		t.Fatalf("read enrollment %s: %v", id, err)
	}
	return r
}

func stepCount(t *testing.T, db *sqlx.DB, enrollmentID, name string) int {
	t.Helper()
	return count(t, db, `SELECT COUNT(*) FROM enrollment_steps WHERE enrollment_id = ? AND name = ?`, enrollmentID, name)
}

// readOutbox reads an outbox message.
func readOutbox(t *testing.T, db *sqlx.DB, id int64) store.OutboxMessage {
	t.Helper()
	m, err := store.New(db).OutboxByID(context.Background(), id)
	if err != nil {
		t.Fatalf("read outbox %d: %v", id, err)
	}
	return m
}

func ns(s string) sql.NullString { return sql.NullString{String: s, Valid: true} }

func credentialsMail(enrollmentID string, issue int, body string, at time.Time) store.OutboxMessage {
	return store.OutboxMessage{
		MessageKey: store.CredentialsMessageKey(enrollmentID, issue), Kind: "citizen_credentials",
		To: "amina@example.ma", Subject: "Vos identifiants", Text: ns("text " + body), HTML: ns("<p>" + body + "</p>"),
		CreatedAt: at,
	}
}

func credential(enrollmentID string, citizenID int64, issue int, hash string, at time.Time) store.Credential {
	return store.Credential{
		EnrollmentID: enrollmentID, CitizenID: citizenID, IssueNo: issue, PasswordHash: hash,
		CreatedAt: at, ExpiresAt: at.Add(72 * time.Hour),
	}
}

// enrolled opens an enrollment and returns its id and the citizen's id.
func enrolled(t *testing.T, st *store.Store, cin string) (string, int64) {
	t.Helper()
	res := mustEnroll(t, st, newEnrollment(cin, newAgent(t, st), t0))
	c, err := st.CitizenByCIN(context.Background(), cin)
	if err != nil {
		t.Fatalf("CitizenByCIN: %v", err)
	}
	return res.EnrollmentID, c.ID
}

func mustIssue(t *testing.T, st *store.Store, c store.Credential, m store.OutboxMessage) (store.IssuedCredential, bool) {
	t.Helper()
	out, created, err := st.IssueCredential(context.Background(), c, m)
	if err != nil {
		t.Fatalf("IssueCredential(issue %d): %v", c.IssueNo, err)
	}
	return out, created
}

// ---------------------------------------------------------------------------------------
// 1. Enroll

func TestEnrollCreatesCitizenAndEnrollment(t *testing.T) {
	t.Parallel()
	st, db := newStore(t)
	ctx := context.Background()
	agent := newAgent(t, st)
	n := newEnrollment("AB123456", agent, t0)

	res := mustEnroll(t, st, n)
	if !res.Created || res.EnrollmentID != n.ID || res.Status != domain.EnrollmentCredentialsPending {
		t.Fatalf("Enroll = %+v, want Created with id %s and status credentials_pending", res, n.ID)
	}
	c, err := st.CitizenByCIN(ctx, "AB123456")
	if err != nil {
		t.Fatalf("CitizenByCIN: %v", err)
	}
	if c.Status != domain.CitizenPending || c.FirstName != "Amina" || c.LastName != "Benali" || c.Email != "amina@example.ma" ||
		c.Phone != ns("+212600000000") || !c.BirthDate.Equal(n.BirthDate) || c.Language != "fr" ||
		c.PasswordHash.Valid || c.PendingPasswordHash.Valid || !c.CreatedAt.Equal(t0) {
		t.Errorf("citizen = %+v", c)
	}
	e := readEnrollment(t, db, n.ID)
	want := enrollmentRow{Status: string(domain.EnrollmentCredentialsPending), CitizenID: c.ID,
		OpenCitizenID: sql.NullInt64{Int64: c.ID, Valid: true}, AgentStaffID: agent}
	if e != want {
		t.Errorf("enrollment row = %+v, want %+v", e, want)
	}
	steps, err := st.EnrollmentSteps(ctx, n.ID)
	if err != nil {
		t.Fatalf("EnrollmentSteps: %v", err)
	}
	if len(steps) != 1 || steps[0].Name != domain.StepEnrolled || !steps[0].At.Equal(t0) {
		t.Errorf("steps = %+v, want one %q at %v", steps, domain.StepEnrolled, t0)
	}

	// Same CIN while the enrollment is open: the open one is returned, nothing is written.
	again := newEnrollment("AB123456", agent, t0.Add(time.Hour))
	again.FirstName = "Autre"
	res2 := mustEnroll(t, st, again)
	if res2.Created || res2.EnrollmentID != n.ID || res2.Status != domain.EnrollmentCredentialsPending {
		t.Fatalf("second Enroll = %+v, want the open enrollment %s, Created=false", res2, n.ID)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM enrollments`); got != 1 {
		t.Errorf("enrollments = %d, want 1", got)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM citizens`); got != 1 {
		t.Errorf("citizens = %d, want 1", got)
	}
	if got := stepCount(t, db, n.ID, domain.StepEnrolled); got != 1 {
		t.Errorf("enrolled steps = %d, want 1", got)
	}
}

func TestEnrollConcurrentSameCIN(t *testing.T) {
	t.Parallel()
	st, db := newStore(t)
	agent := newAgent(t, st)

	const workers = 20
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		results = make([]store.EnrollResult, workers)
		errs    = make([]error, workers)
		ids     = make(map[string]bool)
		inputs  = make([]store.NewEnrollment, workers)
	)
	for i := range workers {
		inputs[i] = newEnrollment("CD654321", agent, t0)
		ids[inputs[i].ID] = true
	}
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i], errs[i] = st.Enroll(context.Background(), inputs[i])
		}()
	}
	close(start)
	wg.Wait()

	created := 0
	for i, err := range errs {
		if err != nil {
			t.Errorf("worker %d: Enroll: %v", i, err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	first := results[0].EnrollmentID
	for i, r := range results {
		if r.EnrollmentID != first {
			t.Errorf("worker %d got enrollment %s, worker 0 got %s", i, r.EnrollmentID, first)
		}
		if r.Created {
			created++
		}
	}
	if created != 1 {
		t.Errorf("%d results with Created=true, want exactly 1", created)
	}
	if !ids[first] {
		t.Errorf("enrollment id %s is none of the generated ids", first)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM enrollments`); got != 1 {
		t.Errorf("enrollments rows = %d, want 1", got)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM citizens`); got != 1 {
		t.Errorf("citizens rows = %d, want 1", got)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM enrollments WHERE id = ?`, first); got != 1 {
		t.Errorf("enrollment %s not stored", first)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM enrollment_steps`); got != 1 {
		t.Errorf("steps rows = %d, want 1", got)
	}
}

func TestEnrollActiveAccount(t *testing.T) {
	t.Parallel()
	st, db := newStore(t)
	ctx := context.Background()
	eid, cid := enrolled(t, st, "EF111111")
	if err := st.SetPendingPassword(ctx, cid, "$argon2id$pending"); err != nil {
		t.Fatalf("SetPendingPassword: %v", err)
	}
	welcome := store.OutboxMessage{MessageKey: store.WelcomeMessageKey(eid), Kind: "citizen_welcome",
		Subject: "Bienvenue", Text: ns("t"), HTML: ns("h"), CreatedAt: t0}
	if _, err := st.CompleteEnrollment(ctx, eid, welcome, t0.Add(time.Hour)); err != nil {
		t.Fatalf("CompleteEnrollment: %v", err)
	}

	n := newEnrollment("EF111111", newAgent(t, st), t0.Add(2*time.Hour))
	res, err := st.Enroll(ctx, n)
	if !errors.Is(err, store.ErrAccountActive) {
		t.Fatalf("Enroll on an active account = %+v, %v; want ErrAccountActive", res, err)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM enrollments`); got != 1 {
		t.Errorf("enrollments = %d, want 1", got)
	}
}

func TestEnrollAfterLapse(t *testing.T) {
	t.Parallel()
	st, db := newStore(t)
	ctx := context.Background()
	agent := newAgent(t, st)
	first := mustEnroll(t, st, newEnrollment("GH222222", agent, t0))
	c, err := st.CitizenByCIN(ctx, "GH222222")
	if err != nil {
		t.Fatal(err)
	}
	mustIssue(t, st, credential(first.EnrollmentID, c.ID, 1, "$argon2id$one", t0), credentialsMail(first.EnrollmentID, 1, "one", t0))

	lapseAt := t0.Add(10 * 24 * time.Hour)
	if err := st.SetEnrollmentStatus(ctx, first.EnrollmentID, domain.EnrollmentLapsed, domain.StepLapsed, domain.StepLapsed, lapseAt, 0); err != nil {
		t.Fatalf("SetEnrollmentStatus(lapsed): %v", err)
	}
	e := readEnrollment(t, db, first.EnrollmentID)
	if e.Status != string(domain.EnrollmentLapsed) || e.OpenCitizenID.Valid {
		t.Errorf("lapsed enrollment = %+v, want status lapsed and open_citizen_id NULL", e)
	}
	cred, err := st.CredentialByIssue(ctx, first.EnrollmentID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !cred.RevokedAt.Valid || !cred.RevokedAt.Time.Equal(lapseAt) {
		t.Errorf("credential revoked_at = %v, want %v", cred.RevokedAt, lapseAt)
	}
	if _, err := st.CurrentCredential(ctx, c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CurrentCredential after lapse: err = %v, want ErrNotFound", err)
	}
	if got := stepCount(t, db, first.EnrollmentID, domain.StepLapsed); got != 1 {
		t.Errorf("lapsed steps = %d, want 1", got)
	}

	n := newEnrollment("GH222222", agent, lapseAt.Add(time.Hour))
	n.FirstName, n.LastName, n.Email, n.Phone, n.Language = "Aminata", "Benali-Idrissi", "new@example.ma", "", "ar"
	n.BirthDate = time.Date(1991, 6, 1, 0, 0, 0, 0, time.UTC)
	second := mustEnroll(t, st, n)
	if !second.Created || second.EnrollmentID != n.ID || second.EnrollmentID == first.EnrollmentID {
		t.Fatalf("Enroll after lapse = %+v, want a new enrollment %s", second, n.ID)
	}
	e2 := readEnrollment(t, db, n.ID)
	if e2.Status != string(domain.EnrollmentCredentialsPending) || e2.OpenCitizenID != (sql.NullInt64{Int64: c.ID, Valid: true}) || e2.CitizenID != c.ID {
		t.Errorf("new enrollment = %+v", e2)
	}
	c2, err := st.CitizenByID(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c2.FirstName != "Aminata" || c2.LastName != "Benali-Idrissi" || c2.Email != "new@example.ma" || c2.Phone.Valid ||
		c2.Language != "ar" || !c2.BirthDate.Equal(n.BirthDate) || c2.Status != domain.CitizenPending {
		t.Errorf("citizen after re-enrolment = %+v, want the new details", c2)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM citizens`); got != 1 {
		t.Errorf("citizens = %d, want 1", got)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM enrollments WHERE citizen_id = ?`, c.ID); got != 2 {
		t.Errorf("enrollments of the citizen = %d, want 2", got)
	}
}

// ---------------------------------------------------------------------------------------
// 2. IssueCredential

func TestIssueCredentialIdempotent(t *testing.T) {
	t.Parallel()
	st, db := newStore(t)
	eid, cid := enrolled(t, st, "IJ333333")

	c1 := credential(eid, cid, 1, "$argon2id$first", t0)
	out, created := mustIssue(t, st, c1, credentialsMail(eid, 1, "first", t0))
	if !created || out.OutboxID == 0 || out.ID == 0 || out.PasswordHash != "$argon2id$first" || out.IssueNo != 1 ||
		!out.ExpiresAt.Equal(c1.ExpiresAt) {
		t.Fatalf("first IssueCredential = %+v, created=%v", out, created)
	}
	e := readEnrollment(t, db, eid)
	if e.Status != string(domain.EnrollmentAwaitingActivation) || e.CredentialsIssued != 1 {
		t.Errorf("enrollment = %+v, want awaiting_activation with credentials_issued=1", e)
	}
	if got := stepCount(t, db, eid, domain.StepCredentialsIssued); got != 1 {
		t.Errorf("credentials_issued steps = %d, want 1", got)
	}
	ob := readOutbox(t, db, out.OutboxID)
	if ob.MessageKey != store.CredentialsMessageKey(eid, 1) || ob.Text != ns("text first") || ob.HTML != ns("<p>first</p>") {
		t.Errorf("outbox = %+v", ob)
	}

	// The retried activity: same issue, another password and another body.
	retry := credential(eid, cid, 1, "$argon2id$second", t0.Add(time.Minute))
	// Not fatal on error, so that the row checks below still run (the replay branch once
	// failed to scan outbox_id into IssuedCredential).
	out2, created2, err := st.IssueCredential(context.Background(), retry, credentialsMail(eid, 1, "second", t0.Add(time.Minute)))
	if err != nil {
		t.Errorf("second IssueCredential for the same issue: %v", err)
	}
	if created2 {
		t.Error("second IssueCredential for the same issue: created=true")
	}
	if err == nil && (out2.ID != out.ID || out2.OutboxID != out.OutboxID || out2.PasswordHash != "$argon2id$first" ||
		!out2.ExpiresAt.Equal(c1.ExpiresAt) || !out2.CreatedAt.Equal(t0)) {
		t.Errorf("second IssueCredential = %+v, want the first one %+v", out2, out)
	}
	var hash string
	if err := db.Get(&hash, `SELECT password_hash FROM initial_credentials WHERE enrollment_id = ? AND issue_no = 1`, eid); err != nil {
		t.Fatal(err)
	}
	if hash != "$argon2id$first" {
		t.Errorf("stored hash = %q, want the first one", hash)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM initial_credentials`); got != 1 {
		t.Errorf("credential rows = %d, want 1", got)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM email_outbox`); got != 1 {
		t.Errorf("outbox rows = %d, want 1", got)
	}
	if ob2 := readOutbox(t, db, out.OutboxID); ob2 != ob {
		t.Errorf("outbox changed by the retry: %+v, was %+v", ob2, ob)
	}
	if got := stepCount(t, db, eid, domain.StepCredentialsIssued); got != 1 {
		t.Errorf("credentials_issued steps = %d, want 1", got)
	}
}

func TestIssueCredentialReissue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		firstSent     bool
		wantCancelled bool
	}{
		{name: "unsent e-mail is cancelled", firstSent: false, wantCancelled: true},
		{name: "sent e-mail is kept", firstSent: true, wantCancelled: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st, db := newStore(t)
			ctx := context.Background()
			eid, cid := enrolled(t, st, "KL444444")

			one, _ := mustIssue(t, st, credential(eid, cid, 1, "$argon2id$one", t0), credentialsMail(eid, 1, "one", t0))
			sentAt := t0.Add(time.Minute)
			if tc.firstSent {
				if err := st.MarkOutboxSent(ctx, one.OutboxID, sentAt); err != nil {
					t.Fatal(err)
				}
			}
			at2 := t0.Add(4 * 24 * time.Hour)
			two, created := mustIssue(t, st, credential(eid, cid, 2, "$argon2id$two", at2), credentialsMail(eid, 2, "two", at2))
			if !created || two.OutboxID == one.OutboxID || two.ID == one.ID {
				t.Fatalf("issue 2 = %+v created=%v (issue 1 = %+v)", two, created, one)
			}

			c1, err := st.CredentialByIssue(ctx, eid, 1)
			if err != nil {
				t.Fatal(err)
			}
			if !c1.RevokedAt.Valid || !c1.RevokedAt.Time.Equal(at2) {
				t.Errorf("issue 1 revoked_at = %v, want %v", c1.RevokedAt, at2)
			}
			c2, err := st.CredentialByIssue(ctx, eid, 2)
			if err != nil {
				t.Fatal(err)
			}
			if c2.RevokedAt.Valid {
				t.Errorf("issue 2 revoked: %v", c2.RevokedAt)
			}

			ob1 := readOutbox(t, db, one.OutboxID)
			if tc.wantCancelled {
				if !ob1.CancelledAt.Valid || !ob1.CancelledAt.Time.Equal(at2) || ob1.Text.Valid || ob1.HTML.Valid || ob1.SentAt.Valid {
					t.Errorf("issue 1 e-mail = %+v, want cancelled at %v with bodies erased", ob1, at2)
				}
			} else {
				if ob1.CancelledAt.Valid || !ob1.SentAt.Valid || !ob1.SentAt.Time.Equal(sentAt) {
					t.Errorf("issue 1 e-mail = %+v, want sent at %v and not cancelled", ob1, sentAt)
				}
			}
			ob2 := readOutbox(t, db, two.OutboxID)
			if ob2.CancelledAt.Valid || ob2.Text != ns("text two") || ob2.HTML != ns("<p>two</p>") {
				t.Errorf("issue 2 e-mail = %+v, want queued with its bodies", ob2)
			}

			e := readEnrollment(t, db, eid)
			if e.Status != string(domain.EnrollmentAwaitingActivation) || e.CredentialsIssued != 2 {
				t.Errorf("enrollment = %+v, want awaiting_activation with credentials_issued=2", e)
			}
			if got := stepCount(t, db, eid, domain.StepCredentialsIssued); got != 2 {
				t.Errorf("credentials_issued steps = %d, want 2", got)
			}
			cur, err := st.CurrentCredential(ctx, cid)
			if err != nil {
				t.Fatalf("CurrentCredential: %v", err)
			}
			if cur.IssueNo != 2 || cur.PasswordHash != "$argon2id$two" || cur.ID != two.ID {
				t.Errorf("CurrentCredential = %+v, want issue 2", cur)
			}
		})
	}
}

// ---------------------------------------------------------------------------------------
// 3. ConfirmActivation and CompleteEnrollment

func TestConfirmActivationAndCompleteEnrollment(t *testing.T) {
	t.Parallel()
	st, db := newStore(t)
	ctx := context.Background()
	eid, cid := enrolled(t, st, "MN555555")
	mustIssue(t, st, credential(eid, cid, 1, "$argon2id$one", t0), credentialsMail(eid, 1, "one", t0))

	act1 := t0.Add(time.Hour)
	if err := st.ConfirmActivation(ctx, eid, 1, act1, 0); err != nil {
		t.Fatalf("ConfirmActivation: %v", err)
	}
	if err := st.ConfirmActivation(ctx, eid, 1, act1.Add(time.Hour), 0); err != nil {
		t.Fatalf("second ConfirmActivation: %v", err)
	}
	cred, err := st.CredentialByIssue(ctx, eid, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !cred.ActivatedAt.Valid || !cred.ActivatedAt.Time.Equal(act1) {
		t.Errorf("activated_at = %v, want the first time %v", cred.ActivatedAt, act1)
	}
	if e := readEnrollment(t, db, eid); e.Status != string(domain.EnrollmentPasswordChangeRequired) {
		t.Errorf("status = %q, want password_change_required", e.Status)
	}
	if got := stepCount(t, db, eid, domain.StepActivated); got != 1 {
		t.Errorf("activated steps = %d, want 1", got)
	}

	if err := st.SetPendingPassword(ctx, cid, "$argon2id$chosen"); err != nil {
		t.Fatalf("SetPendingPassword: %v", err)
	}
	doneAt := t0.Add(3 * time.Hour)
	welcome := store.OutboxMessage{MessageKey: store.WelcomeMessageKey(eid), Kind: "citizen_welcome", To: "ignored@example.ma",
		Subject: "Bienvenue", Text: ns("welcome text"), HTML: ns("<p>welcome</p>"), CreatedAt: doneAt}
	outboxID, err := st.CompleteEnrollment(ctx, eid, welcome, doneAt)
	if err != nil {
		t.Fatalf("CompleteEnrollment: %v", err)
	}
	c, err := st.CitizenByID(ctx, cid)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != domain.CitizenActive || c.PasswordHash != ns("$argon2id$chosen") || c.PendingPasswordHash.Valid ||
		!c.ActivatedAt.Valid || !c.ActivatedAt.Time.Equal(doneAt) {
		t.Errorf("citizen = %+v, want active with the pending hash promoted", c)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM initial_credentials WHERE enrollment_id = ? AND revoked_at IS NULL`, eid); got != 0 {
		t.Errorf("%d live credentials after completion, want 0", got)
	}
	e := readEnrollment(t, db, eid)
	if e.Status != string(domain.EnrollmentActive) || e.OpenCitizenID.Valid {
		t.Errorf("enrollment = %+v, want active with open_citizen_id NULL", e)
	}
	ob := readOutbox(t, db, outboxID)
	if ob.MessageKey != store.WelcomeMessageKey(eid) || ob.Kind != "citizen_welcome" || ob.To != "amina@example.ma" ||
		ob.Text != ns("welcome text") || ob.SentAt.Valid || ob.CancelledAt.Valid {
		t.Errorf("welcome outbox = %+v, want queued to the citizen's e-mail", ob)
	}
	if got := stepCount(t, db, eid, domain.StepPasswordChanged); got != 1 {
		t.Errorf("password_changed steps = %d, want 1", got)
	}

	// A retried activity.
	welcome.Text = ns("other text")
	again, err := st.CompleteEnrollment(ctx, eid, welcome, doneAt.Add(time.Hour))
	if err != nil {
		t.Fatalf("second CompleteEnrollment: %v", err)
	}
	if again != outboxID {
		t.Errorf("second CompleteEnrollment outbox id = %d, want %d", again, outboxID)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM email_outbox WHERE kind = 'citizen_welcome'`); got != 1 {
		t.Errorf("welcome rows = %d, want 1", got)
	}
	if ob2 := readOutbox(t, db, outboxID); ob2 != ob {
		t.Errorf("welcome outbox changed by the retry: %+v", ob2)
	}
	c2, err := st.CitizenByID(ctx, cid)
	if err != nil {
		t.Fatal(err)
	}
	if c2.PasswordHash != ns("$argon2id$chosen") || !c2.ActivatedAt.Time.Equal(doneAt) || c2.Status != domain.CitizenActive {
		t.Errorf("citizen after retry = %+v", c2)
	}
	if got := stepCount(t, db, eid, domain.StepPasswordChanged); got != 1 {
		t.Errorf("password_changed steps after retry = %d, want 1", got)
	}
}

// ---------------------------------------------------------------------------------------
// 4. Authentication failures

func loginKey(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func TestRecordFailureLocks(t *testing.T) {
	t.Parallel()
	st, db := newStore(t)
	ctx := context.Background()
	key := loginKey("cin:OP666666")
	other := loginKey("cin:OP666667")

	record := func(n int, at time.Time) []time.Time {
		t.Helper()
		var out []time.Time
		for range n {
			until, err := st.RecordFailure(ctx, key, nil, at, domain.SourceLock)
			if err != nil {
				t.Fatalf("RecordFailure: %v", err)
			}
			out = append(out, until)
		}
		return out
	}
	lockedUntil := func(k []byte, at time.Time) time.Time {
		t.Helper()
		until, err := st.LockedUntil(ctx, k, nil, at)
		if err != nil {
			t.Fatalf("LockedUntil: %v", err)
		}
		return until
	}

	for i, until := range record(4, t0) {
		if !until.IsZero() {
			t.Errorf("failure %d locked until %v, want no lock", i+1, until)
		}
	}
	if got := lockedUntil(key, t0); !got.IsZero() {
		t.Errorf("LockedUntil after 4 failures = %v, want zero", got)
	}
	first := t0.Add(15 * time.Minute)
	if got := record(1, t0)[0]; !got.Equal(first) {
		t.Fatalf("5th failure locked until %v, want %v", got, first)
	}
	for _, tc := range []struct {
		at   time.Time
		want time.Time
	}{
		{t0, first},
		{t0.Add(14 * time.Minute), first},
		{first, time.Time{}},
		{first.Add(time.Second), time.Time{}},
	} {
		if got := lockedUntil(key, tc.at); !got.Equal(tc.want) {
			t.Errorf("LockedUntil(at %v) = %v, want %v", tc.at, got, tc.want)
		}
	}
	if got := lockedUntil(other, t0); !got.IsZero() {
		t.Errorf("another key is locked until %v", got)
	}

	at2 := first.Add(time.Minute)
	second := record(5, at2)
	for i, until := range second[:4] {
		if !until.IsZero() {
			t.Errorf("failure %d of the second round locked until %v", i+1, until)
		}
	}
	if want := at2.Add(30 * time.Minute); !second[4].Equal(want) {
		t.Errorf("second lock until %v, want %v", second[4], want)
	}
	if got := lockedUntil(key, at2); !got.Equal(at2.Add(30 * time.Minute)) {
		t.Errorf("LockedUntil during the second lock = %v", got)
	}
	var row struct {
		Failures int `db:"failures"`
		Locks    int `db:"locks"`
	}
	if err := db.Get(&row, `SELECT failures, locks FROM auth_failures WHERE subject_key = ?`, key); err != nil {
		t.Fatal(err)
	}
	if row.Failures != 0 || row.Locks != 2 {
		t.Errorf("row = %+v, want failures 0 and locks 2", row)
	}

	if err := st.ResetFailures(ctx, key, nil); err != nil {
		t.Fatalf("ResetFailures: %v", err)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM auth_failures WHERE subject_key = ?`, key); got != 0 {
		t.Errorf("auth_failures rows after reset = %d, want 0", got)
	}
	if got := lockedUntil(key, at2); !got.IsZero() {
		t.Errorf("LockedUntil after reset = %v, want zero", got)
	}
	// The lock history is forgotten too: the next lock is a first one again.
	at3 := at2.Add(time.Minute)
	if got := record(5, at3)[4]; !got.Equal(at3.Add(15 * time.Minute)) {
		t.Errorf("lock after reset until %v, want %v", got, at3.Add(15*time.Minute))
	}
}

func TestRecordFailureConcurrent(t *testing.T) {
	t.Parallel()
	st, db := newStore(t)
	key := loginKey("cin:QR777777")

	const calls = 50
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, calls)
		locks = make([]time.Time, calls)
	)
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			locks[i], errs[i] = st.RecordFailure(context.Background(), key, nil, t0, domain.SourceLock)
		}()
	}
	close(start)
	wg.Wait()
	nonZero := 0
	for i := range calls {
		if errs[i] != nil {
			t.Errorf("call %d: RecordFailure: %v", i, errs[i])
		}
		if !locks[i].IsZero() {
			nonZero++
		}
	}
	var row struct {
		Failures int `db:"failures"`
		Locks    int `db:"locks"`
	}
	if err := db.Get(&row, `SELECT failures, locks FROM auth_failures WHERE subject_key = ?`, key); err != nil {
		t.Fatal(err)
	}
	if row.Locks != 10 || row.Failures != 0 {
		t.Errorf("row = %+v, want locks 10 and failures 0", row)
	}
	if nonZero != 10 {
		t.Errorf("%d calls returned a lock, want 10", nonZero)
	}
}

// ---------------------------------------------------------------------------------------
// 5. Idempotency keys

func TestIdempotency(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := context.Background()
	h1, h2 := loginKey("request one"), loginKey("request two")

	begin := func(scope, key string, hash []byte) (*store.IdempotentResponse, error) {
		return st.BeginIdempotent(ctx, scope, key, hash, t0)
	}
	resp, err := begin("enroll", "k1", h1)
	if resp != nil || err != nil {
		t.Fatalf("first Begin = %v, %v; want nil, nil", resp, err)
	}
	for _, tc := range []struct {
		name string
		hash []byte
		want error
	}{
		{"same request in progress", h1, store.ErrIdempotencyInProgress},
		{"other request", h2, store.ErrIdempotencyMismatch},
	} {
		resp, err := begin("enroll", "k1", tc.hash)
		if resp != nil || !errors.Is(err, tc.want) {
			t.Errorf("%s: Begin = %v, %v; want %v", tc.name, resp, err, tc.want)
		}
	}

	// Scopes are independent: the same key in another scope is a new claim.
	if resp, err := begin("password", "k1", h2); resp != nil || err != nil {
		t.Errorf("same key in another scope: Begin = %v, %v; want nil, nil", resp, err)
	}

	stored := store.IdempotentResponse{StatusCode: 201, ContentType: "application/json", Body: []byte(`{"id":"01J"}`)}
	if err := st.CompleteIdempotent(ctx, "enroll", "k1", stored); err != nil {
		t.Fatalf("CompleteIdempotent: %v", err)
	}
	resp, err = begin("enroll", "k1", h1)
	if err != nil || resp == nil || resp.StatusCode != 201 || resp.ContentType != "application/json" || string(resp.Body) != `{"id":"01J"}` {
		t.Fatalf("Begin after completion = %+v, %v; want the stored response", resp, err)
	}
	if _, err := begin("enroll", "k1", h2); !errors.Is(err, store.ErrIdempotencyMismatch) {
		t.Errorf("other request after completion: err = %v, want mismatch", err)
	}
	// The other scope's claim is still in progress.
	if _, err := begin("password", "k1", h2); !errors.Is(err, store.ErrIdempotencyInProgress) {
		t.Errorf("other scope after completion of the first: err = %v, want in progress", err)
	}
	// Release does not forget a completed key.
	if err := st.ReleaseIdempotent(ctx, "enroll", "k1"); err != nil {
		t.Fatal(err)
	}
	if resp, err := begin("enroll", "k1", h1); err != nil || resp == nil || resp.StatusCode != 201 {
		t.Errorf("Begin after releasing a completed key = %+v, %v; want the stored response", resp, err)
	}

	// Release makes an in-progress key claimable again (even for another body).
	if err := st.ReleaseIdempotent(ctx, "password", "k1"); err != nil {
		t.Fatalf("ReleaseIdempotent: %v", err)
	}
	if resp, err := begin("password", "k1", h1); resp != nil || err != nil {
		t.Errorf("Begin after release = %v, %v; want nil, nil", resp, err)
	}
	if _, err := begin("password", "k1", h1); !errors.Is(err, store.ErrIdempotencyInProgress) {
		t.Errorf("Begin of the reclaimed key: err = %v, want in progress", err)
	}
}

// ---------------------------------------------------------------------------------------
// 6. Sessions

func TestSessions(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := context.Background()

	mk := func(name string, kind domain.SubjectKind, subject int64, scope domain.SessionScope) store.Session {
		return store.Session{TokenHash: loginKey(name), SubjectKind: kind, SubjectID: subject, Scope: scope,
			CreatedAt: t0, LastSeenAt: t0.Add(time.Minute), ExpiresAt: t0.Add(12 * time.Hour)}
	}
	keep := mk("keep", domain.SubjectCitizen, 7, domain.ScopePasswordChange)
	sameA := mk("same-a", domain.SubjectCitizen, 7, domain.ScopeFull)
	sameB := mk("same-b", domain.SubjectCitizen, 7, domain.ScopePasswordChange)
	oldRevoked := mk("old", domain.SubjectCitizen, 7, domain.ScopeFull)
	otherSubject := mk("other-subject", domain.SubjectCitizen, 8, domain.ScopeFull)
	otherKind := mk("other-kind", domain.SubjectStaff, 7, domain.ScopeFull)
	for _, se := range []store.Session{keep, sameA, sameB, oldRevoked, otherSubject, otherKind} {
		if err := st.CreateSession(ctx, se); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
	}

	got, err := st.SessionByHash(ctx, keep.TokenHash)
	if err != nil {
		t.Fatalf("SessionByHash: %v", err)
	}
	if string(got.TokenHash) != string(keep.TokenHash) || got.SubjectKind != keep.SubjectKind || got.SubjectID != 7 ||
		got.Scope != domain.ScopePasswordChange || !got.CreatedAt.Equal(keep.CreatedAt) || !got.LastSeenAt.Equal(keep.LastSeenAt) ||
		!got.ExpiresAt.Equal(keep.ExpiresAt) || got.RevokedAt.Valid {
		t.Errorf("SessionByHash = %+v, want %+v", got, keep)
	}
	if _, err := st.SessionByHash(ctx, loginKey("unknown")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown session: err = %v, want ErrNotFound", err)
	}

	revokedAt := t0.Add(time.Hour)
	if err := st.RevokeSession(ctx, oldRevoked.TokenHash, revokedAt); err != nil {
		t.Fatalf("RevokeSession: %v", err)
	}
	if err := st.RevokeSession(ctx, oldRevoked.TokenHash, revokedAt.Add(time.Hour)); err != nil {
		t.Fatalf("second RevokeSession: %v", err)
	}

	at := t0.Add(2 * time.Hour)
	if err := st.RevokeOtherSessions(ctx, domain.SubjectCitizen, 7, keep.TokenHash, at); err != nil {
		t.Fatalf("RevokeOtherSessions: %v", err)
	}
	for _, tc := range []struct {
		name        string
		se          store.Session
		wantRevoked time.Time // zero: not revoked
		wantScope   domain.SessionScope
	}{
		{"kept", keep, time.Time{}, domain.ScopeFull},
		{"same subject full", sameA, at, domain.ScopeFull},
		{"same subject password_change", sameB, at, domain.ScopePasswordChange},
		{"already revoked keeps its time", oldRevoked, revokedAt, domain.ScopeFull},
		{"other subject", otherSubject, time.Time{}, domain.ScopeFull},
		{"other kind", otherKind, time.Time{}, domain.ScopeFull},
	} {
		got, err := st.SessionByHash(ctx, tc.se.TokenHash)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tc.wantRevoked.IsZero() {
			if got.RevokedAt.Valid {
				t.Errorf("%s: revoked at %v, want not revoked", tc.name, got.RevokedAt.Time)
			}
		} else if !got.RevokedAt.Valid || !got.RevokedAt.Time.Equal(tc.wantRevoked) {
			t.Errorf("%s: revoked_at = %v, want %v", tc.name, got.RevokedAt, tc.wantRevoked)
		}
		if got.Scope != tc.wantScope {
			t.Errorf("%s: scope = %q, want %q", tc.name, got.Scope, tc.wantScope)
		}
	}
	if got, _ := st.SessionByHash(ctx, keep.TokenHash); !got.LastSeenAt.Equal(at) {
		t.Errorf("kept session last_seen_at = %v, want %v", got.LastSeenAt, at)
	}

	if err := st.RevokeSession(ctx, keep.TokenHash, at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.SessionByHash(ctx, keep.TokenHash); !got.RevokedAt.Valid || !got.RevokedAt.Time.Equal(at.Add(time.Minute)) {
		t.Errorf("after logout: revoked_at = %v", got.RevokedAt)
	}
	if got, _ := st.SessionByHash(ctx, otherSubject.TokenHash); got.RevokedAt.Valid {
		t.Errorf("logout revoked another session")
	}
}

// ---------------------------------------------------------------------------------------
// 7. Outbox

func TestOutboxSentAndFailed(t *testing.T) {
	t.Parallel()
	st, db := newStore(t)
	ctx := context.Background()

	m := store.OutboxMessage{MessageKey: "staff/1/credentials", Kind: "staff_credentials", To: "agent@oc.gov.ma",
		Subject: "Identifiants", Text: ns("mot de passe: X"), HTML: ns("<p>X</p>"), CreatedAt: t0}
	id, err := st.Enqueue(ctx, m)
	if err != nil || id == 0 {
		t.Fatalf("Enqueue = %d, %v", id, err)
	}
	if again, err := st.Enqueue(ctx, m); err != nil || again != id {
		t.Errorf("Enqueue of the same key = %d, %v; want %d", again, err, id)
	}
	if byKey, err := st.OutboxIDByKey(ctx, m.MessageKey); err != nil || byKey != id {
		t.Errorf("OutboxIDByKey = %d, %v; want %d", byKey, err, id)
	}

	for i, tc := range []struct {
		reason string
		want   string
	}{
		{"smtp 451 try later", "smtp 451 try later"},
		{strings.Repeat("x", 600), strings.Repeat("x", 500)},
		{strings.Repeat("y", 500), strings.Repeat("y", 500)},
	} {
		if err := st.MarkOutboxFailed(ctx, id, tc.reason); err != nil {
			t.Fatalf("MarkOutboxFailed(%d bytes): %v", len(tc.reason), err)
		}
		r := readOutbox(t, db, id)
		if r.Attempts != i+1 || r.LastError != ns(tc.want) {
			t.Errorf("after failure %d: attempts %d, last_error %d bytes; want %d and %d bytes",
				i+1, r.Attempts, len(r.LastError.String), i+1, len(tc.want))
		}
		if r.SentAt.Valid || r.Text != m.Text || r.HTML != m.HTML {
			t.Errorf("failure touched the e-mail: %+v", r)
		}
	}

	sentAt := t0.Add(time.Minute)
	if err := st.MarkOutboxSent(ctx, id, sentAt); err != nil {
		t.Fatalf("MarkOutboxSent: %v", err)
	}
	r := readOutbox(t, db, id)
	if !r.SentAt.Valid || !r.SentAt.Time.Equal(sentAt) || r.Text.Valid || r.HTML.Valid || r.Attempts != 4 || r.LastError.Valid {
		t.Errorf("after sending: %+v; want sent_at %v, bodies NULL, attempts 4, last_error NULL", r, sentAt)
	}
	got, err := st.OutboxByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Text.Valid || got.HTML.Valid || !got.SentAt.Time.Equal(sentAt) || got.To != m.To || got.Subject != m.Subject {
		t.Errorf("OutboxByID = %+v", got)
	}
}

// A failure reason longer than 500 bytes whose 500th byte falls inside a multi-byte
// character must still be recorded (as valid UTF-8, at most 500 characters).
func TestMarkOutboxFailedTruncatesMultibyte(t *testing.T) {
	t.Parallel()
	st, db := newStore(t)
	ctx := context.Background()
	id, err := st.Enqueue(ctx, store.OutboxMessage{MessageKey: "k", Kind: "citizen_welcome", To: "a@example.ma",
		Subject: "s", Text: ns("t"), HTML: ns("h"), CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	reason := "a" + strings.Repeat("é", 300) // 601 bytes: byte 500 splits an "é"
	if err := st.MarkOutboxFailed(ctx, id, reason); err != nil {
		t.Fatalf("MarkOutboxFailed: %v", err)
	}
	r := readOutbox(t, db, id)
	if r.Attempts != 1 || !r.LastError.Valid || !utf8.ValidString(r.LastError.String) ||
		utf8.RuneCountInString(r.LastError.String) > 500 || !strings.HasPrefix(reason, r.LastError.String) ||
		len(r.LastError.String) < 490 {
		t.Errorf("attempts %d, last_error %q", r.Attempts, r.LastError.String)
	}
}

// TestIdempotencyKeyTakenOverWhenAbandoned: a key left in progress (its request lost the
// database before storing an answer) is refused while a request could still be running,
// then taken over by exactly one retry.
func TestIdempotencyKeyTakenOverWhenAbandoned(t *testing.T) {
	st, _ := newStore(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 30, 10, 0, 0, 123456000, time.UTC)
	hash := []byte("request-hash-0123456789abcdef012")
	if got, err := st.BeginIdempotent(ctx, "s", "k", hash, t0); got != nil || err != nil {
		t.Fatalf("first claim: %v %v", got, err)
	}
	if _, err := st.BeginIdempotent(ctx, "s", "k", hash, t0.Add(store.IdempotencyTakeover-time.Second)); !errors.Is(err, store.ErrIdempotencyInProgress) {
		t.Fatalf("while the first could still run: %v", err)
	}
	later := t0.Add(store.IdempotencyTakeover + time.Second)
	wins := 0
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := st.BeginIdempotent(ctx, "s", "k", hash, later)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case got == nil && err == nil:
				wins++
			case !errors.Is(err, store.ErrIdempotencyInProgress):
				t.Errorf("retry: %v %v", got, err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d retries took the key over, want 1", wins)
	}
	if err := st.CompleteIdempotent(ctx, "s", "k", store.IdempotentResponse{StatusCode: 201, ContentType: "application/json", Body: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	got, err := st.BeginIdempotent(ctx, "s", "k", hash, later.Add(time.Hour))
	if err != nil || got == nil || got.StatusCode != 201 {
		t.Fatalf("the stored answer is replayed: %v %v", got, err)
	}
}

// TestKeepCredentialUntil: an activation near the expiry moves it later, never earlier.
func TestKeepCredentialUntil(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := context.Background()
	eid, cid := enrolled(t, st, "MN555556")
	c := credential(eid, cid, 1, "$argon2id$one", t0)
	mustIssue(t, st, c, credentialsMail(eid, 1, "one", t0))
	for _, tc := range []struct {
		until, want time.Time
	}{
		{c.ExpiresAt.Add(-time.Hour), c.ExpiresAt},                             // earlier: kept
		{c.ExpiresAt.Add(10 * time.Minute), c.ExpiresAt.Add(10 * time.Minute)}, // later: moved
		{c.ExpiresAt, c.ExpiresAt.Add(10 * time.Minute)},                       // never back
	} {
		got, err := st.KeepCredentialUntil(ctx, eid, 1, tc.until)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := st.CredentialByIssue(ctx, eid, 1)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(tc.want) || !stored.ExpiresAt.Equal(tc.want) {
			t.Errorf("until %v: expires %v (stored %v), want %v", tc.until, got, stored.ExpiresAt, tc.want)
		}
	}
}
