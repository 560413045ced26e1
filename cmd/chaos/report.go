package main

import (
	"fmt"
	"time"

	"occonnect/internal/runreport"
)

// Verdicts and the machine's description are shared with cmd/bench (internal/runreport).
const (
	pass   = runreport.Pass
	fail   = runreport.Fail
	broken = runreport.Broken
)

// Machine describes where the figures were measured.
type Machine = runreport.Machine

func round(v float64, digits int) float64 { return runreport.Round(v, digits) }
func verdict(ok bool) string              { return runreport.Verdict(ok) }

// Report is what a run writes as JSON.
type Report struct {
	runreport.Run
	Results []Result `json:"results"`
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

func secs(d time.Duration) float64 { return round(d.Seconds(), 1) }
