package store_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/oklog/ulid/v2"

	"occonnect/domain"
	"occonnect/store"
)

// Helpers of this file are prefixed with "alw" so as not to clash with the other test files
// of package store_test.

// alwActiveCitizen enrolls a citizen and completes the enrollment: the account is active.
func alwActiveCitizen(t *testing.T, st *store.Store, cin string) int64 {
	t.Helper()
	ctx := context.Background()
	eid, cid := enrolled(t, st, cin)
	if err := st.SetPendingPassword(ctx, cid, "$argon2id$chosen"); err != nil {
		t.Fatalf("SetPendingPassword: %v", err)
	}
	welcome := store.OutboxMessage{MessageKey: store.WelcomeMessageKey(eid), Kind: "citizen_welcome",
		Subject: "Bienvenue", Text: ns("t"), HTML: ns("h"), CreatedAt: t0}
	if _, err := st.CompleteEnrollment(ctx, eid, welcome, t0); err != nil {
		t.Fatalf("CompleteEnrollment: %v", err)
	}
	c, err := st.CitizenByID(ctx, cid)
	if err != nil || c.Status != domain.CitizenActive {
		t.Fatalf("citizen %d = %+v, %v; want active", cid, c, err)
	}
	return cid
}

func alwHash(parts ...any) []byte {
	h := sha256.Sum256(fmt.Append(nil, parts...))
	return h[:]
}

// alwDebit is a debit of amount on a citizen's allowance; the request hash covers the
// operation key and the amount.
func alwDebit(citizenID int64, year int, typ string, amount int64, key string) store.Debit {
	return store.Debit{
		CitizenID: citizenID, Year: year, Type: typ, AmountMAD: amount, Currency: "EUR", ForeignAmount: "100.00",
		Reference: "REF-" + key, AgentStaffID: 1, OperationKey: key, RequestHash: alwHash(key, amount), At: t0,
	}
}

func alwMustDebit(t *testing.T, st *store.Store, d store.Debit) store.DebitResult {
	t.Helper()
	res, err := st.RecordDebit(context.Background(), d)
	if err != nil {
		t.Fatalf("RecordDebit(%s, %d MAD): %v", d.OperationKey, d.AmountMAD, err)
	}
	return res
}

func alwBalance(t *testing.T, st *store.Store, citizenID int64, year int, typ string) store.Balance {
	t.Helper()
	bs, err := st.Balances(context.Background(), citizenID, year)
	if err != nil {
		t.Fatalf("Balances(%d, %d): %v", citizenID, year, err)
	}
	for _, b := range bs {
		if b.Rule.Type == typ {
			return b
		}
	}
	t.Fatalf("Balances(%d, %d): no %s balance in %+v", citizenID, year, typ, bs)
	return store.Balance{}
}

func alwRules(t *testing.T, st *store.Store, year int) []store.AllowanceRule {
	t.Helper()
	rules, err := st.AllowanceRules(context.Background(), year)
	if err != nil {
		t.Fatalf("AllowanceRules(%d): %v", year, err)
	}
	return rules
}

func alwNewStaff(t *testing.T, st *store.Store, role domain.Role) int64 {
	t.Helper()
	id, err := st.CreateStaff(context.Background(), store.Staff{
		Email: string(role) + "-" + ulid.Make().String() + "@oc.gov.ma", Role: role, PasswordHash: "$argon2id$dummy", CreatedAt: t0,
	})
	if err != nil {
		t.Fatalf("CreateStaff(%s): %v", role, err)
	}
	return id
}

// ---------------------------------------------------------------------------------------
// 1. Seeded rules

func TestAllowanceRulesSeeded(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := context.Background()
	type figures struct {
		typ         string
		entitlement int64
		rate, cap   sql.NullInt64
		fr, ar      string
	}
	for year := 2024; year <= 2027; year++ {
		edition, capTotal, defaults := "IGOC-2024", int64(300_000), domain.DefaultRules2024
		if year >= 2026 {
			edition, capTotal, defaults = "IGOC-2026", 500_000, domain.DefaultRules2026
		}
		want := []figures{
			{"tourism", 100_000, sql.NullInt64{}, sql.NullInt64{}, "Dotation touristique", "المخصص السياحي"},
			{"tourism_supplement", 0, sql.NullInt64{Int64: 3000, Valid: true}, sql.NullInt64{Int64: capTotal, Valid: true},
				"Dotation touristique supplémentaire (DTS)", "المخصص السياحي الإضافي"},
			{"studies", 25_000, sql.NullInt64{}, sql.NullInt64{}, "Allocation scolarité", "مخصص الدراسة"},
			{"hajj_omra", 15_000, sql.NullInt64{}, sql.NullInt64{}, "Dotation Hajj et Omra", "مخصص الحج والعمرة"},
			{"medical", 30_000, sql.NullInt64{}, sql.NullInt64{}, "Allocation soins médicaux", "مخصص العلاج"},
		}
		rules := alwRules(t, st, year)
		if len(rules) != len(want) {
			t.Fatalf("AllowanceRules(%d): %d rows, want %d", year, len(rules), len(want))
		}
		for i, r := range rules {
			w := want[i]
			got := figures{r.Type, r.EntitlementMAD, r.RateBP, r.CapTotalMAD, r.LabelFR, r.LabelAR}
			if got != w || r.Year != year || r.Edition != edition || r.UpdatedByStaffID.Valid || r.UpdatedAt.IsZero() {
				t.Errorf("AllowanceRules(%d)[%d] = %+v, want %+v, edition %s", year, i, r, w, edition)
			}
		}
		if got := store.DomainRules(rules); !reflect.DeepEqual(got, defaults) {
			t.Errorf("DomainRules(AllowanceRules(%d)) = %+v,\nwant %+v", year, got, defaults)
		}
	}
	for _, year := range []int{2023, 2028} {
		if rules, err := st.AllowanceRules(ctx, year); !errors.Is(err, store.ErrNoRules) || len(rules) != 0 {
			t.Errorf("AllowanceRules(%d) = %+v, %v; want ErrNoRules", year, rules, err)
		}
	}
}

// ---------------------------------------------------------------------------------------
// 2. Concurrent debits: the entitlement is never exceeded

type alwOutcome struct {
	amount   int64
	result   store.DebitResult
	refusal  *store.InsufficientError
	otherErr error
}

// alwConcurrentDebits records one debit per amount on the citizen's 2026 tourism
// allowance, all goroutines released at once, by several agents at several exchange points.
func alwConcurrentDebits(t *testing.T, st *store.Store, citizenID int64, amounts []int64, agents []int64, points []string) ([]alwOutcome, time.Duration) {
	t.Helper()
	var (
		wg    sync.WaitGroup
		ready sync.WaitGroup
		start = make(chan struct{})
		out   = make([]alwOutcome, len(amounts))
	)
	for i, amount := range amounts {
		d := alwDebit(citizenID, 2026, "tourism", amount, fmt.Sprintf("debit/%d/%d", citizenID, i))
		d.AgentStaffID = agents[i%len(agents)]
		d.ExchangePointCode = points[i%len(points)]
		d.At = t0.Add(time.Duration(i) * time.Millisecond)
		wg.Add(1)
		ready.Add(1)
		go func() {
			defer wg.Done()
			ready.Done()
			<-start
			res, err := st.RecordDebit(context.Background(), d)
			out[i] = alwOutcome{amount: amount, result: res}
			var ie *store.InsufficientError
			switch {
			case err == nil:
			case errors.As(err, &ie):
				out[i].refusal = ie
			default:
				out[i].otherErr = err
			}
		}()
	}
	ready.Wait()
	began := time.Now()
	close(start)
	wg.Wait()
	return out, time.Since(began)
}

func TestRecordDebitConcurrent(t *testing.T) {
	t.Parallel()
	const (
		workers     = 200
		entitlement = int64(100_000) // the 2026 tourism allowance
	)
	seed := uint64(time.Now().UnixNano())
	t.Logf("random amounts: seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 42))
	random := make([]int64, workers)
	for i := range random {
		random[i] = 100 + rng.Int64N(1901) // 100..2000 MAD
	}
	fixed := func(amount int64) []int64 {
		out := make([]int64, workers)
		for i := range out {
			out[i] = amount
		}
		return out
	}

	for _, tc := range []struct {
		name         string
		amounts      []int64
		wantAccepted int  // -1: depends on the order
		exhaust      bool // then one more dirham is refused with nothing remaining
	}{
		{"random 100-2000 MAD", random, -1, false},
		{"200 x 1000 MAD", fixed(1000), 100, true},
		{"200 x 500 MAD", fixed(500), workers, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, db := newStore(t)
			ctx := context.Background()
			cid := alwActiveCitizen(t, st, "CC100200")
			points := []string{"CASA-01", "RABAT-01", "TANGER-01"}
			var agents []int64
			for i, p := range points {
				if err := st.UpsertExchangePoint(ctx, store.ExchangePoint{Code: p, Name: p, City: p, Address: "-",
					Lat: 33, Lon: -7, Active: true}); err != nil {
					t.Fatalf("UpsertExchangePoint: %v", err)
				}
				for j := range 2 {
					id, err := st.CreateStaff(ctx, store.Staff{Email: fmt.Sprintf("agent%d-%d@oc.gov.ma", i, j), Role: domain.RoleAgent,
						ExchangePointCode: ns(p), PasswordHash: "$argon2id$dummy", CreatedAt: t0})
					if err != nil {
						t.Fatalf("CreateStaff: %v", err)
					}
					agents = append(agents, id)
				}
			}
			var demanded int64
			for _, a := range tc.amounts {
				demanded += a
			}

			outcomes, elapsed := alwConcurrentDebits(t, st, cid, tc.amounts, agents, points)

			var (
				accepted      []alwOutcome
				refused       []alwOutcome
				sumAccepted   int64
				minRefused    int64 = -1
				opIDs               = map[int64]bool{}
				failedOthers  int
				firstOtherErr error
			)
			for _, o := range outcomes {
				switch {
				case o.otherErr != nil:
					failedOthers++
					if firstOtherErr == nil {
						firstOtherErr = o.otherErr
					}
				case o.refusal != nil:
					refused = append(refused, o)
					if minRefused < 0 || o.amount < minRefused {
						minRefused = o.amount
					}
					if o.refusal.RemainingMAD < 0 || o.refusal.RemainingMAD >= o.amount {
						t.Errorf("refusal of %d MAD with RemainingMAD %d: want 0 <= remaining < amount", o.amount, o.refusal.RemainingMAD)
					}
					if !errors.Is(o.refusal, store.ErrInsufficientAllowance) {
						t.Errorf("InsufficientError does not unwrap to ErrInsufficientAllowance")
					}
				default:
					accepted = append(accepted, o)
					sumAccepted += o.amount
					if o.result.Replayed || o.result.OperationID <= 0 || opIDs[o.result.OperationID] {
						t.Errorf("accepted debit result %+v: want a new, distinct operation", o.result)
					}
					opIDs[o.result.OperationID] = true
				}
			}
			t.Logf("%d concurrent debits (%d MAD demanded on %d MAD): %d accepted (%d MAD), %d refused, %d other errors, in %v",
				len(outcomes), demanded, entitlement, len(accepted), sumAccepted, len(refused), failedOthers, elapsed)
			if failedOthers > 0 {
				t.Errorf("%d debits failed with an error other than *store.InsufficientError, e.g. %v", failedOthers, firstOtherErr)
			}
			if sumAccepted > entitlement {
				t.Errorf("accepted %d MAD, above the entitlement of %d", sumAccepted, entitlement)
			}

			// The ledger agrees with what the callers were told.
			var ledger struct {
				Sum   int64 `db:"s"`
				Count int   `db:"n"`
			}
			if err := db.Get(&ledger, `SELECT COALESCE(SUM(amount_mad), 0) AS s, COUNT(*) AS n FROM ledger_entries
				WHERE citizen_id = ? AND year = 2026 AND type = 'tourism' AND kind = 'debit'`, cid); err != nil {
				t.Fatal(err)
			}
			if ledger.Sum != sumAccepted || ledger.Count != len(accepted) {
				t.Errorf("ledger holds %d rows for %d MAD; callers were told %d accepted for %d MAD",
					ledger.Count, ledger.Sum, len(accepted), sumAccepted)
			}
			if got := count(t, db, `SELECT COUNT(*) FROM ledger_entries`); got != len(accepted) {
				t.Errorf("ledger rows = %d, want %d", got, len(accepted))
			}
			b := alwBalance(t, st, cid, 2026, "tourism")
			if b.UsedMAD != sumAccepted || b.EntitlementMAD() != entitlement || b.RemainingMAD() != entitlement-sumAccepted {
				t.Errorf("balance = used %d, entitlement %d, remaining %d; want used %d of %d",
					b.UsedMAD, b.EntitlementMAD(), b.RemainingMAD(), sumAccepted, entitlement)
			}

			// Serializability: in operation order, each accepted debit saw every earlier one.
			slices.SortFunc(accepted, func(a, b alwOutcome) int { return int(a.result.OperationID - b.result.OperationID) })
			running := entitlement
			for _, o := range accepted {
				running -= o.amount
				if o.result.RemainingMAD != running {
					t.Errorf("debit %d (%d MAD): RemainingMAD %d, want %d after the earlier debits",
						o.result.OperationID, o.amount, o.result.RemainingMAD, running)
					break
				}
			}
			final := entitlement - sumAccepted
			for _, o := range refused {
				if o.refusal.RemainingMAD < final {
					t.Errorf("a refusal reported %d MAD remaining, less than the final %d", o.refusal.RemainingMAD, final)
				}
			}

			if demanded > entitlement {
				if len(refused) == 0 {
					t.Errorf("%d MAD demanded on %d: no debit refused", demanded, entitlement)
				}
				// The ledger ends within one (the smallest refused) amount of the entitlement.
				if minRefused >= 0 && final >= minRefused {
					t.Errorf("final remaining %d MAD, yet a debit of %d was refused", final, minRefused)
				}
			} else if len(refused) != 0 || sumAccepted != demanded {
				t.Errorf("%d MAD demanded on %d: %d refused, %d accepted; want all accepted", demanded, entitlement, len(refused), sumAccepted)
			}
			if tc.wantAccepted >= 0 && len(accepted) != tc.wantAccepted {
				t.Errorf("%d debits accepted, want exactly %d", len(accepted), tc.wantAccepted)
			}
			if tc.exhaust {
				if final != 0 {
					t.Errorf("final remaining %d MAD, want 0", final)
				}
				for _, o := range refused {
					if o.refusal.RemainingMAD != 0 {
						t.Errorf("refusal with %d MAD remaining, want 0", o.refusal.RemainingMAD)
						break
					}
				}
				_, err := st.RecordDebit(ctx, alwDebit(cid, 2026, "tourism", 1, "debit/one-more"))
				var ie *store.InsufficientError
				if !errors.As(err, &ie) || ie.RemainingMAD != 0 {
					t.Errorf("debit after exhaustion: err = %v, want InsufficientError{0}", err)
				}
			}
		})
	}
}

// ---------------------------------------------------------------------------------------
// 3. RecordDebit: idempotency and errors

func TestRecordDebitIdempotencyAndErrors(t *testing.T) {
	t.Parallel()
	st, db := newStore(t)
	ctx := context.Background()
	cid := alwActiveCitizen(t, st, "DD300400")

	d := alwDebit(cid, 2026, "tourism", 4000, "sale/1")
	first := alwMustDebit(t, st, d)
	if first.Replayed || first.OperationID == 0 || first.RemainingMAD != 96_000 {
		t.Fatalf("first debit = %+v, want a new operation with 96000 remaining", first)
	}
	// A second sale, then the replay of the first: same operation, no new row, today's balance.
	alwMustDebit(t, st, alwDebit(cid, 2026, "tourism", 1000, "sale/2"))
	replay := alwMustDebit(t, st, d)
	if !replay.Replayed || replay.OperationID != first.OperationID || replay.RemainingMAD != 95_000 {
		t.Errorf("replay = %+v, want Replayed, operation %d, 95000 remaining", replay, first.OperationID)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM ledger_entries WHERE operation_key = 'sale/1'`); got != 1 {
		t.Errorf("rows for sale/1 = %d, want 1", got)
	}
	other := d
	other.AmountMAD = 5000
	other.RequestHash = alwHash("sale/1", 5000)
	if res, err := st.RecordDebit(ctx, other); !errors.Is(err, store.ErrIdempotencyMismatch) {
		t.Errorf("same key, other request = %+v, %v; want ErrIdempotencyMismatch", res, err)
	}
	if b := alwBalance(t, st, cid, 2026, "tourism"); b.UsedMAD != 5000 {
		t.Errorf("used = %d, want 5000", b.UsedMAD)
	}

	// Concurrent attempts of one operation: applied once, the others replay it.
	const attempts = 10
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		res   = make([]store.DebitResult, attempts)
		errs  = make([]error, attempts)
	)
	same := alwDebit(cid, 2026, "studies", 2500, "sale/concurrent")
	for i := range attempts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res[i], errs[i] = st.RecordDebit(ctx, same)
		}()
	}
	close(start)
	wg.Wait()
	fresh := 0
	for i := range attempts {
		if errs[i] != nil {
			t.Errorf("attempt %d: %v", i, errs[i])
			continue
		}
		if !res[i].Replayed {
			fresh++
		}
		if res[i].OperationID != res[0].OperationID || res[i].RemainingMAD != 22_500 {
			t.Errorf("attempt %d = %+v, want operation %d with 22500 remaining", i, res[i], res[0].OperationID)
		}
	}
	if fresh != 1 {
		t.Errorf("%d attempts applied the debit, want 1", fresh)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM ledger_entries WHERE operation_key = 'sale/concurrent'`); got != 1 {
		t.Errorf("rows for the concurrent operation = %d, want 1", got)
	}

	// A pending (not yet active) account.
	_, pending := enrolled(t, st, "DD300401")
	if _, err := st.RecordDebit(ctx, alwDebit(pending, 2026, "tourism", 100, "sale/pending")); !errors.Is(err, store.ErrNotActive) {
		t.Errorf("debit of a pending citizen: err = %v, want ErrNotActive", err)
	}
	// An unknown citizen.
	if _, err := st.RecordDebit(ctx, alwDebit(987654, 2026, "tourism", 100, "sale/unknown")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("debit of an unknown citizen: err = %v, want ErrNotFound", err)
	}
	// A year without rules.
	if _, err := st.RecordDebit(ctx, alwDebit(cid, 2023, "tourism", 100, "sale/2023")); !errors.Is(err, store.ErrNoRules) {
		t.Errorf("debit in 2023: err = %v, want ErrNoRules", err)
	}
	// The DTS before any credit: nothing to use.
	_, err := st.RecordDebit(ctx, alwDebit(cid, 2026, "tourism_supplement", 100, "sale/dts"))
	var ie *store.InsufficientError
	if !errors.As(err, &ie) || ie.RemainingMAD != 0 || !errors.Is(err, store.ErrInsufficientAllowance) {
		t.Errorf("DTS debit before a credit: err = %v, want InsufficientError{0}", err)
	}
	// Above what remains: refused with what remains.
	_, err = st.RecordDebit(ctx, alwDebit(cid, 2026, "hajj_omra", 15_001, "sale/hajj"))
	if !errors.As(err, &ie) || ie.RemainingMAD != 15_000 {
		t.Errorf("hajj debit above the entitlement: err = %v, want InsufficientError{15000}", err)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM ledger_entries`); got != 3 {
		t.Errorf("ledger rows = %d, want 3 (sale/1, sale/2, sale/concurrent)", got)
	}
}

// ---------------------------------------------------------------------------------------
// 4. DTS decisions and credits

type alwDTS struct {
	req    store.DTSRequest
	taskID string
}

// alwNewDTS records a pending request with its computed supplement and its officer task.
func alwNewDTS(t *testing.T, st *store.Store, citizenID int64, year int, supplement int64) alwDTS {
	t.Helper()
	ctx := context.Background()
	r := store.DTSRequest{ID: ulid.Make().String(), CitizenID: citizenID, FiscalYear: year - 1, Year: year,
		IRAmountMAD: supplement * 10 / 3, AttestationReference: "ATT-" + fmt.Sprint(year), CreatedAt: t0}
	if err := st.CreateDTSRequest(ctx, r); err != nil {
		t.Fatalf("CreateDTSRequest: %v", err)
	}
	if err := st.SetDTSComputation(ctx, r.ID, supplement, 3000, 100_000, 500_000, t0); err != nil {
		t.Fatalf("SetDTSComputation: %v", err)
	}
	task, err := st.CreateTask(ctx, store.Task{ID: ulid.Make().String(), TaskKey: "dts/" + r.ID, Kind: "dts", SubjectID: r.ID,
		WorkflowID: "dts-" + r.ID, Queue: domain.QueueOfficers, DueAt: t0.Add(48 * time.Hour), CreatedAt: t0})
	if err != nil {
		t.Fatalf("CreateTask: %v", err)
	}
	if err := st.SetDTSTask(ctx, r.ID, task.ID, t0); err != nil {
		t.Fatalf("SetDTSTask: %v", err)
	}
	return alwDTS{req: r, taskID: task.ID}
}

func alwActiveKey(t *testing.T, db *sqlx.DB, requestID string) sql.NullString {
	t.Helper()
	var k sql.NullString
	if err := db.Get(&k, `SELECT active_key FROM dts_requests WHERE id = ?`, requestID); err != nil {
		t.Fatal(err)
	}
	return k
}

func alwDecisionMail(requestID, kind, body string, at time.Time) *store.OutboxMessage {
	return &store.OutboxMessage{MessageKey: "dts/" + requestID + "/decision", Kind: kind, To: "amina@example.ma",
		Subject: "Votre demande de DTS", Text: ns(body), HTML: ns("<p>" + body + "</p>"), CreatedAt: at}
}

func TestDecideDTSApproved(t *testing.T) {
	t.Parallel()
	st, db := newStore(t)
	ctx := context.Background()
	cid := alwActiveCitizen(t, st, "EE500600")
	officer := alwNewStaff(t, st, domain.RoleOfficer)
	dts := alwNewDTS(t, st, cid, 2026, 12_000)
	at := t0.Add(24 * time.Hour)

	decision := store.DTSDecision{RequestID: dts.req.ID, Status: domain.DTSApproved, StaffID: officer, Comment: "conforme",
		Task: &store.TaskChange{TaskID: dts.taskID, EventKey: "dts/" + dts.req.ID + "/completed", Action: "completed",
			StaffID: officer, State: domain.TaskDone, Queue: domain.QueueOfficers, Version: 2, AssigneeStaffID: officer,
			Outcome: "approved", Comment: "conforme", At: at},
		Mail: alwDecisionMail(dts.req.ID, "dts_approved", "approved 12000", at), At: at}
	outboxID, err := st.DecideDTS(ctx, decision)
	if err != nil || outboxID == 0 {
		t.Fatalf("DecideDTS(approved) = %d, %v", outboxID, err)
	}
	// The retried activity, with a later clock and another rendering of the e-mail.
	retry := decision
	retry.At = at.Add(time.Minute)
	retry.Mail = alwDecisionMail(dts.req.ID, "dts_approved", "other body", retry.At)
	if again, err := st.DecideDTS(ctx, retry); err != nil || again != outboxID {
		t.Errorf("retried DecideDTS = %d, %v; want outbox %d", again, err, outboxID)
	}

	if got := count(t, db, `SELECT COUNT(*) FROM ledger_entries WHERE dts_request_id = ?`, dts.req.ID); got != 1 {
		t.Errorf("credits = %d, want 1", got)
	}
	var credit struct {
		Year   int    `db:"year"`
		Type   string `db:"type"`
		Kind   string `db:"kind"`
		Amount int64  `db:"amount_mad"`
	}
	if err := db.Get(&credit, `SELECT year, type, kind, amount_mad FROM ledger_entries WHERE dts_request_id = ?`, dts.req.ID); err != nil {
		t.Fatal(err)
	}
	if credit.Year != 2026 || credit.Type != "tourism_supplement" || credit.Kind != "credit" || credit.Amount != 12_000 {
		t.Errorf("credit = %+v", credit)
	}
	b := alwBalance(t, st, cid, 2026, "tourism_supplement")
	if b.CreditedMAD != 12_000 || b.EntitlementMAD() != 12_000 || b.UsedMAD != 0 || b.RemainingMAD() != 12_000 {
		t.Errorf("DTS balance = credited %d, entitlement %d, used %d", b.CreditedMAD, b.EntitlementMAD(), b.UsedMAD)
	}
	if b27 := alwBalance(t, st, cid, 2027, "tourism_supplement"); b27.CreditedMAD != 0 {
		t.Errorf("2027 DTS credited %d, want 0", b27.CreditedMAD)
	}

	r, err := st.DTSRequestByID(ctx, dts.req.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != domain.DTSApproved || r.Decision != ns(string(domain.DTSApproved)) || r.DecisionComment != ns("conforme") ||
		r.DecidedByStaffID != (sql.NullInt64{Int64: officer, Valid: true}) || !r.DecidedAt.Valid || !r.DecidedAt.Time.Equal(at) ||
		r.TaskID != ns(dts.taskID) || r.SupplementMAD.Int64 != 12_000 {
		t.Errorf("request = %+v", r)
	}
	if k := alwActiveKey(t, db, dts.req.ID); k != ns(fmt.Sprintf("%d:2026", cid)) {
		t.Errorf("active_key = %v, want kept", k)
	}
	dup := store.DTSRequest{ID: ulid.Make().String(), CitizenID: cid, FiscalYear: 2025, Year: 2026, IRAmountMAD: 1,
		AttestationReference: "ATT-2", CreatedAt: at}
	if err := st.CreateDTSRequest(ctx, dup); !errors.Is(err, store.ErrDTSRequestExists) {
		t.Errorf("second request for 2026 after approval: err = %v, want ErrDTSRequestExists", err)
	}

	// The outbox holds one message, the first rendering.
	if got := count(t, db, `SELECT COUNT(*) FROM email_outbox WHERE kind = 'dts_approved'`); got != 1 {
		t.Errorf("decision e-mails = %d, want 1", got)
	}
	if ob := readOutbox(t, db, outboxID); ob.Text != ns("approved 12000") || ob.To != "amina@example.ma" || ob.SentAt.Valid {
		t.Errorf("decision e-mail = %+v", ob)
	}

	// The task was closed once.
	task, err := st.TaskByID(ctx, dts.taskID)
	if err != nil {
		t.Fatal(err)
	}
	if task.State != domain.TaskDone || task.Version != 2 || !task.CompletedAt.Valid || !task.CompletedAt.Time.Equal(at) ||
		task.CompletedByStaffID != (sql.NullInt64{Int64: officer, Valid: true}) || task.Outcome != ns("approved") {
		t.Errorf("task = %+v", task)
	}
	events, err := st.TaskEvents(ctx, dts.taskID)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || events[0].Action != "created" || events[1].Action != "completed" {
		t.Errorf("task events = %+v, want created then one completed", events)
	}

	// A late, different decision keeps the first one.
	late := decision
	late.Status, late.Comment, late.Task = domain.DTSRejected, "late", nil
	if _, err := st.DecideDTS(ctx, late); err != nil {
		t.Fatal(err)
	}
	if r, _ := st.DTSRequestByID(ctx, dts.req.ID); r.Status != domain.DTSApproved || r.DecisionComment != ns("conforme") {
		t.Errorf("request after a late rejection = %+v, want the approval kept", r)
	}
	if k := alwActiveKey(t, db, dts.req.ID); !k.Valid {
		t.Error("active_key cleared by a late rejection")
	}

	// The credit can be used.
	res := alwMustDebit(t, st, alwDebit(cid, 2026, "tourism_supplement", 12_000, "sale/dts"))
	if res.RemainingMAD != 0 {
		t.Errorf("DTS debit: remaining %d, want 0", res.RemainingMAD)
	}
	var ie *store.InsufficientError
	if _, err := st.RecordDebit(ctx, alwDebit(cid, 2026, "tourism_supplement", 1, "sale/dts2")); !errors.As(err, &ie) || ie.RemainingMAD != 0 {
		t.Errorf("DTS debit beyond the credit: err = %v, want InsufficientError{0}", err)
	}
}

func TestDecideDTSRejectedAndCancelled(t *testing.T) {
	t.Parallel()
	st, db := newStore(t)
	ctx := context.Background()
	cid := alwActiveCitizen(t, st, "FF700800")
	officer := alwNewStaff(t, st, domain.RoleOfficer)
	at := t0.Add(24 * time.Hour)

	rejected := alwNewDTS(t, st, cid, 2026, 9_000)
	d := store.DTSDecision{RequestID: rejected.req.ID, Status: domain.DTSRejected, StaffID: officer, Comment: "Attestation illisible",
		Task: &store.TaskChange{TaskID: rejected.taskID, EventKey: "dts/" + rejected.req.ID + "/completed", Action: "completed",
			StaffID: officer, State: domain.TaskDone, Queue: domain.QueueOfficers, Version: 2, AssigneeStaffID: officer,
			Outcome: "rejected", Comment: "Attestation illisible", At: at},
		Mail: alwDecisionMail(rejected.req.ID, "dts_rejected", "rejected", at), At: at}
	id1, err := st.DecideDTS(ctx, d)
	if err != nil || id1 == 0 {
		t.Fatalf("DecideDTS(rejected) = %d, %v", id1, err)
	}
	if id2, err := st.DecideDTS(ctx, d); err != nil || id2 != id1 {
		t.Errorf("retried rejection = %d, %v; want %d", id2, err, id1)
	}
	r, err := st.DTSRequestByID(ctx, rejected.req.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != domain.DTSRejected || r.Decision != ns(string(domain.DTSRejected)) || r.DecisionComment != ns("Attestation illisible") ||
		r.DecidedByStaffID.Int64 != officer || !r.DecidedAt.Time.Equal(at) {
		t.Errorf("rejected request = %+v", r)
	}
	if k := alwActiveKey(t, db, rejected.req.ID); k.Valid {
		t.Errorf("active_key of a rejected request = %v, want NULL", k)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM ledger_entries`); got != 0 {
		t.Errorf("ledger rows after a rejection = %d, want 0", got)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM email_outbox WHERE kind = 'dts_rejected'`); got != 1 {
		t.Errorf("rejection e-mails = %d, want 1", got)
	}
	if task, _ := st.TaskByID(ctx, rejected.taskID); task.State != domain.TaskDone || task.Outcome != ns("rejected") {
		t.Errorf("task = %+v", task)
	}

	// A new request for the same year is accepted, then cancelled by the citizen.
	cancelled := alwNewDTS(t, st, cid, 2026, 9_000)
	c := store.DTSDecision{RequestID: cancelled.req.ID, Status: domain.DTSCancelled,
		Task: &store.TaskChange{TaskID: cancelled.taskID, EventKey: "dts/" + cancelled.req.ID + "/cancelled", Action: "cancelled",
			State: domain.TaskCancelled, Queue: domain.QueueOfficers, Version: 1, At: at},
		At: at}
	if id, err := st.DecideDTS(ctx, c); err != nil || id != 0 {
		t.Fatalf("DecideDTS(cancelled) = %d, %v; want 0 (no e-mail)", id, err)
	}
	if id, err := st.DecideDTS(ctx, c); err != nil || id != 0 {
		t.Errorf("retried cancellation = %d, %v", id, err)
	}
	r, err = st.DTSRequestByID(ctx, cancelled.req.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != domain.DTSCancelled || r.DecidedByStaffID.Valid || r.DecisionComment.Valid {
		t.Errorf("cancelled request = %+v", r)
	}
	if k := alwActiveKey(t, db, cancelled.req.ID); k.Valid {
		t.Errorf("active_key of a cancelled request = %v, want NULL", k)
	}
	if task, _ := st.TaskByID(ctx, cancelled.taskID); task.State != domain.TaskCancelled || !task.CompletedAt.Valid || task.CompletedByStaffID.Valid {
		t.Errorf("cancelled task = %+v", task)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM ledger_entries`); got != 0 {
		t.Errorf("ledger rows after a cancellation = %d, want 0", got)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM email_outbox WHERE message_key LIKE 'dts/%'`); got != 1 {
		t.Errorf("DTS e-mails = %d, want the rejection only", got)
	}
	// And a third one is accepted again.
	third := store.DTSRequest{ID: ulid.Make().String(), CitizenID: cid, FiscalYear: 2025, Year: 2026, IRAmountMAD: 1,
		AttestationReference: "ATT-3", CreatedAt: at}
	if err := st.CreateDTSRequest(ctx, third); err != nil {
		t.Errorf("third request for 2026: %v", err)
	}
	if _, err := st.DTSRequestByID(ctx, "01NOTAREQUEST0000000000000"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown request: err = %v, want ErrNotFound", err)
	}
	if _, err := st.DecideDTS(ctx, store.DTSDecision{RequestID: "01NOTAREQUEST0000000000000", Status: domain.DTSApproved, At: at}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DecideDTS of an unknown request: err = %v, want ErrNotFound", err)
	}
}

func TestCreditDTSOnce(t *testing.T) {
	t.Parallel()
	st, db := newStore(t)
	ctx := context.Background()
	cid := alwActiveCitizen(t, st, "GG900100")
	dts := alwNewDTS(t, st, cid, 2027, 7_500)

	for range 2 {
		if err := st.CreditDTS(ctx, cid, 2027, dts.req.ID, 7_500, t0); err != nil {
			t.Fatalf("CreditDTS: %v", err)
		}
	}
	// The decision's credit has the same operation key: still one credit.
	if _, err := st.DecideDTS(ctx, store.DTSDecision{RequestID: dts.req.ID, Status: domain.DTSApproved, At: t0}); err != nil {
		t.Fatal(err)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM ledger_entries WHERE dts_request_id = ?`, dts.req.ID); got != 1 {
		t.Errorf("credits = %d, want 1", got)
	}
	if b := alwBalance(t, st, cid, 2027, "tourism_supplement"); b.CreditedMAD != 7_500 || b.EntitlementMAD() != 7_500 {
		t.Errorf("2027 DTS balance = %+v", b)
	}
	// Nothing to credit.
	if err := st.CreditDTS(ctx, cid, 2027, ulid.Make().String(), 0, t0); err != nil {
		t.Fatal(err)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM ledger_entries`); got != 1 {
		t.Errorf("ledger rows = %d, want 1", got)
	}
}

// ---------------------------------------------------------------------------------------
// 5. ReplaceAllowanceRules

func TestReplaceAllowanceRules(t *testing.T) {
	t.Parallel()
	st, db := newStore(t)
	ctx := context.Background()
	a := alwActiveCitizen(t, st, "HH100100")
	b := alwActiveCitizen(t, st, "HH200200")
	admin := alwNewStaff(t, st, domain.RoleAdmin)

	alwMustDebit(t, st, alwDebit(a, 2026, "tourism", 3000, "a/1"))
	alwMustDebit(t, st, alwDebit(a, 2026, "tourism", 2000, "a/2"))
	alwMustDebit(t, st, alwDebit(b, 2026, "tourism", 7000, "b/1"))
	alwMustDebit(t, st, alwDebit(a, 2026, "studies", 1000, "a/3"))
	alwMustDebit(t, st, alwDebit(b, 2027, "tourism", 9000, "b/2027")) // another year
	for _, c := range []struct {
		citizen int64
		amount  int64
	}{{a, 12_000}, {b, 5_000}} {
		if err := st.CreditDTS(ctx, c.citizen, 2026, ulid.Make().String(), c.amount, t0); err != nil {
			t.Fatal(err)
		}
	}
	alwMustDebit(t, st, alwDebit(a, 2026, "tourism_supplement", 2000, "a/dts"))
	alwMustDebit(t, st, alwDebit(b, 2026, "tourism_supplement", 1500, "b/dts"))

	wantUsed := map[string]store.UsedByType{
		"tourism":            {Type: "tourism", MaxDebited: 7000},
		"studies":            {Type: "studies", MaxDebited: 1000},
		"tourism_supplement": {Type: "tourism_supplement", MaxDebited: 2000, MaxCredited: 12_000},
	}
	checkUsed := func(used []store.UsedByType) {
		t.Helper()
		got := map[string]store.UsedByType{}
		for _, u := range used {
			got[u.Type] = u
		}
		if !reflect.DeepEqual(got, wantUsed) {
			t.Errorf("check received %+v, want %+v", got, wantUsed)
		}
	}

	before := alwRules(t, st, 2026)
	proposed := make([]store.AllowanceRule, len(before))
	copy(proposed, before)
	for i := range proposed {
		proposed[i].Edition = "IGOC-2026-R1"
		switch proposed[i].Type {
		case "tourism":
			proposed[i].EntitlementMAD = 6000 // below what citizen b used
		case "tourism_supplement":
			proposed[i].RateBP = sql.NullInt64{Int64: 3500, Valid: true}
			proposed[i].CapTotalMAD = sql.NullInt64{Int64: 600_000, Valid: true}
		case "medical":
			proposed[i].LabelFR = "Soins médicaux à l'étranger"
		}
	}
	calls := 0
	err := st.ReplaceAllowanceRules(ctx, 2026, proposed, admin, t0.Add(time.Hour), func(used []store.UsedByType) error {
		calls++
		checkUsed(used)
		for _, u := range used {
			if u.Type == "tourism" && u.MaxDebited > 6000 {
				return fmt.Errorf("%w: tourism used up to %d", store.ErrBelowUsed, u.MaxDebited)
			}
		}
		return nil
	})
	if !errors.Is(err, store.ErrBelowUsed) || calls != 1 {
		t.Fatalf("ReplaceAllowanceRules below use = %v (check called %d times); want ErrBelowUsed", err, calls)
	}
	if after := alwRules(t, st, 2026); !reflect.DeepEqual(after, before) {
		t.Errorf("rules changed by a refused replacement:\n%+v\nwas\n%+v", after, before)
	}

	proposed[0].EntitlementMAD = 120_000
	at := t0.Add(2 * time.Hour)
	if err := st.ReplaceAllowanceRules(ctx, 2026, proposed, admin, at, func(used []store.UsedByType) error {
		checkUsed(used)
		return nil
	}); err != nil {
		t.Fatalf("ReplaceAllowanceRules: %v", err)
	}
	after := alwRules(t, st, 2026)
	if len(after) != 5 {
		t.Fatalf("%d rules after replacement, want 5", len(after))
	}
	for i, r := range after {
		w := proposed[i]
		if r.Type != w.Type || r.Edition != "IGOC-2026-R1" || r.EntitlementMAD != w.EntitlementMAD || r.RateBP != w.RateBP ||
			r.CapTotalMAD != w.CapTotalMAD || r.LabelFR != w.LabelFR || r.LabelAR != w.LabelAR || !r.UpdatedAt.Equal(at) ||
			r.UpdatedByStaffID != (sql.NullInt64{Int64: admin, Valid: true}) {
			t.Errorf("rule %d after replacement = %+v, want %+v by %d at %v", i, r, w, admin, at)
		}
	}
	if got := alwBalance(t, st, b, 2026, "tourism"); got.EntitlementMAD() != 120_000 || got.RemainingMAD() != 113_000 {
		t.Errorf("balance under the new rules = %+v", got)
	}
	// Other years are untouched.
	if got := store.DomainRules(alwRules(t, st, 2027)); !reflect.DeepEqual(got, domain.DefaultRules2026) {
		t.Errorf("2027 rules changed: %+v", got)
	}

	if got := count(t, db, `SELECT COUNT(*) FROM allowance_rules`); got != 20 {
		t.Errorf("rule rows = %d, want 20", got)
	}
}

// Rules for a year that has none yet (an admin preparing next year's figures): the lock
// query finds no row. The call is bounded by a timeout so that a hang fails the test.
func TestReplaceAllowanceRulesNewYear(t *testing.T) {
	t.Parallel()
	st, db := newStore(t)
	admin := alwNewStaff(t, st, domain.RoleAdmin)
	proposed := alwRules(t, st, 2027)
	for i := range proposed {
		proposed[i].Year, proposed[i].Edition = 2028, "IGOC-2028"
	}
	proposed[0].EntitlementMAD = 120_000
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	calls := 0
	began := time.Now()
	err := st.ReplaceAllowanceRules(ctx, 2028, proposed, admin, t0, func(used []store.UsedByType) error {
		calls++
		if len(used) != 0 {
			t.Errorf("2028 use = %+v, want none", used)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("ReplaceAllowanceRules(2028) = %v after %v (check called %d times); want the rules created",
			err, time.Since(began).Round(time.Millisecond), calls)
	}
	got := alwRules(t, st, 2028)
	if len(got) != 5 || got[0].EntitlementMAD != 120_000 || got[0].Edition != "IGOC-2028" ||
		got[0].UpdatedByStaffID != (sql.NullInt64{Int64: admin, Valid: true}) {
		t.Errorf("2028 rules = %+v", got)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM allowance_rules`); got != 25 {
		t.Errorf("rule rows = %d, want 25", got)
	}
}

// ---------------------------------------------------------------------------------------
// 6. Tasks

func TestCreateTaskIdempotent(t *testing.T) {
	t.Parallel()
	st, db := newStore(t)
	ctx := context.Background()
	in := store.Task{ID: ulid.Make().String(), TaskKey: "dts/REQ1", Kind: "dts", SubjectID: "REQ1", WorkflowID: "dts-REQ1",
		Queue: domain.QueueOfficers, DueAt: t0.Add(48 * time.Hour), CreatedAt: t0}
	first, err := st.CreateTask(ctx, in)
	if err != nil {
		t.Fatalf("CreateTask: %v", err)
	}
	want := store.Task{ID: in.ID, TaskKey: in.TaskKey, Kind: "dts", SubjectID: "REQ1", WorkflowID: "dts-REQ1",
		State: domain.TaskOpen, Queue: domain.QueueOfficers, DueAt: in.DueAt, CreatedAt: t0, UpdatedAt: t0}
	if !reflect.DeepEqual(first, want) {
		t.Errorf("CreateTask = %+v,\nwant %+v", first, want)
	}
	retry := in
	retry.ID, retry.DueAt, retry.CreatedAt = ulid.Make().String(), t0.Add(72*time.Hour), t0.Add(time.Minute)
	second, err := st.CreateTask(ctx, retry)
	if err != nil {
		t.Fatalf("retried CreateTask: %v", err)
	}
	if !reflect.DeepEqual(second, first) {
		t.Errorf("retried CreateTask = %+v, want the first task %+v", second, first)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM tasks`); got != 1 {
		t.Errorf("tasks = %d, want 1", got)
	}
	events, err := st.TaskEvents(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Action != "created" || !events[0].At.Equal(t0) || events[0].StaffID.Valid {
		t.Errorf("events = %+v, want one 'created'", events)
	}
	if _, err := st.TaskByID(ctx, retry.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TaskByID(the retry's id): err = %v, want ErrNotFound", err)
	}
}

func TestApplyTaskChangeVersions(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := context.Background()
	officerA, officerB := alwNewStaff(t, st, domain.RoleOfficer), alwNewStaff(t, st, domain.RoleOfficer)
	task, err := st.CreateTask(ctx, store.Task{ID: ulid.Make().String(), TaskKey: "dts/REQ2", Kind: "dts", SubjectID: "REQ2",
		WorkflowID: "dts-REQ2", Queue: domain.QueueOfficers, DueAt: t0.Add(48 * time.Hour), CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	apply := func(c store.TaskChange) {
		t.Helper()
		c.TaskID = task.ID
		if err := st.ApplyTaskChange(ctx, c); err != nil {
			t.Fatalf("ApplyTaskChange(%s): %v", c.EventKey, err)
		}
	}
	read := func() store.Task {
		t.Helper()
		got, err := st.TaskByID(ctx, task.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	nullID := func(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: true} }
	nullAt := func(m int) sql.NullTime { return sql.NullTime{Time: at(m), Valid: true} }

	claimA := store.TaskChange{EventKey: "e1", Action: "claimed", StaffID: officerA, State: domain.TaskClaimed,
		Queue: domain.QueueOfficers, Version: 1, AssigneeStaffID: officerA, At: at(1)}
	apply(claimA)
	apply(claimA) // retried: same values, one event
	if got := read(); got.State != domain.TaskClaimed || got.Version != 1 || got.AssigneeStaffID != nullID(officerA) ||
		got.ClaimedAt != nullAt(1) || !got.UpdatedAt.Equal(at(1)) {
		t.Errorf("after claim = %+v", got)
	}
	apply(store.TaskChange{EventKey: "e2", Action: "released", StaffID: officerA, State: domain.TaskOpen,
		Queue: domain.QueueOfficers, Version: 2, At: at(2)})
	if got := read(); got.State != domain.TaskOpen || got.Version != 2 || got.AssigneeStaffID.Valid || got.ClaimedAt.Valid {
		t.Errorf("after release = %+v", got)
	}
	apply(store.TaskChange{EventKey: "e3", Action: "claimed", StaffID: officerB, State: domain.TaskClaimed,
		Queue: domain.QueueOfficers, Version: 3, AssigneeStaffID: officerB, At: at(3)})
	claimedByB := read()
	if claimedByB.State != domain.TaskClaimed || claimedByB.Version != 3 || claimedByB.AssigneeStaffID != nullID(officerB) ||
		claimedByB.ClaimedAt != nullAt(3) {
		t.Errorf("after B's claim = %+v", claimedByB)
	}

	// A late write of an older transition (version 2) and one of the same version: ignored,
	// but their events are recorded, once each.
	late := store.TaskChange{EventKey: "e2-late", Action: "released", StaffID: officerA, State: domain.TaskOpen,
		Queue: domain.QueueOfficers, Version: 2, Comment: "late", At: at(4)}
	apply(late)
	apply(late)
	same := store.TaskChange{EventKey: "e3-dup", Action: "claimed", StaffID: officerA, State: domain.TaskClaimed,
		Queue: domain.QueueSupervisors, Version: 3, AssigneeStaffID: officerA, At: at(5)}
	apply(same)
	if got := read(); !reflect.DeepEqual(got, claimedByB) {
		t.Errorf("stale changes were applied: %+v,\nwant %+v", got, claimedByB)
	}

	done := store.TaskChange{EventKey: "e4", Action: "completed", StaffID: officerB, State: domain.TaskDone,
		Queue: domain.QueueOfficers, Version: 4, AssigneeStaffID: officerB, Outcome: "approved", Comment: "vu", At: at(6)}
	apply(done)
	retried := done
	retried.At = at(7)
	apply(retried)
	got := read()
	if got.State != domain.TaskDone || got.Version != 4 || got.CompletedAt != nullAt(6) || got.CompletedByStaffID != nullID(officerB) ||
		got.Outcome != ns("approved") || got.Comment != ns("vu") || got.ClaimedAt != nullAt(3) || !got.UpdatedAt.Equal(at(6)) {
		t.Errorf("after completion = %+v", got)
	}

	events, err := st.TaskEvents(ctx, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	type ev struct {
		action string
		staff  int64
		detail string
		at     time.Time
	}
	want := []ev{
		{"created", 0, "", t0}, {"claimed", officerA, "", at(1)}, {"released", officerA, "", at(2)},
		{"claimed", officerB, "", at(3)}, {"released", officerA, "late", at(4)}, {"claimed", officerA, "", at(5)},
		{"completed", officerB, "vu", at(6)},
	}
	var gotEvents []ev
	for _, e := range events {
		gotEvents = append(gotEvents, ev{e.Action, e.StaffID.Int64, e.Detail.String, e.At})
	}
	if !reflect.DeepEqual(gotEvents, want) {
		t.Errorf("events =\n%+v\nwant\n%+v", gotEvents, want)
	}
}

type alwTaskModel struct {
	id       string
	kind     domain.TaskKind
	state    domain.TaskState
	queue    domain.Queue
	assignee int64
	due      time.Time
}

func TestTasksFilterAndCursor(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := context.Background()
	officerA, officerB := alwNewStaff(t, st, domain.RoleOfficer), alwNewStaff(t, st, domain.RoleOfficer)

	const n = 25
	models := make([]alwTaskModel, n)
	// Created in reverse order so that, among tasks due at the same time, the id order is
	// not the order of the due times' indexes.
	for i := n - 1; i >= 0; i-- {
		m := alwTaskModel{id: ulid.Make().String(), kind: domain.TaskDTS, state: domain.TaskOpen, queue: domain.QueueOfficers,
			due: t0.Add(time.Duration(i/3) * time.Hour)} // three tasks per due time
		if i%5 == 0 {
			m.kind = domain.TaskComplaint
		}
		if _, err := st.CreateTask(ctx, store.Task{ID: m.id, TaskKey: fmt.Sprintf("task/%d", i), Kind: m.kind,
			SubjectID: fmt.Sprint(i), WorkflowID: fmt.Sprintf("wf-%d", i), Queue: domain.QueueOfficers, DueAt: m.due, CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		var c *store.TaskChange
		switch {
		case i%4 == 1:
			m.state, m.assignee = domain.TaskClaimed, officerA
			if i%8 != 1 {
				m.assignee = officerB
			}
			c = &store.TaskChange{Action: "claimed", StaffID: m.assignee, AssigneeStaffID: m.assignee}
		case i%4 == 2:
			m.state, m.assignee = domain.TaskDone, officerB
			c = &store.TaskChange{Action: "completed", StaffID: officerB, AssigneeStaffID: officerB, Outcome: "approved"}
		case i%7 == 3:
			m.queue = domain.QueueSupervisors
			c = &store.TaskChange{Action: "escalated", EscalationLevel: 1}
		}
		if c != nil {
			c.TaskID, c.EventKey, c.State, c.Queue, c.Version, c.At = m.id, fmt.Sprintf("task/%d/1", i), m.state, m.queue, 1, t0
			if err := st.ApplyTaskChange(ctx, *c); err != nil {
				t.Fatal(err)
			}
		}
		models[i] = m
	}

	expect := func(keep func(alwTaskModel) bool) []string {
		var sel []alwTaskModel
		for _, m := range models {
			if keep(m) {
				sel = append(sel, m)
			}
		}
		sort.Slice(sel, func(i, j int) bool {
			if !sel[i].due.Equal(sel[j].due) {
				return sel[i].due.Before(sel[j].due)
			}
			return sel[i].id < sel[j].id
		})
		ids := []string{}
		for _, m := range sel {
			ids = append(ids, m.id)
		}
		return ids
	}
	list := func(f store.TaskFilter) []string {
		t.Helper()
		tasks, err := st.Tasks(ctx, f)
		if err != nil {
			t.Fatalf("Tasks(%+v): %v", f, err)
		}
		ids := []string{}
		for _, tk := range tasks {
			ids = append(ids, tk.ID)
		}
		return ids
	}
	overdueAt := t0.Add(4*time.Hour + time.Minute)
	isActive := func(m alwTaskModel) bool { return m.state == domain.TaskOpen || m.state == domain.TaskClaimed }
	for _, tc := range []struct {
		name string
		f    store.TaskFilter
		keep func(alwTaskModel) bool
	}{
		{"all", store.TaskFilter{}, func(alwTaskModel) bool { return true }},
		{"open", store.TaskFilter{States: []domain.TaskState{domain.TaskOpen}}, func(m alwTaskModel) bool { return m.state == domain.TaskOpen }},
		{"open or claimed", store.TaskFilter{States: []domain.TaskState{domain.TaskOpen, domain.TaskClaimed}}, isActive},
		{"complaints", store.TaskFilter{Kind: "complaint"}, func(m alwTaskModel) bool { return m.kind == "complaint" }},
		{"assigned to A", store.TaskFilter{AssigneeID: officerA}, func(m alwTaskModel) bool { return m.assignee == officerA }},
		{"supervisors' queue", store.TaskFilter{Queues: []domain.Queue{domain.QueueSupervisors}},
			func(m alwTaskModel) bool { return m.queue == domain.QueueSupervisors }},
		{"both queues", store.TaskFilter{Queues: []domain.Queue{domain.QueueSupervisors, domain.QueueOfficers}}, func(alwTaskModel) bool { return true }},
		{"overdue", store.TaskFilter{Overdue: &overdueAt}, func(m alwTaskModel) bool { return isActive(m) && m.due.Before(overdueAt) }},
		{"active DTS of the officers", store.TaskFilter{States: []domain.TaskState{domain.TaskOpen, domain.TaskClaimed}, Kind: "dts",
			Queues: []domain.Queue{domain.QueueOfficers}},
			func(m alwTaskModel) bool { return isActive(m) && m.kind == "dts" && m.queue == domain.QueueOfficers }},
		{"claimed by B", store.TaskFilter{States: []domain.TaskState{domain.TaskClaimed}, AssigneeID: officerB},
			func(m alwTaskModel) bool { return m.state == domain.TaskClaimed && m.assignee == officerB }},
	} {
		tc.f.Limit = 100
		want := expect(tc.keep)
		if len(want) == 0 {
			t.Fatalf("%s: the fixture selects nothing", tc.name)
		}
		if got := list(tc.f); !slices.Equal(got, want) {
			t.Errorf("Tasks(%s) =\n%v\nwant\n%v", tc.name, got, want)
		}
		// The same through the cursor, pages of 4 (page ends fall inside groups of equal due times).
		f := tc.f
		f.Limit = 4
		var paged []string
		seen := map[string]bool{}
		for page := 0; page <= n; page++ {
			tasks, err := st.Tasks(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(tasks) > 4 {
				t.Fatalf("%s: page of %d, limit 4", tc.name, len(tasks))
			}
			for _, tk := range tasks {
				if seen[tk.ID] {
					t.Errorf("%s: task %s on two pages", tc.name, tk.ID)
				}
				seen[tk.ID] = true
				paged = append(paged, tk.ID)
			}
			if len(tasks) < 4 {
				break
			}
			last := tasks[len(tasks)-1]
			f.AfterDue, f.AfterID = last.DueAt, last.ID
		}
		if !slices.Equal(paged, want) {
			t.Errorf("Tasks(%s) by pages of 4 =\n%v\nwant\n%v", tc.name, paged, want)
		}
	}
	if got := list(store.TaskFilter{Limit: 5}); len(got) != 5 {
		t.Errorf("Limit 5: %d tasks", len(got))
	}
}

// ---------------------------------------------------------------------------------------
// 7. LedgerPage

func TestLedgerPage(t *testing.T) {
	t.Parallel()
	st, db := newStore(t)
	ctx := context.Background()
	a := alwActiveCitizen(t, st, "JJ100100")
	b := alwActiveCitizen(t, st, "JJ200200")

	type entry struct {
		id   int64
		year int
		typ  string
	}
	var mine []entry
	types := []string{"tourism", "studies", "medical"}
	for i := range 12 {
		year := 2026 + i%2
		typ := types[i%3]
		d := alwDebit(a, year, typ, int64(100+i), fmt.Sprintf("a/%d", i))
		d.ExchangePointCode = "CASA-01"
		d.At = t0.Add(time.Duration(i) * time.Minute)
		res := alwMustDebit(t, st, d)
		mine = append(mine, entry{res.OperationID, year, typ})
		alwMustDebit(t, st, alwDebit(b, year, typ, 50, fmt.Sprintf("b/%d", i))) // another citizen's, interleaved
	}
	reqID := ulid.Make().String()
	if err := st.CreditDTS(ctx, a, 2026, reqID, 4000, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	var creditID int64
	if err := db.Get(&creditID, `SELECT id FROM ledger_entries WHERE operation_key = ?`, "dts/"+reqID); err != nil {
		t.Fatal(err)
	}
	mine = append(mine, entry{creditID, 2026, "tourism_supplement"})

	expect := func(year int, typ string) []int64 {
		var ids []int64
		for i := len(mine) - 1; i >= 0; i-- {
			if (year == 0 || mine[i].year == year) && (typ == "" || mine[i].typ == typ) {
				ids = append(ids, mine[i].id)
			}
		}
		return ids
	}
	pages := func(year int, typ string, size int) []int64 {
		t.Helper()
		f := store.LedgerFilter{CitizenID: a, Year: year, Type: typ, Limit: size}
		var ids []int64
		for range len(mine) + 1 {
			page, err := st.LedgerPage(ctx, f)
			if err != nil {
				t.Fatalf("LedgerPage(%+v): %v", f, err)
			}
			for _, e := range page {
				ids = append(ids, e.ID)
				if (year != 0 && e.Year != year) || (typ != "" && e.Type != typ) {
					t.Errorf("LedgerPage(year %d, type %q) returned %+v", year, typ, e)
				}
			}
			if len(page) < size {
				break
			}
			f.BeforeID = page[len(page)-1].ID
		}
		return ids
	}
	for _, tc := range []struct {
		year int
		typ  string
	}{{0, ""}, {2027, ""}, {0, "studies"}, {2026, "tourism"}, {2026, "tourism_supplement"}, {2025, ""}} {
		want := expect(tc.year, tc.typ)
		if got := pages(tc.year, tc.typ, 3); !slices.Equal(got, want) {
			t.Errorf("LedgerPage(year %d, type %q) by pages of 3 = %v, want %v", tc.year, tc.typ, got, want)
		}
		if got := pages(tc.year, tc.typ, 100); !slices.Equal(got, want) {
			t.Errorf("LedgerPage(year %d, type %q) = %v, want %v", tc.year, tc.typ, got, want)
		}
	}

	page, err := st.LedgerPage(ctx, store.LedgerFilter{CitizenID: a, Limit: 2})
	if err != nil || len(page) != 2 {
		t.Fatalf("LedgerPage = %+v, %v", page, err)
	}
	credit, debit := page[0], page[1]
	if credit.ID != creditID || credit.Kind != "credit" || credit.AmountMAD != 4000 || credit.DTSRequestID != ns(reqID) ||
		credit.Currency.Valid || credit.Reference.Valid || !credit.CreatedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("credit entry = %+v", credit)
	}
	if debit.ID != mine[11].id || debit.Kind != "debit" || debit.Year != 2027 || debit.Type != "medical" || debit.AmountMAD != 111 ||
		debit.Currency != ns("EUR") || debit.ForeignAmount != ns("100.00") || debit.Reference != ns("REF-a/11") ||
		debit.ExchangePointCode != ns("CASA-01") || debit.DTSRequestID.Valid || !debit.CreatedAt.Equal(t0.Add(11*time.Minute)) {
		t.Errorf("debit entry = %+v", debit)
	}
}
