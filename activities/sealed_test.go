package activities_test

import (
	"context"
	"strings"
	"testing"

	"occonnect/activities/contract"
	"occonnect/domain"
	"occonnect/internal/codec"
	"occonnect/internal/passhash"
	"occonnect/mail"
)

func sealer(t *testing.T) *codec.Keyring {
	t.Helper()
	key, err := codec.NewKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	k, err := codec.ParseKeys(key)
	if err != nil {
		t.Fatal(err)
	}
	return k.RefusePlaintext()
}

// TestCredentialsSealedAtRest: with the payload keys, the credentials e-mail waits in the
// outbox sealed (its password unreadable in MySQL); SendEmail opens it, the citizen gets
// the password the stored hash verifies, and the bodies are erased once sent.
func TestCredentialsSealedAtRest(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.acts.Bodies = sealer(t)
	issued := f.issue(t, 1)
	ob := f.outbox(t, issued.OutboxID)
	for _, body := range []string{ob.Text.String, ob.HTML.String} {
		if !strings.HasPrefix(body, "occ-sealed:v1:k1:") || strings.Contains(body, "Amina") {
			t.Fatalf("an outbox body in clear: %.60s…", body)
		}
	}
	if err := f.acts.SendEmail(context.Background(), contract.SendEmailInput{OutboxID: issued.OutboxID}); err != nil {
		t.Fatal(err)
	}
	sent, ok := f.mailer.Last()
	if !ok {
		t.Fatal("nothing sent")
	}
	pw := mailedPassword(t, sent.Msg.Text)
	if ok, err := passhash.Verify(pw, f.storedHash(t, 1)); err != nil || !ok {
		t.Fatalf("the sent password does not verify: %v %v", ok, err)
	}
	if ob := f.outbox(t, issued.OutboxID); ob.Text.Valid || ob.HTML.Valid {
		t.Fatal("the bodies are kept after the send")
	}
}

// TestUnsentCredentialsErased: the bodies of a credentials e-mail refused for good by the
// SMTP server are erased; those of one still waiting when the credentials expire are
// erased and the e-mail cancelled.
func TestUnsentCredentialsErased(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.acts.Bodies = sealer(t)
	first := f.issue(t, 1)
	f.mailer.SetFailTimes(1, &mail.DeliveryError{Stage: "RCPT TO", Code: 550, EnhancedCode: "5.1.1", Permanent: true})
	if err := f.acts.SendEmail(context.Background(), contract.SendEmailInput{OutboxID: first.OutboxID}); err == nil {
		t.Fatal("a rejected e-mail succeeded")
	}
	if ob := f.outbox(t, first.OutboxID); ob.Text.Valid || ob.HTML.Valid {
		t.Fatal("the bodies of a rejected e-mail are kept")
	}

	second := f.issue(t, 2)
	if err := f.acts.SetEnrollmentStatus(context.Background(), contract.SetEnrollmentStatusInput{EnrollmentID: f.enrollmentID,
		Status: domain.EnrollmentCredentialsExpired, Step: domain.StepCredentialsExpired, StepKey: "expired/2"}); err != nil {
		t.Fatal(err)
	}
	ob := f.outbox(t, second.OutboxID)
	if ob.Text.Valid || ob.HTML.Valid || !ob.CancelledAt.Valid {
		t.Fatalf("the unsent e-mail of expired credentials: bodies kept %v, cancelled %v", ob.Text.Valid, ob.CancelledAt.Valid)
	}
}
