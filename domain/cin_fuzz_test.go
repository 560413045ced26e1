package domain

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzNormalizeCIN checks the properties of NormalizeCIN and MaskCIN on any input. The
// seeds in testdata/fuzz/FuzzNormalizeCIN run with every `go test`; to search for more:
//
//	go test -run '^$' -fuzz FuzzNormalizeCIN -fuzztime 30s ./domain/
func FuzzNormalizeCIN(f *testing.F) {
	f.Fuzz(func(t *testing.T, in string) {
		cin, err := NormalizeCIN(in)
		mask := MaskCIN(in)
		if err != nil {
			if !errors.Is(err, ErrInvalidCIN) || err.Error() != ErrInvalidCIN.Error() {
				t.Fatalf("NormalizeCIN(%q): error %q, want exactly ErrInvalidCIN (which never quotes the input)", in, err)
			}
			if cin != "" {
				t.Fatalf("NormalizeCIN(%q) = %q with an error, want \"\"", in, cin)
			}
			// An invalid value is masked entirely.
			if strings.Trim(mask, "*") != "" || len(mask) > 8 || (len(mask) == 0) != (strings.TrimFunc(in, unicode.IsSpace) == "") {
				t.Fatalf("MaskCIN(%q) = %q, want 1 to 8 stars (none for blank input)", in, mask)
			}
			return
		}

		if !cinPattern.MatchString(cin) {
			t.Fatalf("NormalizeCIN(%q) = %q, which does not match %s", in, cin, cinPattern)
		}
		// A normalised CIN is a fixed point: it re-serializes to itself.
		if again, err := NormalizeCIN(cin); err != nil || again != cin {
			t.Fatalf("NormalizeCIN(%q) = %q, %v; want %q (idempotence)", cin, again, err, cin)
		}
		// Nothing but whitespace is dropped and nothing but ASCII letters changes case: the
		// input without its whitespace, upper-cased, is the CIN.
		if want := strings.ToUpper(strings.Map(dropSpace, in)); want != cin {
			t.Fatalf("NormalizeCIN(%q) = %q, want %q", in, cin, want)
		}
		// Whitespace and ASCII case anywhere do not change the result.
		for _, variant := range []string{" " + in + "\t", insertAtRune(in, "\u00a0"), strings.ToLower(in)} {
			if got, err := NormalizeCIN(variant); err != nil || got != cin {
				t.Fatalf("NormalizeCIN(%q) = %q, %v; want %q like %q", variant, got, err, cin, in)
			}
		}

		// The mask keeps the letters and at most the last two digits, and hides at least two
		// digits (or the only one).
		if MaskCIN(cin) != mask {
			t.Fatalf("MaskCIN(%q) = %q but MaskCIN(%q) = %q", in, mask, cin, MaskCIN(cin))
		}
		digits := strings.TrimLeft(cin, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
		letters := cin[:len(cin)-len(digits)]
		shown := strings.TrimLeft(strings.TrimPrefix(mask, letters), "*")
		hidden := len(mask) - len(letters) - len(shown)
		if len(mask) != len(cin) || !strings.HasPrefix(mask, letters) || !strings.HasSuffix(digits, shown) ||
			len(shown) > 2 || hidden < min(2, len(digits)) {
			t.Fatalf("MaskCIN(%q) = %q: want %s, stars, at most the last two of %s, at least two hidden", cin, mask, letters, digits)
		}
	})
}

func dropSpace(r rune) rune {
	if unicode.IsSpace(r) {
		return -1
	}
	return r
}

// insertAtRune inserts sep in s at a rune boundary chosen from s's length.
func insertAtRune(s, sep string) string {
	n := utf8.RuneCountInString(s)
	if n == 0 {
		return sep
	}
	at := len(s) % (n + 1)
	i := 0
	for pos := range s {
		if i == at {
			return s[:pos] + sep + s[pos:]
		}
		i++
	}
	return s + sep
}
