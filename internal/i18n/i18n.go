// Package i18n holds the words people read, one catalog per audience:
//
//   - [API]: the problem texts of the JSON API (title.<code>, detail.<code>, field.<code>),
//     in English, French and Arabic; English is the fallback;
//   - [Console]: the officer console's words, in French and Arabic; French is the fallback;
//   - [Mail]: the short strings the e-mails share (currency unit, time-zone label), in
//     French and Arabic; the bodies themselves are the templates of mail/templates.
//
// A catalog is a directory of catalog/ with one JSON file per language (catalog/api/ar.json),
// one entry per key, embedded in the binary and loaded once, when the program starts. An
// entry is either a text, which is an fmt format when it takes arguments ("%d", "%s"), or
// for a count an object of CLDR plural forms ("zero", "one", "two", "few", "many",
// "other": those the language has), each a go-i18n template where {{.PluralCount}} is the
// count. The plural rules are CLDR's, as github.com/nicksnyder/go-i18n/v2 carries them.
//
// A lookup never fails and never panics: a key missing in a language falls back to the
// catalog's first language, then to the key itself. Nothing is logged: a key can be built
// from a request (the console's ?done=), and so could carry what a person typed. Missing
// entries are caught earlier, by the parity test of this package.
package i18n

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed catalog
var files embed.FS

// The catalogs, one per audience. The first language of each is its fallback.
var (
	API     = mustLoad(files, "api", "en", "fr", "ar")
	Console = mustLoad(files, "console", "fr", "ar")
	Mail    = mustLoad(files, "mail", "fr", "ar")
)

// entry is a key's text, or its plural forms, in one language.
type entry goi18n.Message

// Catalog is the texts of one audience in its languages. It is read-only once loaded,
// so safe for concurrent use.
type Catalog struct {
	name       string
	langs      []string                     // langs[0] is the fallback
	entries    map[string]map[string]*entry // language → key → entry, as in the files
	localizers map[string]*goi18n.Localizer // one per language
}

func mustLoad(fsys fs.FS, name string, langs ...string) *Catalog {
	c, err := load(fsys, name, langs...)
	if err != nil {
		panic(err) // an embedded file is broken: every test of the package fails on it
	}
	return c
}

// load reads catalog/<name>/<lang>.json for each language.
func load(fsys fs.FS, name string, langs ...string) (*Catalog, error) {
	bundle := goi18n.NewBundle(language.Make(langs[0]))
	c := &Catalog{
		name:       name,
		langs:      langs,
		entries:    make(map[string]map[string]*entry, len(langs)),
		localizers: make(map[string]*goi18n.Localizer, len(langs)),
	}
	for _, l := range langs {
		f, err := bundle.LoadMessageFileFS(fsys, path.Join("catalog", name, l+".json"))
		if err != nil {
			return nil, fmt.Errorf("i18n: catalog %s, %s: %w", name, l, err)
		}
		c.entries[l] = make(map[string]*entry, len(f.Messages))
		for _, m := range f.Messages {
			c.entries[l][m.ID] = (*entry)(m)
		}
		c.localizers[l] = goi18n.NewLocalizer(bundle, l)
	}
	return c, nil
}

// Has reports whether key is in the catalog (the parity test makes sure it then is in every
// language).
func (c *Catalog) Has(key string) bool {
	_, ok := c.entries[c.langs[0]][key]
	return ok
}

// Text is the text of key in lang ("ar", "ar-MA"...; an unknown language gets the
// fallback), formatted with args when there are any: without arguments a format is
// returned as it is, for the caller to format. A missing key gives the fallback language's
// text, else the key. A plural entry gives its "other" form.
func (c *Catalog) Text(lang, key string, args ...any) string {
	s := c.entries[c.language(lang)][key].text()
	if s == "" {
		s = c.entries[c.langs[0]][key].text()
	}
	if s == "" {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Plural is the text of key in lang for the count n, in the plural form that CLDR's rules
// give for n in that language (Arabic: zero 0, one 1, two 2, few 3–10, many 11–99, other
// 100–102...). A missing key gives the fallback language's text, else the key.
func (c *Catalog) Plural(lang, key string, n int) string {
	s, _ := c.localizers[c.language(lang)].Localize(&goi18n.LocalizeConfig{MessageID: key, PluralCount: n})
	if s == "" {
		return key
	}
	return s
}

// language is the catalog's language for lang: lang itself, else the base of "ar-MA" or
// "AR", else the fallback.
func (c *Catalog) language(lang string) string {
	if _, ok := c.entries[lang]; ok {
		return lang
	}
	base := strings.ToLower(strings.TrimSpace(lang))
	if i := strings.IndexAny(base, "-_"); i >= 0 {
		base = base[:i]
	}
	if _, ok := c.entries[base]; ok {
		return base
	}
	return c.langs[0]
}

// text is an entry's text ("other" form), "" for a missing entry.
func (e *entry) text() string {
	if e == nil {
		return ""
	}
	return e.Other
}
