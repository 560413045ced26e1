package domain

import (
	"errors"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrInvalidCIN is returned by [NormalizeCIN] when the input is not a
// well-formed CIN. Its message deliberately does not include the input.
var ErrInvalidCIN = errors.New("domain: invalid CIN")

// cinPattern is the shape of a normalised CIN: one or two letters (the
// issuing-region prefix) followed by one to six digits.
var cinPattern = regexp.MustCompile(`^[A-Z]{1,2}[0-9]{1,6}$`)

// NormalizeCIN returns the canonical form of a CIN (Carte d'Identité
// Nationale number): ASCII letters upper-cased and every whitespace character
// (spaces, tabs, …) removed, e.g. "ab 123456" → "AB123456".
//
// The result must match ^[A-Z]{1,2}[0-9]{1,6}$, otherwise ErrInvalidCIN is
// returned. Only ASCII letters are upper-cased: a non-ASCII letter whose
// upper case happens to be ASCII (such as the dotless "ı" or the long "ſ") is
// rejected rather than silently turned into a different CIN.
func NormalizeCIN(s string) (string, error) {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			// dropped
		case 'a' <= r && r <= 'z':
			b.WriteByte(byte(r - 'a' + 'A'))
		default:
			b.WriteRune(r)
		}
	}
	cin := b.String()
	if !cinPattern.MatchString(cin) {
		return "", ErrInvalidCIN
	}
	return cin, nil
}

// MaskCIN returns a representation of a CIN that is safe to write to logs
// and to show in the back office, e.g. "AB123456" → "AB****56".
//
// The input is normalised first (see [NormalizeCIN]). The letter prefix is
// kept, as are the last two digits; the other digits are replaced by '*'.
// Short numbers keep fewer digits so that at least two digits are always
// masked:
//
//	"AB123456" → "AB****56"
//	"A12345"   → "A***45"
//	"A1234"    → "A**34"
//	"A123"     → "A**3"
//	"A12"      → "A**"
//	"A1"       → "A*"
//
// A value that is not a valid CIN is masked entirely: each of its
// non-whitespace characters becomes '*', with at most 8 stars, and "" stays
// "".
func MaskCIN(cin string) string {
	norm, err := NormalizeCIN(cin)
	if err != nil {
		n := 0
		for _, r := range cin {
			if !unicode.IsSpace(r) {
				n++
			}
		}
		return strings.Repeat("*", min(n, 8))
	}
	digits := strings.TrimLeft(norm, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
	prefix := norm[:len(norm)-len(digits)]
	keep := min(max(len(digits)-2, 0), 2)
	return prefix + strings.Repeat("*", len(digits)-keep) + digits[len(digits)-keep:]
}

// MaskEmail returns a representation of an e-mail address that is safe to
// write to logs: the first character of the local part, the first character
// of the first domain label and the top-level domain are kept, everything
// else is replaced by a fixed "***" (so the length is not revealed either),
// e.g. "ahmed.alami@example.ma" → "a***@e***.ma".
//
// A value without '@', or with an empty local part or domain, is returned
// as "***"; "" stays "".
func MaskEmail(email string) string {
	if email == "" {
		return ""
	}
	const stars = "***"
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 {
		return stars
	}
	local, domain := email[:at], email[at+1:]
	masked := firstRune(local) + stars + "@"

	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return masked + firstRune(domain) + stars
	}
	return masked + firstRune(labels[0]) + stars + "." + labels[len(labels)-1]
}

// firstRune returns the first UTF-8 character of s ("" if s is empty).
func firstRune(s string) string {
	_, size := utf8.DecodeRuneInString(s)
	return s[:size]
}
