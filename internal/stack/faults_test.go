package stack

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// DSNVia moves a DSN to another address and keeps the rest.
func TestDSNVia(t *testing.T) {
	dsn, err := DSNVia("root@tcp(127.0.0.1:3306)/occtest_x?parseTime=true", "127.0.0.1:4406")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(dsn, "tcp(127.0.0.1:4406)/occtest_x") || !strings.Contains(dsn, "parseTime=true") {
		t.Fatalf("DSNVia = %q", dsn)
	}
	if addr, err := DSNAddr(dsn); err != nil || addr != "127.0.0.1:4406" {
		t.Fatalf("DSNAddr = %q, %v", addr, err)
	}
	if _, err := DSNVia("not a dsn", "127.0.0.1:1"); err == nil {
		t.Fatal("a malformed DSN was accepted")
	}
}

// waitGone sees a process end even when nobody reaps it (a daemon is not our child, so
// its exit leaves a zombie as long as its parent does not wait), and times out on a live one.
func TestWaitGone(t *testing.T) {
	cmd := exec.Command("/bin/sh", "-c", "exit 0")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := waitGone(cmd.Process.Pid, 10*time.Second); err != nil { // a zombie until Wait
		t.Fatal(err)
	}
	_ = cmd.Wait()

	live := exec.Command("/bin/sleep", "30")
	if err := live.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = live.Process.Kill(); _ = live.Wait() }()
	if err := waitGone(live.Process.Pid, 300*time.Millisecond); err == nil {
		t.Fatal("waitGone returned for a running process")
	}
}

// LocalMariaDB refuses a server that is not on this machine (it could not restart it).
func TestLocalMariaDBRemote(t *testing.T) {
	if _, err := LocalMariaDB(t.Context(), "root@tcp(db.example.net:3306)/"); err == nil || !strings.Contains(err.Error(), "not on this machine") {
		t.Fatalf("LocalMariaDB(remote) = %v", err)
	}
}
