package main

import (
	"strings"
	"testing"
)

// TestMarkdownEngines: B1 measured on two engines gets a side-by-side table, and each of its
// sections names its engine; a benchmark run once gets neither.
func TestMarkdownEngines(t *testing.T) {
	b1 := func(engine string, base, sys, ratio float64) Result {
		return Result{ID: "B1", Title: "enrollment end to end", Engine: engine, Ratio: ratio, Verdict: pass,
			Rows: []Row{{Name: "baseline", Rate: base}, {Name: "system", Rate: sys, P50: 812, P95: 1490, P99: 2210.5}}}
	}
	rep := &Report{Results: []Result{
		b1("Temporal dev server on SQLite", 20.4, 9.1, 0.45),
		b1("Temporal cluster on PostgreSQL", 12.3, 7.4, 0.6),
		{ID: "B2", Title: "polling", Verdict: pass, Rows: []Row{{Name: "baseline", Rate: 1}, {Name: "system", Rate: 1}}},
	}}
	var sb strings.Builder
	printMarkdown(&sb, rep)
	md := sb.String()
	for _, want := range []string{
		"### B1 on both engines",
		"| Temporal dev server on SQLite | 20.4 | 9.1 | 0.45 | 812.0 | 1490.0 | 2210.5 | PASS |",
		"| Temporal cluster on PostgreSQL | 12.3 | 7.4 | 0.60 | 812.0 | 1490.0 | 2210.5 | PASS |",
		"### B1 enrollment end to end — on the Temporal cluster on PostgreSQL",
		"### B2 polling\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the Markdown lacks %q:\n%s", want, md)
		}
	}
	if strings.Count(md, "on both engines") != 1 {
		t.Errorf("want one side-by-side table (B1's):\n%s", md)
	}
}
