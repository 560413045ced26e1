package domain

// Language is a user-interface language supported by OC Connect, as an
// ISO 639-1 code.
type Language string

// Supported languages.
const (
	LangFR Language = "fr" // French
	LangAR Language = "ar" // Arabic
)

// ParseLanguage returns the Language for s and true if s is exactly "fr" or
// "ar". Any other value, including upper-case or padded variants and region
// subtags such as "fr-MA", yields ("", false).
func ParseLanguage(s string) (Language, bool) {
	switch l := Language(s); l {
	case LangFR, LangAR:
		return l, true
	}
	return "", false
}

// label is a name in French and in Arabic.
type label struct{ fr, ar string }

func (l label) in(lang string) string {
	if lang == string(LangAR) {
		return l.ar
	}
	return l.fr
}
