package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"occonnect/domain"
	"occonnect/store"
	"occonnect/workflows"
)

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

// maxIRMAD bounds the declared income tax (a sanity limit).
const maxIRMAD = 1_000_000_000_000

func (req *dtsSimulationRequest) validate() error {
	var v validation
	if req.FiscalYear < 2000 || req.FiscalYear > 2100 {
		v.add("fiscal_year", map[bool]string{true: "required", false: "invalid"}[req.FiscalYear == 0])
	}
	if req.IRAmountMAD < 0 || req.IRAmountMAD > maxIRMAD {
		v.add("ir_amount_mad", "invalid")
	}
	return v.err()
}

// simulate computes the supplement for the year after fiscalYear with that year's rules.
func (s *Server) simulate(ctx context.Context, fiscalYear int, ir int64) (dtsSimulationResponse, error) {
	year := fiscalYear + 1
	rules, err := s.store.AllowanceRules(ctx, year)
	if errors.Is(err, store.ErrNoRules) {
		return dtsSimulationResponse{}, problem(http.StatusUnprocessableEntity, "no_rules")
	}
	if err != nil {
		return dtsSimulationResponse{}, err
	}
	res, err := domain.ComputeDTS(year, ir, store.DomainRules(rules))
	if errors.Is(err, domain.ErrNoRules) {
		return dtsSimulationResponse{}, problem(http.StatusUnprocessableEntity, "no_rules")
	}
	if err != nil {
		return dtsSimulationResponse{}, problem(http.StatusBadRequest, "validation_failed", fieldErr("ir_amount_mad", "invalid"))
	}
	return dtsSimulationResponse{FiscalYear: fiscalYear, Year: year, Edition: rules[0].Edition, Rate: float64(res.RateBP) / 10000,
		BaseMAD: res.BaseMAD, CapTotalMAD: res.CapTotalMAD, SupplementMAD: res.SupplementMAD, TotalMAD: res.TotalMAD}, nil
}

// simulateDTS: POST /dts/simulations (no auth).
func (s *Server) simulateDTS(w http.ResponseWriter, r *http.Request) error {
	var req dtsSimulationRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	out, err := s.simulate(r.Context(), req.FiscalYear, req.IRAmountMAD)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
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

// createDTSRequest: POST /me/dts-requests (citizen): starts the DTS workflow. One pending or
// approved request per citizen and year (409 dts_request_exists).
func (s *Server) createDTSRequest(w http.ResponseWriter, r *http.Request) error {
	var req dtsRequestBody
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	sim := dtsSimulationRequest{FiscalYear: req.FiscalYear, IRAmountMAD: req.IRAmountMAD}
	var v validation
	if err := sim.validate(); err != nil {
		var ae *apiError
		errors.As(err, &ae)
		v = append(v, ae.fields...)
	} else if req.FiscalYear+1 < s.currentYear() {
		v.add("fiscal_year", "past_year")
	}
	req.AttestationReference = strings.TrimSpace(req.AttestationReference)
	if req.AttestationReference == "" {
		v.add("attestation_reference", "required")
	} else if len(req.AttestationReference) > 64 {
		v.add("attestation_reference", "too_long")
	}
	if err := v.err(); err != nil {
		return err
	}
	ctx := r.Context()
	if _, err := s.simulate(ctx, req.FiscalYear, req.IRAmountMAD); err != nil {
		return err // no rules for that year
	}
	d := store.DTSRequest{ID: newID(), CitizenID: principalFrom(ctx).id, FiscalYear: req.FiscalYear, Year: req.FiscalYear + 1,
		IRAmountMAD: req.IRAmountMAD, AttestationReference: req.AttestationReference, CreatedAt: s.clock()}
	err := s.store.CreateDTSRequest(ctx, d)
	if errors.Is(err, store.ErrDTSRequestExists) {
		return problem(http.StatusConflict, "dts_request_exists")
	}
	if err != nil {
		return err
	}
	if _, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.DTSWorkflowID(d.ID), TaskQueue: workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		// Shown in the Temporal Web UI; no personal data (no amount, no attestation).
		StaticSummary: fmt.Sprintf("DTS request %d", d.Year),
		StaticDetails: fmt.Sprintf("Supplementary tourist allowance of %d (fiscal year %d): officers' review, "+
			"escalated to the supervisors after the deadline. Read model: dts_requests %s.", d.Year, d.FiscalYear, d.ID),
	}, workflows.DTS, workflows.DTSInput{RequestID: d.ID}); err != nil {
		// Not started: withdraw the request so the citizen can retry.
		_, _ = s.store.DecideDTS(context.WithoutCancel(ctx), store.DTSDecision{RequestID: d.ID, Status: domain.DTSCancelled, At: s.clock()})
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"id": d.ID, "status": domain.DTSPending})
	return nil
}

// myDTSRequests: GET /me/dts-requests.
func (s *Server) myDTSRequests(w http.ResponseWriter, r *http.Request) error {
	return s.listDTS(w, r, principalFrom(r.Context()).id)
}

// staffDTSRequests: GET /dts-requests (officer, supervisor).
func (s *Server) staffDTSRequests(w http.ResponseWriter, r *http.Request) error {
	return s.listDTS(w, r, 0)
}

func (s *Server) listDTS(w http.ResponseWriter, r *http.Request, citizenID int64) error {
	var v validation
	limit, cursor := page(r, &v)
	status := domain.DTSStatus(r.URL.Query().Get("status"))
	if status != "" && !domain.ValidDTSStatus(string(status)) {
		v.add("status", "invalid")
	}
	if err := v.err(); err != nil {
		return err
	}
	list, err := s.store.DTSRequests(r.Context(), store.DTSFilter{CitizenID: citizenID, Status: status, BeforeID: cursor, Limit: limit + 1})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageItems(list, limit,
		func(d store.DTSRequest) *string { return encodeCursor(d.ID) },
		func(d store.DTSRequest) dtsRequestJSON { return dtsJSON(d, citizenID == 0) }))
	return nil
}

// myDTSRequestFor reads the caller's own request (404 for another citizen's).
func (s *Server) myDTSRequestFor(r *http.Request) (store.DTSRequest, error) {
	d, err := s.store.DTSRequestByID(r.Context(), mux.Vars(r)["id"])
	if err == nil && d.CitizenID != principalFrom(r.Context()).id {
		err = store.ErrNotFound
	}
	return d, err
}

// myDTSRequest: GET /me/dts-requests/{id}.
func (s *Server) myDTSRequest(w http.ResponseWriter, r *http.Request) error {
	d, err := s.myDTSRequestFor(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dtsJSON(d, false))
	return nil
}

// cancelDTSRequest: POST /me/dts-requests/{id}/cancel, while it is pending.
func (s *Server) cancelDTSRequest(w http.ResponseWriter, r *http.Request) error {
	d, err := s.myDTSRequestFor(r)
	if err != nil {
		return err
	}
	if d.Status != domain.DTSPending {
		return problem(http.StatusConflict, "conflict")
	}
	var state workflows.DTSState
	if err := s.updateWorkflow(r.Context(), workflows.DTSWorkflowID(d.ID), workflows.UpdateCancelDTS, &state, workflows.CancelDTSRequest{}); err != nil {
		return workflowRefusal(err)
	}
	if d, err = s.store.DTSRequestByID(r.Context(), d.ID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dtsJSON(d, false))
	return nil
}
