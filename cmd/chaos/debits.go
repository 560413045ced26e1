package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"occonnect/internal/stack"
)

// debitStream is agents recording small debits one after the other (each on a citizen of
// its own) until stopped, each request retried with its Idempotency-Key until answered.
type debitStream struct {
	amount   int64
	prefix   string // of the references: CH-<run>-
	stopped  atomic.Bool
	wg       sync.WaitGroup
	accepted atomic.Int64

	mu         sync.Mutex
	sent       int
	refused    int
	retried    int
	opIDs      map[string]int64  // reference → operation id, of the accepted ones
	unanswered map[string]string // reference → the last failure
}

const streamAmount = 10 // MAD: a few thousand fit in the tourism allowance

func (h *harness) startDebits(ctx context.Context, agents []string, payers []*stack.Citizen) *debitStream {
	ds := &debitStream{amount: streamAmount, prefix: "CH-" + h.run + "-", opIDs: map[string]int64{}, unanswered: map[string]string{}}
	for a, token := range agents {
		payer := payers[a%len(payers)]
		ds.wg.Go(func() {
			for seq := 0; !ds.stopped.Load() && ctx.Err() == nil; seq++ {
				ref := fmt.Sprintf("%s%d-%d", ds.prefix, a, seq)
				var st stepStats
				var id int64
				err := h.retry(ctx, &st, func(ctx context.Context) error {
					var err error
					id, err = h.client.RecordDebit(ctx, token, "chaos-"+ref, stack.Debit{CIN: payer.CIN, Type: "tourism",
						AmountMAD: ds.amount, Reference: ref})
					return err
				})
				ds.mu.Lock()
				ds.sent++
				ds.retried += st.retried
				switch {
				case err == nil:
					ds.opIDs[ref] = id
					ds.accepted.Add(1)
				case errors.Is(err, stack.ErrInsufficient):
					ds.refused++
				default:
					ds.unanswered[ref] = describe(err)
				}
				ds.mu.Unlock()
				sleep(ctx, 100*time.Millisecond)
			}
		})
	}
	return ds
}

// stop asks the agents to stop after their current debit and waits for them.
func (ds *debitStream) stop() {
	ds.stopped.Store(true)
	ds.wg.Wait()
}

// debitCheck compares what the agents were told with the ledger.
type debitCheck struct {
	sent, accepted, refused, unanswered int
	retried                             int
	rows                                int   // ledger rows of the stream
	sum                                 int64 // their amounts
	duplicated                          int   // references recorded more than once
	missing                             int   // accepted (201) but not in the ledger, or under another id
	appliedUnanswered                   int   // in the ledger, but the agent never got an answer
	unansweredWhy                       []string
	amount                              int64
}

func (h *harness) checkDebits(ctx context.Context, ds *debitStream) (debitCheck, error) {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	c := debitCheck{sent: ds.sent, accepted: len(ds.opIDs), refused: ds.refused, unanswered: len(ds.unanswered),
		retried: ds.retried, amount: ds.amount}
	var rows []struct {
		Reference string `db:"reference"`
		N         int    `db:"n"`
		Sum       int64  `db:"s"`
		MinID     int64  `db:"min_id"`
	}
	if err := h.db.SelectContext(ctx, &rows, `SELECT reference, COUNT(*) AS n, SUM(amount_mad) AS s, MIN(id) AS min_id
		FROM ledger_entries WHERE kind = 'debit' AND reference LIKE ? GROUP BY reference`, ds.prefix+"%"); err != nil {
		return c, fmt.Errorf("read the ledger: %w", err)
	}
	inLedger := map[string]int64{}
	for _, r := range rows {
		c.rows += r.N
		c.sum += r.Sum
		if r.N > 1 {
			c.duplicated++
		}
		inLedger[r.Reference] = r.MinID
	}
	for ref, id := range ds.opIDs {
		if got, ok := inLedger[ref]; !ok || got != id {
			c.missing++
		}
	}
	var why []string
	for ref, reason := range ds.unanswered {
		if _, ok := inLedger[ref]; ok {
			c.appliedUnanswered++
		}
		why = append(why, reason)
	}
	c.unansweredWhy = tally(why)
	return c, nil
}

// ok: every debit answered and accepted (they all fit), each in the ledger once under the
// id the agent was given, and nothing else in the ledger.
func (c debitCheck) ok() bool {
	return c.sent > 0 && c.unanswered == 0 && c.refused == 0 && c.missing == 0 && c.duplicated == 0 &&
		c.rows == c.accepted && c.sum == int64(c.accepted)*c.amount
}

func (c debitCheck) figures(res *Result) {
	res.figure("debits sent", float64(c.sent), "")
	res.figure("debits accepted", float64(c.accepted), "")
	res.figure("debits refused", float64(c.refused), "")
	res.figure("debits never answered", float64(c.unanswered), "")
	res.figure("debit requests sent again", float64(c.retried), "")
	res.figure("ledger rows of the debits", float64(c.rows), "")
	res.figure("ledger sum of the debits", float64(c.sum), "MAD")
	res.figure("debits applied twice", float64(c.duplicated), "")
	res.figure("accepted debits missing from the ledger", float64(c.missing), "")
	res.figure("debits applied but never answered", float64(c.appliedUnanswered), "")
	if len(c.unansweredWhy) > 0 {
		res.note("debits never answered (last answer): %s", strings.Join(c.unansweredWhy, "; "))
	}
}

func (c debitCheck) text() string {
	s := fmt.Sprintf("debits: %d sent, %d accepted, %d in the ledger (sum %d MAD), %d applied twice, %d lost",
		c.sent, c.accepted, c.rows, c.sum, c.duplicated, c.missing)
	if c.unanswered > 0 {
		s += fmt.Sprintf(", %d never answered (%s; %d of them applied)", c.unanswered, strings.Join(c.unansweredWhy, ", "), c.appliedUnanswered)
	}
	if c.retried > 0 {
		s += fmt.Sprintf(", %d requests sent again", c.retried)
	}
	return s
}
