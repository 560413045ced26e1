package contract_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"slices"
	"strconv"
	"testing"

	"occonnect/activities"
)

// TestNamesAreTheActivitiesMethods: the names the workflows call are exactly the methods
// the worker registers (the exported methods of *activities.Activities). A method renamed
// or added without its name here, or a name left behind, fails.
func TestNamesAreTheActivitiesMethods(t *testing.T) {
	var methods []string
	typ := reflect.TypeOf(&activities.Activities{})
	for i := range typ.NumMethod() {
		methods = append(methods, typ.Method(i).Name)
	}
	names := declaredNames(t)
	slices.Sort(methods)
	slices.Sort(names)
	if !slices.Equal(methods, names) {
		t.Errorf("methods of *activities.Activities %v\nnames in contract.go   %v", methods, names)
	}
}

// declaredNames reads the activity name constants of contract.go: the const block whose
// names equal their values.
func declaredNames(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "contract.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			v := s.(*ast.ValueSpec)
			if len(v.Names) != 1 || len(v.Values) != 1 {
				continue
			}
			lit, ok := v.Values[0].(*ast.BasicLit)
			if !ok {
				continue
			}
			if value, err := strconv.Unquote(lit.Value); err == nil && value == v.Names[0].Name {
				names = append(names, value)
			}
		}
	}
	return names
}
