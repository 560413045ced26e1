package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"occonnect/internal/stack"
)

// The clients of a chaos run behave as the app and the agents' software should when the
// back office is in trouble: a request that failed in transit, with a 5xx, a 429 or a 409
// idempotency_in_progress is sent again, with the same Idempotency-Key, after a backoff,
// until it gets an answer or cfg.stepTimeout passes.

// stepStats counts what a client went through.
type stepStats struct {
	retried int    // failed attempts that were sent again
	last    string // the last failure
}

// transient tells whether a failed request is worth sending again.
func transient(err error) bool {
	var se *stack.StatusError
	if errors.As(err, &se) {
		return se.Status >= 500 || se.Status == http.StatusTooManyRequests ||
			(se.Status == http.StatusConflict && se.Code == "idempotency_in_progress")
	}
	var syntax *json.SyntaxError
	if errors.Is(err, stack.ErrInsufficient) || errors.As(err, &syntax) {
		return false // an answer
	}
	return true // transport: refused, reset, timed out
}

// noAnswer is a request that got no answer worth having before the retries' deadline.
type noAnswer struct {
	after time.Duration
	last  string // the last failure before the deadline
}

func (e *noAnswer) Error() string {
	return fmt.Sprintf("no answer after %s of retries (last: %s)", e.after, e.last)
}

// describe is a failure without personal data: the status and problem code, or the kind of
// transport error.
func describe(err error) string {
	var se *stack.StatusError
	if errors.As(err, &se) {
		return fmt.Sprintf("%d %s", se.Status, se.Code)
	}
	var na *noAnswer
	if errors.As(err, &na) {
		return "no answer, last: " + na.last
	}
	msg := err.Error()
	for _, kind := range []string{"connection refused", "connection reset", "EOF", "deadline exceeded", "timeout"} {
		if strings.Contains(msg, kind) {
			return kind
		}
	}
	return "transport error"
}

// retry runs op until it succeeds, fails for good, or cfg.stepTimeout passes; each attempt
// has 30 s.
func (h *harness) retry(ctx context.Context, st *stepStats, op func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.stepTimeout)
	defer cancel()
	backoff := 200 * time.Millisecond
	for {
		actx, acancel := context.WithTimeout(ctx, 30*time.Second)
		err := op(actx)
		acancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			last := st.last // the attempt cut by the deadline says less than the one before
			if last == "" {
				last = describe(err)
			}
			return &noAnswer{after: h.cfg.stepTimeout, last: last}
		}
		if !transient(err) {
			return err
		}
		st.retried++
		st.last = describe(err)
		// As the app does: the answer's Retry-After when it gives one, else the backoff.
		wait := backoff
		var se *stack.StatusError
		if errors.As(err, &se) && se.RetryAfter > 0 {
			wait = se.RetryAfter
		}
		sleep(ctx, wait)
		backoff = min(backoff*2, 2*time.Second)
	}
}

// flowResult is one citizen's enrolment as the client saw it.
type flowResult struct {
	cit     *stack.Citizen
	err     error
	retried int // requests sent again
	took    time.Duration
}

// enrolToActive takes a citizen from the agent's enrolment to an active account as the
// walk-through (docs/walkthrough.md) does (enrol, read the e-mailed password, activate, change it, poll
// until active), retrying what failed in transit. onEnrolled is called once the
// enrolment is recorded.
func (h *harness) enrolToActive(ctx context.Context, agent string, cit *stack.Citizen, onEnrolled func()) (st stepStats, err error) {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.flowTimeout)
	defer cancel()
	step := func(name string, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
	if err := h.retry(ctx, &st, func(ctx context.Context) error { return h.enrol(ctx, agent, cit) }); err != nil {
		return st, step("enrol", err)
	}
	onEnrolled()
	initial, err := stack.InitialPassword(ctx, h.mail, cit)
	if err != nil {
		return st, step("credentials e-mail", err)
	}
	var token string
	if err := h.retry(ctx, &st, func(ctx context.Context) error {
		var err error
		token, err = h.client.Activate(ctx, cit, initial)
		return err
	}); err != nil {
		return st, step("activation", err)
	}
	before := st.retried
	err = h.retry(ctx, &st, func(ctx context.Context) error {
		return h.client.ChangePassword(ctx, token, initial, cit.Password)
	})
	// A retry after an attempt whose answer was lost may be refused (the change is done, or
	// under way): whether it took is what the status says.
	if err != nil && (st.retried == before || transient(err)) {
		return st, step("password change", err)
	}
	cit.Token = token
	for {
		var status string
		err := h.retry(ctx, &st, func(ctx context.Context) error {
			var err error
			status, err = h.client.EnrollmentStatus(ctx, cit.Token)
			return err
		})
		var se *stack.StatusError
		if errors.As(err, &se) && se.Code == "password_change_required" && cit.Token == token {
			// The change went through without upgrading this session (its answer was lost):
			// once the agent sees the account active, the citizen signs in with the new
			// password, as the app would.
			if err := h.signInOnceActive(ctx, agent, &st, cit); err != nil {
				return st, step("sign-in after the password change", err)
			}
			continue
		}
		if err != nil {
			return st, step("enrollment status", err)
		}
		if status == "active" {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return st, fmt.Errorf("enrollment still %s after %s", status, h.cfg.flowTimeout)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// enrol records the citizen at the agent's exchange point: 202 the first time, 200 when a
// retry finds the enrollment recorded by an attempt whose answer was lost.
func (h *harness) enrol(ctx context.Context, agent string, cit *stack.Citizen) error {
	const path = "/api/v1/enrollments"
	r, err := h.client.Call(ctx, http.MethodPost, path, agent, cit.EnrollmentBody(), "Idempotency-Key", "enrol-"+cit.CIN)
	if err != nil {
		return err
	}
	var ref struct {
		EnrollmentID string `json:"enrollment_id"`
		Code         string `json:"code"`
	}
	if err := json.Unmarshal(r.Raw, &ref); err != nil && r.Status < 500 {
		return err
	}
	if r.Status != http.StatusAccepted && r.Status != http.StatusOK {
		return &stack.StatusError{Method: http.MethodPost, Path: path, Status: r.Status, Code: ref.Code,
			RetryAfter: stack.RetryAfter(r.Header)}
	}
	cit.EnrollmentID = ref.EnrollmentID
	return nil
}

// signInOnceActive waits until the agent's view of the enrollment says active, then signs
// the citizen in with the chosen password (a new full session).
func (h *harness) signInOnceActive(ctx context.Context, agent string, st *stepStats, cit *stack.Citizen) error {
	for {
		var e struct {
			Status string `json:"status"`
		}
		if err := h.retry(ctx, st, func(ctx context.Context) error {
			return h.client.Expect(ctx, http.StatusOK, &e, http.MethodGet, "/api/v1/enrollments/"+cit.EnrollmentID, agent, nil)
		}); err != nil {
			return err
		}
		if e.Status == "active" {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("enrollment still %s after %s", e.Status, h.cfg.flowTimeout)
		case <-time.After(500 * time.Millisecond):
		}
	}
	var tok struct {
		Token string `json:"token"`
	}
	if err := h.retry(ctx, st, func(ctx context.Context) error {
		return h.client.Expect(ctx, http.StatusOK, &tok, http.MethodPost, "/api/v1/auth/login", "",
			map[string]string{"cin": cit.CIN, "password": cit.Password})
	}); err != nil {
		return err
	}
	cit.Token = tok.Token
	return nil
}

// load is a batch of enrolments running on a pool of clients.
type load struct {
	enrolled atomic.Int64 // enrolments recorded (POST /enrollments answered)
	finished atomic.Int64
	began    time.Time
	ended    time.Time // set before done is closed
	done     chan struct{}
	results  []flowResult
}

// startEnrolments takes the citizens to active accounts, cfg.concurrency at a time, with
// agents' sessions taken in turn.
func (h *harness) startEnrolments(ctx context.Context, agents []string, cits []*stack.Citizen) *load {
	l := &load{began: time.Now(), done: make(chan struct{}), results: make([]flowResult, len(cits))}
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(h.cfg.concurrency, len(cits)) {
		wg.Go(func() {
			for i := range work {
				t := time.Now()
				st, err := h.enrolToActive(ctx, agents[i%len(agents)], cits[i], func() { l.enrolled.Add(1) })
				l.results[i] = flowResult{cit: cits[i], err: err, retried: st.retried, took: time.Since(t)}
				l.finished.Add(1)
			}
		})
	}
	go func() {
		defer close(l.done)
		for i := range cits {
			if ctx.Err() != nil {
				break
			}
			work <- i
		}
		close(work)
		wg.Wait()
		l.ended = time.Now()
	}()
	return l
}

// waitEnrolled waits until k enrolments are recorded (or the batch ends).
func (l *load) waitEnrolled(ctx context.Context, k int) { waitCount(ctx, &l.enrolled, k, l.done) }

// waitCount waits until n reaches k, done is closed or ctx ends.
func waitCount(ctx context.Context, n *atomic.Int64, k int, done <-chan struct{}) {
	for n.Load() < int64(k) {
		select {
		case <-ctx.Done():
			return
		case <-done:
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (l *load) wait() []flowResult {
	<-l.done
	return l.results
}

// failed are the CINs of the citizens whose enrolment the client gave up.
func (l *load) failed() map[string]bool {
	out := map[string]bool{}
	for _, r := range l.results {
		if r.err != nil && r.cit != nil {
			out[r.cit.CIN] = true
		}
	}
	return out
}

// flowSummary counts the flows that ended active and the errors of the others.
type flowSummary struct {
	ok, retried int
	errors      []string // distinct, with their counts
	longest     time.Duration
	elapsed     time.Duration
}

func (l *load) summary() flowSummary {
	var s flowSummary
	var errs []string
	for _, r := range l.results {
		s.retried += r.retried
		s.longest = max(s.longest, r.took)
		if r.err == nil && r.cit != nil {
			s.ok++
		} else if r.err != nil {
			errs = append(errs, r.err.Error())
		}
	}
	s.errors = tally(errs)
	s.elapsed = l.ended.Sub(l.began)
	return s
}

// failures is the clients' errors for a verdict line ("" when every enrolment succeeded).
func (s flowSummary) failures() string {
	if len(s.errors) == 0 {
		return ""
	}
	return "; clients gave up: " + strings.Join(s.errors, "; ")
}

// tally counts the distinct items: "3× item", sorted.
func tally(items []string) []string {
	counts := map[string]int{}
	for _, it := range items {
		counts[it]++
	}
	out := make([]string, 0, len(counts))
	for it, n := range counts {
		out = append(out, fmt.Sprintf("%d× %s", n, it))
	}
	sort.Strings(out)
	return out
}
