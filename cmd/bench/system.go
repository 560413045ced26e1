package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"occonnect/activities"
	"occonnect/internal/codec"
	"occonnect/internal/passhash"
	"occonnect/internal/server"
	"occonnect/internal/stack"
	"occonnect/mail"
	"occonnect/service"
	"occonnect/store"
	"occonnect/worker"
)

// system is the back office run in this process on the stack, as cmd/occonnect wires it:
// the worker (worker.New with the activities) and the API handler served over HTTP; next
// to it, the bare handlers and the bare workflow of the baselines, on the same MySQL pool
// and the same Temporal server.
type system struct {
	db       *sqlx.DB
	store    *store.Store
	hasher   *passhash.Hasher
	temporal client.Client // with the payload codec, as the API and the worker use it
	bare     client.Client // without codec, for the baseline workflow
	worker   sdkworker.Worker
	workerOn bool
	logFile  *os.File
	servers  []*http.Server

	apiURL  string // the system's API
	bareURL string // the baselines' bare handlers
}

// credentialTTL and reissueWindow are the defaults of the configuration.
const (
	credentialTTL = 24 * time.Hour
	reissueWindow = 720 * time.Hour
)

func startSystem(ctx context.Context, st *stack.Stack, logPath string) (s *system, err error) {
	s = &system{}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	if s.logFile, err = os.Create(logPath); err != nil {
		return nil, err
	}
	logger := slog.New(slog.NewJSONHandler(s.logFile, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if s.db, err = store.Open(ctx, st.DSN); err != nil {
		return nil, err
	}
	s.store = store.New(s.db)
	keys, err := codec.ParseKeys(st.PayloadKeys)
	if err != nil {
		return nil, err
	}
	if s.temporal, err = worker.Dial(ctx, st.TemporalAddress, st.Namespace, logger, keys); err != nil {
		return nil, err
	}
	if s.bare, err = worker.Dial(ctx, st.TemporalAddress, st.Namespace, logger, nil); err != nil {
		return nil, err
	}
	if s.hasher, err = passhash.NewHasher(passhash.DefaultParams); err != nil {
		return nil, err
	}
	mailer, err := mail.NewSMTPSender(mail.SMTPConfig{Host: st.SMTPHost, Port: st.SMTPPort, From: "OC Connect <no-reply@occonnect.local>", TLS: "none"})
	if err != nil {
		return nil, err
	}
	s.worker = worker.New(s.temporal, &activities.Activities{Store: s.store, Mailer: mailer, Hasher: s.hasher, CredentialTTL: credentialTTL})
	if err := s.worker.Start(); err != nil {
		return nil, fmt.Errorf("start worker: %w", err)
	}
	s.workerOn = true

	svc := service.New(service.Deps{Store: s.store, Temporal: s.temporal, Hasher: s.hasher, Logger: logger, ReissueWindow: reissueWindow,
		Mailer: mailer, CredentialTTL: credentialTTL})
	if s.apiURL, err = s.serve(server.Handler(server.Options{Services: svc, Logger: logger})); err != nil {
		return nil, err
	}
	if err := s.createBareTable(ctx); err != nil {
		return nil, err
	}
	if s.bareURL, err = s.serve(s.bareHandler()); err != nil {
		return nil, err
	}
	return s, nil
}

// serve serves h on a free port of 127.0.0.1 with the settings of `occonnect api`.
func (s *system) serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 32 << 10}
	go func() { _ = hs.Serve(ln) }()
	s.servers = append(s.servers, hs)
	return "http://" + ln.Addr().String(), nil
}

// stopWorker stops the in-process worker (B3 measures the worker as a process of its own).
func (s *system) stopWorker() {
	if s.workerOn {
		s.worker.Stop()
		s.workerOn = false
	}
}

func (s *system) close() {
	for _, hs := range s.servers {
		_ = hs.Close()
	}
	s.stopWorker()
	for _, c := range []client.Client{s.temporal, s.bare} {
		if c != nil {
			c.Close()
		}
	}
	if s.db != nil {
		_ = s.db.Close()
	}
	if s.logFile != nil {
		_ = s.logFile.Close()
	}
}

// seed adds the exchange point and the agents of the run, all with one password.
func (s *system) seed(ctx context.Context, agents int, password string) ([]string, error) {
	if err := s.store.UpsertExchangePoint(ctx, store.ExchangePoint{Code: "EP-0001", Name: "Bench point", City: "Rabat",
		Address: "Avenue Mohammed V", Lat: 34.02, Lon: -6.84, Active: true}); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(password)
	if err != nil {
		return nil, err
	}
	emails := make([]string, agents)
	for i := range emails {
		emails[i] = fmt.Sprintf("agent%02d@bench.oc.local", i+1)
		if err := s.store.UpsertStaff(ctx, store.Staff{Email: emails[i], Role: "agent", PasswordHash: hash,
			ExchangePointCode: sql.NullString{String: "EP-0001", Valid: true}, CreatedAt: time.Now().UTC()}); err != nil {
			return nil, err
		}
	}
	return emails, nil
}

// The bare handlers of the baselines: plain net/http on the system's MySQL pool, no
// middleware, no authentication.
//
//	GET  /bare/citizens/{id}   one row by primary key (B2)
//	POST /bare/debits?citizen=ID&amount=A&limit=L&key=K
//	                           the least a serialized debit needs: lock the citizen's row,
//	                           sum its debits, refuse above limit, insert (B4)
func (s *system) bareHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /bare/citizens/{id}", func(w http.ResponseWriter, r *http.Request) {
		var c struct {
			ID     int64  `db:"id" json:"id"`
			Status string `db:"status" json:"status"`
		}
		err := s.db.GetContext(r.Context(), &c, "SELECT id, status FROM citizens WHERE id = ?", r.PathValue("id"))
		if errors.Is(err, sql.ErrNoRows) {
			http.NotFound(w, r)
			return
		} else if err != nil {
			http.Error(w, "database", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(c)
	})
	mux.HandleFunc("POST /bare/debits", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		citizen, _ := strconv.ParseInt(q.Get("citizen"), 10, 64)
		amount, _ := strconv.ParseInt(q.Get("amount"), 10, 64)
		limit, _ := strconv.ParseInt(q.Get("limit"), 10, 64)
		status, err := s.bareDebit(r.Context(), citizen, amount, limit, q.Get("key"))
		if err != nil {
			http.Error(w, "database", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(status)
	})
	return mux
}

func (s *system) createBareTable(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS bench_debits (
		id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
		citizen_id BIGINT NOT NULL,
		amount BIGINT NOT NULL,
		op_key VARCHAR(64) NOT NULL,
		UNIQUE KEY (op_key),
		KEY (citizen_id))`)
	return err
}

func (s *system) bareDebit(ctx context.Context, citizen, amount, limit int64, key string) (int, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer func() { _ = tx.Rollback() }()
	var id int64
	if err := tx.GetContext(ctx, &id, "SELECT id FROM citizens WHERE id = ? FOR UPDATE", citizen); err != nil {
		return 0, err
	}
	var used int64
	if err := tx.GetContext(ctx, &used, "SELECT COALESCE(SUM(amount), 0) FROM bench_debits WHERE citizen_id = ?", citizen); err != nil {
		return 0, err
	}
	if used+amount > limit {
		return http.StatusConflict, nil
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO bench_debits (citizen_id, amount, op_key) VALUES (?, ?, ?)", citizen, amount, key); err != nil {
		return 0, err
	}
	return http.StatusCreated, tx.Commit()
}

// The bare workflow of B1's baseline: the enrollment's shape without its work — the same
// five activities (here no-ops) and the same two Updates, each running one of them:
// issue, e-mail, [activate: confirm], [password-changed: complete], welcome e-mail.
const (
	bareTaskQueue      = "bench-baseline"
	bareWorkflowName   = "BareEnrollment"
	bareUpdateActivate = "activate"
	bareUpdateChanged  = "password-changed"
)

func bareEnrollment(ctx workflow.Context) error {
	noop := func(ctx workflow.Context) error {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second})
		return workflow.ExecuteActivity(ctx, bareNoop).Get(ctx, nil)
	}
	stage := 0
	step := func(after, then int) func(workflow.Context) error {
		return func(ctx workflow.Context) error {
			if err := workflow.Await(ctx, func() bool { return stage >= after }); err != nil {
				return err
			}
			if err := noop(ctx); err != nil {
				return err
			}
			stage = then
			return nil
		}
	}
	if err := workflow.SetUpdateHandler(ctx, bareUpdateActivate, step(1, 2)); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandler(ctx, bareUpdateChanged, step(2, 3)); err != nil {
		return err
	}
	for range 2 {
		if err := noop(ctx); err != nil {
			return err
		}
	}
	stage = 1
	if err := workflow.Await(ctx, func() bool { return stage >= 3 }); err != nil {
		return err
	}
	if err := noop(ctx); err != nil {
		return err
	}
	return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
}

func bareNoop(context.Context) error { return nil }

// startBareWorker runs the baseline's worker (default options, like the system's).
func (s *system) startBareWorker() (sdkworker.Worker, error) {
	w := sdkworker.New(s.bare, bareTaskQueue, sdkworker.Options{})
	w.RegisterWorkflowWithOptions(bareEnrollment, workflow.RegisterOptions{Name: bareWorkflowName})
	w.RegisterActivity(bareNoop)
	return w, w.Start()
}

// bareRun takes one bare workflow from its start to the completion of its second Update
// (the moment the real enrollment is active).
func (s *system) bareRun(ctx context.Context, id string) error {
	run, err := s.bare.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: bareTaskQueue}, bareWorkflowName)
	if err != nil {
		return err
	}
	for _, name := range []string{bareUpdateActivate, bareUpdateChanged} {
		h, err := s.bare.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, RunID: run.GetRunID(),
			UpdateName: name, WaitForStage: client.WorkflowUpdateStageCompleted})
		if err != nil {
			return err
		}
		if err := h.Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}
