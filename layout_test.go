package occonnect_test

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The layers of docs/architecture.md, checked on what the packages really reach (go list
// -deps: imports of imports included), so that no change crosses a layer unnoticed.
//
// A rule names a package, the project packages it may reach (nothing else of the project;
// nil: any), the packages it must never reach, and those it must not import itself
// (though it may reach them through another package).
var layers = []struct {
	pkg       string
	mayReach  []string // project packages, without the module path
	never     []string // import paths; a module's path covers its packages; project ones relative
	notImport []string // import paths (project ones relative) the package must not import directly
}{
	// The vocabulary and pure rules: nothing of the project, no I/O library.
	{pkg: "domain", mayReach: []string{}, never: []string{"database/sql", "net/http", "go.temporal.io/sdk/client"}},
	// SQL, and only SQL.
	{pkg: "store", mayReach: []string{"domain"}, never: []string{"go.temporal.io/sdk/client", "net/http"}},
	// What travels in an activity's payload: domain types.
	{pkg: "activities/contract", mayReach: []string{"domain"}},
	// Workflows know the activities by name: no store, SQL or driver in a workflow.
	{pkg: "workflows", mayReach: []string{"domain", "activities/contract"},
		never: []string{"database/sql", "github.com/jmoiron/sqlx", "github.com/go-sql-driver/mysql"}},
	// The catalogs of texts: nothing of the project.
	{pkg: "internal/i18n", mayReach: []string{}},
	// E-mail rendering and sending.
	{pkg: "mail", mayReach: []string{"domain", "internal/i18n", "internal/loopback"}},
	// The activities: store, mail and domain, never a workflow or an adapter.
	{pkg: "activities", mayReach: []string{"domain", "store", "mail", "activities/contract",
		"internal/i18n", "internal/loopback", "internal/metrics", "internal/passhash", "internal/scrub"}},
	// The use cases: under both adapters, knowing neither, nor HTTP.
	{pkg: "service", never: []string{"api", "console", "internal/web", "internal/server", "activities"},
		notImport: []string{"net/http"}},
	// The shared HTTP plumbing: no adapter.
	{pkg: "internal/web", never: []string{"api", "console", "internal/server"}},
	// The two adapters: each over the use cases, neither importing the other; Temporal is
	// the service layer's (no Temporal client, no workflow in an adapter).
	{pkg: "api", never: []string{"console", "internal/server"},
		notImport: []string{"go.temporal.io/sdk/client", "workflows", "activities"}},
	{pkg: "console", never: []string{"api", "internal/server"},
		notImport: []string{"go.temporal.io/sdk/client", "workflows", "activities"}},
}

const module = "occonnect"

func TestLayers(t *testing.T) {
	for _, l := range layers {
		deps := goListDeps(t, l.pkg)
		for _, d := range deps {
			if rel, ok := strings.CutPrefix(d, module+"/"); ok {
				if rel != l.pkg && l.mayReach != nil && !slices.Contains(l.mayReach, rel) {
					t.Errorf("%s reaches %s; it may reach only %v", l.pkg, rel, l.mayReach)
				}
				continue
			}
			for _, n := range l.never {
				if d == n || (strings.Contains(n, ".") && strings.HasPrefix(d, n+"/")) {
					t.Errorf("%s reaches %s", l.pkg, d)
				}
			}
		}
		for _, n := range l.never {
			if !strings.Contains(n, ".") && slices.Contains(deps, module+"/"+n) {
				t.Errorf("%s reaches %s", l.pkg, n)
			}
		}
		imports := goList(t, "{{join .Imports \"\\n\"}}", l.pkg)
		for _, n := range l.notImport {
			if slices.Contains(imports, n) || slices.Contains(imports, module+"/"+n) {
				t.Errorf("%s imports %s", l.pkg, n)
			}
		}
	}
}

// goList runs go list -f format on the package; one line, one value.
func goList(t *testing.T, format, pkg string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", format, "./"+pkg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list ./%s: %v\n%s", pkg, err, stderr.String())
	}
	return strings.Fields(string(out))
}

// goListDeps lists every package pkg imports, directly or not (its tests excluded).
func goListDeps(t *testing.T, pkg string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Standard", "./"+pkg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps ./%s: %v\n%s", pkg, err, stderr.String())
	}
	var deps []string
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p struct{ ImportPath string }
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		deps = append(deps, p.ImportPath)
	}
	if len(deps) == 0 {
		t.Fatalf("go list -deps ./%s listed nothing", pkg)
	}
	return deps
}
