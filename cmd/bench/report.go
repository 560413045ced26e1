package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"occonnect/internal/runreport"
)

// Verdicts and the machine's description are shared with cmd/chaos (internal/runreport).
const (
	pass   = runreport.Pass
	fail   = runreport.Fail
	broken = runreport.Broken
)

// Machine describes where the figures were measured.
type Machine = runreport.Machine

func round(v float64, digits int) float64 { return runreport.Round(v, digits) }
func verdict(ok bool) string              { return runreport.Verdict(ok) }

// Report is what a run writes as JSON, and what -report renders as Markdown.
type Report struct {
	runreport.Run
	Argon2id Argon2id `json:"argon2id"`
	Results  []Result `json:"results"`
}

// Argon2id is the measured cost of the password hash of the login path.
type Argon2id struct {
	Params  string  `json:"params"`
	MsEach  float64 `json:"ms_per_hash"`
	Samples int     `json:"samples"`
}

// Result is one benchmark: its rows (baseline first), its verdict against the target.
type Result struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Engine   string   `json:"engine,omitempty"` // what ran Temporal, when a run measures on two
	Target   string   `json:"target"`
	Rows     []Row    `json:"rows,omitempty"`
	Metrics  []Metric `json:"metrics,omitempty"`
	Ratio    float64  `json:"ratio,omitempty"` // the system's rate over the baseline's
	Verdict  string   `json:"verdict"`
	Summary  string   `json:"summary"`
	Notes    []string `json:"notes,omitempty"`
	Profiles []string `json:"profiles,omitempty"`
}

// Row is a measured phase: operations, errors, rate and latency percentiles.
type Row struct {
	Name    string  `json:"name"`
	Unit    string  `json:"unit"` // what N and the rate count
	N       int     `json:"n"`
	Errors  int     `json:"errors"`
	Seconds float64 `json:"seconds"`
	Rate    float64 `json:"rate_per_s"`
	P50     float64 `json:"p50_ms"`
	P95     float64 `json:"p95_ms"`
	P99     float64 `json:"p99_ms"`
}

// Metric is a single figure (memory, a duration).
type Metric struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
}

func (r *Result) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

func (r *Result) metric(name string, value float64, unit string) {
	r.Metrics = append(r.Metrics, Metric{Name: name, Value: value, Unit: unit})
}

// failed marks a benchmark that could not finish.
func (r *Result) failed(err error) {
	r.Verdict, r.Summary = broken, err.Error()
}

// recorder collects the latencies of successful operations and the errors.
type recorder struct {
	mu     sync.Mutex
	lat    []time.Duration
	errors int
	first  []string // the first distinct error messages (for the notes)
}

func (r *recorder) ok(d time.Duration) {
	r.mu.Lock()
	r.lat = append(r.lat, d)
	r.mu.Unlock()
}

func (r *recorder) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors++
	if msg := err.Error(); len(r.first) < 5 && !slices.Contains(r.first, msg) {
		r.first = append(r.first, msg)
	}
}

func (r *recorder) row(name, unit string, elapsed time.Duration) Row {
	r.mu.Lock()
	defer r.mu.Unlock()
	lat := slices.Clone(r.lat)
	slices.Sort(lat)
	row := Row{Name: name, Unit: unit, N: len(lat), Errors: r.errors, Seconds: round(elapsed.Seconds(), 2)}
	if elapsed > 0 {
		row.Rate = round(float64(len(lat))/elapsed.Seconds(), 1)
	}
	row.P50, row.P95, row.P99 = percentile(lat, 50), percentile(lat, 95), percentile(lat, 99)
	return row
}

// percentile is the nearest-rank percentile of sorted durations, in milliseconds.
func percentile(sorted []time.Duration, p int) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := (p*len(sorted)+99)/100 - 1
	i = max(0, min(i, len(sorted)-1))
	return round(float64(sorted[i])/float64(time.Millisecond), 1)
}

// ms prints a latency, or a dash for a row that measures none.
func ms(v float64) string {
	if v == 0 {
		return "–"
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// printText writes the tables and the verdict lines for a terminal.
func printText(w io.Writer, rep *Report) {
	fmt.Fprintf(w, "\nOC Connect benchmarks — %s, %d CPUs, Go %s, load %s → %s\n", rep.Machine.CPU, rep.Machine.CPUs,
		rep.Machine.Go, rep.Machine.LoadBefore, rep.Machine.LoadAfter)
	fmt.Fprintf(w, "Argon2id %s: %.1f ms a hash\n", rep.Argon2id.Params, rep.Argon2id.MsEach)
	for _, r := range rep.Results {
		fmt.Fprintf(w, "\n%s %s — target: %s\n", r.ID, r.heading(), r.Target)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		if len(r.Rows) > 0 {
			fmt.Fprintln(tw, "\tn\terrors\tseconds\trate/s\tp50 ms\tp95 ms\tp99 ms\t")
			for _, row := range r.Rows {
				fmt.Fprintf(tw, "%s\t%d %s\t%d\t%.2f\t%.1f\t%s\t%s\t%s\t\n", row.Name, row.N, row.Unit, row.Errors,
					row.Seconds, row.Rate, ms(row.P50), ms(row.P95), ms(row.P99))
			}
		}
		for _, m := range r.Metrics {
			fmt.Fprintf(tw, "%s\t%s %s\t\n", m.Name, strconv.FormatFloat(m.Value, 'f', -1, 64), m.Unit)
		}
		tw.Flush()
		for _, n := range r.Notes {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
		for _, p := range r.Profiles {
			fmt.Fprintf(w, "  profile: %s\n", p)
		}
	}
	fmt.Fprintln(w)
	for _, r := range rep.Results {
		fmt.Fprintf(w, "%s%s %s: %s\n", r.ID, r.onEngine(), r.Verdict, r.Summary)
	}
}

// heading is the title, with the engine when the run names one.
func (r Result) heading() string {
	if r.Engine == "" {
		return r.Title
	}
	return r.Title + " — on the " + r.Engine
}

// onEngine is a short mark of a result measured on the cluster, for the verdict lines.
func (r Result) onEngine() string {
	if strings.Contains(r.Engine, "cluster") {
		return " (cluster)"
	}
	return ""
}

// engines writes the results measured on more than one engine side by side: the system's
// rate, its baseline's, their ratio and the system's latencies.
func engines(w io.Writer, rep *Report) {
	byID := map[string][]Result{}
	var ids []string
	for _, r := range rep.Results {
		if r.Engine == "" || len(r.Rows) < 2 {
			continue
		}
		if byID[r.ID] == nil {
			ids = append(ids, r.ID)
		}
		byID[r.ID] = append(byID[r.ID], r)
	}
	for _, id := range ids {
		rs := byID[id]
		if len(rs) < 2 {
			continue
		}
		fmt.Fprintf(w, "### %s on both engines\n\n", id)
		fmt.Fprintln(w, "| engine | baseline rate/s | system rate/s | ratio | p50 ms | p95 ms | p99 ms | verdict |")
		fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|---|")
		for _, r := range rs {
			base, sys := r.Rows[0], r.Rows[len(r.Rows)-1]
			fmt.Fprintf(w, "| %s | %.1f | %.1f | %.2f | %s | %s | %s | %s |\n", r.Engine, base.Rate, sys.Rate, r.Ratio,
				ms(sys.P50), ms(sys.P95), ms(sys.P99), r.Verdict)
		}
		fmt.Fprintln(w)
	}
}

// printMarkdown writes the tables of docs/PERFORMANCE.md.
func printMarkdown(w io.Writer, rep *Report) {
	m := rep.Machine
	fmt.Fprintf(w, "Run of %s (%s), `%s`.\n\n", rep.StartedAt.UTC().Format("2006-01-02 15:04 MST"),
		map[bool]string{true: "quick mode: small N, indicative only", false: "full"}[rep.Quick], rep.Command)
	fmt.Fprintf(w, "| machine | |\n|---|---|\n| CPU | %s × %d |\n| memory | %.1f GiB |\n| kernel | %s |\n| Go | %s |\n| MariaDB | %s |\n| stack | %s |\n| load average before → after | %s → %s |\n| Argon2id %s | %.1f ms a hash |\n\n",
		m.CPU, m.CPUs, m.MemoryGiB, m.Kernel, m.Go, m.MariaDB, m.Stack, m.LoadBefore, m.LoadAfter, rep.Argon2id.Params, rep.Argon2id.MsEach)
	engines(w, rep)
	for _, r := range rep.Results {
		fmt.Fprintf(w, "### %s %s\n\nTarget: %s.\n\n", r.ID, r.heading(), r.Target)
		if len(r.Rows) > 0 {
			fmt.Fprintln(w, "| | n | errors | seconds | rate/s | p50 ms | p95 ms | p99 ms |")
			fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|")
			for _, row := range r.Rows {
				fmt.Fprintf(w, "| %s | %d %s | %d | %.2f | %.1f | %s | %s | %s |\n", row.Name, row.N, row.Unit, row.Errors,
					row.Seconds, row.Rate, ms(row.P50), ms(row.P95), ms(row.P99))
			}
			fmt.Fprintln(w)
		}
		if len(r.Metrics) > 0 {
			fmt.Fprintln(w, "| | |\n|---|--:|")
			for _, mt := range r.Metrics {
				fmt.Fprintf(w, "| %s | %s %s |\n", mt.Name, strconv.FormatFloat(mt.Value, 'f', -1, 64), mt.Unit)
			}
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "**%s** — %s\n\n", r.Verdict, r.Summary)
		for _, n := range r.Notes {
			fmt.Fprintf(w, "- %s\n", n)
		}
		if len(r.Notes) > 0 {
			fmt.Fprintln(w)
		}
	}
}

func writeJSON(path string, rep *Report) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func readJSON(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rep Report
	return &rep, json.Unmarshal(b, &rep)
}
