package mail

import (
	"context"
	"errors"
	"sync"
)

// SentMessage is one message accepted by a RecordingSender.
type SentMessage struct {
	To        string
	Msg       Message
	MessageID string
}

// ErrSimulatedFailure is returned by RecordingSender while FailTimes > 0 and
// Err is nil. It is a temporary error (IsPermanent reports false).
var ErrSimulatedFailure = errors.New("mail: simulated transient send failure")

// RecordingSender is an in-memory Sender for tests of other packages. It is
// safe for concurrent use; read Sent through Messages (or after all senders
// are done).
type RecordingSender struct {
	mu sync.Mutex

	// Sent holds the successfully "sent" messages, in order.
	Sent []SentMessage
	// FailTimes makes the next FailTimes calls to Send fail (and not record);
	// it is decremented on each failure.
	FailTimes int
	// Err is the error returned for simulated failures; ErrSimulatedFailure
	// when nil. Use e.g. &DeliveryError{Permanent: true} for a permanent one.
	Err error
	// Calls counts every Send call, failed ones included.
	Calls int
}

var _ Sender = (*RecordingSender)(nil)

// Send records the message, or fails while FailTimes > 0. A done context makes
// it fail with ctx.Err() without consuming FailTimes.
func (r *RecordingSender) Send(ctx context.Context, to string, msg Message, messageID string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Calls++
	if err := ctx.Err(); err != nil {
		return err
	}
	if r.FailTimes > 0 {
		r.FailTimes--
		if r.Err != nil {
			return r.Err
		}
		return ErrSimulatedFailure
	}
	r.Sent = append(r.Sent, SentMessage{To: to, Msg: msg, MessageID: messageID})
	return nil
}

// Messages returns a copy of the recorded messages.
func (r *RecordingSender) Messages() []SentMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]SentMessage(nil), r.Sent...)
}

// Last returns the most recently recorded message, if any.
func (r *RecordingSender) Last() (SentMessage, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.Sent) == 0 {
		return SentMessage{}, false
	}
	return r.Sent[len(r.Sent)-1], true
}

// CallCount returns the number of Send calls so far, failed ones included.
func (r *RecordingSender) CallCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.Calls
}

// SetFailTimes sets FailTimes (and optionally Err) under the lock.
func (r *RecordingSender) SetFailTimes(n int, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.FailTimes, r.Err = n, err
}

// Reset forgets recorded messages, calls and pending failures.
func (r *RecordingSender) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Sent, r.FailTimes, r.Err, r.Calls = nil, 0, nil, 0
}
