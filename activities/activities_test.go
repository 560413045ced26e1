package activities_test

import (
	"context"
	"errors"
	"occonnect/activities/contract"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/oklog/ulid/v2"
	"go.temporal.io/sdk/temporal"

	"occonnect/activities"
	"occonnect/domain"
	"occonnect/internal/passhash"
	"occonnect/internal/testenv"
	"occonnect/mail"
	"occonnect/store"
)

// now is the fixed clock of the tests.
var now = time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)

const (
	ttl = 72 * time.Hour
	cin = "AB123456"
)

// fastParams keep Argon2id cheap in tests.
var fastParams = passhash.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

type fixture struct {
	acts         *activities.Activities
	st           *store.Store
	db           *sqlx.DB
	mailer       *mail.RecordingSender
	enrollmentID string
	citizenID    int64
}

func setup(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	db := testenv.MySQL(t)
	st := store.New(db)
	hasher, err := passhash.NewHasher(fastParams)
	if err != nil {
		t.Fatalf("NewHasher: %v", err)
	}
	agent, err := st.CreateStaff(ctx, store.Staff{Email: "agent@oc.gov.ma", Role: domain.RoleAgent,
		PasswordHash: "$argon2id$dummy", CreatedAt: now})
	if err != nil {
		t.Fatalf("CreateStaff: %v", err)
	}
	res, err := st.Enroll(ctx, store.NewEnrollment{
		ID: ulid.Make().String(), CIN: cin, FirstName: "Amina", LastName: "Benali", Email: "amina@example.ma",
		BirthDate: time.Date(1990, 5, 17, 0, 0, 0, 0, time.UTC), Language: "fr", AgentStaffID: agent, Now: now,
	})
	if err != nil {
		t.Fatalf("Enroll: %v", err)
	}
	c, err := st.CitizenByCIN(ctx, cin)
	if err != nil {
		t.Fatalf("CitizenByCIN: %v", err)
	}
	mailer := &mail.RecordingSender{}
	return fixture{
		acts: &activities.Activities{Store: st, Mailer: mailer, Hasher: hasher,
			Now: func() time.Time { return now }, CredentialTTL: ttl},
		st: st, db: db, mailer: mailer, enrollmentID: res.EnrollmentID, citizenID: c.ID,
	}
}

func (f fixture) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	return testenv.Count(t, f.db, query, args...)
}

func (f fixture) outbox(t *testing.T, id int64) store.OutboxMessage {
	t.Helper()
	m, err := f.st.OutboxByID(context.Background(), id)
	if err != nil {
		t.Fatalf("read outbox %d: %v", id, err)
	}
	return m
}

func (f fixture) issue(t *testing.T, issueNo int) contract.IssueCredentialsResult {
	t.Helper()
	res, err := f.acts.IssueCredentials(context.Background(), contract.IssueCredentialsInput{EnrollmentID: f.enrollmentID, IssueNo: issueNo})
	if err != nil {
		t.Fatalf("IssueCredentials(%d): %v", issueNo, err)
	}
	return res
}

var passwordLine = regexp.MustCompile(`(?m)^Mot de passe provisoire : (\S+)$`)

// mailedPassword extracts the password from the French line of a credentials e-mail.
func mailedPassword(t *testing.T, text string) string {
	t.Helper()
	m := passwordLine.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no line %q in the e-mail text:\n%s", "Mot de passe provisoire : <pw>", text)
	}
	return m[1]
}

func (f fixture) storedHash(t *testing.T, issueNo int) string {
	t.Helper()
	var h string
	if err := f.db.Get(&h, `SELECT password_hash FROM initial_credentials WHERE enrollment_id = ? AND issue_no = ?`,
		f.enrollmentID, issueNo); err != nil {
		t.Fatalf("read credential %d: %v", issueNo, err)
	}
	return h
}

func applicationError(err error) *temporal.ApplicationError {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr
	}
	return nil
}

func assertNonRetryable(t *testing.T, err error, wantType string) {
	t.Helper()
	appErr := applicationError(err)
	if appErr == nil || !appErr.NonRetryable() || appErr.Type() != wantType {
		t.Fatalf("error = %v (%T); want a non-retryable ApplicationError of type %q", err, err, wantType)
	}
}

// ---------------------------------------------------------------------------------------
// 8. IssueCredentials

func TestIssueCredentialsRetried(t *testing.T) {
	t.Parallel()
	f := setup(t)

	first := f.issue(t, 1)
	second := f.issue(t, 1) // the retried activity
	wantExpiry := now.Add(ttl)
	for i, r := range []contract.IssueCredentialsResult{first, second} {
		if !r.ExpiresAt.Equal(wantExpiry) || r.OutboxID == 0 {
			t.Errorf("call %d: %+v, want ExpiresAt %v and an outbox id", i+1, r, wantExpiry)
		}
	}
	if second.OutboxID != first.OutboxID {
		t.Errorf("retry outbox id %d, first %d", second.OutboxID, first.OutboxID)
	}
	if got := f.count(t, `SELECT COUNT(*) FROM initial_credentials`); got != 1 {
		t.Errorf("credential rows = %d, want 1", got)
	}
	if got := f.count(t, `SELECT COUNT(*) FROM email_outbox`); got != 1 {
		t.Errorf("outbox rows = %d, want 1", got)
	}

	ob := f.outbox(t, first.OutboxID)
	if ob.To != "amina@example.ma" || !ob.Text.Valid || !ob.HTML.Valid || ob.SentAt.Valid || ob.CancelledAt.Valid {
		t.Fatalf("outbox = %+v, want a queued e-mail to the citizen", ob)
	}
	pw := mailedPassword(t, ob.Text.String)
	if len(pw) != passhash.InitialPasswordLen {
		t.Errorf("mailed password has %d characters, want %d", len(pw), passhash.InitialPasswordLen)
	}
	hash := f.storedHash(t, 1)
	if ok, err := passhash.Verify(pw, hash); err != nil || !ok {
		t.Errorf("stored hash does not verify the mailed password: ok=%v err=%v", ok, err)
	}
	if strings.Contains(hash, pw) {
		t.Error("the password is stored in clear")
	}
	if !strings.Contains(ob.HTML.String, pw) {
		t.Error("the HTML body does not carry the password")
	}
	for name, s := range map[string]string{"subject": ob.Subject, "text": ob.Text.String, "html": ob.HTML.String} {
		if strings.Contains(s, cin) {
			t.Errorf("the CIN appears in the e-mail %s", name)
		}
	}
	cred, err := f.st.CredentialByIssue(context.Background(), f.enrollmentID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !cred.CreatedAt.Equal(now) || !cred.ExpiresAt.Equal(wantExpiry) || cred.CitizenID != f.citizenID || cred.RevokedAt.Valid {
		t.Errorf("credential = %+v", cred)
	}
	e, err := f.st.EnrollmentByID(context.Background(), f.enrollmentID)
	if err != nil {
		t.Fatal(err)
	}
	if e.Status != domain.EnrollmentAwaitingActivation || e.CredentialsIssued != 1 {
		t.Errorf("enrollment = %+v", e)
	}
}

// Two attempts of the same activity running at once (a retry after a start-to-close
// timeout while the first attempt still runs) must still make one password, and the mailed
// one must be the stored one.
func TestIssueCredentialsConcurrentAttempts(t *testing.T) {
	t.Parallel()
	f := setup(t)

	const attempts = 2
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		results = make([]contract.IssueCredentialsResult, attempts)
		errs    = make([]error, attempts)
	)
	for i := range attempts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i], errs[i] = f.acts.IssueCredentials(context.Background(),
				contract.IssueCredentialsInput{EnrollmentID: f.enrollmentID, IssueNo: 1})
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("attempt %d: %v", i+1, err)
		}
	}
	if got := f.count(t, `SELECT COUNT(*) FROM initial_credentials`); got != 1 {
		t.Errorf("credential rows = %d, want 1", got)
	}
	if got := f.count(t, `SELECT COUNT(*) FROM email_outbox`); got != 1 {
		t.Fatalf("outbox rows = %d, want 1", got)
	}
	id, err := f.st.OutboxIDByKey(context.Background(), store.CredentialsMessageKey(f.enrollmentID, 1))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		if errs[i] == nil && (r.OutboxID != id || !r.ExpiresAt.Equal(now.Add(ttl))) {
			t.Errorf("attempt %d result %+v, want outbox %d", i+1, r, id)
		}
	}
	pw := mailedPassword(t, f.outbox(t, id).Text.String)
	if ok, err := passhash.Verify(pw, f.storedHash(t, 1)); err != nil || !ok {
		t.Errorf("stored hash does not verify the mailed password: ok=%v err=%v", ok, err)
	}
}

func TestIssueCredentialsUnknownEnrollment(t *testing.T) {
	t.Parallel()
	f := setup(t)
	_, err := f.acts.IssueCredentials(context.Background(), contract.IssueCredentialsInput{EnrollmentID: ulid.Make().String(), IssueNo: 1})
	assertNonRetryable(t, err, contract.ErrTypeNotFound)
	if got := f.count(t, `SELECT COUNT(*) FROM initial_credentials`); got != 0 {
		t.Errorf("credential rows = %d, want 0", got)
	}
}

// ---------------------------------------------------------------------------------------
// 9. SendEmail

func TestSendEmailRetriesThenSendsOnce(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	issued := f.issue(t, 1)
	pw := mailedPassword(t, f.outbox(t, issued.OutboxID).Text.String)
	in := contract.SendEmailInput{OutboxID: issued.OutboxID, EnrollmentID: f.enrollmentID,
		Step: domain.StepCredentialsEmailed, StepKey: domain.StepCredentialsEmailed + "/1"}
	emailedSteps := func() int {
		return f.count(t, `SELECT COUNT(*) FROM enrollment_steps WHERE enrollment_id = ? AND name = ?`,
			f.enrollmentID, domain.StepCredentialsEmailed)
	}

	f.mailer.SetFailTimes(2, nil)
	for attempt := 1; attempt <= 2; attempt++ {
		err := f.acts.SendEmail(ctx, in)
		if err == nil {
			t.Fatalf("attempt %d: SendEmail succeeded while the server fails", attempt)
		}
		if appErr := applicationError(err); appErr != nil && appErr.NonRetryable() {
			t.Fatalf("attempt %d: transient failure returned as non-retryable: %v", attempt, err)
		}
		r := f.outbox(t, issued.OutboxID)
		if r.Attempts != attempt || !r.LastError.Valid || r.LastError.String == "" || r.SentAt.Valid || !r.Text.Valid || !r.HTML.Valid {
			t.Errorf("after failed attempt %d: %+v", attempt, r)
		}
		if got := emailedSteps(); got != 0 {
			t.Errorf("step recorded after a failed attempt")
		}
	}

	if err := f.acts.SendEmail(ctx, in); err != nil {
		t.Fatalf("third attempt: %v", err)
	}
	msgs := f.mailer.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages sent, want 1", len(msgs))
	}
	if msgs[0].To != "amina@example.ma" || !strings.Contains(msgs[0].Msg.Text, "Mot de passe provisoire : "+pw) || msgs[0].Msg.Subject == "" || msgs[0].Msg.HTML == "" {
		t.Errorf("sent message = %+v", msgs[0])
	}
	r := f.outbox(t, issued.OutboxID)
	if !r.SentAt.Valid || !r.SentAt.Time.Equal(now) || r.Text.Valid || r.HTML.Valid || r.Attempts != 3 || r.LastError.Valid {
		t.Errorf("after delivery: %+v; want sent_at %v, bodies erased, attempts 3", r, now)
	}
	if got := emailedSteps(); got != 1 {
		t.Errorf("credentials_emailed steps = %d, want 1", got)
	}

	// The activity retried after success (e.g. its completion was lost): no second e-mail.
	if err := f.acts.SendEmail(ctx, in); err != nil {
		t.Fatalf("SendEmail after success: %v", err)
	}
	if got := len(f.mailer.Messages()); got != 1 {
		t.Errorf("%d messages after the repeat, want 1", got)
	}
	if got := f.mailer.CallCount(); got != 3 {
		t.Errorf("Send called %d times, want 3", got)
	}
	if got := emailedSteps(); got != 1 {
		t.Errorf("credentials_emailed steps after the repeat = %d, want 1", got)
	}
	if r := f.outbox(t, issued.OutboxID); r.Attempts != 3 {
		t.Errorf("attempts after the repeat = %d, want 3", r.Attempts)
	}
}

func TestSendEmailPermanentFailure(t *testing.T) {
	t.Parallel()
	f := setup(t)
	issued := f.issue(t, 1)

	f.mailer.SetFailTimes(1, &mail.DeliveryError{Stage: "RCPT TO", Code: 550, EnhancedCode: "5.1.1", Permanent: true})
	err := f.acts.SendEmail(context.Background(), contract.SendEmailInput{OutboxID: issued.OutboxID, EnrollmentID: f.enrollmentID,
		Step: domain.StepCredentialsEmailed, StepKey: domain.StepCredentialsEmailed + "/1"})
	assertNonRetryable(t, err, contract.ErrTypeEmailRejected)
	r := f.outbox(t, issued.OutboxID)
	if r.Attempts != 1 || !r.LastError.Valid || r.SentAt.Valid {
		t.Errorf("outbox after rejection = %+v, want attempts 1, last_error set, not sent", r)
	}
	if len(f.mailer.Messages()) != 0 {
		t.Error("a message was recorded")
	}
	if got := f.count(t, `SELECT COUNT(*) FROM enrollment_steps WHERE enrollment_id = ? AND name = ?`,
		f.enrollmentID, domain.StepCredentialsEmailed); got != 0 {
		t.Errorf("credentials_emailed step recorded after a rejection")
	}
}

func TestSendEmailCancelledNotSent(t *testing.T) {
	t.Parallel()
	f := setup(t)
	one := f.issue(t, 1)
	two := f.issue(t, 2) // cancels issue 1's unsent e-mail

	if r := f.outbox(t, one.OutboxID); !r.CancelledAt.Valid {
		t.Fatalf("issue 1 e-mail not cancelled: %+v", r)
	}
	if err := f.acts.SendEmail(context.Background(), contract.SendEmailInput{OutboxID: one.OutboxID}); err != nil {
		t.Fatalf("SendEmail(cancelled): %v", err)
	}
	if got := f.mailer.CallCount(); got != 0 {
		t.Errorf("Send called %d times for a cancelled e-mail", got)
	}
	if r := f.outbox(t, one.OutboxID); r.SentAt.Valid || r.Attempts != 0 {
		t.Errorf("cancelled e-mail = %+v, want untouched", r)
	}

	// Issue 2's e-mail goes out and carries issue 2's password.
	if err := f.acts.SendEmail(context.Background(), contract.SendEmailInput{OutboxID: two.OutboxID}); err != nil {
		t.Fatalf("SendEmail(issue 2): %v", err)
	}
	msgs := f.mailer.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	pw := mailedPassword(t, msgs[0].Msg.Text)
	if ok, _ := passhash.Verify(pw, f.storedHash(t, 2)); !ok {
		t.Error("sent password does not verify against issue 2's hash")
	}
}

func TestSendEmailUnknownOutbox(t *testing.T) {
	t.Parallel()
	f := setup(t)
	err := f.acts.SendEmail(context.Background(), contract.SendEmailInput{OutboxID: 424242})
	assertNonRetryable(t, err, contract.ErrTypeNotFound)
	if f.mailer.CallCount() != 0 {
		t.Error("Send called")
	}
}

// ---------------------------------------------------------------------------------------
// 10. CompleteEnrollment

func TestCompleteEnrollmentWithoutPendingPassword(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.issue(t, 1)

	_, err := f.acts.CompleteEnrollment(context.Background(), f.enrollmentID)
	assertNonRetryable(t, err, contract.ErrTypeInvalidState)
	c, err := f.st.CitizenByID(context.Background(), f.citizenID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != domain.CitizenPending || c.PasswordHash.Valid {
		t.Errorf("citizen = %+v, want still pending without password", c)
	}
	if got := f.count(t, `SELECT COUNT(*) FROM email_outbox WHERE kind = 'citizen_welcome'`); got != 0 {
		t.Errorf("welcome e-mails = %d, want 0", got)
	}
	if got := f.count(t, `SELECT COUNT(*) FROM enrollments WHERE id = ? AND open_citizen_id IS NOT NULL AND status = ?`,
		f.enrollmentID, domain.EnrollmentAwaitingActivation); got != 1 {
		t.Error("enrollment no longer open and awaiting activation")
	}
}

func TestCompleteEnrollmentIdempotent(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	f.issue(t, 1)
	if err := f.st.SetPendingPassword(ctx, f.citizenID, "$argon2id$chosen"); err != nil {
		t.Fatal(err)
	}

	first, err := f.acts.CompleteEnrollment(ctx, f.enrollmentID)
	if err != nil {
		t.Fatalf("CompleteEnrollment: %v", err)
	}
	second, err := f.acts.CompleteEnrollment(ctx, f.enrollmentID)
	if err != nil {
		t.Fatalf("retried CompleteEnrollment: %v", err)
	}
	if first.WelcomeOutboxID == 0 || second != first {
		t.Errorf("results %+v then %+v, want the same welcome outbox id", first, second)
	}
	c, err := f.st.CitizenByID(ctx, f.citizenID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != domain.CitizenActive || c.PasswordHash.String != "$argon2id$chosen" || c.PendingPasswordHash.Valid {
		t.Errorf("citizen = %+v", c)
	}
	r := f.outbox(t, first.WelcomeOutboxID)
	if r.To != "amina@example.ma" || !r.Text.Valid || !strings.Contains(r.Text.String, "Amina") || strings.Contains(r.Text.String, cin) {
		t.Errorf("welcome e-mail = %+v", r)
	}
	if got := f.count(t, `SELECT COUNT(*) FROM email_outbox WHERE kind = 'citizen_welcome'`); got != 1 {
		t.Errorf("welcome e-mails = %d, want 1", got)
	}
}
