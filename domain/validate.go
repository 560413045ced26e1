package domain

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxEmailLen is the maximum length of an e-mail address in bytes
// (RFC 5321 path limit minus the angle brackets).
const MaxEmailLen = 254

// MaxNameLen is the maximum length of a name, in runes, after trimming.
const MaxNameLen = 100

// ValidEmail reports whether s is a plain e-mail address suitable for an
// account: it must parse with net/mail.ParseAddress, be exactly the address
// (no display name, angle brackets, comments or surrounding spaces), have a
// domain containing a dot and not be a domain literal such as [192.0.2.1],
// and be at most MaxEmailLen bytes long.
func ValidEmail(s string) bool {
	if s == "" || len(s) > MaxEmailLen {
		return false
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return false
	}
	domain := s[at+1:]
	return strings.Contains(domain, ".") && !strings.HasPrefix(domain, "[")
}

// ValidName reports whether s is an acceptable first or last name: after
// trimming surrounding whitespace it has 1 to MaxNameLen runes, contains at
// least one letter, and consists only of
//
//   - letters of any script (Latin, Arabic, Tifinagh…), together with the
//     combining marks that follow them (Arabic harakat, decomposed accents);
//   - spaces (U+0020), hyphens '-', periods '.';
//   - apostrophes: ASCII ' and the typographic ’ (U+2019).
func ValidName(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxNameLen {
		return false
	}
	hasLetter := false
	prevLetter := false // previous rune was a letter or a mark attached to one
	for _, r := range s {
		switch {
		case unicode.IsLetter(r):
			hasLetter, prevLetter = true, true
		case unicode.Is(unicode.M, r):
			if !prevLetter {
				return false
			}
		case r == ' ', r == '-', r == '.', r == '\'', r == '\u2019':
			prevLetter = false
		default:
			return false
		}
	}
	return hasLetter
}
