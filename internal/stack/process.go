package stack

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Process is a server run as a child process that can be killed and started again with
// the same arguments, ports and files (its state survives when the server keeps it on
// disk). Its standard output and error are appended to LogPath across starts.
type Process struct {
	Name    string
	Path    string
	Args    []string
	Env     []string // added to this process's environment
	Dir     string   // working folder
	LogPath string
	// Ready returns nil once the process serves; Start polls it.
	Ready func(ctx context.Context) error
	// StartTimeout bounds the wait for Ready (default 90 s).
	StartTimeout time.Duration

	mu       sync.Mutex
	cmd      *exec.Cmd
	done     chan struct{}
	logStart int64         // size of the log when the current run started
	readyIn  time.Duration // how long the current run took to become ready
}

// Start runs the process and waits until Ready answers. The process dies with this one
// (Pdeathsig) and sits in a process group of its own, so that Ctrl-C reaches only the
// parent, which stops its children in order.
func (p *Process) Start(ctx context.Context) error {
	p.mu.Lock()
	if p.cmd != nil {
		select {
		case <-p.done: // it exited by itself: start it again
		default:
			p.mu.Unlock()
			return fmt.Errorf("%s is already running", p.Name)
		}
	}
	log, err := os.OpenFile(p.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.mu.Unlock()
		return err
	}
	info, err := log.Stat()
	if err != nil {
		log.Close()
		p.mu.Unlock()
		return err
	}
	cmd := exec.Command(p.Path, p.Args...)
	cmd.Dir = p.Dir
	cmd.Env = append(os.Environ(), p.Env...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	began := time.Now()
	if err := cmd.Start(); err != nil {
		log.Close()
		p.mu.Unlock()
		return fmt.Errorf("start %s: %w", p.Name, err)
	}
	done := make(chan struct{})
	p.cmd, p.done, p.logStart = cmd, done, info.Size()
	p.mu.Unlock()
	go func() { _ = cmd.Wait(); log.Close(); close(done) }()

	if p.Ready == nil {
		return nil
	}
	timeout := p.StartTimeout
	if timeout <= 0 {
		timeout = 90 * time.Second
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		err := p.Ready(wctx)
		if err == nil {
			p.mu.Lock()
			p.readyIn = time.Since(began)
			p.mu.Unlock()
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("%s exited while starting; log: %s", p.Name, p.LogPath)
		case <-wctx.Done():
			_ = p.Kill()
			return fmt.Errorf("%s not ready after %s (%v); log: %s", p.Name, timeout, err, p.LogPath)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (p *Process) String() string { return p.Name }

// ReadyIn is how long the current run took from its start to Ready.
func (p *Process) ReadyIn() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.readyIn
}

// PID is the process id of the current run (0 when it is not running).
func (p *Process) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Running tells whether the current run is alive.
func (p *Process) Running() bool {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	if done == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// Kill ends the process with SIGKILL (a crash) and waits for it.
func (p *Process) Kill() error { return p.Stop(0) }

// Stop sends SIGTERM, waits up to grace for the process to exit, then kills it. A zero
// grace kills at once.
func (p *Process) Stop(grace time.Duration) error {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.cmd, p.done = nil, nil
	p.mu.Unlock()
	if cmd == nil {
		return nil
	}
	// The signals go to the process group (Start gives each process one): a script that
	// runs servers is stopped with them.
	if grace > 0 {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
			return nil
		case <-time.After(grace):
		}
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	<-done
	return nil
}

// Restart stops the process (SIGTERM, then SIGKILL after grace) and starts it again.
func (p *Process) Restart(ctx context.Context, grace time.Duration) error {
	if err := p.Stop(grace); err != nil {
		return err
	}
	return p.Start(ctx)
}

// Output is what the current run has written so far.
func (p *Process) Output() (string, error) {
	p.mu.Lock()
	from := p.logStart
	p.mu.Unlock()
	b, err := os.ReadFile(p.LogPath)
	if err != nil {
		return "", err
	}
	if from > int64(len(b)) {
		from = 0
	}
	return string(b[from:]), nil
}

// Memory is a process's resident memory, in bytes.
type Memory struct {
	RSS  uint64 `json:"rss_bytes"`  // resident now (VmRSS)
	Peak uint64 `json:"peak_bytes"` // highest resident so far (VmHWM)
}

// Memory reads the resident memory of the current run from /proc.
func (p *Process) Memory() (Memory, error) {
	pid := p.PID()
	if pid == 0 {
		return Memory{}, fmt.Errorf("%s is not running", p.Name)
	}
	return ReadMemory(pid)
}

// ReadMemory reads VmRSS and VmHWM of a process from /proc/<pid>/status (Linux).
func ReadMemory(pid int) (Memory, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return Memory{}, err
	}
	var m Memory
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(value), "kB")), 10, 64)
		if err != nil {
			return Memory{}, fmt.Errorf("/proc/%d/status %s: %w", pid, name, err)
		}
		if name == "VmRSS" {
			m.RSS = kb << 10
		} else {
			m.Peak = kb << 10
		}
	}
	if m.RSS == 0 {
		return Memory{}, fmt.Errorf("/proc/%d/status has no VmRSS", pid)
	}
	return m, nil
}

// clockTicks is the unit of the times in /proc/<pid>/stat (USER_HZ, 100 on Linux).
const clockTicks = 100

// ReadCPU reads the CPU time (user + system) a process has used so far from
// /proc/<pid>/stat (Linux); pid 0 is this process.
func ReadCPU(pid int) (time.Duration, error) {
	name := "self"
	if pid != 0 {
		name = strconv.Itoa(pid)
	}
	b, err := os.ReadFile("/proc/" + name + "/stat")
	if err != nil {
		return 0, err
	}
	// The fields after the command (in parentheses, which may hold spaces): state is the
	// first, utime and stime the 12th and 13th.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%s/stat: unexpected format", name)
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%s/stat: unexpected format", name)
	}
	var ticks uint64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%s/stat: %w", name, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}
