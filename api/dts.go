package api

import (
	"net/http"
	"time"

	"occonnect/domain"
	"occonnect/service"
	"occonnect/store"
)

// dtsHandlers: the supplement's simulation, citizens' requests, officers' list.
type dtsHandlers struct{ svc *service.DTS }

type dtsSimulationRequest struct {
	FiscalYear  int   `json:"fiscal_year"`
	IRAmountMAD int64 `json:"ir_amount_mad"`
}

type dtsSimulationResponse struct {
	FiscalYear    int     `json:"fiscal_year"`
	Year          int     `json:"year"`
	Edition       string  `json:"edition"`
	Rate          float64 `json:"rate"`
	BaseMAD       int64   `json:"base_mad"`
	CapTotalMAD   int64   `json:"cap_total_mad"`
	SupplementMAD int64   `json:"supplement_mad"`
	TotalMAD      int64   `json:"total_mad"`
}

// simulate: POST /dts/simulations (no auth).
func (h dtsHandlers) simulate(w http.ResponseWriter, r *http.Request) error {
	var req dtsSimulationRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	s, err := h.svc.Simulate(r.Context(), req.FiscalYear, req.IRAmountMAD)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dtsSimulationResponse{FiscalYear: s.FiscalYear, Year: s.Year, Edition: s.Edition,
		Rate: float64(s.RateBP) / 10000, BaseMAD: s.BaseMAD, CapTotalMAD: s.CapTotalMAD, SupplementMAD: s.SupplementMAD, TotalMAD: s.TotalMAD})
	return nil
}

type dtsRequestBody struct {
	FiscalYear           int    `json:"fiscal_year"`
	IRAmountMAD          int64  `json:"ir_amount_mad"`
	AttestationReference string `json:"attestation_reference"`
}

type decisionJSON struct {
	Outcome   string    `json:"outcome"`
	Comment   *string   `json:"comment,omitempty"`
	DecidedAt time.Time `json:"decided_at"`
}

type dtsRequestJSON struct {
	ID                   string           `json:"id"`
	FiscalYear           int              `json:"fiscal_year"`
	Year                 int              `json:"year"`
	IRAmountMAD          int64            `json:"ir_amount_mad"`
	AttestationReference string           `json:"attestation_reference"`
	Status               domain.DTSStatus `json:"status"`
	SupplementMAD        *int64           `json:"supplement_mad"`
	Rate                 *float64         `json:"rate,omitempty"`
	BaseMAD              *int64           `json:"base_mad,omitempty"`
	CapTotalMAD          *int64           `json:"cap_total_mad,omitempty"`
	TaskID               *string          `json:"task_id,omitempty"`
	Decision             *decisionJSON    `json:"decision"`
	CreatedAt            time.Time        `json:"created_at"`
	UpdatedAt            time.Time        `json:"updated_at"`
}

// dtsJSON renders a request; withTask shows its task (officers).
func dtsJSON(d store.DTSRequest, withTask bool) dtsRequestJSON {
	out := dtsRequestJSON{ID: d.ID, FiscalYear: d.FiscalYear, Year: d.Year, IRAmountMAD: d.IRAmountMAD,
		AttestationReference: d.AttestationReference, Status: d.Status, SupplementMAD: int64Ptr(d.SupplementMAD),
		BaseMAD: int64Ptr(d.BaseMAD), CapTotalMAD: int64Ptr(d.CapTotalMAD), CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
	if d.RateBP.Valid {
		rate := float64(d.RateBP.Int64) / 10000
		out.Rate = &rate
	}
	if withTask {
		out.TaskID = optional(d.TaskID)
	}
	if d.Decision.Valid && d.DecidedAt.Valid {
		out.Decision = &decisionJSON{Outcome: d.Decision.String, Comment: optional(d.DecisionComment), DecidedAt: d.DecidedAt.Time}
	}
	return out
}

func citizenDTS(d store.DTSRequest) dtsRequestJSON { return dtsJSON(d, false) }
func staffDTS(d store.DTSRequest) dtsRequestJSON   { return dtsJSON(d, true) }

// request: POST /me/dts-requests (citizen, Idempotency-Key honoured: a retry finds the
// request and starts its workflow if that is missing): starts the DTS workflow. One
// pending or approved request per citizen and year (409 dts_request_exists).
func (h dtsHandlers) request(w http.ResponseWriter, r *http.Request) error {
	var req dtsRequestBody
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	d, err := h.svc.Request(r.Context(), principalFrom(r.Context()), service.DTSRequest{FiscalYear: req.FiscalYear,
		IRAmountMAD: req.IRAmountMAD, AttestationReference: req.AttestationReference}, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"id": d.ID, "status": d.Status})
	return nil
}

// mine: GET /me/dts-requests?status=.
func (h dtsHandlers) mine(w http.ResponseWriter, r *http.Request) error {
	p, err := h.svc.Mine(r.Context(), principalFrom(r.Context()), service.DTSQuery{Status: r.URL.Query().Get("status"), Page: page(r)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(p, citizenDTS))
	return nil
}

// list: GET /dts-requests?status= (officers).
func (h dtsHandlers) list(w http.ResponseWriter, r *http.Request) error {
	p, err := h.svc.List(r.Context(), service.DTSQuery{Status: r.URL.Query().Get("status"), Page: page(r)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(p, staffDTS))
	return nil
}

// get: GET /me/dts-requests/{id}.
func (h dtsHandlers) get(w http.ResponseWriter, r *http.Request) error {
	d, err := h.svc.Get(r.Context(), principalFrom(r.Context()), pathVar(r, "id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, citizenDTS(d))
	return nil
}

// cancel: POST /me/dts-requests/{id}/cancel, while it is pending.
func (h dtsHandlers) cancel(w http.ResponseWriter, r *http.Request) error {
	d, err := h.svc.Cancel(r.Context(), principalFrom(r.Context()), pathVar(r, "id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, citizenDTS(d))
	return nil
}
