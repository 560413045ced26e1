package runreport

import (
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
