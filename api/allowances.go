package api

import (
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"

	"occonnect/domain"
	"occonnect/store"
)

// currentYear is the calendar year in Africa/Casablanca.
func (s *Server) currentYear() int { return s.clock().In(domain.Casablanca).Year() }

// label picks the rule's label in the request's language (French for English readers).
func label(r *http.Request, rule store.AllowanceRule) string {
	if lang(r) == "ar" {
		return rule.LabelAR
	}
	return rule.LabelFR
}

type allowanceJSON struct {
	Type           string `json:"type"`
	Label          string `json:"label"`
	EntitlementMAD int64  `json:"entitlement_mad"`
	UsedMAD        int64  `json:"used_mad"`
	RemainingMAD   int64  `json:"remaining_mad"`
}

type allowancesResponse struct {
	Year       int             `json:"year"`
	Edition    string          `json:"edition"`
	Allowances []allowanceJSON `json:"allowances"`
}

// myAllowances: GET /me/allowances?year=, derived from the rules and the ledger.
func (s *Server) myAllowances(w http.ResponseWriter, r *http.Request, hash []byte) error {
	var v validation
	year := intParam(r, "year", 2000, 2100, s.currentYear(), &v)
	se, balances, err := s.store.SessionBalances(r.Context(), hash, year)
	var sessionErr error // the data's own errors come after the caller is admitted
	if !errors.Is(err, store.ErrNoRules) {
		sessionErr = err
	}
	if err := s.checkSession(r, citizens(), hash, se, sessionErr); err != nil {
		return err
	}
	if err := v.err(); err != nil {
		return err
	}
	if errors.Is(err, store.ErrNoRules) {
		return problem(http.StatusNotFound, "no_rules")
	}
	out := allowancesResponse{Year: year, Allowances: []allowanceJSON{}}
	for _, b := range balances {
		out.Edition = b.Rule.Edition
		out.Allowances = append(out.Allowances, allowanceJSON{Type: b.Rule.Type, Label: label(r, b.Rule),
			EntitlementMAD: b.EntitlementMAD(), UsedMAD: b.UsedMAD, RemainingMAD: b.RemainingMAD()})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type operationJSON struct {
	ID                int64     `json:"id"`
	Year              int       `json:"year"`
	Type              string    `json:"type"`
	Kind              string    `json:"kind"`
	AmountMAD         int64     `json:"amount_mad"`
	Currency          *string   `json:"currency,omitempty"`
	ForeignAmount     *string   `json:"foreign_amount,omitempty"`
	Reference         *string   `json:"reference,omitempty"`
	ExchangePointCode *string   `json:"exchange_point_code,omitempty"`
	DTSRequestID      *string   `json:"dts_request_id,omitempty"`
	CreatedAt         time.Time `json:"created_at"`
}

// optional, int64Ptr and timePtr turn SQL NULLs into JSON nulls.
func optional(ns sql.NullString) *string {
	if !ns.Valid {
		return nil
	}
	return &ns.String
}

func int64Ptr(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	return &n.Int64
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	return &t.Time
}

// myOperations: GET /me/allowances/operations?year=&type=&cursor=&limit=, newest first.
func (s *Server) myOperations(w http.ResponseWriter, r *http.Request) error {
	var v validation
	year := intParam(r, "year", 2000, 2100, 0, &v)
	typ := r.URL.Query().Get("type")
	if typ != "" {
		if _, ok := domain.ParseAllowanceType(typ); !ok {
			v.add("type", "invalid")
		}
	}
	limit, cursor := page(r, &v)
	var before int64
	if cursor != "" {
		n, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || n <= 0 {
			v.add("cursor", "invalid")
		}
		before = n
	}
	if err := v.err(); err != nil {
		return err
	}
	entries, err := s.store.LedgerPage(r.Context(), store.LedgerFilter{CitizenID: principalFrom(r.Context()).id,
		Year: year, Type: typ, BeforeID: before, Limit: limit + 1})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageItems(entries, limit,
		func(e store.LedgerEntry) *string { return encodeCursor(strconv.FormatInt(e.ID, 10)) },
		func(e store.LedgerEntry) operationJSON {
			return operationJSON{ID: e.ID, Year: e.Year, Type: e.Type, Kind: e.Kind, AmountMAD: e.AmountMAD,
				Currency: optional(e.Currency), ForeignAmount: optional(e.ForeignAmount), Reference: optional(e.Reference),
				ExchangePointCode: optional(e.ExchangePointCode), DTSRequestID: optional(e.DTSRequestID), CreatedAt: e.CreatedAt}
		}))
	return nil
}

type debitRequest struct {
	CIN           string      `json:"cin"`
	Type          string      `json:"type"`
	AmountMAD     int64       `json:"amount_mad"`
	Currency      string      `json:"currency"`
	ForeignAmount json.Number `json:"foreign_amount"`
	Reference     string      `json:"reference"`
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

// recordDebit: POST /allowance-operations (agent, Idempotency-Key required): a currency sale
// against an allowance. Refused with 409 insufficient_allowance above what remains.
func (s *Server) recordDebit(w http.ResponseWriter, r *http.Request) error {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		return problem(http.StatusBadRequest, "validation_failed", fieldErr("Idempotency-Key", "required"))
	}
	var req debitRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	var v validation
	cin, err := domain.NormalizeCIN(req.CIN)
	if err != nil {
		v.add("cin", map[bool]string{true: "required", false: "invalid_format"}[strings.TrimSpace(req.CIN) == ""])
	}
	if _, ok := domain.ParseAllowanceType(req.Type); !ok {
		v.add("type", map[bool]string{true: "required", false: "invalid"}[req.Type == ""])
	}
	if req.AmountMAD <= 0 || req.AmountMAD > maxDebitMAD {
		v.add("amount_mad", "invalid")
	}
	if !domain.IsForeignCurrency(req.Currency) {
		v.add("currency", map[bool]string{true: "required", false: "invalid"}[req.Currency == ""])
	}
	foreign, ok := validForeignAmount(req.ForeignAmount)
	if !ok {
		v.add("foreign_amount", map[bool]string{true: "required", false: "invalid"}[req.ForeignAmount == ""])
	}
	req.Reference = strings.TrimSpace(req.Reference)
	if req.Reference == "" {
		v.add("reference", "required")
	} else if len(req.Reference) > 64 {
		v.add("reference", "too_long")
	}
	if err := v.err(); err != nil {
		return err
	}
	ctx := r.Context()
	p := principalFrom(ctx)
	if !p.staff.ExchangePointCode.Valid {
		return problem(http.StatusForbidden, "forbidden")
	}
	c, err := s.store.CitizenByCIN(ctx, cin)
	if errors.Is(err, store.ErrNotFound) {
		return &apiError{status: http.StatusNotFound, code: "not_found", detailKey: "citizen_not_found"}
	}
	if err != nil {
		return err
	}
	canonical, _ := json.Marshal(struct {
		CIN, Type, Currency, Foreign, Reference string
		Amount                                  int64
	}{cin, req.Type, req.Currency, foreign, req.Reference, req.AmountMAD})
	hash := sha256.Sum256(canonical)
	year := s.currentYear()
	res, err := s.store.RecordDebit(ctx, store.Debit{
		CitizenID: c.ID, Year: year, Type: req.Type, AmountMAD: req.AmountMAD, Currency: req.Currency,
		ForeignAmount: foreign, Reference: req.Reference, AgentStaffID: p.id, ExchangePointCode: p.staff.ExchangePointCode.String,
		OperationKey: fmt.Sprintf("debit/%d/%s", p.id, key), RequestHash: hash[:], At: s.clock(),
	})
	var insufficient *store.InsufficientError
	switch {
	case errors.As(err, &insufficient):
		return &apiError{status: http.StatusConflict, code: "insufficient_allowance", remaining: &insufficient.RemainingMAD}
	case errors.Is(err, store.ErrNotActive):
		return problem(http.StatusConflict, "account_not_active")
	case errors.Is(err, store.ErrNoRules):
		return problem(http.StatusUnprocessableEntity, "no_rules")
	case errors.Is(err, store.ErrIdempotencyMismatch):
		return problem(http.StatusUnprocessableEntity, "idempotency_key_reused")
	case err != nil:
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"operation_id": res.OperationID, "remaining_mad": res.RemainingMAD,
		"type": req.Type, "year": year})
	return nil
}
