package api

import (
	"bytes"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"go.yaml.in/yaml/v3"
)

// openAPIMethods are the operation keys of an OpenAPI path item.
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// openAPIOperation is the part of an operation the tests look at.
type openAPIOperation struct {
	OperationID string               `yaml:"operationId"`
	Responses   map[string]yaml.Node `yaml:"responses"`
	Security    yaml.Node            `yaml:"security"`
}

// openAPIDoc is the minimal shape of the document: version and operations by path.
type openAPIDoc struct {
	OpenAPI string                          `yaml:"openapi"`
	Paths   map[string]map[string]yaml.Node `yaml:"paths"`
}

func parseOpenAPI(t *testing.T) openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	if err := yaml.Unmarshal(OpenAPIDocument, &doc); err != nil {
		t.Fatalf("openapi.yaml does not parse: %v", err)
	}
	return doc
}

// operations lists the document's operations as "METHOD /path".
func (d openAPIDoc) operations(t *testing.T) map[string]openAPIOperation {
	t.Helper()
	ops := map[string]openAPIOperation{}
	for path, item := range d.Paths {
		for key, node := range item {
			if !slices.Contains(openAPIMethods, key) {
				continue // parameters, summary, description, servers…
			}
			var op openAPIOperation
			if err := node.Decode(&op); err != nil {
				t.Fatalf("%s %s: %v", strings.ToUpper(key), path, err)
			}
			ops[strings.ToUpper(key)+" "+path] = op
		}
	}
	return ops
}

func routerRoutes(t *testing.T) map[string]bool {
	t.Helper()
	routes := map[string]bool{}
	err := New(Deps{}).Router().Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		methods, err := route.GetMethods()
		if err != nil || len(methods) == 0 {
			return nil // a path prefix (subrouter) or a route for every method
		}
		tpl, err := route.GetPathTemplate()
		if err != nil {
			return fmt.Errorf("route with methods %v has no path template: %w", methods, err)
		}
		for _, m := range methods {
			routes[m+" "+tpl] = true
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walking the router: %v", err)
	}
	return routes
}

func TestOpenAPIMatchesRouter(t *testing.T) {
	routes := routerRoutes(t)
	documented := parseOpenAPI(t).operations(t)
	if len(routes) == 0 {
		t.Fatal("the router has no route")
	}

	var undocumented, unrouted []string
	for r := range routes {
		if _, ok := documented[r]; !ok {
			undocumented = append(undocumented, r)
		}
	}
	for op := range documented {
		if !routes[op] {
			unrouted = append(unrouted, op)
		}
	}
	slices.Sort(undocumented)
	slices.Sort(unrouted)
	if len(undocumented) > 0 {
		t.Errorf("routes registered in Router() but missing from api/openapi.yaml:\n  %s", strings.Join(undocumented, "\n  "))
	}
	if len(unrouted) > 0 {
		t.Errorf("operations in api/openapi.yaml that Router() does not register:\n  %s", strings.Join(unrouted, "\n  "))
	}
}

var pathParam = regexp.MustCompile(`\{([^}:]+)(?::[^}]*)?\}`)

func TestOpenAPIDocumentIsWellFormed(t *testing.T) {
	doc := parseOpenAPI(t)
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	ops := doc.operations(t)
	if len(ops) == 0 {
		t.Fatal("the document has no operation")
	}

	var tree any
	if err := yaml.Unmarshal(OpenAPIDocument, &tree); err != nil {
		t.Fatalf("openapi.yaml does not parse: %v", err)
	}

	ids := map[string]string{}
	for name, op := range ops {
		switch prev, dup := ids[op.OperationID]; {
		case op.OperationID == "":
			t.Errorf("%s: no operationId", name)
		case dup:
			t.Errorf("%s: operationId %q already used by %s", name, op.OperationID, prev)
		default:
			ids[op.OperationID] = name
		}
		if len(op.Responses) == 0 {
			t.Errorf("%s: no response", name)
		}
		if op.Security.Kind == 0 {
			t.Errorf("%s: no security (use `security: []` for a public operation)", name)
		}
	}

	// Every {param} of a path is declared as a path parameter of its operations.
	for name := range ops {
		method, path, _ := strings.Cut(name, " ")
		opNode := lookup(tree, "paths", path, strings.ToLower(method))
		declared := map[string]bool{}
		for _, src := range []any{lookup(tree, "paths", path, "parameters"), lookup(opNode, "parameters")} {
			list, _ := src.([]any)
			for _, p := range list {
				p = resolveRef(tree, p)
				if lookup(p, "in") == "path" {
					if n, ok := lookup(p, "name").(string); ok {
						declared[n] = true
					}
				}
			}
		}
		for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
			if !declared[m[1]] {
				t.Errorf("%s: path parameter %q is not declared", name, m[1])
			}
		}
	}

	// Every $ref points inside the document, at something that exists.
	walkRefs(tree, "#", func(at, ref string) {
		if !strings.HasPrefix(ref, "#/components/") {
			t.Errorf("%s: $ref %q does not point into #/components/", at, ref)
			return
		}
		if pointer(tree, ref) == nil {
			t.Errorf("%s: $ref %q has no target", at, ref)
		}
	})
}

// TestOpenAPIComponentNamesUnique: a component name is used by one kind only (schemas,
// parameters, headers, responses, examples…). Code generators such as oapi-codegen name
// a type after the component and refuse a name that two kinds share.
func TestOpenAPIComponentNamesUnique(t *testing.T) {
	var doc struct {
		Components map[string]map[string]yaml.Node `yaml:"components"`
	}
	if err := yaml.Unmarshal(OpenAPIDocument, &doc); err != nil {
		t.Fatalf("openapi.yaml does not parse: %v", err)
	}
	kinds := slices.Sorted(maps.Keys(doc.Components))
	owner := map[string]string{} // name → first kind that uses it
	for _, kind := range kinds {
		for _, name := range slices.Sorted(maps.Keys(doc.Components[kind])) {
			if prev, dup := owner[name]; dup {
				t.Errorf("component name %[1]q is both #/components/%[2]s/%[1]s and #/components/%[3]s/%[1]s: rename one", name, prev, kind)
				continue
			}
			owner[name] = kind
		}
	}
}

// TestOpenAPICodesAreOpenSets: the problem and field error codes are open sets. Their
// schemas list the known codes in x-extensible-enum and say so, never as an enum, which
// client generators turn into a closed type that fails on a code added later; every
// problem document shown as an example uses a listed code.
func TestOpenAPICodesAreOpenSets(t *testing.T) {
	var tree any
	if err := yaml.Unmarshal(OpenAPIDocument, &tree); err != nil {
		t.Fatalf("openapi.yaml does not parse: %v", err)
	}
	known := map[string]map[string]bool{}
	for _, name := range []string{"ProblemCode", "FieldErrorCode"} {
		s := lookup(tree, "components", "schemas", name)
		if s == nil {
			t.Errorf("no schema %s", name)
			continue
		}
		if lookup(s, "enum") != nil || lookup(s, "const") != nil {
			t.Errorf("%s is a closed enum: list the codes in x-extensible-enum instead", name)
		}
		if typ := lookup(s, "type"); typ != "string" {
			t.Errorf("%s: type %v, want string", name, typ)
		}
		if desc, _ := lookup(s, "description").(string); !strings.Contains(desc, "open set") {
			t.Errorf("%s: the description does not say the codes are an open set", name)
		}
		list, _ := lookup(s, "x-extensible-enum").([]any)
		if len(list) == 0 {
			t.Errorf("%s: no x-extensible-enum listing the known codes", name)
		}
		known[name] = map[string]bool{}
		for _, c := range list {
			code, ok := c.(string)
			if !ok || known[name][code] {
				t.Errorf("%s: x-extensible-enum entry %v is not a string or is repeated", name, c)
			}
			known[name][code] = true
		}
	}

	// Problem documents in the examples: objects with a title, a status and a code.
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch n := v.(type) {
		case map[string]any:
			code, isCode := n["code"].(string)
			_, hasTitle := n["title"].(string)
			_, hasStatus := n["status"].(int)
			if isCode && hasTitle && hasStatus {
				if !known["ProblemCode"][code] {
					t.Errorf("%s: problem example with code %q, not in ProblemCode's x-extensible-enum", at, code)
				}
				errs, _ := n["errors"].([]any)
				for _, e := range errs {
					if fc, _ := lookup(e, "code").(string); !known["FieldErrorCode"][fc] {
						t.Errorf("%s: field error example with code %q, not in FieldErrorCode's x-extensible-enum", at, fc)
					}
				}
			}
			for k, child := range n {
				walk(child, at+"/"+strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1"))
			}
		case []any:
			for i, child := range n {
				walk(child, fmt.Sprintf("%s/%d", at, i))
			}
		}
	}
	walk(tree, "#")
}

func TestOpenAPIServed(t *testing.T) {
	h := New(Deps{}).Router()
	req := httptest.NewRequest(http.MethodGet, "/api/v1/openapi.yaml", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)

	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200; body: %s", rec.Code, rec.Body.String())
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/yaml" {
		t.Errorf("Content-Type = %q, want application/yaml", ct)
	}
	if !bytes.Equal(rec.Body.Bytes(), OpenAPIDocument) {
		t.Errorf("the body (%d bytes) is not the embedded document (%d bytes)", rec.Body.Len(), len(OpenAPIDocument))
	}
	if len(OpenAPIDocument) < 1000 {
		t.Errorf("the embedded document is only %d bytes: still a placeholder?", len(OpenAPIDocument))
	}
}

// TestOpenAPIServers: the document served lists the configured public URL as its only
// server, and is otherwise the file byte for byte.
func TestOpenAPIServers(t *testing.T) {
	const fileURL = "http://127.0.0.1:8080" // the file's server, OCC_PUBLIC_URL's default
	if !bytes.Contains(OpenAPIDocument, []byte("\n  - url: "+fileURL+"\n")) {
		t.Fatalf("api/openapi.yaml's server is not %s", fileURL)
	}
	for _, publicURL := range []string{
		"https://api.occonnect.oc.gov.ma",
		"https://gw.oc.gov.ma/occonnect", // behind a proxy's path prefix
		fileURL,
		"http://h/x #y: [z]\nservers: []", // not a valid OCC_PUBLIC_URL: quoted, never YAML
	} {
		h := New(Deps{PublicURL: publicURL}).Router()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/openapi.yaml", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("%q: status = %d, want 200", publicURL, rec.Code)
		}
		var doc struct {
			Servers []map[string]string `yaml:"servers"`
		}
		if err := yaml.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			t.Fatalf("%q: the document served does not parse: %v", publicURL, err)
		}
		if len(doc.Servers) != 1 || doc.Servers[0]["url"] != publicURL {
			t.Errorf("%q: servers = %v, want one with url %q", publicURL, doc.Servers, publicURL)
		}
		if strings.Contains(publicURL, "\n") {
			continue
		}
		want := bytes.Replace(OpenAPIDocument, []byte("\n  - url: "+fileURL+"\n"), []byte("\n  - url: "+publicURL+"\n"), 1)
		if !bytes.Equal(rec.Body.Bytes(), want) {
			t.Errorf("%q: the document served differs from the file elsewhere than the server's url", publicURL)
		}
	}
}

// lookup follows map keys from v; nil when one is missing.
func lookup(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// resolveRef returns the target of v if v is a {$ref: ...} object, else v.
func resolveRef(root, v any) any {
	for range 10 { // refs to refs, without looping forever
		ref, ok := lookup(v, "$ref").(string)
		if !ok {
			return v
		}
		v = pointer(root, ref)
	}
	return v
}

// pointer resolves a local JSON pointer ("#/a/b~1c") in root; nil when it leads nowhere.
func pointer(root any, ref string) any {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil
	}
	v := root
	for _, part := range strings.Split(rest, "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		switch n := v.(type) {
		case map[string]any:
			next, ok := n[part]
			if !ok {
				return nil
			}
			v = next
		default:
			return nil
		}
	}
	if v == nil {
		return nil
	}
	return v
}

// walkRefs calls f for every $ref string in v, with the location it was found at.
func walkRefs(v any, at string, f func(at, ref string)) {
	switch n := v.(type) {
	case map[string]any:
		for k, child := range n {
			if k == "$ref" {
				if ref, ok := child.(string); ok {
					f(at, ref)
					continue
				}
			}
			walkRefs(child, at+"/"+strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1"), f)
		}
	case []any:
		for i, child := range n {
			walkRefs(child, fmt.Sprintf("%s/%d", at, i), f)
		}
	}
}
