package domain

import (
	"strings"
	"testing"
)

func TestValidEmail(t *testing.T) {
	// local@domain of exactly n bytes.
	ofLen := func(n int) string {
		const domain = "@example.ma"
		return strings.Repeat("a", 64) + "@" + strings.Repeat("b", n-64-len(domain)) + domain[1:]
	}
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"simple", "ahmed@example.ma", true},
		{"dots and plus", "ahmed.alami+oc@mail.gov.ma", true},
		{"subdomains", "a@b.c.d", true},
		{"max length", ofLen(MaxEmailLen), true},
		{"too long", ofLen(MaxEmailLen + 1), false},
		{"empty", "", false},
		{"no at", "ahmed.example.ma", false},
		{"no dot in domain", "ahmed@localhost", false},
		{"display name", "Ahmed <ahmed@example.ma>", false},
		{"angle brackets", "<ahmed@example.ma>", false},
		{"leading space", " ahmed@example.ma", false},
		{"trailing space", "ahmed@example.ma ", false},
		{"comment", "ahmed@example.ma (Ahmed)", false},
		{"two addresses", "a@example.ma, b@example.ma", false},
		{"double at", "a@@example.ma", false},
		{"empty local", "@example.ma", false},
		{"trailing dot in domain", "ahmed@example.", false},
		{"double dot", "ahmed..alami@example.ma", false},
		{"quoted local part", `"ahmed alami"@example.ma`, false},
		{"domain literal", "ahmed@[192.0.2.1]", false},
		{"newline", "ahmed@example.ma\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidEmail(tt.in); got != tt.want {
				t.Errorf("ValidEmail(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestValidName(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"latin", "Ahmed", true},
		{"compound with hyphen", "Jean-Baptiste", true},
		{"apostrophe", "O'Neil", true},
		{"typographic apostrophe", "D’Artagnan", true},
		{"spaces and particle", "Ben Abdeljalil El Idrissi", true},
		{"period", "M. Alami", true},
		{"accents", "Hélène Éloïse", true},
		{"decomposed accent", "He\u0301le\u0300ne", true},
		{"arabic", "محمد العلوي", true},
		{"arabic with harakat", "مُحَمَّد", true},
		{"tifinagh", "ⵜⴰⵎⴰⵣⵉⵖⵜ", true},
		{"surrounding whitespace trimmed", "  Salma \t", true},
		{"single letter", "A", true},
		{"max length", strings.Repeat("ب", MaxNameLen), true},
		{"max length after trimming", "  " + strings.Repeat("a", MaxNameLen) + "  ", true},
		{"too long", strings.Repeat("ب", MaxNameLen+1), false},
		{"empty", "", false},
		{"only spaces", "   ", false},
		{"only punctuation", "-.'", false},
		{"digit", "Ahmed2", false},
		{"arabic-indic digit", "محمد٢", false},
		{"underscore", "Ahmed_Alami", false},
		{"at sign", "ahmed@example", false},
		{"inner tab", "Ahmed\tAlami", false},
		{"inner newline", "Ahmed\nAlami", false},
		{"html", "<script>", false},
		{"leading combining mark", "\u0301abc", false},
		{"emoji", "Ahmed 🙂", false},
		{"invalid utf-8", "Ahm\xffed", false},
		{"zero width space", "Ah\u200bmed", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidName(tt.in); got != tt.want {
				t.Errorf("ValidName(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
