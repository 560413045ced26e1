// Package runreport holds what the measurement programs (cmd/bench, cmd/chaos) share in
// their reports: the verdict words and the description of the machine a run used.
package runreport

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Verdicts.
const (
	Pass   = "PASS"
	Fail   = "FAIL"
	Broken = "ERROR" // the run could not go to its end
)

// Verdict is Pass when ok, else Fail.
func Verdict(ok bool) string {
	if ok {
		return Pass
	}
	return Fail
}

// Machine describes where the figures were measured.
type Machine struct {
	CPU        string  `json:"cpu"`
	CPUs       int     `json:"cpus"`
	MemoryGiB  float64 `json:"memory_gib"`
	Kernel     string  `json:"kernel"`
	Go         string  `json:"go"`
	MariaDB    string  `json:"mariadb"`
	Stack      string  `json:"stack,omitempty"` // what ran Temporal and Mailpit
	LoadBefore string  `json:"load_before"`     // /proc/loadavg at the start
	LoadAfter  string  `json:"load_after"`      // and at the end
	GOMAXPROCS int     `json:"gomaxprocs"`
}

// ReadMachine reads what describes this computer from /proc (MariaDB, Stack and LoadAfter
// are the caller's to fill).
func ReadMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), Go: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0), LoadBefore: LoadAvg()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if name, value, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(name) == "model name" {
				m.CPU = strings.TrimSpace(value)
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
				m.MemoryGiB = Round(kb/(1<<20), 1)
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// LoadAvg is the 1, 5 and 15 minute load averages ("?" when unreadable).
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// Round rounds v to digits decimals.
func Round(v float64, digits int) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', digits, 64), 64)
	return f
}

// Run is the header of a run's JSON report, common to cmd/bench and cmd/chaos (embedded in
// their reports, so its fields stay at the top level of the JSON).
type Run struct {
	StartedAt  time.Time         `json:"started_at"`
	FinishedAt time.Time         `json:"finished_at"`
	Command    string            `json:"command"`
	Quick      bool              `json:"quick"`
	Machine    Machine           `json:"machine"`
	Settings   map[string]string `json:"settings"`
}

// StartRun is the header of a run of program (its name under cmd/) started now with the
// process's arguments, on this machine.
func StartRun(program string, quick bool, settings map[string]string) Run {
	return Run{StartedAt: time.Now().UTC(), Command: "go run ./cmd/" + program + " " + strings.Join(os.Args[1:], " "),
		Quick: quick, Machine: ReadMachine(), Settings: settings}
}

// Finish records the end of the run and the load average then.
func (r *Run) Finish() {
	r.FinishedAt = time.Now().UTC()
	r.Machine.LoadAfter = LoadAvg()
}
