package domain

import (
	"slices"
	"strings"
	"testing"
)

func TestCurrencyList(t *testing.T) {
	var codes []string
	for line := range strings.Lines(currenciesFile) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(line) != 3 || strings.ContainsFunc(line, func(r rune) bool { return r < 'A' || r > 'Z' }) {
			t.Errorf("bad line %q in currencies.txt", line)
		}
		codes = append(codes, line)
	}
	if !slices.IsSorted(codes) {
		t.Error("currencies.txt is not sorted")
	}
	if n := len(slices.Compact(slices.Clone(codes))); n != len(codes) {
		t.Errorf("currencies.txt has %d duplicates", len(codes)-n)
	}
	if len(codes) < 150 || len(codes) > 200 {
		t.Errorf("currencies.txt has %d codes, want about 160", len(codes))
	}
	for _, c := range codes {
		if !IsCurrency(c) {
			t.Errorf("IsCurrency(%q) = false for a listed code", c)
		}
	}
}

func TestIsCurrency(t *testing.T) {
	tests := []struct {
		code              string
		currency, foreign bool
	}{
		{"EUR", true, true},
		{"USD", true, true},
		{"GBP", true, true},
		{"CHF", true, true},
		{"CAD", true, true},
		{"SAR", true, true},
		{"AED", true, true},
		{"QAR", true, true},
		{"KWD", true, true},
		{"JPY", true, true},
		{"CNY", true, true},
		{"TRY", true, true},
		{"EGP", true, true},
		{"TND", true, true},
		{"DZD", true, true},
		{"MRU", true, true},
		{"XOF", true, true},
		{"XAF", true, true},
		{"XCG", true, true}, // Caribbean guilder, replaced ANG in 2025
		{"ZWG", true, true}, // Zimbabwe gold, replaced ZWL in 2024
		{"SLE", true, true},
		{"USN", true, true}, // a fund code: accepted
		{"MAD", true, false},
		// Rejected.
		{"eur", false, false},
		{"Eur", false, false},
		{" EUR", false, false},
		{"EUR ", false, false},
		{"EURO", false, false},
		{"EU", false, false},
		{"", false, false},
		{"mad", false, false},
		{"XXX", false, false}, // no currency
		{"XTS", false, false}, // testing
		{"XAU", false, false}, // gold
		{"XAG", false, false}, // silver
		{"XPT", false, false}, // platinum
		{"XPD", false, false}, // palladium
		{"XDR", false, false}, // special drawing right
		{"XBA", false, false}, // bond-market unit
		{"HRK", false, false}, // withdrawn (euro, 2023)
		{"FRF", false, false}, // withdrawn (euro, 2002)
		{"MRO", false, false}, // withdrawn (MRU, 2018)
		{"ZWL", false, false}, // withdrawn (ZWG, 2024)
		{"ABC", false, false},
		{"# A", false, false},
	}
	for _, tt := range tests {
		if got := IsCurrency(tt.code); got != tt.currency {
			t.Errorf("IsCurrency(%q) = %v, want %v", tt.code, got, tt.currency)
		}
		if got := IsForeignCurrency(tt.code); got != tt.foreign {
			t.Errorf("IsForeignCurrency(%q) = %v, want %v", tt.code, got, tt.foreign)
		}
	}
}
