package domain

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// violationOrder is the documented order of CheckPassword's results.
var violationOrder = []PolicyViolation{ViolationTooShort, ViolationTooLong, ViolationCommonPassword, ViolationContainsCIN, ViolationSameAsPrevious}

// FuzzCheckPassword checks the password policy's properties on any password and CIN. The
// seeds in testdata/fuzz/FuzzCheckPassword run with every `go test`; to search for more:
//
//	go test -run '^$' -fuzz FuzzCheckPassword -fuzztime 30s ./domain/
func FuzzCheckPassword(f *testing.F) {
	f.Fuzz(func(t *testing.T, pw, cin, previous string) {
		got := CheckPassword(pw, cin, previous)

		// Only known violations, each once, in the documented order.
		last := -1
		for _, v := range got {
			i := slices.Index(violationOrder, v)
			if i <= last {
				t.Fatalf("CheckPassword(%q, %q, %q) = %v: unknown, repeated or out of order", pw, cin, previous, got)
			}
			last = i
		}
		has := func(v PolicyViolation) bool { return slices.Contains(got, v) }

		n := utf8.RuneCountInString(pw)
		if has(ViolationTooShort) != (n < MinPasswordLen) || has(ViolationTooLong) != (n > MaxPasswordLen) {
			t.Fatalf("CheckPassword(%q) = %v for %d runes", pw, got, n)
		}
		if has(ViolationCommonPassword) != IsCommonPassword(pw) {
			t.Fatalf("CheckPassword(%q) = %v, IsCommonPassword = %v", pw, got, IsCommonPassword(pw))
		}
		if has(ViolationSameAsPrevious) != (pw == previous) {
			t.Fatalf("CheckPassword(%q, _, %q) = %v", pw, previous, got)
		}
		if !slices.Contains(CheckPassword(pw, cin, previous, pw), ViolationSameAsPrevious) {
			t.Fatalf("CheckPassword(%q, _, itself) has no %s", pw, ViolationSameAsPrevious)
		}

		// The common-password check ignores case and surrounding whitespace.
		if utf8.ValidString(pw) {
			for _, variant := range []string{strings.ToLower(pw), " " + pw + "\n"} {
				if IsCommonPassword(variant) != IsCommonPassword(pw) {
					t.Fatalf("IsCommonPassword(%q) = %v but IsCommonPassword(%q) = %v", pw, IsCommonPassword(pw), variant, IsCommonPassword(variant))
				}
			}
		}

		// A password that holds the CIN, in any case and with any whitespace, is refused; one
		// that does not is not refused for it.
		if !utf8.ValidString(pw) || !utf8.ValidString(cin) {
			return
		}
		norm, err := NormalizeCIN(cin)
		if err == nil {
			bare := strings.Map(dropSpace, pw)
			// Surely holds it: the same ASCII letters and digits, in any ASCII case.
			surely := strings.Contains(asciiUpper(bare), norm)
			// May hold it: some Unicode case mapping of pw (the Kelvin sign is a k) does.
			maybe := surely || strings.Contains(strings.ToUpper(bare), norm) || strings.Contains(strings.ToLower(bare), strings.ToLower(norm))
			if (surely && !has(ViolationContainsCIN)) || (!maybe && has(ViolationContainsCIN)) {
				t.Fatalf("CheckPassword(%q, %q) = %v; holds %s: surely %v, maybe %v", pw, cin, got, norm, surely, maybe)
			}
			spaced := strings.ToLower(insertAtRune(cin, " "))
			for _, holder := range []string{pw + spaced, spaced + pw, insertAtRune(pw, norm)} {
				if !slices.Contains(CheckPassword(holder, cin), ViolationContainsCIN) {
					t.Fatalf("CheckPassword(%q, %q) has no %s", holder, cin, ViolationContainsCIN)
				}
			}
		}
		if strings.TrimSpace(cin) == "" && has(ViolationContainsCIN) {
			t.Fatalf("CheckPassword(%q, blank CIN %q) = %v", pw, cin, got)
		}
	})
}

// asciiUpper upper-cases the ASCII letters of s only.
func asciiUpper(s string) string {
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
}
