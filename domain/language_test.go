package domain

import "testing"

func TestParseLanguage(t *testing.T) {
	tests := []struct {
		in     string
		want   Language
		wantOK bool
	}{
		{"fr", LangFR, true},
		{"ar", LangAR, true},
		{"", "", false},
		{"FR", "", false},
		{" fr", "", false},
		{"fr-MA", "", false},
		{"en", "", false},
		{"ber", "", false},
	}
	for _, tt := range tests {
		got, ok := ParseLanguage(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("ParseLanguage(%q) = (%q, %v), want (%q, %v)", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}
