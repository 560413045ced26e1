package stack

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// A process is started, measured, killed and started again with its log kept across runs.
func TestProcessKillAndRestart(t *testing.T) {
	dir := t.TempDir()
	p := &Process{Name: "shell", Path: "/bin/sh", Args: []string{"-c", "echo started; exec sleep 60"}, Dir: dir,
		LogPath: filepath.Join(dir, "shell.log")}
	p.Ready = func(context.Context) error {
		out, err := p.Output()
		if err == nil && !strings.Contains(out, "started") {
			err = errors.New("not yet")
		}
		return err
	}
	ctx := context.Background()
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	first := p.PID()
	if first == 0 || !p.Running() {
		t.Fatalf("PID %d, running %v after Start", first, p.Running())
	}
	m, err := p.Memory()
	if err != nil || m.RSS == 0 || m.Peak < m.RSS {
		t.Fatalf("Memory() = %+v, %v", m, err)
	}
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	if p.Running() || p.PID() != 0 {
		t.Fatalf("running %v, PID %d after Kill", p.Running(), p.PID())
	}
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if p.PID() == first {
		t.Fatalf("the restarted process has the old PID %d", first)
	}
	if out, _ := p.Output(); strings.Count(out, "started") != 1 {
		t.Fatalf("Output() of the second run = %q, want its own line only", out)
	}
	if b, _ := os.ReadFile(p.LogPath); strings.Count(string(b), "started") != 2 {
		t.Fatalf("log = %q, want both runs", b)
	}
	if err := p.Stop(time.Second); err != nil || p.Running() {
		t.Fatalf("Stop: %v, running %v", err, p.Running())
	}
}

// A process that exits while starting is reported at once, with its log.
func TestProcessExitsWhileStarting(t *testing.T) {
	dir := t.TempDir()
	p := &Process{Name: "false", Path: "/bin/false", Dir: dir, LogPath: filepath.Join(dir, "false.log"),
		Ready: func(context.Context) error { return errors.New("never ready") }, StartTimeout: 20 * time.Second}
	began := time.Now()
	err := p.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "exited while starting") {
		t.Fatalf("Start() = %v, want an exit error", err)
	}
	if time.Since(began) > 5*time.Second {
		t.Fatalf("the exit took %s to be noticed", time.Since(began))
	}
	if err := p.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "exited while starting") {
		t.Fatalf("second Start() = %v, want it to run again and exit again", err)
	}
}

// TestReadCPU: the CPU time of this process grows by about what a busy loop spent, and a
// child's is read by its pid.
func TestReadCPU(t *testing.T) {
	before, err := ReadCPU(0)
	if err != nil {
		t.Fatal(err)
	}
	busy := time.Now()
	for x := uint64(1); time.Since(busy) < 300*time.Millisecond; x = x*6364136223846793005 + 1 {
		_ = x
	}
	after, err := ReadCPU(0)
	if err != nil {
		t.Fatal(err)
	}
	// 300 ms of wall time in a loop is well over 100 ms of CPU, unless the machine is
	// starved; and no more than the wall time of the whole test on every core.
	if spent := after - before; spent < 100*time.Millisecond || spent > time.Since(busy)*time.Duration(runtime.NumCPU())+50*time.Millisecond {
		t.Errorf("CPU time grew by %s during a 300 ms busy loop", spent)
	}
	if _, err := ReadCPU(os.Getpid()); err != nil {
		t.Errorf("ReadCPU(own pid): %v", err)
	}
	if _, err := ReadCPU(1 << 30); err == nil {
		t.Error("ReadCPU of a pid that does not exist: no error")
	}
}
