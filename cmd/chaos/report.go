package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// Verdicts.
const (
	pass   = "PASS"
	fail   = "FAIL"
	broken = "ERROR" // the scenario could not run to its end
)

// Report is what a run writes as JSON.
type Report struct {
	StartedAt  time.Time         `json:"started_at"`
	FinishedAt time.Time         `json:"finished_at"`
	Command    string            `json:"command"`
	Quick      bool              `json:"quick"`
	Machine    Machine           `json:"machine"`
	Settings   map[string]string `json:"settings"`
	Results    []Result          `json:"results"`
}

// Machine describes where the run happened.
type Machine struct {
	CPU        string `json:"cpu"`
	CPUs       int    `json:"cpus"`
	Kernel     string `json:"kernel"`
	Go         string `json:"go"`
	MariaDB    string `json:"mariadb"`
	LoadBefore string `json:"load_before"`
	LoadAfter  string `json:"load_after"`
}

// Result is one scenario: what was injected, what was observed, the verdict.
type Result struct {
	Scenario string   `json:"scenario"`
	Title    string   `json:"title"`
	Claim    string   `json:"claim"` // what must hold for PASS
	Verdict  string   `json:"verdict"`
	Summary  string   `json:"summary"`
	Seconds  float64  `json:"seconds"`
	Figures  []Figure `json:"figures"`
	Notes    []string `json:"notes,omitempty"`
}

// Figure is one observation.
type Figure struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit,omitempty"`
}

func (r *Result) figure(name string, value float64, unit string) {
	r.Figures = append(r.Figures, Figure{Name: name, Value: value, Unit: unit})
}

func (r *Result) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// failed marks a scenario that could not run to its end.
func (r *Result) failed(err error) {
	r.Verdict, r.Summary = broken, err.Error()
}

// line is the verdict line.
func (r Result) line() string {
	return fmt.Sprintf("chaos %-16s %s  %s", r.Scenario, r.Verdict, r.Summary)
}

func verdict(ok bool) string {
	if ok {
		return pass
	}
	return fail
}

func machine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), Go: runtime.Version(), LoadBefore: loadAvg()}
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
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func round(v float64, digits int) float64 {
	p := 1.0
	for range digits {
		p *= 10
	}
	if v < 0 {
		return -float64(int64(-v*p+0.5)) / p
	}
	return float64(int64(v*p+0.5)) / p
}

func secs(d time.Duration) float64 { return round(d.Seconds(), 1) }
