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
// nil: any), and the outside packages it must never reach.
var layers = []struct {
	pkg      string
	mayReach []string // project packages, without the module path
	never    []string // import paths; a module's path covers its packages
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
	{pkg: "mail", mayReach: []string{"domain", "internal/i18n"}},
	// The activities: store, mail and domain, never a workflow or an adapter.
	{pkg: "activities", mayReach: []string{"domain", "store", "mail", "activities/contract",
		"internal/i18n", "internal/metrics", "internal/passhash", "internal/scrub"}},
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
	}
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
