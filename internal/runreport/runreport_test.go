package runreport

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRoundAndVerdict(t *testing.T) {
	for _, c := range []struct {
		v    float64
		d    int
		want float64
	}{{1.25, 1, 1.2}, {1.26, 1, 1.3}, {-2.345, 2, -2.35}, {107.94, 1, 107.9}, {3, 0, 3}} {
		if got := Round(c.v, c.d); got != c.want {
			t.Errorf("Round(%v, %d) = %v, want %v", c.v, c.d, got, c.want)
		}
	}
	if Verdict(true) != Pass || Verdict(false) != Fail {
		t.Fatal("verdict words")
	}
}

func TestReadMachine(t *testing.T) {
	m := ReadMachine()
	if m.CPUs < 1 || m.GOMAXPROCS < 1 || !strings.HasPrefix(m.Go, "go") {
		t.Fatalf("machine: %+v", m)
	}
	if l := LoadAvg(); l != "?" && len(strings.Fields(l)) != 3 {
		t.Fatalf("load average %q", l)
	}
}

// TestRunEmbedded: a report that embeds Run keeps the header's fields at the top level of
// its JSON, as the reports written before Run existed (bench/results/*.json) have them.
func TestRunEmbedded(t *testing.T) {
	type report struct {
		Run
		Results []string `json:"results"`
	}
	r := report{Run: StartRun("bench", true, map[string]string{"b1-n": "40"}), Results: []string{"x"}}
	r.Finish()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"started_at", "finished_at", "command", "quick", "machine", "settings", "results"} {
		if _, ok := top[k]; !ok {
			t.Errorf("no %q at the top level of %s", k, b)
		}
	}
	if !strings.HasPrefix(r.Command, "go run ./cmd/bench") || !r.Quick || r.FinishedAt.Before(r.StartedAt) || r.Machine.LoadAfter == "" {
		t.Errorf("run header %+v", r.Run)
	}
}
