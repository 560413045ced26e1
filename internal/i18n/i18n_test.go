package i18n

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	texttemplate "text/template"
)

var catalogs = []*Catalog{API, Console, Mail}

// pluralForms are the CLDR cardinal plural categories of each language the catalogs hold
// (https://www.unicode.org/cldr/charts/latest/supplemental/language_plural_rules.html).
var pluralForms = map[string][]string{
	"ar": {"zero", "one", "two", "few", "many", "other"},
	"fr": {"one", "many", "other"},
	"en": {"one", "other"},
}

// forms are an entry's texts by plural form; a plain text is its "other".
func forms(m *entry) map[string]string {
	f := map[string]string{}
	for name, s := range map[string]string{"zero": m.Zero, "one": m.One, "two": m.Two, "few": m.Few, "many": m.Many, "other": m.Other} {
		if s != "" {
			f[name] = s
		}
	}
	return f
}

// isPlural: the file gives the entry as an object of forms rather than a string.
func isPlural(m *entry) bool {
	return m.Zero != "" || m.One != "" || m.Two != "" || m.Few != "" || m.Many != ""
}

// verbRE matches an fmt verb (flags, width, precision, argument index, verb), or "%%".
var verbRE = regexp.MustCompile(`%[-+# 0]*(\[\d+\])?(\d+|\*)?(\.(\d+|\*)?)?(\[\d+\])?[a-zA-Z%]`)

// verbs are the fmt verbs of a format, in order ("%%" left out).
func verbs(s string) []string {
	var out []string
	for _, v := range verbRE.FindAllString(s, -1) {
		if v != "%%" {
			out = append(out, v)
		}
	}
	return out
}

var actionRE = regexp.MustCompile(`{{[^}]*}}`)

// TestParity: every key of a catalog is in each of its languages, with no empty text, the
// same fmt verbs in the same order, and, for a count, the plural forms of the language.
func TestParity(t *testing.T) {
	for _, c := range catalogs {
		ref := c.langs[0]
		for _, l := range c.langs {
			if len(c.entries[l]) == 0 {
				t.Errorf("%s/%s: no entries", c.name, l)
			}
			for key := range c.entries[l] {
				if _, ok := c.entries[ref][key]; !ok {
					t.Errorf("%s: %q is in %s, not in %s", c.name, key, l, ref)
				}
			}
			for key, want := range c.entries[ref] {
				m, ok := c.entries[l][key]
				if !ok {
					t.Errorf("%s: %q is in %s, not in %s", c.name, key, ref, l)
					continue
				}
				checkEntry(t, c.name+"/"+l+": "+key, l, m, want)
			}
		}
	}
}

// checkEntry checks the entry m of language lang against ref, the same key in the
// catalog's first language.
func checkEntry(t *testing.T, where, lang string, m, ref *entry) {
	t.Helper()
	f := forms(m)
	if !isPlural(m) {
		if isPlural(ref) {
			t.Errorf("%s: a text here, plural forms in the first language", where)
		}
		if strings.TrimSpace(m.Other) == "" {
			t.Errorf("%s: empty text", where)
		}
		if actionRE.MatchString(m.Other) {
			t.Errorf("%s: a template action in a text (only plural forms are templates): %q", where, m.Other)
		}
		if got, want := verbs(m.Other), verbs(ref.Other); !slices.Equal(got, want) {
			t.Errorf("%s: verbs %q, the first language has %q", where, got, want)
		}
		return
	}
	if !isPlural(ref) {
		t.Errorf("%s: plural forms here, a text in the first language", where)
	}
	need := pluralForms[lang]
	if need == nil {
		t.Fatalf("%s: no plural rules listed for %s in this test", where, lang)
	}
	for _, name := range need {
		if strings.TrimSpace(f[name]) == "" {
			t.Errorf("%s: no %q form (%s needs %v)", where, name, lang, need)
		}
	}
	for name, s := range f {
		if !slices.Contains(need, name) {
			t.Errorf("%s: form %q, which %s does not have (%v)", where, name, lang, need)
		}
		// A form is a template whose only field is the count; it takes no fmt verb, and
		// may leave the count out ("دقيقتين", two minutes).
		if v := verbs(s); len(v) > 0 {
			t.Errorf("%s, %s: fmt verbs %q in a plural form (write {{.PluralCount}})", where, name, v)
		}
		for _, a := range actionRE.FindAllString(s, -1) {
			if a != "{{.PluralCount}}" {
				t.Errorf("%s, %s: template action %s (only {{.PluralCount}})", where, name, a)
			}
		}
		if _, err := texttemplate.New("").Parse(s); err != nil {
			t.Errorf("%s, %s: %v", where, name, err)
		}
	}
	if !strings.Contains(f["other"], "{{.PluralCount}}") {
		t.Errorf("%s: the \"other\" form does not show the count: %q", where, f["other"])
	}
}

// TestFiles: each catalog directory holds exactly its languages' files, each a JSON object
// in which a key appears once (encoding/json would keep the last of two silently).
func TestFiles(t *testing.T) {
	dirs, err := fs.ReadDir(files, "catalog")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range dirs {
		names = append(names, d.Name())
	}
	var want []string
	for _, c := range catalogs {
		want = append(want, c.name)
	}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("catalog/ holds %v, the package loads %v", names, want)
	}
	for _, c := range catalogs {
		entries, err := fs.ReadDir(files, path.Join("catalog", c.name))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range entries {
			got = append(got, e.Name())
			checkUniqueKeys(t, path.Join("catalog", c.name, e.Name()))
		}
		var want []string
		for _, l := range c.langs {
			want = append(want, l+".json")
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("catalog/%s holds %v, the package loads %v", c.name, got, want)
		}
	}
}

func checkUniqueKeys(t *testing.T, name string) {
	t.Helper()
	b, err := fs.ReadFile(files, name)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("%s: not a JSON object (%v)", name, err)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		key := tok.(string)
		if seen[key] {
			t.Errorf("%s: %q twice", name, key)
		}
		seen[key] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%s: %s: %v", name, key, err)
		}
	}
}

// testCatalog has one entry whose forms name themselves, to see which form a count gets.
func testCatalog(t *testing.T) *Catalog {
	t.Helper()
	fsys := fstest.MapFS{
		"catalog/t/fr.json": {Data: []byte(`{"n": {"one": "one {{.PluralCount}}", "many": "many {{.PluralCount}}", "other": "other {{.PluralCount}}"},
			"greet": "Bonjour %s", "only.fr": "seulement"}`)},
		"catalog/t/ar.json": {Data: []byte(`{"n": {"zero": "zero {{.PluralCount}}", "one": "one {{.PluralCount}}", "two": "two {{.PluralCount}}",
			"few": "few {{.PluralCount}}", "many": "many {{.PluralCount}}", "other": "other {{.PluralCount}}"}, "greet": "مرحبا %s"}`)},
	}
	c, err := load(fsys, "t", "fr", "ar")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestPluralChoice: CLDR's cardinal rules. Arabic: zero 0, one 1, two 2, few n%100 in
// 3..10, many n%100 in 11..99, other the rest (100, 101, 102...). French: one 0 and 1,
// many 1,000,000 and its multiples, other the rest.
func TestPluralChoice(t *testing.T) {
	c := testCatalog(t)
	for _, tc := range []struct {
		lang string
		n    int
		want string
	}{
		{"ar", 0, "zero 0"}, {"ar", 1, "one 1"}, {"ar", 2, "two 2"}, {"ar", 3, "few 3"},
		{"ar", 10, "few 10"}, {"ar", 11, "many 11"}, {"ar", 99, "many 99"}, {"ar", 100, "other 100"},
		{"ar", 102, "other 102"}, {"ar", 103, "few 103"}, {"ar", 111, "many 111"},
		{"fr", 0, "one 0"}, {"fr", 1, "one 1"}, {"fr", 2, "other 2"}, {"fr", 10, "other 10"},
		{"fr", 100, "other 100"}, {"fr", 1_000_000, "many 1000000"},
		{"ar-MA", 3, "few 3"}, {"de", 0, "one 0"}, // a language's base; else the fallback (fr)
	} {
		if got := c.Plural(tc.lang, "n", tc.n); got != tc.want {
			t.Errorf("Plural(%s, %d) = %q, want %q", tc.lang, tc.n, got, tc.want)
		}
	}
}

// TestConsoleDurations: the console's durations, as read.
func TestConsoleDurations(t *testing.T) {
	for _, tc := range []struct {
		lang, key string
		n         int
		want      string
	}{
		{"ar", "minutes", 0, "0 دقيقة"},
		{"ar", "minutes", 1, "دقيقة واحدة"},
		{"ar", "minutes", 2, "دقيقتين"},
		{"ar", "minutes", 3, "3 دقائق"},
		{"ar", "minutes", 10, "10 دقائق"},
		{"ar", "minutes", 11, "11 دقيقة"},
		{"ar", "minutes", 100, "100 دقيقة"},
		{"ar", "seconds", 1, "ثانية واحدة"},
		{"ar", "seconds", 2, "ثانيتين"},
		{"ar", "seconds", 5, "5 ثوانٍ"},
		{"ar", "seconds", 45, "45 ثانية"},
		{"fr", "minutes", 1, "1 min"},
		{"fr", "minutes", 15, "15 min"},
		{"fr", "seconds", 0, "0 s"},
		{"fr", "seconds", 30, "30 s"},
	} {
		if got := Console.Plural(tc.lang, tc.key, tc.n); got != tc.want {
			t.Errorf("Console.Plural(%s, %s, %d) = %q, want %q", tc.lang, tc.key, tc.n, got, tc.want)
		}
	}
}

// TestFallback: a missing key or language never fails: the first language, then the key.
func TestFallback(t *testing.T) {
	c := testCatalog(t)
	for _, tc := range []struct {
		lang, key string
		args      []any
		want      string
	}{
		{"ar", "greet", []any{"Salma"}, "مرحبا Salma"},
		{"AR", "greet", nil, "مرحبا %s"}, // no arguments: the format, for the caller
		{"ar", "only.fr", nil, "seulement"},
		{"en", "greet", []any{"Salma"}, "Bonjour Salma"},
		{"", "greet", []any{"Salma"}, "Bonjour Salma"},
		{"ar", "nowhere", []any{"Salma"}, "nowhere"},
		{"ar", "n", nil, "other {{.PluralCount}}"},
	} {
		if got := c.Text(tc.lang, tc.key, tc.args...); got != tc.want {
			t.Errorf("Text(%q, %q) = %q, want %q", tc.lang, tc.key, got, tc.want)
		}
	}
	if got := c.Plural("ar", "nowhere", 3); got != "nowhere" {
		t.Errorf("Plural of a missing key = %q", got)
	}
	if !c.Has("only.fr") || c.Has("nowhere") {
		t.Error("Has")
	}
	if got := API.Text("ar", "title.not_found"); got != "غير موجود" {
		t.Errorf("API ar title.not_found = %q", got)
	}
	if got := API.Text("de", "title.not_found"); got != "Not found" {
		t.Errorf("API de title.not_found = %q (English is the API's fallback)", got)
	}
	if got := Console.Text("en", "logout"); got != "Se déconnecter" {
		t.Errorf("Console en logout = %q (French is the console's fallback)", got)
	}
}

// TestVerbs: the helper of the parity test.
func TestVerbs(t *testing.T) {
	for s, want := range map[string][]string{
		"%d s":                    {"%d"},
		"مخصص %d — الضريبة %s":    {"%d", "%s"},
		"100%% sûr, %-5.2f %[1]q": {"%-5.2f", "%[1]q"},
		"aucun":                   nil,
	} {
		if got := verbs(s); !slices.Equal(got, want) {
			t.Errorf("verbs(%q) = %q, want %q", s, got, want)
		}
	}
}
