// Package e2e drives the back office through its HTTP API against the real stack: a
// Temporal dev server, MariaDB and Mailpit, started for this package on free ports, with
// the worker and the API running in this process.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"

	"occonnect/activities"
	"occonnect/domain"
	"occonnect/internal/codec"
	"occonnect/internal/config"
	"occonnect/internal/metrics"
	"occonnect/internal/passhash"
	"occonnect/internal/ratelimit"
	"occonnect/internal/server"
	"occonnect/internal/stack"
	"occonnect/internal/testenv"
	"occonnect/mail"
	"occonnect/service"
	"occonnect/store"
	"occonnect/worker"
)

// credentialTTL is short so that the expiry can be tested on a real server; the flows of
// the other tests finish well within it.
const credentialTTL = 12 * time.Second

const agentPassword = "agent-e2e-password-2026"

var casablanca, _ = time.LoadLocation("Africa/Casablanca")

var env struct {
	store    *store.Store
	temporal client.Client
	mailpit  *testenv.Mailpit
	smtp     *testenv.Gate // between the worker and Mailpit: tests close it to take SMTP down
	api      *httptest.Server
	client   *stack.Client // of env.api
	logs     *syncBuffer   // the worker's and the API's
	apiLogs  *syncBuffer   // the API's alone (checkLogs)
	metrics  *prometheus.Registry
	keys     *codec.Keyring
	// apiLogger is the API's logger (its lines are checked by checkLogs): for the
	// tests' own API instances.
	apiLogger *slog.Logger

	mu       sync.Mutex
	personal []string // every CIN, name, e-mail and password the tests used
}

// remember records personal data that must never appear in a workflow history or a log.
func remember(values ...string) {
	env.mu.Lock()
	defer env.mu.Unlock()
	env.personal = append(env.personal, values...)
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx := context.Background()
	mail.SetContacts(mail.Contacts(config.DefaultContacts())) // as the binary sets them from its configuration
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "e2e setup:", err); return 1 }

	temporalAddress, stopTemporal, err := testenv.StartEngine(ctx) // the dev server, or the cluster (OCC_TEST_TEMPORAL=cluster)
	if err != nil {
		return fail(err)
	}
	defer stopTemporal()
	mp, err := testenv.StartMailpit(ctx)
	if err != nil {
		return fail(err)
	}
	defer mp.Stop()
	dsn, drop, err := testenv.NewDatabase(ctx, "e2e")
	if err != nil {
		return fail(err)
	}
	defer drop()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return fail(err)
	}
	defer db.Close()

	env.logs, env.apiLogs = &syncBuffer{}, &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(env.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	apiLogger := slog.New(slog.NewJSONHandler(io.MultiWriter(env.logs, env.apiLogs), &slog.HandlerOptions{Level: slog.LevelDebug}))
	env.apiLogger = apiLogger
	env.metrics = metrics.NewRegistry()
	temporalMetrics, err := metrics.Temporal(env.metrics, logger)
	if err != nil {
		return fail(err)
	}
	env.store = store.New(db)
	env.mailpit = mp
	keys, err := codec.ParseKeys(testenv.PayloadKeys)
	if err != nil {
		return fail(err)
	}
	env.keys = keys
	tc, err := worker.Dial(ctx, temporalAddress, "default", logger, keys, worker.WithMetrics(temporalMetrics))
	if err != nil {
		return fail(err)
	}
	defer tc.Close()
	env.temporal = tc

	hasher, err := passhash.NewHasher(passhash.DefaultParams)
	if err != nil {
		return fail(err)
	}
	env.smtp, err = testenv.NewGate(fmt.Sprintf("%s:%d", mp.SMTPHost, mp.SMTPPort))
	if err != nil {
		return fail(err)
	}
	defer env.smtp.Close()
	mailer, err := mail.NewSMTPSender(mail.SMTPConfig{Host: "127.0.0.1", Port: env.smtp.Port(), From: "OC Connect <no-reply@occonnect.test>"})
	if err != nil {
		return fail(err)
	}
	// The tests sign in far more often than the defaults allow, all from 127.0.0.1:
	// limits that are exercised but never reached (ratelimit_test.go has tight ones).
	svc := service.New(service.Deps{Store: env.store, Temporal: tc, Hasher: hasher, Logger: apiLogger, ReissueWindow: time.Hour,
		Mailer:       mailer, // staff one-time passwords, as in production (without one, POST /staff answers 503)
		AccountLimit: ratelimit.Rate{Requests: 1_000, Per: time.Minute}, AddressLimit: ratelimit.Rate{Requests: 10_000, Per: time.Minute},
		AddressFailures: -1,                                 // the address budget: apiBehindProxy (lockout_test.go)
		Secrets:         keys.For(service.TOTPSealPurpose)}) // the second factor optional (mfa_test.go: required)
	defer svc.Wait()
	w := worker.New(tc, &activities.Activities{Store: env.store, Mailer: mailer, Hasher: hasher, CredentialTTL: credentialTTL,
		Metrics: metrics.NewActivities(env.metrics), Starts: svc.Reconciler, Bodies: keys})
	if err := w.Start(); err != nil {
		return fail(err)
	}
	defer w.Stop()
	// The reconciler's Schedule, as the worker keeps it; the tests trigger its runs.
	if err := worker.EnsureSchedules(ctx, tc, worker.Schedules{ReconcileEvery: time.Hour, ReconcileAfter: time.Minute,
		Retention: retentionPolicy}); err != nil {
		return fail(err)
	}
	handler := server.Handler(server.Options{Services: svc, Logger: apiLogger, Metrics: metrics.NewHTTP(env.metrics)})
	if apiContract, err = newContract(); err != nil {
		return fail(err)
	}
	env.api = httptest.NewServer(apiContract.wrap(handler)) // every exchange checked against api/openapi.yaml
	defer env.api.Close()
	env.client = &stack.Client{BaseURL: env.api.URL, HTTP: http.DefaultClient}

	if err := seedStaff(ctx, hasher); err != nil {
		return fail(err)
	}
	code := m.Run()
	if apiContract.report(os.Stderr) { // violations of api/openapi.yaml by any test's exchanges
		code = 1
	}
	if err := checkLogs(); err != nil { // after every test, whatever its file
		fmt.Fprintln(os.Stderr, "logs:", err)
		code = 1
	}
	if code != 0 {
		lines := strings.Split(strings.TrimSpace(env.logs.String()), "\n")
		if len(lines) > 60 {
			lines = lines[len(lines)-60:]
		}
		fmt.Fprintf(os.Stderr, "last log lines of the worker and the API:\n%s\n", strings.Join(lines, "\n"))
	}
	return code
}

func seedStaff(ctx context.Context, hasher *passhash.Hasher) error {
	if err := env.store.UpsertExchangePoint(ctx, store.ExchangePoint{Code: "EP-0001", Name: "Test point", City: "Rabat",
		Address: "Avenue Mohammed V", Lat: 34.02, Lon: -6.84, Active: true}); err != nil {
		return err
	}
	hash, err := hasher.Hash(agentPassword)
	if err != nil {
		return err
	}
	return testenv.SeedStaff(ctx, env.store, hash,
		testenv.StaffSeed{Email: "agent@e2e.oc.local", Role: domain.RoleAgent, ExchangePoint: "EP-0001"},
		testenv.StaffSeed{Email: "admin@e2e.oc.local", Role: domain.RoleAdmin},
		testenv.StaffSeed{Email: "officer@e2e.oc.local", Role: domain.RoleOfficer},
		testenv.StaffSeed{Email: "officer2@e2e.oc.local", Role: domain.RoleOfficer},
		testenv.StaffSeed{Email: "supervisor@e2e.oc.local", Role: domain.RoleSupervisor})
}

// response is an answer of the API, its body decoded when it is a JSON object.
type response struct {
	stack.Response
	Body map[string]any
}

func (r response) str(key string) string {
	s, _ := r.Body[key].(string)
	return s
}

// call sends a request to the API under test (body: nil, a stack.RawBody, or a value sent
// as JSON; headers: name, value pairs).
func call(t testing.TB, method, path, token string, body any, headers ...string) response {
	t.Helper()
	return callWith(t, env.client, method, path, token, body, headers...)
}

// callWith is call through another client: to another server, or one that shows redirects.
func callWith(t testing.TB, c *stack.Client, method, path, token string, body any, headers ...string) response {
	t.Helper()
	r, err := c.Call(t.Context(), method, path, token, body, headers...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, short(path), err)
	}
	out := response{Response: r}
	if len(r.Raw) > 0 {
		_ = json.Unmarshal(r.Raw, &out.Body)
	}
	return out
}

// short is a path as an error message shows it (the sweep sends very long ones).
func short(s string) string {
	if len(s) > 80 {
		return s[:60] + fmt.Sprintf("…(%d bytes)", len(s))
	}
	return s
}

// must fails the test on an error of a step of the client.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func expect(t testing.TB, r response, status int, code string) {
	t.Helper()
	if r.Status != status || (code != "" && r.str("code") != code) {
		t.Fatalf("got %d %s, want %d %s", r.Status, r.Raw, status, code)
	}
}

func staffToken(t testing.TB, email string) string {
	t.Helper()
	token, err := env.client.StaffLogin(t.Context(), email, agentPassword)
	must(t, err)
	remember(token)
	return token
}

var cinCounter struct {
	sync.Mutex
	n int
}

// atOnce sends n requests at the same time (a double tap, concurrent agents) and returns
// their answers in order.
func atOnce(n int, send func() response) []response {
	answers := make([]response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { answers[i] = send() })
	}
	wg.Wait()
	return answers
}

// newCitizen makes a citizen with a CIN and e-mail unique to this run, and the password
// activeCitizen chooses.
func newCitizen(t testing.TB) *stack.Citizen {
	cinCounter.Lock()
	cinCounter.n++
	n := cinCounter.n
	cinCounter.Unlock()
	stamp := time.Now().UnixNano() % 1000
	c := &stack.Citizen{
		CIN:       fmt.Sprintf("ZK%03d%03d", stamp, n%1000),
		FirstName: "Yasmine",
		LastName:  fmt.Sprintf("Bennani-Testa%c", 'a'+rune(n%26)),
		Email:     fmt.Sprintf("yasmine.%d.%d@example.ma", stamp, n),
	}
	c.Password = "Amlou et msemen au petit matin " + c.CIN[len(c.CIN)-3:]
	remember(c.CIN, c.Email, c.LastName, c.Password)
	return c
}

// enrol has the agent enrol the citizen (202; c.EnrollmentID is set).
func enrol(t testing.TB, agent string, c *stack.Citizen) {
	t.Helper()
	must(t, env.client.Enrol(t.Context(), agent, c))
}

// activeCitizen enrols a new citizen and takes the account through activation and the
// password change; it returns the citizen and a full session token.
func activeCitizen(t testing.TB) (*stack.Citizen, string) {
	t.Helper()
	c := newCitizen(t)
	enrol(t, staffToken(t, "agent@e2e.oc.local"), c)
	password := initialPassword(t, c, 1)
	token := activate(t, c, password)
	must(t, env.client.ChangePassword(t.Context(), token, password, c.Password))
	c.Token = token
	return c, token
}

// activate signs the citizen in with the initial password (200) and returns the
// restricted token.
func activate(t testing.TB, c *stack.Citizen, password string) string {
	t.Helper()
	token, err := env.client.Activate(t.Context(), c, password)
	must(t, err)
	remember(token)
	return token
}

// initialPassword waits for the n-th e-mail to the citizen and reads the password from
// the newest credentials e-mail.
func initialPassword(t testing.TB, c *stack.Citizen, n int) string {
	t.Helper()
	msgs, err := env.mailpit.WaitForMessages(context.Background(), c.Email, n, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs { // newest first
		if strings.Contains(m.Subject, stack.CredentialsSubject) {
			password, err := stack.PasswordIn(m.Text)
			must(t, err)
			remember(password)
			return password
		}
	}
	t.Fatalf("no credentials e-mail among %d", len(msgs))
	return ""
}

// secondAPI is another API server over the same stack, checked against the OpenAPI
// document like the main one, with its own Temporal client (nil: the main one), sign-in
// limits (zero: generous, as the main one's) and trusted proxies.
type secondAPI struct {
	temporal                client.Client
	addressLimit, nameLimit ratelimit.Rate
	trustedProxies          []netip.Prefix
	// mfaRoles must sign in with a second factor (none: optional, as on the main API);
	// the TOTP secrets are sealed with the payload keys, as in production.
	mfaRoles []domain.Role
}

func (o secondAPI) start(t *testing.T) *stack.Client {
	t.Helper()
	if o.temporal == nil {
		o.temporal = env.temporal
	}
	if o.addressLimit == (ratelimit.Rate{}) && o.nameLimit == (ratelimit.Rate{}) {
		o.nameLimit, o.addressLimit = ratelimit.Rate{Requests: 1_000, Per: time.Minute}, ratelimit.Rate{Requests: 10_000, Per: time.Minute}
	}
	hasher, err := passhash.NewHasher(passhash.DefaultParams)
	must(t, err)
	svc := service.New(service.Deps{Store: env.store, Temporal: o.temporal, Hasher: hasher, Logger: env.apiLogger, ReissueWindow: time.Hour,
		AccountLimit: o.nameLimit, AddressLimit: o.addressLimit,
		StaffMFA: service.MFAPolicy{Required: o.mfaRoles}, Secrets: env.keys.For(service.TOTPSealPurpose)})
	srv := httptest.NewServer(apiContract.wrap(server.Handler(server.Options{Services: svc, Logger: env.apiLogger,
		TrustedProxies: o.trustedProxies})))
	t.Cleanup(func() { srv.Close(); svc.Wait() })
	return &stack.Client{BaseURL: srv.URL, HTTP: http.DefaultClient}
}
