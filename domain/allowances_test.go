package domain

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestParseAllowanceType(t *testing.T) {
	tests := []struct {
		in     string
		want   AllowanceType
		wantOK bool
	}{
		{"tourism", AllowanceTourism, true},
		{"tourism_supplement", AllowanceTourismSupplement, true},
		{"studies", AllowanceStudies, true},
		{"hajj_omra", AllowanceHajjOmra, true},
		{"medical", AllowanceMedical, true},
		{"", "", false},
		{"Tourism", "", false},
		{" tourism", "", false},
		{"dts", "", false},
		{"tourism-supplement", "", false},
	}
	for _, tt := range tests {
		got, ok := ParseAllowanceType(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("ParseAllowanceType(%q) = (%q, %v), want (%q, %v)", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestAllowanceTypes(t *testing.T) {
	want := []AllowanceType{"tourism", "tourism_supplement", "studies", "hajj_omra", "medical"}
	if !slices.Equal(AllowanceTypes, want) {
		t.Fatalf("AllowanceTypes = %q, want %q", AllowanceTypes, want)
	}
	for _, a := range AllowanceTypes {
		if got, ok := ParseAllowanceType(string(a)); !ok || got != a {
			t.Errorf("ParseAllowanceType(%q) = (%q, %v)", a, got, ok)
		}
	}
}

func TestDefaultRules(t *testing.T) {
	tests := []struct {
		name  string
		rules []AllowanceRule
		cap   int64
	}{
		{"2024", DefaultRules2024, 300_000},
		{"2026", DefaultRules2026, 500_000},
	}
	wantEntitlement := map[AllowanceType]int64{
		AllowanceTourism:           100_000,
		AllowanceTourismSupplement: 0,
		AllowanceStudies:           25_000,
		AllowanceHajjOmra:          15_000,
		AllowanceMedical:           30_000,
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var types []AllowanceType
			for _, r := range tt.rules {
				types = append(types, r.Type)
				if r.EntitlementMAD != wantEntitlement[r.Type] {
					t.Errorf("%s: EntitlementMAD = %d, want %d", r.Type, r.EntitlementMAD, wantEntitlement[r.Type])
				}
				if r.LabelFR == "" || r.LabelAR == "" {
					t.Errorf("%s: missing label", r.Type)
				}
				if strings.ContainsFunc(r.LabelAR, func(c rune) bool { return c >= 'A' && c <= 'z' }) {
					t.Errorf("%s: Arabic label %q contains Latin letters", r.Type, r.LabelAR)
				}
				wantRate, wantCap := int64(0), int64(0)
				if r.Type == AllowanceTourismSupplement {
					wantRate, wantCap = 3000, tt.cap
				}
				if r.RateBP != wantRate || r.CapTotalMAD != wantCap {
					t.Errorf("%s: RateBP, CapTotalMAD = %d, %d, want %d, %d", r.Type, r.RateBP, r.CapTotalMAD, wantRate, wantCap)
				}
			}
			if !slices.Equal(types, AllowanceTypes) {
				t.Errorf("types = %q, want %q", types, AllowanceTypes)
			}
		})
	}
}

func TestComputeDTS(t *testing.T) {
	// dtsRules builds a minimal rule set.
	dtsRules := func(base, rateBP, capTotal int64) []AllowanceRule {
		return []AllowanceRule{
			{Type: AllowanceTourism, EntitlementMAD: base},
			{Type: AllowanceTourismSupplement, RateBP: rateBP, CapTotalMAD: capTotal},
		}
	}
	tests := []struct {
		name           string
		year           int
		ir             int64
		rules          []AllowanceRule
		wantSupplement int64
		wantErr        error
	}{
		{"2024 zero IR", 2025, 0, DefaultRules2024, 0, nil},
		{"2024 small IR", 2025, 1_000, DefaultRules2024, 300, nil},
		{"2024 one dirham of IR", 2025, 1, DefaultRules2024, 0, nil},
		{"2024 fraction rounded down", 2025, 33_333, DefaultRules2024, 9_999, nil},
		{"2024 just below the cap", 2025, 666_666, DefaultRules2024, 199_999, nil},  // 199,999.8
		{"2024 exactly at the cap", 2025, 666_667, DefaultRules2024, 200_000, nil},  // 200,000.1
		{"2024 just above the cap", 2025, 666_670, DefaultRules2024, 200_000, nil},  // 200,001
		{"2024 far above the cap", 2025, 1_000_000, DefaultRules2024, 200_000, nil}, // 300,000
		{"2024 huge IR", 2025, math.MaxInt64, DefaultRules2024, 200_000, nil},       // no overflow
		{"2026 zero IR", 2026, 0, DefaultRules2026, 0, nil},
		{"2026 fraction rounded down", 2026, 33_333, DefaultRules2026, 9_999, nil},
		{"2026 below the 2024 cap", 2026, 500_000, DefaultRules2026, 150_000, nil},
		{"2026 above the 2024 cap", 2026, 1_000_000, DefaultRules2026, 300_000, nil}, // capped at 200,000 in 2024
		{"2026 just below the cap", 2026, 1_333_333, DefaultRules2026, 399_999, nil}, // 399,999.9
		{"2026 exactly at the cap", 2026, 1_333_334, DefaultRules2026, 400_000, nil}, // 400,000.2
		{"2026 above the cap", 2026, 2_000_000, DefaultRules2026, 400_000, nil},
		{"2026 huge IR", 2026, math.MaxInt64, DefaultRules2026, 400_000, nil},
		{"rate × IR exceeds 64 bits", 2026, math.MaxInt64 / 2, dtsRules(0, 10000, math.MaxInt64), math.MaxInt64 / 2, nil},
		{"rate × IR / 10000 exceeds 64 bits", 2026, math.MaxInt64, dtsRules(0, 30000, math.MaxInt64), math.MaxInt64, nil},
		{"rate above 100%", 2026, 1_000, dtsRules(0, 15000, 1_000_000), 1_500, nil},
		{"zero rate", 2026, 1_000_000, dtsRules(100_000, 0, 500_000), 0, nil},
		{"cap below base", 2026, 1_000_000, dtsRules(100_000, 3000, 50_000), 0, nil},
		{"cap equal to base", 2026, 1_000_000, dtsRules(100_000, 3000, 100_000), 0, nil},
		{"negative IR", 2026, -1, DefaultRules2026, 0, ErrInvalidAmount},
		{"negative huge IR", 2026, math.MinInt64, DefaultRules2026, 0, ErrInvalidAmount},
		{"no rules", 2026, 1_000, nil, 0, ErrNoRules},
		{"no tourism rule", 2026, 1_000, DefaultRules2026[1:], 0, ErrNoRules},
		{"no supplement rule", 2026, 1_000, DefaultRules2026[:1], 0, ErrNoRules},
		{"negative rate", 2026, 1_000, dtsRules(100_000, -3000, 500_000), 0, ErrInvalidRule},
		{"negative cap", 2026, 1_000, dtsRules(100_000, 3000, -1), 0, ErrInvalidRule},
		{"negative base", 2026, 1_000, dtsRules(-1, 3000, 500_000), 0, ErrInvalidRule},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ComputeDTS(tt.year, tt.ir, tt.rules)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ComputeDTS(%d, %d) error = %v, want %v", tt.year, tt.ir, err, tt.wantErr)
				}
				if got != (DTSResult{}) {
					t.Errorf("ComputeDTS(%d, %d) = %+v with an error, want zero", tt.year, tt.ir, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ComputeDTS(%d, %d) error = %v", tt.year, tt.ir, err)
			}
			base, _ := findAllowanceRule(tt.rules, AllowanceTourism)
			supp, _ := findAllowanceRule(tt.rules, AllowanceTourismSupplement)
			want := DTSResult{
				Year:          tt.year,
				RateBP:        supp.RateBP,
				BaseMAD:       base.EntitlementMAD,
				CapTotalMAD:   supp.CapTotalMAD,
				SupplementMAD: tt.wantSupplement,
				TotalMAD:      base.EntitlementMAD + tt.wantSupplement,
			}
			if got != want {
				t.Errorf("ComputeDTS(%d, %d) = %+v, want %+v", tt.year, tt.ir, got, want)
			}
		})
	}
}

func TestComputeDTSUsesFirstRuleOfAType(t *testing.T) {
	rules := append(slices.Clone(DefaultRules2024), AllowanceRule{Type: AllowanceTourismSupplement, RateBP: 10000, CapTotalMAD: 1 << 40})
	got, err := ComputeDTS(2025, 1_000_000, rules)
	if err != nil || got.SupplementMAD != 200_000 {
		t.Errorf("ComputeDTS = %+v, %v, want supplement 200000", got, err)
	}
}

func TestComputeDTSErrorsDoNotLeakAmounts(t *testing.T) {
	_, err := ComputeDTS(2026, -987654321, DefaultRules2026)
	if err == nil || strings.Contains(err.Error(), "987654321") {
		t.Errorf("error %v leaks the amount", err)
	}
}

func TestRateString(t *testing.T) {
	tests := []struct {
		bp   int64
		want string
	}{
		{3000, "0.3"},
		{2500, "0.25"},
		{0, "0"},
		{1, "0.0001"},
		{10, "0.001"},
		{1234, "0.1234"},
		{10000, "1"},
		{15000, "1.5"},
		{10001, "1.0001"},
		{-3000, "-0.3"},
		{math.MinInt64, "-922337203685477.5808"},
		{math.MaxInt64, "922337203685477.5807"},
	}
	for _, tt := range tests {
		if got := RateString(tt.bp); got != tt.want {
			t.Errorf("RateString(%d) = %q, want %q", tt.bp, got, tt.want)
		}
	}
}
