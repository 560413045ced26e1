package domain

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Text search for the FAQ (and any short bilingual text): both sides are brought to one
// normal form with NormalizeSearch, then every word of the query must be found in the text
// (MatchAll). No index: the texts are few and short.

// MinSearchTokenRunes is the length under which a query word is ignored (French "à", "l",
// "d" left by an apostrophe, an Arabic letter on its own).
const MinSearchTokenRunes = 2

// NormalizeSearch brings s to the form the search compares:
//
//   - compatibility decomposition (NFKD, which includes NFD: "é" is "e" + U+0301, "أ" is
//     "ا" + U+0654; Arabic presentation forms and ligatures become the plain letters), then
//     every combining mark is dropped: French accents and cedillas, Arabic tashkeel
//     (U+064B–U+065F, U+0670) and the hamza carried by alef, waw and yeh;
//   - Arabic: tatweel (U+0640) removed; alef forms unified (أ إ آ ٱ → ا), ى → ي, ة → ه,
//     ؤ → و, ئ → ي (Persian ی → ي too); Arabic-Indic and extended Arabic-Indic digits →
//     ASCII digits;
//   - lower case; œ → oe, æ → ae, ß → ss;
//   - everything that is not a letter or a digit (punctuation, symbols, spaces of any kind)
//     is a separator; separators collapse to one ASCII space, none at either end;
//   - a number written with thousands separators ("100 000", "100.000", "1,500,000") is
//     joined into one token ("100000"): a group of 1 to 3 digits followed by groups of
//     exactly 3 digits. A 4-digit group (a year) is never joined to what follows, so
//     "2026 100 000" is "2026 100000"; "05 37 26 63 63" stays as it is.
//
// The result is stable: NormalizeSearch(NormalizeSearch(s)) == NormalizeSearch(s).
func NormalizeSearch(s string) string {
	s = norm.NFKD.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.Is(unicode.M, r), r >= 0x064B && r <= 0x065F, r == 0x0670, r == 0x0640:
			continue // combining marks (accents, tashkeel, hamza above/below), tatweel
		}
		switch r {
		case 'أ', 'إ', 'آ', 'ٱ':
			r = 'ا'
		case 'ى', 'ی', 'ئ':
			r = 'ي'
		case 'ة':
			r = 'ه'
		case 'ؤ':
			r = 'و'
		case 'œ', 'Œ':
			b.WriteString("oe")
			continue
		case 'æ', 'Æ':
			b.WriteString("ae")
			continue
		case 'ß':
			b.WriteString("ss")
			continue
		}
		switch {
		case r >= '٠' && r <= '٩': // U+0660–U+0669
			r = '0' + (r - '٠')
		case r >= '۰' && r <= '۹': // U+06F0–U+06F9
			r = '0' + (r - '۰')
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		} else {
			b.WriteByte(' ')
		}
	}
	return strings.Join(joinThousands(strings.Fields(b.String())), " ")
}

// joinThousands joins the groups of a number written with thousands separators.
func joinThousands(tokens []string) []string {
	out := tokens[:0]
	for i := 0; i < len(tokens); i++ {
		t := tokens[i]
		if n := len(t); n >= 1 && n <= 3 && allASCIIDigits(t) {
			for i+1 < len(tokens) && len(tokens[i+1]) == 3 && allASCIIDigits(tokens[i+1]) {
				t += tokens[i+1]
				i++
			}
		}
		out = append(out, t)
	}
	return out
}

func allASCIIDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// SearchTokens is the normalized words of a query that take part in a search: those of at
// least MinSearchTokenRunes runes, each once, in their order of appearance. A query with
// none (empty, or only short words) matches everything.
func SearchTokens(query string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range strings.Fields(NormalizeSearch(query)) {
		if utf8.RuneCountInString(t) < MinSearchTokenRunes || seen[t] {
			continue
		}
		seen[t] = true
		out = append(out, t)
	}
	return out
}

// arabicArticles are the forms of the article that a query word may start with: al-, and
// al- after the conjunctions wa-, fa- and the prepositions bi-, ka-, li- (li + al- is
// written لل). Longest first.
var arabicArticles = []string{"وال", "فال", "بال", "كال", "لل", "ال"}

// stripArabicArticle returns t without its leading article, or "" when t has none or would
// be left with fewer than MinSearchTokenRunes runes.
func stripArabicArticle(t string) string {
	for _, a := range arabicArticles {
		if rest, ok := strings.CutPrefix(t, a); ok {
			if utf8.RuneCountInString(rest) >= MinSearchTokenRunes {
				return rest
			}
			return ""
		}
	}
	return ""
}

// ContainsAll reports whether every token (from SearchTokens) occurs in normalized (a
// NormalizeSearch result) as a substring, so a token also matches the start or the middle
// of a longer word ("activ" finds "activer", "مخصص" finds "المخصص"). A token that starts
// with the Arabic article (ال, or وال, بال, فال, كال, لل) also matches without it: "المخصص"
// finds "مخصص". The other direction (the text has the article, the query does not) is
// covered by the substring match itself.
func ContainsAll(normalized string, tokens []string) bool {
	for _, t := range tokens {
		if strings.Contains(normalized, t) {
			continue
		}
		if bare := stripArabicArticle(t); bare != "" && strings.Contains(normalized, bare) {
			continue
		}
		return false
	}
	return true
}

// MatchAll reports whether every word of query (of at least MinSearchTokenRunes runes,
// after NormalizeSearch) is found in haystack (after NormalizeSearch), as described at
// ContainsAll. A query without such a word matches everything.
func MatchAll(haystack, query string) bool {
	return ContainsAll(NormalizeSearch(haystack), SearchTokens(query))
}
