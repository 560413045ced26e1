package domain

import (
	"slices"
	"strings"
	"testing"
)

func TestCommonPasswordList(t *testing.T) {
	m := commonPasswords()
	if len(m) < 10000 {
		t.Fatalf("common-password list has %d entries, want at least 10000", len(m))
	}
	// Entries checked by hand in the generated file.
	for _, pw := range []string{"123456", "password", "qwerty", "iloveyou", "1qaz2wsx3edc", "password1234", "qwertyuiop"} {
		if _, ok := m[pw]; !ok {
			t.Errorf("list does not contain %q", pw)
		}
	}
	for pw := range m {
		if pw != strings.ToLower(pw) || pw != strings.TrimSpace(pw) || pw == "" {
			t.Errorf("list entry %q is not lower-case and trimmed", pw)
		}
	}
}

func TestIsCommonPassword(t *testing.T) {
	tests := []struct {
		pw   string
		want bool
	}{
		{"password", true},
		{"PASSWORD", true},
		{"PassWord", true},
		{"  password  ", true},
		{"\tQWERTYUIOP\n", true},
		{"1QAZ2WSX3EDC", true},
		{"pass word", false},
		{"", false},
		{"correct horse battery staple", false},
		{"Zq8#mT!v2Lr9@xP", false},
	}
	for _, tt := range tests {
		t.Run(tt.pw, func(t *testing.T) {
			if got := IsCommonPassword(tt.pw); got != tt.want {
				t.Errorf("IsCommonPassword(%q) = %v, want %v", tt.pw, got, tt.want)
			}
		})
	}
}

func TestCheckPassword(t *testing.T) {
	const good = "tajine au citron 2024"
	tests := []struct {
		name     string
		pw       string
		cin      string
		previous []string
		want     []PolicyViolation
	}{
		{"ok", good, "AB123456", nil, nil},
		{"ok without cin", good, "", nil, nil},
		{"exactly min length", strings.Repeat("x", MinPasswordLen-1) + "y", "", nil, nil},
		{"exactly max length", strings.Repeat("xy", MaxPasswordLen/2), "", nil, nil},
		{"too short", "Zq8#mT!v2Lr", "", nil, []PolicyViolation{ViolationTooShort}},
		{"empty", "", "", nil, []PolicyViolation{ViolationTooShort}},
		{"too long", strings.Repeat("xy", MaxPasswordLen/2) + "z", "", nil, []PolicyViolation{ViolationTooLong}},
		// 12 runes but 24 bytes: length is counted in runes.
		{"arabic 12 runes ok", "كلمةسرطويلةج", "", nil, nil},
		{"arabic 11 runes too short", "كلمةسرطويلة", "", nil, []PolicyViolation{ViolationTooShort}},
		{"emoji counted as runes", strings.Repeat("🔒", 12), "", nil, nil},
		{"common and long enough", "1qaz2wsx3edc", "", nil, []PolicyViolation{ViolationCommonPassword}},
		{"common, case and spaces", " Password1234 ", "", nil, []PolicyViolation{ViolationCommonPassword}},
		{"common and short", "password", "", nil, []PolicyViolation{ViolationTooShort, ViolationCommonPassword}},
		{"contains cin", "monab123456secret", "AB123456", nil, []PolicyViolation{ViolationContainsCIN}},
		{"contains cin, cin not normalised", "MonAB123456Secret", "ab 123456", nil, []PolicyViolation{ViolationContainsCIN}},
		{"contains cin with spaces in password", "mon AB 123456 secret", "AB123456", nil, []PolicyViolation{ViolationContainsCIN}},
		{"cin digits only is allowed", "mon 123456 secret!", "AB123456", nil, nil},
		{"empty cin never matches", good, "", nil, nil},
		{"whitespace cin never matches", good, "  ", nil, nil},
		{"same as previous", good, "", []string{"other password 1", good}, []PolicyViolation{ViolationSameAsPrevious}},
		{"previous is case sensitive", good, "", []string{strings.ToUpper(good)}, nil},
		{"several violations", "ab12", "AB12", []string{"ab12"}, []PolicyViolation{ViolationTooShort, ViolationContainsCIN, ViolationSameAsPrevious}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckPassword(tt.pw, tt.cin, tt.previous...)
			if !slices.Equal(got, tt.want) {
				t.Errorf("CheckPassword(%q, %q, %q) = %v, want %v", tt.pw, tt.cin, tt.previous, got, tt.want)
			}
		})
	}
}

func BenchmarkIsCommonPassword(b *testing.B) {
	IsCommonPassword("warm-up")
	for b.Loop() {
		IsCommonPassword("  Tajine au citron 2024 ")
	}
}
