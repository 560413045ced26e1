package mail

import (
	htmltemplate "html/template"
	"io/fs"
	"path"
	"slices"
	"strings"
	"testing"
	texttemplate "text/template"
)

// definedBlocks parses one template file alone and lists the blocks it defines.
func definedBlocks(t *testing.T, name string) []string {
	t.Helper()
	b, err := fs.ReadFile(templateFS, path.Join("templates", name))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	if strings.HasSuffix(name, ".html.tmpl") {
		tmpl, err := htmltemplate.New(name).Funcs(templateFuncs).Parse(string(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, d := range tmpl.Templates() {
			blocks = append(blocks, d.Name())
		}
	} else {
		tmpl, err := texttemplate.New(name).Funcs(templateFuncs).Parse(string(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, d := range tmpl.Templates() {
			blocks = append(blocks, d.Name())
		}
	}
	return slices.DeleteFunc(blocks, func(s string) bool { return s == name })
}

// TestTemplateParity: every e-mail exists in French and Arabic. A file that defines a
// French block ("x.fr", "x.subject.fr") defines the Arabic one ("x.ar", "x.subject.ar")
// and the other way round; every template comes as a .txt.tmpl and an .html.tmpl; and an
// e-mail (a template with a subject) has its two bodies "<name>.fr" and "<name>.ar" in both
// files, since render executes them in both, and its two subjects in the .txt, which render
// executes as text.
func TestTemplateParity(t *testing.T) {
	entries, err := fs.ReadDir(templateFS, "templates")
	if err != nil {
		t.Fatal(err)
	}
	blocks := map[string][]string{} // file → blocks
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".txt.tmpl") && !strings.HasSuffix(e.Name(), ".html.tmpl") {
			t.Errorf("templates/%s: neither .txt.tmpl nor .html.tmpl", e.Name())
			continue
		}
		blocks[e.Name()] = definedBlocks(t, e.Name())
	}
	if len(blocks) == 0 {
		t.Fatal("no templates")
	}
	emails := 0
	for file, defined := range blocks {
		for _, b := range defined {
			for _, pair := range [][2]string{{".fr", ".ar"}, {".ar", ".fr"}} {
				if base, ok := strings.CutSuffix(b, pair[0]); ok && !slices.Contains(defined, base+pair[1]) {
					t.Errorf("%s defines %q but not %q", file, b, base+pair[1])
				}
			}
		}
		stem, isText := strings.CutSuffix(file, ".txt.tmpl")
		if !isText {
			stem = strings.TrimSuffix(file, ".html.tmpl")
			if _, ok := blocks[stem+".txt.tmpl"]; !ok {
				t.Errorf("%s has no %s.txt.tmpl", file, stem)
			}
			continue
		}
		html, ok := blocks[stem+".html.tmpl"]
		if !ok {
			t.Errorf("%s has no %s.html.tmpl", file, stem)
			continue
		}
		if !slices.Contains(defined, stem+".subject.fr") && !slices.Contains(defined, stem+".subject.ar") {
			continue // shared blocks (layout, complaint_common): checked above
		}
		emails++
		for _, lang := range []string{LangFR, LangAR} {
			if !slices.Contains(defined, stem+".subject."+lang) {
				t.Errorf("%s: no %q", file, stem+".subject."+lang)
			}
			if !slices.Contains(defined, stem+"."+lang) {
				t.Errorf("%s: no %q", file, stem+"."+lang)
			}
			if !slices.Contains(html, stem+"."+lang) {
				t.Errorf("%s.html.tmpl: no %q", stem, stem+"."+lang)
			}
		}
	}
	if emails < 12 {
		t.Errorf("%d e-mails found in templates/, expected at least 12: is the naming still <name>.subject.<lang>?", emails)
	}
}
