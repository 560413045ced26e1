package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"occonnect/activities"
	"occonnect/internal/codec"
	"occonnect/internal/config"
	"occonnect/internal/metrics"
	"occonnect/internal/passhash"
	"occonnect/internal/ratelimit"
	"occonnect/internal/server"
	"occonnect/mail"
	"occonnect/service"
	"occonnect/store"
	"occonnect/worker"
	"occonnect/workflows"
)

// deps is what the API and the worker both start with.
type deps struct {
	metrics  *prometheus.Registry
	store    *store.Store
	temporal client.Client
	mailer   *mail.SMTPSender
	hasher   *passhash.Hasher
	keys     *codec.Keyring // nil: payloads (and e-mail bodies) in clear, when allowed
	close    func()         // in reverse order of opening
}

// start serves the metrics on metricsAddr, opens MySQL, reads the payload keys and dials
// Temporal with the codec and the SDK's metrics (lazy: connecting at the first request);
// on an error what was opened is closed.
func start(ctx context.Context, cfg config.Config, logger *slog.Logger, metricsAddr string, lazy bool) (d *deps, err error) {
	d = &deps{metrics: metrics.NewRegistry()}
	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	d.close = closeAll
	defer func() {
		if err != nil {
			closeAll() // d is nil by then: the error returns return nil, err
		}
	}()
	// Fail closed before opening anything: no payload keys, or e-mails in clear.
	keys, err := payloadKeys(cfg, logger)
	d.keys = keys
	if err != nil {
		return nil, err
	}
	if d.mailer, err = newMailer(cfg); err != nil {
		return nil, err
	}
	stopMetrics, err := serveMetrics(metricsAddr, d.metrics, cfg.Pprof, logger)
	if err != nil {
		return nil, err
	}
	closers = append(closers, stopMetrics)
	temporalMetrics, err := metrics.Temporal(d.metrics, logger)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, cfg.MySQLDSN)
	if err != nil {
		return nil, err
	}
	closers = append(closers, func() { db.Close() })
	d.store = store.New(db)
	if lazy {
		d.temporal, err = lazyTemporal(cfg, logger, keys, worker.WithMetrics(temporalMetrics))
	} else {
		d.temporal, err = dialTemporal(ctx, cfg, logger, keys, worker.WithMetrics(temporalMetrics))
	}
	if err != nil {
		return nil, err
	}
	closers = append(closers, d.temporal.Close)
	if d.hasher, err = passhash.NewHasher(passhash.DefaultParams); err != nil {
		return nil, err
	}
	return d, nil
}

// payloadKeys reads OCC_PAYLOAD_KEYS for the api and the worker: none is refused unless
// OCC_ALLOW_PLAINTEXT_PAYLOADS=true, and the keyring refuses unencrypted payloads unless
// the same variable lets it read those of histories written before the keys (both said
// loudly in the log).
func payloadKeys(cfg config.Config, logger *slog.Logger) (*codec.Keyring, error) {
	if err := cfg.RequirePayloadKeys(); err != nil {
		return nil, err
	}
	keys, err := codec.ParseKeys(cfg.PayloadKeys)
	if err != nil {
		return nil, fmt.Errorf("OCC_PAYLOAD_KEYS: %w", err)
	}
	switch {
	case keys == nil:
		logger.Warn("OCC_PAYLOAD_KEYS is empty and OCC_ALLOW_PLAINTEXT_PAYLOADS=true: workflow payloads are stored IN CLEAR in Temporal; for local development only")
	case cfg.AllowPlaintextPayloads:
		logger.Warn("OCC_ALLOW_PLAINTEXT_PAYLOADS=true: unencrypted payloads (histories written before OCC_PAYLOAD_KEYS) are accepted; unset it once those runs have closed")
	default:
		keys = keys.RefusePlaintext()
	}
	return keys, nil
}

func runAPI(ctx context.Context, cfg config.Config, logger *slog.Logger) error {
	// The API starts while Temporal is away (its client connects lazily): reads go on,
	// the rest is refused 503 temporal_unavailable, /readyz says not ready.
	d, err := start(ctx, cfg, logger, cfg.APIMetricsAddr, true)
	if err != nil {
		return err
	}
	defer d.close()
	svc := service.New(service.Deps{Store: d.store, Temporal: d.temporal, Hasher: d.hasher, Mailer: d.mailer, Logger: logger,
		ReissueWindow: cfg.ReissueWindow, CredentialTTL: cfg.CredentialTTL, AccountLimit: ratelimit.Rate(cfg.RateLimitAccount), AddressLimit: ratelimit.Rate(cfg.RateLimitIP),
		AddressFailures: cfg.SignInFailuresPerAddress,
		StaffMFA:        service.MFAPolicy{Required: cfg.StaffMFARoles}, Secrets: totpSealer(d.keys),
		Complaints: complaintConfig(cfg)})
	if len(cfg.StaffMFARoles) == 0 {
		logger.Warn("OCC_STAFF_MFA=optional: staff members sign in without a second factor unless they enrolled one; for local development only")
	}
	handler := server.Handler(server.Options{Services: svc, Logger: logger, Metrics: metrics.NewHTTP(d.metrics),
		TrustedProxies: cfg.TrustedProxies, CORSOrigins: cfg.APICORSOrigins,
		PublicURL: cfg.PublicURL, Contacts: cfg.Contacts})
	hs := &http.Server{
		Addr:              cfg.APIAddr,
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.ListenAndServe() }()
	logger.Info("API listening", "addr", cfg.APIAddr, "public_url", cfg.PublicURL)
	select {
	case err := <-errc:
		return fmt.Errorf("API server: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = hs.Shutdown(shutdown)
	svc.Wait()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("API stopped")
	return nil
}

// totpSealer seals the staff's TOTP secrets with the payload keys, for their own purpose
// (nil without keys: in clear, where OCC_ALLOW_PLAINTEXT_PAYLOADS allows it).
func totpSealer(keys *codec.Keyring) service.Sealer {
	if keys == nil {
		return nil
	}
	return keys.For(service.TOTPSealPurpose)
}

// complaintConfig is the service levels given to new complaint workflows, by the API's
// filings and the worker's reconciler alike.
func complaintConfig(cfg config.Config) workflows.ComplaintConfig {
	return workflows.ComplaintConfig{FirstResponseBusinessDays: cfg.ComplaintFirstResponseDays, ResolutionDays: cfg.ComplaintResolutionDays,
		FirstResponseOverride:       cfg.ComplaintFirstResponseOverride,
		CitizenReminderBusinessDays: cfg.ComplaintCitizenReminderDays, CitizenCloseBusinessDays: cfg.ComplaintCitizenCloseDays,
		CitizenDeadlineOverride: cfg.ComplaintCitizenDeadlineOverride}
}

// newMailer is the SMTP sender of the configuration; TLS is required unless the relay is
// on loopback (or OCC_ALLOW_PLAINTEXT_SMTP=true).
func newMailer(cfg config.Config) (*mail.SMTPSender, error) {
	m, err := mail.NewSMTPSender(mail.SMTPConfig{
		Host: cfg.SMTPHost, Port: cfg.SMTPPort, From: cfg.MailFrom,
		Username: cfg.SMTPUsername, Password: cfg.SMTPPassword, TLS: cfg.SMTPTLS,
		AllowPlaintext: cfg.AllowPlaintextSMTP,
	})
	if errors.Is(err, mail.ErrPlaintext) {
		return nil, fmt.Errorf("OCC_SMTP_TLS=%s with OCC_SMTP_HOST=%s, which is not loopback: e-mails (one-time passwords among them) "+
			"would cross the network in clear; set OCC_SMTP_TLS=mandatory (or implicit), or OCC_ALLOW_PLAINTEXT_SMTP=true for a relay "+
			"on a trusted private network", cfg.SMTPTLS, cfg.SMTPHost)
	}
	return m, err
}

func runWorker(ctx context.Context, cfg config.Config, logger *slog.Logger) error {
	d, err := start(ctx, cfg, logger, cfg.WorkerMetricsAddr, false)
	if err != nil {
		return err
	}
	defer d.close()
	// Open workflows wait for days; the cache keeps the busy ones and the others replay
	// from their history when they wake up (make bench B3: about 80 kB each when cached).
	sdkworker.SetStickyWorkflowCacheSize(cfg.WorkflowCache)
	svc := service.New(service.Deps{Store: d.store, Temporal: d.temporal, Hasher: d.hasher, Logger: logger,
		Complaints: complaintConfig(cfg)})
	acts := &activities.Activities{
		Store: d.store, Mailer: d.mailer, Hasher: d.hasher, CredentialTTL: cfg.CredentialTTL,
		Metrics: metrics.NewActivities(d.metrics), Starts: svc.Reconciler,
	}
	if d.keys != nil {
		acts.Bodies = d.keys // e-mail bodies sealed in the outbox with the payload keys
	}
	w := worker.New(d.temporal, acts)
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	if err := worker.EnsureSchedules(ctx, d.temporal, worker.Schedules{ReconcileEvery: cfg.ReconcileEvery,
		ReconcileAfter: cfg.ReconcileAfter, Retention: cfg.Retention}); err != nil {
		w.Stop()
		return err
	}
	logger.Info("worker started", "temporal", cfg.TemporalAddress, "namespace", cfg.TemporalNamespace)
	<-ctx.Done()
	w.Stop()
	logger.Info("worker stopped")
	return nil
}

// serveMetrics serves the registry on addr (/metrics, and /debug/pprof/ with OCC_PPROF)
// until stop is called; an empty addr serves nothing.
func serveMetrics(addr string, reg *prometheus.Registry, withPprof bool, logger *slog.Logger) (stop func(), err error) {
	if addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listener: %w", err)
	}
	hs := &http.Server{Handler: metrics.Handler(reg, withPprof), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics server stopped", "error", err)
		}
	}()
	logger.Info("metrics listening", "addr", ln.Addr().String(), "pprof", withPprof)
	return func() {
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(shutdown)
	}, nil
}

// runCodecServer serves /encode and /decode for the Temporal Web UI. It needs the keys,
// and a token unless it listens on loopback only.
func runCodecServer(ctx context.Context, cfg config.Config, logger *slog.Logger) error {
	keys, err := codec.ParseKeys(cfg.PayloadKeys)
	if err != nil {
		return fmt.Errorf("OCC_PAYLOAD_KEYS: %w", err)
	}
	if keys == nil {
		return fmt.Errorf("OCC_PAYLOAD_KEYS is empty: the codec server has nothing to decode " +
			"(OCC_ALLOW_PLAINTEXT_PAYLOADS=true leaves payloads in clear, where the Web UI reads them without it)")
	}
	if err := codec.CheckExposure(cfg.CodecAddr, cfg.CodecToken); err != nil {
		return err
	}
	// It shows what it is given: an unencrypted payload, already in clear in the history,
	// comes back as it is (the api and the worker refuse it unless
	// OCC_ALLOW_PLAINTEXT_PAYLOADS=true).
	hs := codec.NewServer(cfg.CodecAddr, codec.Handler(codec.New(keys), cfg.CodecCORSOrigin, cfg.CodecToken))
	ln, err := net.Listen("tcp", cfg.CodecAddr)
	if err != nil {
		return fmt.Errorf("codec server: %w", err)
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	logger.Info("codec server listening", "addr", ln.Addr().String(), "cors_origin", cfg.CodecCORSOrigin, "token_required", cfg.CodecToken != "")
	select {
	case err := <-errc:
		return fmt.Errorf("codec server: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return hs.Shutdown(shutdown)
}
