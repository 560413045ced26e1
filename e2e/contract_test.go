package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"occonnect/api"
)

// contract checks every request and answer of the end-to-end tests against the OpenAPI
// document (api/openapi.yaml): each answer must be one the document describes for its
// operation and status (problem documents included), and a request the document refuses
// must not be accepted. Violations are collected and fail the run at the end of TestMain.
type contract struct {
	doc    *openapi3.T
	router routers.Router
	// problem is the Problem schema, for the answers of paths and methods the document
	// does not have (404 not_found, 405 method_not_allowed).
	problem *openapi3.Schema

	mu         sync.Mutex
	checked    int
	violations map[string]int // "operation status: what" → how many times
}

// apiContract checks the exchanges of the API the tests call (set up by TestMain).
var apiContract *contract

// maxValidatedBody: a request body above this is passed on without being validated (the
// API refuses anything above 64 KiB anyway).
const maxValidatedBody = 1 << 20

func newContract() (*contract, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPIDocument)
	if err != nil {
		return nil, fmt.Errorf("load api/openapi.yaml: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("api/openapi.yaml is not a valid OpenAPI document: %w", err)
	}
	// The test server listens on a random port: match operations on any host.
	doc.Servers = nil
	// The document lists the problem and field error codes in x-extensible-enum: an open
	// set for clients, which must accept codes added later. The API itself must send only
	// the listed ones, so here they are a closed enum.
	for _, s := range doc.Components.Schemas {
		if s.Value == nil {
			continue
		}
		if list, ok := s.Value.Extensions["x-extensible-enum"].([]any); ok {
			s.Value.Enum = list
		}
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route api/openapi.yaml: %w", err)
	}
	problem := doc.Components.Schemas["Problem"]
	if problem == nil || problem.Value == nil {
		return nil, fmt.Errorf("api/openapi.yaml has no Problem schema")
	}
	c := &contract{doc: doc, router: router, problem: problem.Value, violations: map[string]int{}}
	// Every operation declares its error answers, whatever their status, as problem
	// documents (a default response; api/openapi.yaml uses #/components/responses/Error).
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if def := op.Responses.Default(); def == nil || def.Value == nil || def.Value.Content.Get("application/problem+json") == nil {
				c.violations[fmt.Sprintf("%s (%s %s): no default problem+json response", op.OperationID, method, path)]++
			}
		}
	}
	return c, nil
}

// recorder passes an answer on and keeps a copy of it.
type recorder struct {
	http.ResponseWriter
	status int
	header http.Header
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status, r.header = code, r.ResponseWriter.Header().Clone()
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// wrap is a middleware in front of the whole API that checks each exchange.
func (c *contract) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/console/") || r.URL.Path == "/console" {
			next.ServeHTTP(w, r) // the officer console: HTML pages, not part of the document
			return
		}
		body, complete := readBody(r)
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status, rec.header = http.StatusOK, w.Header().Clone()
		}
		c.check(r, body, complete, rec)
	})
}

// readBody reads up to maxValidatedBody of the request's body and leaves the request's
// body as it was for the handler.
func readBody(r *http.Request) (body []byte, complete bool) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, true
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxValidatedBody+1))
	complete = err == nil && len(body) <= maxValidatedBody
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
	return body, complete
}

func (c *contract) check(r *http.Request, body []byte, complete bool, rec *recorder) {
	ctx := context.Background()
	req := r.Clone(ctx)
	req.Body = io.NopCloser(bytes.NewReader(body))
	c.mu.Lock()
	c.checked++
	c.mu.Unlock()

	route, params, err := c.router.FindRoute(req)
	if err != nil {
		// Not in the document: the API must answer 404 or 405 with a problem document.
		name := fmt.Sprintf("%s (no operation: %v)", req.Method, err)
		if rec.status != http.StatusNotFound && rec.status != http.StatusMethodNotAllowed {
			c.violation(name, rec.status, "a path or method the document does not have, answered other than 404 or 405")
		}
		c.checkProblem(name, rec)
		return
	}
	name := route.Operation.OperationID
	opts := &openapi3filter.Options{
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus: true,
		MultiError:            true,
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if complete {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil && rec.status < 400 {
			c.violation(name, rec.status, "a request the document refuses was accepted: "+oneLine(err))
		}
	}
	if req.Method == http.MethodHead {
		return
	}
	if err := openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: rec.status, Header: rec.header,
		Body: io.NopCloser(bytes.NewReader(rec.body.Bytes())), Options: opts,
	}); err != nil {
		c.violation(name, rec.status, oneLine(err))
	}
}

// checkProblem checks an answer against the Problem schema.
func (c *contract) checkProblem(name string, rec *recorder) {
	if ct := rec.header.Get("Content-Type"); ct != "application/problem+json" {
		c.violation(name, rec.status, fmt.Sprintf("Content-Type %q, want application/problem+json", ct))
		return
	}
	var v any
	if err := json.Unmarshal(rec.body.Bytes(), &v); err != nil {
		c.violation(name, rec.status, "problem document is not JSON: "+err.Error())
		return
	}
	if err := c.problem.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.MultiErrors()); err != nil {
		c.violation(name, rec.status, "problem document: "+oneLine(err))
	}
}

func (c *contract) violation(name string, status int, what string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.violations[fmt.Sprintf("%s %d: %s", name, status, what)]++
}

// report writes the violations and tells whether there were any.
func (c *contract) report(w io.Writer) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.violations) == 0 {
		fmt.Fprintf(w, "contract: %d exchanges match api/openapi.yaml\n", c.checked)
		return false
	}
	keys := make([]string, 0, len(c.violations))
	for k := range c.violations {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	fmt.Fprintf(w, "contract: %d kinds of violation of api/openapi.yaml in %d exchanges (operation status: violation ×times):\n", len(keys), c.checked)
	for _, k := range keys {
		fmt.Fprintf(w, "  %s ×%d\n", k, c.violations[k])
	}
	return true
}

// oneLine shortens a validation error to one line per violation, without the values
// (which may be personal data).
func oneLine(err error) string {
	var parts []string
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case openapi3.MultiError:
			for _, inner := range e {
				walk(inner)
			}
		case *openapi3filter.ResponseError:
			if e.Err == nil {
				parts = append(parts, e.Reason)
				return
			}
			parts = append(parts, e.Reason)
			walk(e.Err)
		case *openapi3filter.RequestError:
			if e.Err == nil {
				parts = append(parts, e.Reason)
				return
			}
			if e.Parameter != nil {
				parts = append(parts, "parameter "+e.Parameter.Name)
			} else if e.RequestBody != nil {
				parts = append(parts, "request body")
			}
			walk(e.Err)
		case *openapi3.SchemaError:
			parts = append(parts, fmt.Sprintf("at %s: %s", "/"+strings.Join(e.JSONPointer(), "/"), e.Reason))
		default:
			parts = append(parts, strings.ReplaceAll(err.Error(), "\n", " "))
		}
	}
	walk(err)
	return strings.Join(parts, "; ")
}
