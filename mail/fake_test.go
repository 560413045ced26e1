package mail

import (
	"context"
	"errors"
	"sync"
	"testing"
)

func TestRecordingSender(t *testing.T) {
	r := &RecordingSender{FailTimes: 2}
	msg := Message{Subject: "s", Text: "t", HTML: "h"}
	ctx := context.Background()

	for i := 0; i < 2; i++ {
		err := r.Send(ctx, "a@example.org", msg, "1")
		if !errors.Is(err, ErrSimulatedFailure) || IsPermanent(err) {
			t.Fatalf("attempt %d: err = %v", i, err)
		}
	}
	if err := r.Send(ctx, "a@example.org", msg, "1"); err != nil {
		t.Fatalf("third attempt: %v", err)
	}
	got := r.Messages()
	if len(got) != 1 || got[0] != (SentMessage{To: "a@example.org", Msg: msg, MessageID: "1"}) {
		t.Fatalf("Sent = %+v", got)
	}
	if r.CallCount() != 3 {
		t.Errorf("CallCount = %d", r.CallCount())
	}

	r.SetFailTimes(1, &DeliveryError{Stage: "RCPT TO", Code: 550, Permanent: true})
	if err := r.Send(ctx, "b@example.org", msg, "2"); !IsPermanent(err) {
		t.Errorf("custom Err not returned: %v", err)
	}

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if err := r.Send(canceled, "b@example.org", msg, "3"); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled ctx: %v", err)
	}

	r.Reset()
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = r.Send(ctx, "c@example.org", msg, "")
		}()
	}
	wg.Wait()
	if n := len(r.Messages()); n != 50 {
		t.Errorf("recorded %d, want 50", n)
	}
	if last, ok := r.Last(); !ok || last.To != "c@example.org" {
		t.Errorf("Last = %+v %v", last, ok)
	}
}
