package domain

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalizeCIN(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
		err  error
	}{
		{"already canonical", "AB123456", "AB123456", nil},
		{"lower case with space", "ab 123456", "AB123456", nil},
		{"tabs and surrounding spaces", " \tA1\t2 3 ", "A123", nil},
		{"newline and nbsp are whitespace", "bk\n12\u00a034", "BK1234", nil},
		{"one letter one digit", "x1", "X1", nil},
		{"mixed case", "aB654321", "AB654321", nil},
		{"empty", "", "", ErrInvalidCIN},
		{"whitespace only", " \t ", "", ErrInvalidCIN},
		{"digits only", "123456", "", ErrInvalidCIN},
		{"letters only", "AB", "", ErrInvalidCIN},
		{"three letters", "ABC12345", "", ErrInvalidCIN},
		{"seven digits", "A1234567", "", ErrInvalidCIN},
		{"digit first", "1AB234", "", ErrInvalidCIN},
		{"letter after digits", "AB1234C", "", ErrInvalidCIN},
		{"punctuation", "AB-123456", "", ErrInvalidCIN},
		{"non ASCII letter", "É123456", "", ErrInvalidCIN},
		{"dotless i is not I", "\u0131B12345", "", ErrInvalidCIN},
		{"long s is not S", "\u017f12345", "", ErrInvalidCIN},
		{"Arabic-Indic digits", "AB١٢٣", "", ErrInvalidCIN},
		{"fullwidth letters", "ＡＢ123", "", ErrInvalidCIN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeCIN(tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("NormalizeCIN(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			if got != tt.want {
				t.Errorf("NormalizeCIN(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestErrInvalidCINDoesNotLeakInput(t *testing.T) {
	const secret = "ZZ987654"
	_, err := NormalizeCIN(secret + "X")
	if err == nil {
		t.Fatal("expected an error")
	}
	if strings.Contains(err.Error(), "987654") || strings.Contains(err.Error(), "ZZ") {
		t.Errorf("error message %q leaks the input", err)
	}
}

func TestMaskCIN(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"AB123456", "AB****56"},
		{"ab 123456", "AB****56"},
		{"A123456", "A****56"},
		{"A12345", "A***45"},
		{"A1234", "A**34"},
		{"A123", "A**3"},
		{"A12", "A**"},
		{"A1", "A*"},
		{"BK1", "BK*"},
		{"", ""},
		{"   ", ""},
		{"not-a-cin", "********"},
		{"12", "**"},
		{"ABC123456789", "********"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := MaskCIN(tt.in); got != tt.want {
				t.Errorf("MaskCIN(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMaskEmail(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"ahmed@example.ma", "a***@e***.ma"},
		{"ahmed.alami@example.ma", "a***@e***.ma"},
		{"x@gov.co.ma", "x***@g***.ma"},
		{"Fatima@Example.COM", "F***@E***.COM"},
		{"user@localhost", "u***@l***"},
		{"عبد@مثال.ma", "ع***@م***.ma"},
		{`"a@b"@example.ma`, "\"***@e***.ma"},
		{"", ""},
		{"no-at-sign", "***"},
		{"@example.ma", "***"},
		{"ahmed@", "***"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := MaskEmail(tt.in); got != tt.want {
				t.Errorf("MaskEmail(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
