package api

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	// The generated client imports these. Importing them here keeps them in go.mod, at a
	// pinned version that `go mod download` fetches, so the client builds offline.
	_ "github.com/oapi-codegen/runtime"
	_ "github.com/oapi-codegen/runtime/types"
)

// clientCheck is compiled with the generated client. Problem and field error codes are open
// sets (TestOpenAPICodesAreOpenSets), so the generated fields must be plain strings, not a
// closed enum type.
const clientCheck = `package occlient

var (
	_ string = Problem{}.Code
	_ string = FieldError{}.Code
	_        = NewClientWithResponses
)
`

// TestOpenAPIGeneratedClientCompiles generates a Go client (types and client, otherwise
// the generator's default options) from api/openapi.yaml with oapi-codegen, at the
// version go.mod's tool directive pins, and compiles it. This shows that a code generator
// accepts the document and that its output compiles.
//
// The generated files stay in a temporary directory. They are compiled as the package
// occonnect/api/testdata/occlient through -overlay, so the package never exists in the
// tree, and its imports resolve through this module's go.mod and go.sum. Once
// `go mod download` has run, the test needs no network.
func TestOpenAPIGeneratedClientCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: does not generate and compile the client")
	}
	root, err := filepath.Abs("..") // go test runs in the package's directory, api/
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	generated := filepath.Join(tmp, "client.gen.go")
	goCommand(t, root, "oapi-codegen refuses api/openapi.yaml:", "tool", "oapi-codegen",
		"-generate", "types,client", "-package", "occlient", "-o", generated, filepath.Join("api", "openapi.yaml"))

	check := filepath.Join(tmp, "check.go")
	if err := os.WriteFile(check, []byte(clientCheck), 0o600); err != nil {
		t.Fatal(err)
	}
	pkg := filepath.Join(root, "api", "testdata", "occlient")
	overlay, err := json.Marshal(map[string]map[string]string{"Replace": {
		filepath.Join(pkg, "client.gen.go"): generated,
		filepath.Join(pkg, "check.go"):      check,
	}})
	if err != nil {
		t.Fatal(err)
	}
	overlayFile := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(overlayFile, overlay, 0o600); err != nil {
		t.Fatal(err)
	}
	goCommand(t, root, "the generated client does not compile:", "build", "-overlay", overlayFile, "./api/testdata/occlient")
}

// goCommand runs the go command in dir and fails the test with its output if it fails.
func goCommand(t *testing.T, dir, what string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s\ngo %s: %v\n%s", what, strings.Join(args, " "), err, out)
	}
}
