package api

import (
	"encoding/json"
	"net/http"
	"time"

	"occonnect/internal/web"
	"occonnect/service"
	"occonnect/store"
)

// allowanceHandlers: balances, the ledger, debits at the counter.
type allowanceHandlers struct{ svc *service.Allowances }

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

// mine: GET /me/allowances?year= (polled by the app): each allowance with what was used
// and what remains; labels in the request's language (French for English readers).
func (h allowanceHandlers) mine(w http.ResponseWriter, r *http.Request) error {
	token, err := bearer(r)
	if err != nil {
		return err
	}
	b, err := h.svc.Mine(r.Context(), token, r.URL.Query().Get("year"))
	if err != nil {
		return err
	}
	ar := web.Lang(r) == "ar"
	out := allowancesResponse{Year: b.Year, Edition: b.Edition, Allowances: make([]allowanceJSON, 0, len(b.Balances))}
	for _, x := range b.Balances {
		label := x.Rule.LabelFR
		if ar {
			label = x.Rule.LabelAR
		}
		out.Allowances = append(out.Allowances, allowanceJSON{Type: x.Rule.Type, Label: label,
			EntitlementMAD: x.EntitlementMAD(), UsedMAD: x.UsedMAD, RemainingMAD: x.RemainingMAD()})
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

func operationView(e store.LedgerEntry) operationJSON {
	return operationJSON{ID: e.ID, Year: e.Year, Type: e.Type, Kind: e.Kind, AmountMAD: e.AmountMAD,
		Currency: optional(e.Currency), ForeignAmount: optional(e.ForeignAmount), Reference: optional(e.Reference),
		ExchangePointCode: optional(e.ExchangePointCode), DTSRequestID: optional(e.DTSRequestID), CreatedAt: e.CreatedAt}
}

// operations: GET /me/allowances/operations?year=&type=&cursor=&limit=, newest first.
func (h allowanceHandlers) operations(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p, err := h.svc.Operations(r.Context(), principalFrom(r.Context()),
		service.OperationsQuery{Year: q.Get("year"), Type: q.Get("type"), Page: page(r)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(p, operationView))
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

// debit: POST /allowance-operations (agent, Idempotency-Key required): a currency sale
// against an allowance; 409 insufficient_allowance above what remains.
func (h allowanceHandlers) debit(w http.ResponseWriter, r *http.Request) error {
	var req debitRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	res, err := h.svc.RecordDebit(r.Context(), principalFrom(r.Context()), service.Debit{CIN: req.CIN, Type: req.Type,
		AmountMAD: req.AmountMAD, Currency: req.Currency, ForeignAmount: req.ForeignAmount, Reference: req.Reference, IdempotencyKey: r.Header.Get("Idempotency-Key")})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"operation_id": res.OperationID, "remaining_mad": res.RemainingMAD,
		"type": res.Type, "year": res.Year})
	return nil
}
