package stack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"occonnect/store"
)

// The faults of the chaos runs (cmd/chaos) beyond killing a Process: the apps can reach
// MariaDB through a testenv.Gate (DSNVia), and the MariaDB server itself, which the stack
// does not start, can be restarted (MariaDBServer).

// DSNVia returns dsn with its server address replaced by addr (e.g. a testenv.Gate's in
// front of MariaDB).
func DSNVia(dsn, addr string) (string, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", fmt.Errorf("parse MySQL DSN: %w", err)
	}
	cfg.Net, cfg.Addr = "tcp", addr
	return cfg.FormatDSN(), nil
}

// DSNAddr is the server address of dsn (host:port).
func DSNAddr(dsn string) (string, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", fmt.Errorf("parse MySQL DSN: %w", err)
	}
	return cfg.Addr, nil
}

// MariaDBServer is the MariaDB (or MySQL) server of a DSN when it runs on this machine as a
// daemon of the system, as scripts/ensure-mariadb.sh starts it. Restarting it affects
// every other program that uses it.
type MariaDBServer struct {
	DSN  string // the server's, without database
	Addr string
	PID  int    // of the running daemon
	Exe  string // its program, e.g. /usr/sbin/mariadbd
}

// LocalMariaDB finds the daemon behind dsn: its process id (from @@pid_file) and its
// program (/proc/<pid>/exe). It is an error when the server is not on this machine.
func LocalMariaDB(ctx context.Context, dsn string) (*MariaDBServer, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse MySQL DSN: %w", err)
	}
	cfg.DBName = ""
	m := &MariaDBServer{DSN: cfg.FormatDSN(), Addr: cfg.Addr}
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil || cfg.Net != "tcp" {
		return nil, fmt.Errorf("MariaDB at %s %s: not a TCP address", cfg.Net, cfg.Addr)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("MariaDB at %s is not on this machine", cfg.Addr)
	}
	db, err := store.Open(ctx, m.DSN)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var pidFile string
	if err := db.GetContext(ctx, &pidFile, "SELECT @@pid_file"); err != nil {
		return nil, fmt.Errorf("read @@pid_file: %w", err)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return nil, fmt.Errorf("MariaDB's pid file: %w (is the server on this machine, and readable?)", err)
	}
	if m.PID, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil || m.PID <= 1 {
		return nil, fmt.Errorf("MariaDB's pid file %s holds %q", pidFile, b)
	}
	if m.Exe, err = os.Readlink("/proc/" + strconv.Itoa(m.PID) + "/exe"); err != nil {
		return nil, fmt.Errorf("MariaDB's program: %w", err)
	}
	return m, nil
}

// Outage is what a restart of the server measured.
type Outage struct {
	Signal  string        `json:"signal"`      // SIGTERM (a clean shutdown) or SIGKILL (a crash)
	Stop    time.Duration `json:"stop_ns"`     // from the signal to the process gone
	Down    time.Duration `json:"down_ns"`     // from the process gone to the new one answering
	StartUp time.Duration `json:"start_up_ns"` // from the start command to the new one answering
}

// Restart stops the server (SIGTERM and a wait for its clean shutdown, or SIGKILL: a
// crash), keeps it down for down, and starts it again as scripts/ensure-mariadb.sh does
// (start-stop-daemon --background), waiting until it answers queries. Once the server is
// stopped it is started again whatever happens next, even when ctx ends.
func (m *MariaDBServer) Restart(ctx context.Context, down time.Duration, kill bool) (out Outage, err error) {
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	out.Signal = sig.String()
	began := time.Now()
	if err := syscall.Kill(m.PID, sig); err != nil {
		return out, fmt.Errorf("signal MariaDB (pid %d): %w", m.PID, err)
	}
	// From here on the server is started again on every path.
	var gone time.Time
	defer func() {
		if gone.IsZero() {
			gone = time.Now()
		}
		startedAt := time.Now()
		serr := m.start(context.WithoutCancel(ctx))
		out.StartUp = time.Since(startedAt)
		out.Down = time.Since(gone)
		err = errors.Join(err, serr)
	}()
	// The old process must be gone before another starts on the same files.
	if err := waitGone(m.PID, 2*time.Minute); err != nil {
		if kill {
			return out, err
		}
		// A shutdown that hangs: crash it rather than leave it half-stopped.
		_ = syscall.Kill(m.PID, syscall.SIGKILL)
		if err := waitGone(m.PID, 30*time.Second); err != nil {
			return out, err
		}
	}
	gone = time.Now()
	out.Stop = gone.Sub(began)
	select {
	case <-ctx.Done():
		return out, ctx.Err()
	case <-time.After(down):
	}
	return out, nil
}

// start runs the daemon again and waits (up to 2 minutes) until it answers a query.
func (m *MariaDBServer) start(ctx context.Context) error {
	_ = os.MkdirAll("/run/mysqld", 0o755)
	if u, err := user.Lookup("mysql"); err == nil {
		if uid, err := strconv.Atoi(u.Uid); err == nil {
			_ = os.Chown("/run/mysqld", uid, -1)
		}
	}
	var cmd *exec.Cmd
	if ssd, err := exec.LookPath("start-stop-daemon"); err == nil {
		cmd = exec.Command(ssd, "--start", "--oknodo", "--background", "--exec", m.Exe)
	} else {
		cmd = exec.Command(m.Exe)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start MariaDB (%s): %w; start it with scripts/ensure-mariadb.sh", m.Exe, err)
	}
	if cmd.Path != m.Exe {
		if err := cmd.Wait(); err != nil {
			return fmt.Errorf("start-stop-daemon --start --exec %s: %w; start it with scripts/ensure-mariadb.sh", m.Exe, err)
		}
	} else {
		go func() { _ = cmd.Wait() }()
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
		db, err := store.Open(pctx, m.DSN)
		pcancel()
		if err == nil {
			_ = db.Close()
			if err := m.refreshPID(ctx); err != nil {
				return err
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("MariaDB did not answer within 2 minutes of its start (%v); start it with scripts/ensure-mariadb.sh", err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// refreshPID reads the new daemon's process id.
func (m *MariaDBServer) refreshPID(ctx context.Context) error {
	n, err := LocalMariaDB(ctx, m.DSN)
	if err != nil {
		return err
	}
	m.PID, m.Exe = n.PID, n.Exe
	return nil
}

// waitGone waits until the process has exited (it may stay a zombie: it is not our child).
func waitGone(pid int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		// The state is the field after the command, which is in parentheses.
		if err == nil {
			if i := strings.LastIndexByte(string(b), ')'); i > 0 && i+2 < len(b) && (b[i+2] == 'Z' || b[i+2] == 'X') {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("MariaDB (pid %d) still running after %s", pid, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
