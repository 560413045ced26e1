package service

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"occonnect/domain"
	"occonnect/store"
)

// Allowances shows citizens what is left of their allowances and records the currency
// sales of exchange points against them.
type Allowances struct {
	store *store.Store
	clock clock
	auth  *Auth
}

// Balances are a citizen's allowances for a year: each rule with what was used.
type Balances struct {
	Year     int
	Edition  string
	Balances []store.Balance
}

// Mine is the calling citizen's balances for year ("" for the current one), polled by
// the app: the session and the balances are read in one query, and the session gets the
// checks of Auth.Authenticate for a citizen's full session. YearWithoutRules when the
// year has no rules.
func (a *Allowances) Mine(ctx context.Context, token, year string) (Balances, error) {
	hash, err := TokenHash(token)
	if err != nil {
		return Balances{}, err
	}
	var v fieldErrors
	y := intParam("year", year, 2000, 2100, a.clock.currentYear(), &v)
	se, balances, err := a.store.SessionBalances(ctx, hash, y)
	var sessionErr error // the data's own errors come after the caller is admitted
	if !errors.Is(err, store.ErrNoRules) {
		sessionErr = err
	}
	if err := a.auth.admitPolled(ctx, hash, se, sessionErr, CitizensOnly()); err != nil {
		return Balances{}, err
	}
	if err := v.err(); err != nil {
		return Balances{}, err
	}
	if errors.Is(err, store.ErrNoRules) {
		return Balances{}, refuse(YearWithoutRules)
	}
	out := Balances{Year: y, Balances: balances}
	for _, b := range balances {
		out.Edition = b.Rule.Edition
	}
	return out, nil
}

// OperationsQuery filters a citizen's ledger, as the caller sent it.
type OperationsQuery struct {
	Year, Type string
	Page       PageRequest
}

// Operations are the calling citizen's ledger entries, newest first.
func (a *Allowances) Operations(ctx context.Context, p *Principal, q OperationsQuery) (Page[store.LedgerEntry], error) {
	var v fieldErrors
	year := intParam("year", q.Year, 2000, 2100, 0, &v)
	if q.Type != "" {
		if _, ok := domain.ParseAllowanceType(q.Type); !ok {
			v.add("type", "invalid")
		}
	}
	limit, cursor := q.Page.parse(&v)
	var before int64
	if cursor != "" {
		n, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || n <= 0 {
			v.add("cursor", "invalid")
		}
		before = n
	}
	if err := v.err(); err != nil {
		return Page[store.LedgerEntry]{}, err
	}
	entries, err := a.store.LedgerPage(ctx, store.LedgerFilter{CitizenID: p.ID, Year: year, Type: q.Type, BeforeID: before, Limit: limit + 1})
	if err != nil {
		return Page[store.LedgerEntry]{}, err
	}
	return pageOf(entries, limit, func(e store.LedgerEntry) string { return encodeCursor(strconv.FormatInt(e.ID, 10)) }), nil
}

// Debit is a currency sale at an exchange point, against one of the citizen's allowances.
type Debit struct {
	CIN, Type      string
	AmountMAD      int64
	Currency       string
	ForeignAmount  json.Number
	Reference      string
	IdempotencyKey string // required: the agent's retry of the same sale is recorded once
}

// Debited is a recorded sale and what remains of the allowance.
type Debited struct {
	OperationID  int64
	RemainingMAD int64
	Type         string
	Year         int
}

// maxDebitMAD bounds a single operation (a sanity limit far above any allowance).
const maxDebitMAD = 10_000_000

// validForeignAmount: a positive decimal with at most 13 digits before the point and 2
// after (the ledger column is DECIMAL(18,2)).
func validForeignAmount(n json.Number) (string, bool) {
	s := strings.TrimSpace(n.String())
	if s == "" || strings.ContainsAny(s, "eE+-") {
		return "", false
	}
	intPart, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 || intPart == "" || len(intPart) > 13 {
		return "", false
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok || r.Sign() <= 0 {
		return "", false
	}
	return r.FloatString(2), true
}

// RecordDebit records a sale by an agent at the agent's exchange point, once per
// idempotency key: InsufficientAllowance above what remains (with it), AccountNotActive
// for a pending account, NotFound (citizen_not_found) for an unknown CIN.
func (a *Allowances) RecordDebit(ctx context.Context, agent *Principal, d Debit) (Debited, error) {
	if d.IdempotencyKey == "" {
		return Debited{}, invalidField("Idempotency-Key", "required")
	}
	var v fieldErrors
	cin, err := domain.NormalizeCIN(d.CIN)
	if err != nil {
		v.add("cin", map[bool]string{true: "required", false: "invalid_format"}[strings.TrimSpace(d.CIN) == ""])
	}
	if _, ok := domain.ParseAllowanceType(d.Type); !ok {
		v.add("type", map[bool]string{true: "required", false: "invalid"}[d.Type == ""])
	}
	if d.AmountMAD <= 0 || d.AmountMAD > maxDebitMAD {
		v.add("amount_mad", "invalid")
	}
	if !domain.IsForeignCurrency(d.Currency) {
		v.add("currency", map[bool]string{true: "required", false: "invalid"}[d.Currency == ""])
	}
	foreign, ok := validForeignAmount(d.ForeignAmount)
	if !ok {
		v.add("foreign_amount", map[bool]string{true: "required", false: "invalid"}[d.ForeignAmount == ""])
	}
	d.Reference = strings.TrimSpace(d.Reference)
	if d.Reference == "" {
		v.add("reference", "required")
	} else if len(d.Reference) > 64 {
		v.add("reference", "too_long")
	}
	if err := v.err(); err != nil {
		return Debited{}, err
	}
	if err := agentAtOpenPoint(ctx, a.store, agent); err != nil {
		return Debited{}, err
	}
	c, err := a.store.CitizenByCIN(ctx, cin)
	if errors.Is(err, store.ErrNotFound) {
		return Debited{}, &Refusal{Reason: NotFound, Detail: "citizen_not_found"}
	}
	if err != nil {
		return Debited{}, err
	}
	canonical, _ := json.Marshal(struct {
		CIN, Type, Currency, Foreign, Reference string
		Amount                                  int64
	}{cin, d.Type, d.Currency, foreign, d.Reference, d.AmountMAD})
	hash := sha256.Sum256(canonical)
	year := a.clock.currentYear()
	res, err := a.store.RecordDebit(ctx, store.Debit{
		CitizenID: c.ID, Year: year, Type: d.Type, AmountMAD: d.AmountMAD, Currency: d.Currency,
		ForeignAmount: foreign, Reference: d.Reference, AgentStaffID: agent.ID, ExchangePointCode: agent.Staff.ExchangePointCode.String,
		OperationKey: fmt.Sprintf("debit/%d/%s", agent.ID, d.IdempotencyKey), RequestHash: hash[:], At: a.clock.now(),
	})
	var insufficient *store.InsufficientError
	switch {
	case errors.As(err, &insufficient):
		return Debited{}, &Refusal{Reason: InsufficientAllowance, RemainingMAD: &insufficient.RemainingMAD}
	case errors.Is(err, store.ErrNotActive):
		return Debited{}, refuse(AccountNotActive)
	case errors.Is(err, store.ErrNoRules):
		return Debited{}, refuse(NoRules)
	case errors.Is(err, store.ErrIdempotencyMismatch):
		return Debited{}, refuse(IdempotencyKeyReused)
	case err != nil:
		return Debited{}, err
	}
	return Debited{OperationID: res.OperationID, RemainingMAD: res.RemainingMAD, Type: d.Type, Year: year}, nil
}
