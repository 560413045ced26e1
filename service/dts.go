package service

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"occonnect/domain"
	"occonnect/store"
	"occonnect/workflows"
)

// DTS computes the supplementary tourist allowance, takes citizens' requests for it and
// lists them.
type DTS struct {
	store *store.Store
	clock clock
	wf    workflowClient
}

// Simulation is the supplement a declared income tax gives, with the figures used.
type Simulation struct {
	FiscalYear, Year int
	Edition          string
	domain.DTSResult
}

// maxIRMAD bounds the declared income tax (a sanity limit).
const maxIRMAD = 1_000_000_000_000

func validateIR(fiscalYear int, irMAD int64, v *fieldErrors) {
	if fiscalYear < 2000 || fiscalYear > 2100 {
		v.add("fiscal_year", map[bool]string{true: "required", false: "invalid"}[fiscalYear == 0])
	}
	if irMAD < 0 || irMAD > maxIRMAD {
		v.add("ir_amount_mad", "invalid")
	}
}

// Simulate computes the supplement for the year after fiscalYear with that year's rules
// (no account needed). NoRules when that year has none.
func (d *DTS) Simulate(ctx context.Context, fiscalYear int, irMAD int64) (Simulation, error) {
	var v fieldErrors
	validateIR(fiscalYear, irMAD, &v)
	if err := v.err(); err != nil {
		return Simulation{}, err
	}
	return d.simulate(ctx, fiscalYear, irMAD)
}

func (d *DTS) simulate(ctx context.Context, fiscalYear int, irMAD int64) (Simulation, error) {
	year := fiscalYear + 1
	rules, err := d.store.AllowanceRules(ctx, year)
	if errors.Is(err, store.ErrNoRules) {
		return Simulation{}, refuse(NoRules)
	}
	if err != nil {
		return Simulation{}, err
	}
	res, err := domain.ComputeDTS(year, irMAD, store.DomainRules(rules))
	if errors.Is(err, domain.ErrNoRules) {
		return Simulation{}, refuse(NoRules)
	}
	if err != nil {
		return Simulation{}, invalidField("ir_amount_mad", "invalid")
	}
	return Simulation{FiscalYear: fiscalYear, Year: year, Edition: rules[0].Edition, DTSResult: res}, nil
}

// DTSRequest is a citizen's request for the supplement of a year.
type DTSRequest struct {
	FiscalYear           int
	IRAmountMAD          int64
	AttestationReference string
}

// Request records a citizen's request and starts its workflow (computation, an officer's
// review, the credit). One pending or approved request per citizen and year
// (DTSRequestExists).
//
// With the citizen's Idempotency-Key (key) the pair is idempotent, as a complaint's filing
// is (Complaints.File): a retry finds the request the key made and starts its workflow if
// that is missing. A request whose start failed stays pending: the retry or the
// reconciler starts its workflow.
func (d *DTS) Request(ctx context.Context, p *Principal, in DTSRequest, key string) (store.DTSRequest, error) {
	var v fieldErrors
	validateIR(in.FiscalYear, in.IRAmountMAD, &v)
	if len(v) == 0 && in.FiscalYear+1 < d.clock.currentYear() {
		v.add("fiscal_year", "past_year")
	}
	in.AttestationReference = strings.TrimSpace(in.AttestationReference)
	if in.AttestationReference == "" {
		v.add("attestation_reference", "required")
	} else if len(in.AttestationReference) > 64 {
		v.add("attestation_reference", "too_long")
	}
	if err := v.err(); err != nil {
		return store.DTSRequest{}, err
	}
	if _, err := d.simulate(ctx, in.FiscalYear, in.IRAmountMAD); err != nil {
		return store.DTSRequest{}, err // no rules for that year
	}
	hash := requestHash(strconv.Itoa(in.FiscalYear), strconv.FormatInt(in.IRAmountMAD, 10), in.AttestationReference)
	row, err := keyedOrNew(key, func() (store.Keyed, error) {
		return d.store.DTSRequestByRequestKey(ctx, p.ID, key, hash)
	}, func() (store.Keyed, error) {
		r := store.DTSRequest{ID: newID(), CitizenID: p.ID, FiscalYear: in.FiscalYear, Year: in.FiscalYear + 1,
			IRAmountMAD: in.IRAmountMAD, AttestationReference: in.AttestationReference, Status: domain.DTSPending,
			CreatedAt: d.clock.now(), RequestKey: key, RequestHash: hash}
		return store.Keyed{ID: r.ID}, d.store.CreateDTSRequest(ctx, r)
	})
	if errors.Is(err, store.ErrDTSRequestExists) {
		return store.DTSRequest{}, refuse(DTSRequestExists)
	}
	if err != nil {
		return store.DTSRequest{}, err
	}
	r, err := d.store.DTSRequestByID(ctx, row.ID)
	if err != nil {
		return r, err
	}
	if !row.Started() {
		err = d.startWorkflow(ctx, r)
	}
	return r, err
}

// startWorkflow starts the workflow of a recorded request. No compensation: the request
// stays pending, and the next start (the same workflow ID) repairs a start that failed.
func (d *DTS) startWorkflow(ctx context.Context, r store.DTSRequest) error {
	err := d.wf.start(ctx, client.StartWorkflowOptions{
		ID: workflows.DTSWorkflowID(r.ID),
		// Shown in the Temporal Web UI; no personal data (no amount, no attestation).
		StaticSummary: fmt.Sprintf("DTS request %d", r.Year),
		StaticDetails: fmt.Sprintf("Supplementary tourist allowance of %d (fiscal year %d): officers' review, "+
			"escalated to the supervisors after the deadline. Read model: dts_requests %s.", r.Year, r.FiscalYear, r.ID),
	}, workflows.DTS, workflows.DTSInput{RequestID: r.ID}, nil)
	if err != nil {
		return err
	}
	_ = d.store.MarkDTSStarted(ctx, r.ID, d.clock.now()) // as Complaints.startWorkflow
	return nil
}

// DTSQuery filters a list of requests, as the caller sent it.
type DTSQuery struct {
	Status string
	Page   PageRequest
}

// Mine lists the calling citizen's requests, newest first.
func (d *DTS) Mine(ctx context.Context, p *Principal, q DTSQuery) (Page[store.DTSRequest], error) {
	return d.list(ctx, p.ID, q)
}

// List lists every citizen's requests, newest first (officers).
func (d *DTS) List(ctx context.Context, q DTSQuery) (Page[store.DTSRequest], error) {
	return d.list(ctx, 0, q)
}

func (d *DTS) list(ctx context.Context, citizenID int64, q DTSQuery) (Page[store.DTSRequest], error) {
	var v fieldErrors
	limit, cursor := q.Page.parse(&v)
	if q.Status != "" && !domain.ValidDTSStatus(q.Status) {
		v.add("status", "invalid")
	}
	if err := v.err(); err != nil {
		return Page[store.DTSRequest]{}, err
	}
	list, err := d.store.DTSRequests(ctx, store.DTSFilter{CitizenID: citizenID, Status: domain.DTSStatus(q.Status), BeforeID: cursor, Limit: limit + 1})
	if err != nil {
		return Page[store.DTSRequest]{}, err
	}
	return pageOf(list, limit, func(r store.DTSRequest) string { return encodeCursor(r.ID) }), nil
}

// Get reads one of the calling citizen's requests (NotFound for another citizen's).
func (d *DTS) Get(ctx context.Context, p *Principal, id string) (store.DTSRequest, error) {
	r, err := d.store.DTSRequestByID(ctx, id)
	if err == nil && r.CitizenID != p.ID {
		err = refuse(NotFound)
	}
	return r, err
}

// Cancel withdraws one of the calling citizen's pending requests. Conflict once decided.
func (d *DTS) Cancel(ctx context.Context, p *Principal, id string) (store.DTSRequest, error) {
	r, err := d.Get(ctx, p, id)
	if err != nil {
		return r, err
	}
	if r.Status != domain.DTSPending {
		return r, refuse(Conflict)
	}
	var state workflows.DTSState
	cancel := func() error {
		return d.wf.update(ctx, workflows.DTSWorkflowID(r.ID), "", workflows.UpdateCancelDTS, &state, workflows.CancelDTSRequest{})
	}
	err = cancel()
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		// A pending request whose workflow was never started (Temporal was away at the
		// request): start it, as the reconciler would, and cancel through it.
		if err = d.startWorkflow(ctx, r); err == nil {
			err = cancel()
		}
	}
	if err != nil {
		return r, workflowRefusal(err)
	}
	return d.store.DTSRequestByID(ctx, r.ID)
}
