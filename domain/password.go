package domain

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Password length bounds, counted in Unicode code points (runes), not bytes,
// as recommended by NIST SP 800-63B §5.1.1.2. Every printable character,
// spaces and emoji included, is allowed; there are no composition rules.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 128
)

// PolicyViolation identifies one reason why a password is refused. The values
// are stable identifiers meant to be sent to the client, which translates them
// (French / Arabic); they never contain the password itself.
type PolicyViolation string

// Password policy violations reported by [CheckPassword].
const (
	// ViolationTooShort: fewer than MinPasswordLen runes.
	ViolationTooShort PolicyViolation = "too_short"
	// ViolationTooLong: more than MaxPasswordLen runes.
	ViolationTooLong PolicyViolation = "too_long"
	// ViolationCommonPassword: found in the common-password blocklist
	// (see [IsCommonPassword]).
	ViolationCommonPassword PolicyViolation = "common_password"
	// ViolationContainsCIN: the password contains the holder's CIN.
	ViolationContainsCIN PolicyViolation = "contains_cin"
	// ViolationSameAsPrevious: the password equals one of the previous ones.
	ViolationSameAsPrevious PolicyViolation = "same_as_previous"
)

// CheckPassword applies the password policy (NIST SP 800-63B, "memorized
// secrets") to pw and returns every violation found, in the order of the
// Violation* constants. An empty (nil) result means the password is
// acceptable.
//
//   - length between MinPasswordLen and MaxPasswordLen runes;
//   - not a commonly used password ([IsCommonPassword]);
//   - when cin is not empty, pw must not contain it, compared
//     case-insensitively and ignoring whitespace on both sides (cin is
//     normalised with [NormalizeCIN] when it is valid);
//   - pw must differ from each of previous. The comparison is exact, so
//     previous must hold plaintext values (for instance the current password
//     just typed by the user); to compare against stored hashes, verify pw
//     against each hash with the password-hashing package instead.
//
// No composition rule (upper case, digits, symbols…) is enforced, on purpose.
func CheckPassword(pw, cin string, previous ...string) []PolicyViolation {
	var v []PolicyViolation

	n := utf8.RuneCountInString(pw)
	if n < MinPasswordLen {
		v = append(v, ViolationTooShort)
	}
	if n > MaxPasswordLen {
		v = append(v, ViolationTooLong)
	}
	if IsCommonPassword(pw) {
		v = append(v, ViolationCommonPassword)
	}
	if containsCIN(pw, cin) {
		v = append(v, ViolationContainsCIN)
	}
	for _, p := range previous {
		if pw == p {
			v = append(v, ViolationSameAsPrevious)
			break
		}
	}
	return v
}

// containsCIN reports whether pw contains cin, case-insensitively and
// ignoring whitespace. An empty cin never matches.
func containsCIN(pw, cin string) bool {
	c, err := NormalizeCIN(cin)
	if err != nil {
		c = removeSpace(cin)
	}
	if c == "" {
		return false
	}
	return strings.Contains(strings.ToLower(removeSpace(pw)), strings.ToLower(c))
}

// removeSpace returns s without any Unicode whitespace.
func removeSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// commonPasswordsFile is the blocklist: one lower-case password per line,
// most common first. It is generated from the "passwords" frequency list of
// github.com/trustelem/zxcvbn v1.0.1 (itself derived from the Xato leaked
// password corpus) by a separate module, so that this module does not depend
// on zxcvbn. To regenerate it, from the repository root:
//
//	cd tools/gencommonpasswords && go run . > ../../domain/commonpasswords.txt
//
//go:generate sh -c "cd ../tools/gencommonpasswords && go run . > ../../domain/commonpasswords.txt"
//go:embed commonpasswords.txt
var commonPasswordsFile string

// commonPasswords parses the embedded blocklist on first use.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	m := make(map[string]struct{}, strings.Count(commonPasswordsFile, "\n")+1)
	for line := range strings.Lines(commonPasswordsFile) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			continue
		}
		m[strings.ToLower(line)] = struct{}{}
	}
	return m
})

// IsCommonPassword reports whether pw is in the embedded list of commonly
// used passwords. The check is case-insensitive and is also done on pw with
// leading and trailing whitespace removed, so "  PassWord " matches
// "password".
//
// The list is loaded lazily, once, on the first call.
func IsCommonPassword(pw string) bool {
	m := commonPasswords()
	lower := strings.ToLower(pw)
	if _, ok := m[lower]; ok {
		return true
	}
	_, ok := m[strings.TrimSpace(lower)]
	return ok
}
