package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"occonnect/domain"
	"occonnect/internal/config"
	"occonnect/internal/passhash"
	"occonnect/internal/stack"
	"occonnect/internal/testenv"
	"occonnect/store"
	"occonnect/workflows"
)

// TestAPIStartsWithoutTemporal: the API process starts while Temporal cannot be reached
// (a restart during an outage), serves what MySQL holds, refuses what needs Temporal with
// 503 temporal_unavailable and says it is not ready; once Temporal answers, the same
// enrolment goes through, without a restart.
func TestAPIStartsWithoutTemporal(t *testing.T) {
	ctx := context.Background()
	srv, err := testenv.StartTemporal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	gate, err := testenv.NewGate(srv.Address) // Temporal's frontend, as the API reaches it
	if err != nil {
		t.Fatal(err)
	}
	defer gate.Close()
	gate.SetOpen(false)

	dsn, drop, err := testenv.NewDatabase(ctx, "api_no_temporal")
	if err != nil {
		t.Fatal(err)
	}
	defer drop()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st := store.New(db)
	if err := st.UpsertExchangePoint(ctx, store.ExchangePoint{Code: "EP-0001", Name: "Test point", City: "Rabat",
		Address: "Avenue Mohammed V", Lat: 34.02, Lon: -6.84, Active: true}); err != nil {
		t.Fatal(err)
	}
	const agentPassword = "agent-password-for-the-test"
	hash, err := passhash.Hash(agentPassword, passhash.DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	if err := testenv.SeedStaff(ctx, st, hash, testenv.StaffSeed{Email: "agent@outage.oc.local", Role: domain.RoleAgent, ExchangePoint: "EP-0001"}); err != nil {
		t.Fatal(err)
	}

	apiPort, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	metricsPort, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("OCC_MYSQL_DSN", dsn)
	t.Setenv("OCC_TEMPORAL_ADDRESS", "127.0.0.1:"+strconv.Itoa(gate.Port()))
	t.Setenv("OCC_API_ADDR", "127.0.0.1:"+strconv.Itoa(apiPort))
	t.Setenv("OCC_API_METRICS_ADDR", "127.0.0.1:"+strconv.Itoa(metricsPort))
	t.Setenv("OCC_PAYLOAD_KEYS", testenv.PayloadKeys)
	t.Setenv("OCC_STAFF_MFA", "optional") // the sign-in by password is what is checked here
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	var runErr error
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		runErr = runAPI(runCtx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	defer func() {
		stop()
		<-exited
		if runErr != nil {
			t.Errorf("runAPI: %v", runErr)
		}
	}()

	base := "http://127.0.0.1:" + strconv.Itoa(apiPort)
	api := stack.NewClient(base, 4)
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := api.Call(ctx, http.MethodGet, "/healthz", "", nil)
		if err == nil && r.Status == http.StatusOK {
			break
		}
		select {
		case <-exited:
			t.Fatalf("the API stopped while Temporal was unreachable: %v", runErr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the API did not answer /healthz within 30 s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	r, err := api.Call(ctx, http.MethodGet, "/readyz", "", nil)
	if err != nil || r.Status != http.StatusServiceUnavailable || !strings.Contains(string(r.Raw), `"mysql":"ok"`) {
		t.Errorf("/readyz with Temporal away: %d %s (%v), want 503 with MySQL ok", r.Status, r.Raw, err)
	}
	agent, err := api.StaffLogin(ctx, "agent@outage.oc.local", agentPassword)
	if err != nil {
		t.Fatalf("staff sign-in (MySQL only) with Temporal away: %v", err)
	}
	if r, err := api.Call(ctx, http.MethodGet, "/api/v1/exchange-points/nearest?lat=34.02&lon=-6.84", "", nil); err != nil || r.Status != http.StatusOK {
		t.Errorf("a read with Temporal away: %d %s (%v), want 200", r.Status, r.Raw, err)
	}

	cit := stack.NewCitizen("TA", "outage", 1)
	enrol := func() (stack.Response, time.Duration, error) {
		began := time.Now()
		r, err := api.Call(ctx, http.MethodPost, "/api/v1/enrollments", agent, cit.EnrollmentBody(), "Idempotency-Key", "enrol-"+cit.CIN)
		return r, time.Since(began), err
	}
	r, took, err := enrol()
	var problem struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(r.Raw, &problem)
	if err != nil || r.Status != http.StatusServiceUnavailable || problem.Code != "temporal_unavailable" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("enrolment with Temporal away: %d %s Retry-After %q (%v), want 503 temporal_unavailable with Retry-After",
			r.Status, r.Raw, r.Header.Get("Retry-After"), err)
	}
	if took > 5*time.Second {
		t.Errorf("the refusal took %s, want at most 5 s", took.Round(time.Millisecond))
	}

	// The app sends it again: 202, or 200 when an attempt whose answer was a 503 had
	// recorded it; either way its workflow runs.
	gate.SetOpen(true)
	deadline = time.Now().Add(30 * time.Second)
	for {
		r, _, err = enrol()
		if err == nil && (r.Status == http.StatusAccepted || r.Status == http.StatusOK) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("enrolment once Temporal is back: %d %s (%v), want 202 or 200", r.Status, r.Raw, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	var enrolled struct {
		EnrollmentID string `json:"enrollment_id"`
	}
	if err := json.Unmarshal(r.Raw, &enrolled); err != nil || enrolled.EnrollmentID == "" {
		t.Fatalf("enrolment answer %s: %v", r.Raw, err)
	}
	tc, err := client.Dial(client.Options{HostPort: srv.Address})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if _, err := tc.DescribeWorkflow(ctx, workflows.EnrollmentWorkflowID(enrolled.EnrollmentID), ""); err != nil {
		t.Errorf("the enrolment's workflow: %v", err)
	}
	if r, err := api.Call(ctx, http.MethodGet, "/readyz", "", nil); err != nil || r.Status != http.StatusOK {
		t.Errorf("/readyz with Temporal back: %d %s (%v), want 200", r.Status, r.Raw, err)
	}
}
