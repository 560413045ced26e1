// Package testenv starts the real stack for tests: a MariaDB database of the test's own,
// a Temporal dev server and Mailpit on free ports. Everything is removed on cleanup.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/client"

	"occonnect/domain"
	"occonnect/internal/epimport"
	"occonnect/migrations"
	"occonnect/store"
	"occonnect/workflows"
)

// MySQLServerDSN is the DSN (without database) of the server tests use.
func MySQLServerDSN() string {
	if dsn := os.Getenv("OCC_TEST_MYSQL_DSN"); dsn != "" {
		return dsn
	}
	return "root@tcp(127.0.0.1:3306)/"
}

func randomSuffix() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// NewDatabase creates an empty database with the migrations applied and returns its DSN
// and a function that drops it.
func NewDatabase(ctx context.Context, prefix string) (dsn string, drop func(), err error) {
	cfg, err := mysql.ParseDSN(MySQLServerDSN())
	if err != nil {
		return "", nil, fmt.Errorf("OCC_TEST_MYSQL_DSN: %w", err)
	}
	name := fmt.Sprintf("occtest_%s_%s", prefix, randomSuffix())
	cfg.DBName = ""
	admin, err := store.Open(ctx, cfg.FormatDSN())
	if err != nil {
		return "", nil, fmt.Errorf("%w (is MariaDB running? make test starts it)", err)
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		admin.Close()
		return "", nil, err
	}
	drop = func() {
		_, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS `"+name+"`")
		admin.Close()
	}
	cfg.DBName = name
	dsn = cfg.FormatDSN()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		drop()
		return "", nil, err
	}
	defer db.Close()
	if err := migrations.Up(ctx, db.DB); err != nil {
		drop()
		return "", nil, err
	}
	return dsn, drop, nil
}

// MySQL gives the test a migrated database of its own, dropped at cleanup.
func MySQL(t testing.TB) *sqlx.DB {
	t.Helper()
	ctx := context.Background()
	prefix := strings.ToLower(strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			return r
		}
		return '_'
	}, t.Name()))
	if len(prefix) > 30 {
		prefix = prefix[:30]
	}
	dsn, drop, err := NewDatabase(ctx, prefix)
	if err != nil {
		t.Fatalf("test database: %v", err)
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		drop()
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { db.Close(); drop() })
	return db
}

// FreePort returns a TCP port free on 127.0.0.1 at the time of the call. It is taken
// below the kernel's range of ephemeral ports (32768 and up on Linux), where the
// outgoing connections of every test process (to MariaDB, PostgreSQL, Temporal) take
// theirs: a port from that range can be taken by one of them before the server that was
// to listen on it starts. Ports 20000 to 29999 are the cluster's (claimPortBlock).
func FreePort() (int, error) {
	for range 100 {
		port := 30000 + mrand.IntN(2700)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		l.Close()
		return port, nil
	}
	return 0, errors.New("no free port between 30000 and 32700")
}

// moduleRoot is the folder of the module's go.mod, above the test's working directory
// ("" when there is none).
func moduleRoot() string {
	dir, _ := os.Getwd()
	for ; dir != "/" && dir != "."; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
	}
	return ""
}

// tool finds a pinned tool: the env variable set by the Makefile, else .tools/ of the module.
func tool(envVar, name string) (string, error) {
	if p := os.Getenv(envVar); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if root := moduleRoot(); root != "" {
		matches, _ := filepath.Glob(filepath.Join(root, ".tools", name+"-*", name))
		if len(matches) > 0 {
			return matches[len(matches)-1], nil
		}
	}
	return "", fmt.Errorf("%s not found: run the tests with `make test`, which builds it into .tools/ (or set %s)", name, envVar)
}

// DemoExchangePoints reads the demo exchange points (data/exchange_points_demo.csv).
func DemoExchangePoints(t testing.TB) []store.ExchangePoint {
	t.Helper()
	f, err := os.Open(filepath.Join(moduleRoot(), "data", "exchange_points_demo.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	points, errs := epimport.Parse(f)
	if len(errs) > 0 {
		t.Fatalf("demo CSV: %v", errs)
	}
	return points
}

// Process is a server started for the tests.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{}
	dir  string
}

// Stop kills the process and removes its folder.
func (p *Process) Stop() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	if p.dir != "" {
		_ = os.RemoveAll(p.dir)
	}
}

func start(name string, args ...string) (*Process, error) {
	dir, err := os.MkdirTemp("", "occtest-"+filepath.Base(name)+"-")
	if err != nil {
		return nil, err
	}
	log, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Process{cmd: cmd, done: make(chan struct{}), dir: dir}
	go func() { _ = cmd.Wait(); log.Close(); close(p.done) }()
	return p, nil
}

// Temporal is a Temporal dev server (in-memory store) for the tests.
type Temporal struct {
	*Process
	Address string
}

// StartTemporal starts a dev server on a free port, with the workflows' search attributes
// registered, and waits until it answers. A server that exits while starting (its port
// taken in the meantime by another process) is started again on another port, twice at
// most.
func StartTemporal(ctx context.Context) (*Temporal, error) {
	bin, err := tool("OCC_TEMPORAL_BIN", "temporal")
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		t, exited, err := startTemporal(ctx, bin)
		if err == nil || !exited || attempt == 3 {
			return t, err
		}
	}
}

// startTemporal makes one attempt; exited says the server exited while starting.
func startTemporal(ctx context.Context, bin string) (_ *Temporal, exited bool, _ error) {
	port, err := FreePort()
	if err != nil {
		return nil, false, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	args := []string{"server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", fmt.Sprint(port), "--log-level", "error"}
	p, err := start(bin, append(args, workflows.DevServerSearchAttributeArgs()...)...)
	if err != nil {
		return nil, false, err
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		c, err := client.Dial(client.Options{HostPort: addr, Logger: quietLogger{}})
		if err == nil {
			_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
			c.Close()
			if err == nil {
				return &Temporal{Process: p, Address: addr}, false, nil
			}
		}
		select {
		case <-p.done:
			log, _ := os.ReadFile(filepath.Join(p.dir, "log"))
			p.Stop()
			return nil, true, fmt.Errorf("temporal dev server exited while starting: %s", firstLine(log))
		default:
		}
		if time.Now().After(deadline) {
			p.Stop()
			return nil, false, fmt.Errorf("temporal dev server not ready on %s: %v", addr, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// firstLine is the first line of a log (what a crash says first).
func firstLine(b []byte) string {
	line, _, _ := strings.Cut(string(b), "\n")
	return line
}

// Mailpit is an SMTP server with an HTTP API, for the tests.
type Mailpit struct {
	*Process
	SMTPHost string
	SMTPPort int
	APIURL   string
}

// StartMailpit starts Mailpit on free ports and waits until it answers.
func StartMailpit(ctx context.Context) (*Mailpit, error) {
	bin, err := tool("OCC_MAILPIT_BIN", "mailpit")
	if err != nil {
		return nil, err
	}
	smtpPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	httpPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	p, err := start(bin, "--smtp", fmt.Sprintf("127.0.0.1:%d", smtpPort), "--listen", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"--database", "mailpit.db", "--max", "0")
	if err != nil {
		return nil, err
	}
	m := &Mailpit{Process: p, SMTPHost: "127.0.0.1", SMTPPort: smtpPort, APIURL: fmt.Sprintf("http://127.0.0.1:%d", httpPort)}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := m.Messages(ctx, ""); err == nil {
			return m, nil
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("mailpit exited; log in %s", p.dir)
		default:
		}
		if time.Now().After(deadline) {
			p.Stop()
			return nil, fmt.Errorf("mailpit not ready")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

type quietLogger struct{}

func (quietLogger) Debug(string, ...interface{}) {}
func (quietLogger) Info(string, ...interface{})  {}
func (quietLogger) Warn(string, ...interface{})  {}
func (quietLogger) Error(string, ...interface{}) {}

// PayloadKeys is the fixed payload key of the tests (test data only): the end-to-end tests
// encrypt with it, and the replay test decodes the histories they record with it.
const PayloadKeys = "test:uuSwJiLnPsKpZH4Op3bwp+LTLCZqMGvzURkVCHS3bM8="

// StaffSeed is a staff account to seed: its e-mail, its role and, for an agent, its
// exchange point.
type StaffSeed struct {
	Email         string
	Role          domain.Role
	ExchangePoint string
}

// SeedStaff creates (or updates) the accounts, all with one password hash and no
// password change due.
func SeedStaff(ctx context.Context, st *store.Store, passwordHash string, staff ...StaffSeed) error {
	for _, s := range staff {
		if err := st.UpsertStaff(ctx, store.Staff{Email: s.Email, Role: s.Role, PasswordHash: passwordHash,
			ExchangePointCode: sql.NullString{String: s.ExchangePoint, Valid: s.ExchangePoint != ""}, CreatedAt: time.Now().UTC()}); err != nil {
			return err
		}
	}
	return nil
}

// Count runs a SELECT COUNT(*) query (failing the test on an error).
func Count(t testing.TB, db *sqlx.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Get(&n, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
