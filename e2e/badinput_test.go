package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gorilla/mux"
	"go.temporal.io/api/workflowservice/v1"

	"occonnect/api"
	"occonnect/internal/stack"
)

// TestBadInputSweep sends hostile input to every route of the router (read from
// api.Server.Router(), so that a new route is swept without a change here), with a valid
// token of a role the route accepts so that the validation layer is reached: malformed
// JSON, wrong types, missing and unknown fields, bodies over 64 KiB, deep nesting, invalid
// UTF-8, very long strings, SQL and template meta-characters, wrong Content-Types, wrong
// methods, junk path parameters and other users' ids (a second citizen's complaint and DTS
// request, another officer's task). Every answer must be a 4xx problem document (GETs may
// answer 200 to junk query parameters they ignore), never a 5xx; no row may change in any
// table and no workflow may start.
func TestBadInputSweep(t *testing.T) {
	ctx := context.Background()
	_, citizenToken := activeCitizen(t)
	_, otherToken := activeCitizen(t)
	officer := staffToken(t, "officer@e2e.oc.local")
	officer2 := staffToken(t, "officer2@e2e.oc.local")
	year := time.Now().In(casablanca).Year()

	// The second citizen's complaint and DTS request, whose task another officer claimed.
	r := call(t, "POST", "/api/v1/me/complaints", otherToken, map[string]string{"category": "other",
		"subject": "Attente trop longue", "description": "Une heure d'attente au guichet."})
	expect(t, r, http.StatusAccepted, "")
	otherComplaint := r.str("reference")
	r = call(t, "POST", "/api/v1/me/dts-requests", otherToken, map[string]any{"fiscal_year": year - 1, "ir_amount_mad": 50000,
		"attestation_reference": "DGI-SWEEP-0001"})
	expect(t, r, http.StatusAccepted, "")
	otherDTS := r.str("id")
	otherTask := findTask(t, officer2, "dts", otherDTS)
	expect(t, call(t, "POST", "/api/v1/tasks/"+otherTask+"/claim", officer2, nil), http.StatusOK, "")
	findTask(t, officer, "complaint", otherComplaint) // its workflow has settled

	supervisor, admin := staffToken(t, "supervisor@e2e.oc.local"), staffToken(t, "admin@e2e.oc.local")
	callers := []struct{ name, token string }{ // in the order they are tried
		{"none", ""},
		{"citizen", citizenToken},
		{"agent", staffToken(t, "agent@e2e.oc.local")},
		{"officer", officer},
		{"supervisor", supervisor},
		{"admin", admin},
	}

	// Path parameters that exist, so that a body is validated (the path is checked first
	// in some handlers); the ids of the second citizen and officer are "other users' ids".
	others := map[string]string{
		"/api/v1/me/complaints/{reference}": otherComplaint,
		"/api/v1/me/dts-requests/{id}":      otherDTS,
		"/api/v1/tasks/{id}":                otherTask,
	}
	existing := map[string]string{"year": fmt.Sprint(year + 1), "code": "EP-0001", "id": "999999", "reference": otherComplaint,
		"enrollment_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}
	pathFor := func(tpl string, value func(name string) string) string {
		return muxVar.ReplaceAllStringFunc(tpl, func(m string) string { return value(strings.Trim(m, "{}")) })
	}
	validPath := func(tpl string) string {
		return pathFor(tpl, func(name string) string {
			for prefix, v := range others {
				if strings.HasPrefix(tpl, prefix) && strings.HasSuffix(prefix, "{"+name+"}") {
					return v
				}
			}
			return existing[name]
		})
	}
	hasOther := func(tpl string) bool {
		for prefix := range others {
			if strings.HasPrefix(tpl, prefix) {
				return true
			}
		}
		return false
	}

	routes := sweepRoutes(t)
	doc := apiContract.doc

	// Let the workflows of the set-up (and of earlier tests) settle, then take the state.
	before := settledState(t, ctx)
	var failures []string
	idemKeys := 0
	sent := 0
	check := func(route, what string, res response, allowOK bool) {
		sent++
		switch {
		case res.Status >= 500:
			failures = append(failures, fmt.Sprintf("%s %s: %d %s", route, what, res.Status, res.Raw))
		case res.Status >= 400:
			var p struct {
				Status int    `json:"status"`
				Code   string `json:"code"`
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
				failures = append(failures, fmt.Sprintf("%s %s: %d with Content-Type %q", route, what, res.Status, ct))
			} else if err := json.Unmarshal(res.Raw, &p); err != nil || p.Code == "" || p.Status != res.Status {
				failures = append(failures, fmt.Sprintf("%s %s: %d with a bad problem document %s", route, what, res.Status, res.Raw))
			}
		case !allowOK:
			failures = append(failures, fmt.Sprintf("%s %s: accepted with %d %s", route, what, res.Status, res.Raw))
		}
	}

	for _, tpl := range slices.Sorted(maps.Keys(routes)) {
		methods := routes[tpl]
		junkPaths := []string{}
		if muxVar.MatchString(tpl) {
			for _, junk := range junkValues {
				junkPaths = append(junkPaths, pathFor(tpl, func(string) string { return junk }))
			}
		}
		for _, method := range methods {
			route := method + " " + tpl
			token := "" // POST /auth/logout's only input is the token, which it revokes: swept without one (401)
			if route != "POST /api/v1/auth/logout" {
				token = pickCaller(t, method, pathFor(tpl, func(string) string { return "0" }), callers)
			}
			op := doc.Paths.Value(tpl).GetOperation(method)
			if op == nil {
				t.Fatalf("%s is not in api/openapi.yaml", route)
			}
			headers := func() []string {
				for _, p := range op.Parameters {
					if p.Value != nil && p.Value.In == "header" && p.Value.Name == "Idempotency-Key" && p.Value.Required {
						idemKeys++
						return []string{"Idempotency-Key", fmt.Sprintf("sweep-%d", idemKeys)}
					}
				}
				return nil
			}
			example := requestExample(op)
			if op.RequestBody != nil && example == nil {
				t.Errorf("%s: the request body has no example in api/openapi.yaml", route)
			}
			var exampleBody []byte
			if op.RequestBody != nil {
				exampleBody, _ = json.Marshal(example)
			}

			// Junk path parameters, with an otherwise valid request.
			for _, p := range junkPaths {
				check(route, "junk path "+short(p), sweepSend(t, method, p, token, "application/json", exampleBody, headers()...), false)
			}
			// Other users' ids with a valid body: a citizen's, or an officer acting on another's
			// task (an officer may read any task of the queue; a supervisor may reassign it).
			if hasOther(tpl) && token != supervisor && (method != http.MethodGet || strings.HasPrefix(tpl, "/api/v1/me/")) {
				check(route, "other user's id", sweepSend(t, method, validPath(tpl), token, "application/json", exampleBody, headers()...), false)
			}
			if method == http.MethodGet {
				if !muxVar.MatchString(tpl) { // lists and searches: ignored or refused, never a 5xx
					check(route, "junk query", sweepSend(t, method, tpl+"?"+junkQuery, token, "", nil), true)
				}
				continue
			}
			if op.RequestBody == nil {
				continue // it reads no body: with a valid path, the request would be a valid one
			}
			// Bad bodies on a valid path.
			for _, c := range badBodies(example) {
				ct := c.contentType
				if ct == "-" {
					ct = ""
				}
				check(route, c.name, sweepSend(t, method, validPath(tpl), token, ct, c.body, headers()...), false)
			}
		}
		// Methods the path does not have.
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			if !slices.Contains(methods, m) {
				res := sweepSend(t, m, validPath(tpl), admin, "application/json", []byte(`{}`))
				check(m+" "+tpl, "wrong method", res, false)
				if res.Status != http.StatusMethodNotAllowed {
					failures = append(failures, fmt.Sprintf("%s %s: %d, want 405", m, tpl, res.Status))
				}
			}
		}
	}
	t.Logf("sent %d hostile requests to %d paths", sent, len(routes))

	after := settledState(t, ctx)
	for _, k := range slices.Sorted(maps.Keys(before)) {
		if before[k] != after[k] {
			failures = append(failures, fmt.Sprintf("the sweep changed %s", k))
		}
	}
	var stored int
	if err := env.store.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM idempotency_keys
		WHERE idem_key LIKE 'sweep-%' AND (status_code IS NULL OR status_code NOT BETWEEN 400 AND 499)`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != 0 {
		failures = append(failures, fmt.Sprintf("%d Idempotency-Keys of the sweep stored an answer other than 4xx", stored))
	}
	sort.Strings(failures)
	for _, f := range slices.Compact(failures) {
		t.Error(f)
	}
}

var muxVar = regexp.MustCompile(`\{[^}]+\}`)

// junkValues are path parameters (escaped) that name nothing.
var junkValues = []string{"0", "-1", "99999999999999999999", "null", url.PathEscape("'; DROP TABLE citizens; --"),
	url.PathEscape("{{.}}<script>x</script>"), "%FF%FE", "%00", "..%2F..%2Fetc%2Fpasswd", strings.Repeat("A", 5000)}

// junkQuery is hostile query parameters of lists and searches.
var junkQuery = url.Values{"limit": {"-1"}, "cursor": {"'; DROP TABLE x; --\xff"}, "status": {"{{.}}"}, "kind": {"<script>"},
	"q": {strings.Repeat("\" OR 1=1 -- ", 400)}, "lat": {"abc"}, "lon": {"1e999"}, "overdue": {"maybe"}, "escalation_level": {"99"},
	"role": {"root"}, "category": {"%00"}, "type": {"x"}, "year": {"-5"}}.Encode()

// sweepRoutes reads the router: path template → methods.
func sweepRoutes(t *testing.T) map[string][]string {
	t.Helper()
	routes := map[string][]string{}
	err := api.New(api.Deps{}).Router().Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		methods, err := route.GetMethods()
		if err != nil || len(methods) == 0 {
			return nil
		}
		tpl, err := route.GetPathTemplate()
		if err != nil {
			return err
		}
		routes[tpl] = append(routes[tpl], methods...)
		return nil
	})
	if err != nil || len(routes) == 0 {
		t.Fatalf("walking the router: %v (%d routes)", err, len(routes))
	}
	return routes
}

// pickCaller is the first caller (none first) the route does not refuse for who they are,
// probed with a malformed body and junk path parameters (which change nothing).
func pickCaller(t *testing.T, method, path string, callers []struct{ name, token string }) string {
	t.Helper()
	var body []byte
	if method != http.MethodGet {
		body = []byte(`{`)
	}
	for _, c := range callers {
		res := sweepSend(t, method, path, c.token, "application/json", body)
		if res.Status != http.StatusUnauthorized && res.Status != http.StatusForbidden {
			return c.token
		}
	}
	t.Fatalf("%s %s: every caller is refused", method, path)
	return ""
}

// requestExample is the operation's JSON request example, if any, as encoding/json
// decodes it (numbers are float64).
func requestExample(op *openapi3.Operation) any {
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return nil
	}
	mt := op.RequestBody.Value.Content.Get("application/json")
	if mt == nil {
		return nil
	}
	example := mt.Example
	for _, name := range slices.Sorted(maps.Keys(mt.Examples)) {
		if ex := mt.Examples[name]; example == nil && ex != nil && ex.Value != nil {
			example = ex.Value.Value
		}
	}
	if example == nil {
		return nil
	}
	raw, err := json.Marshal(example)
	if err != nil {
		return nil
	}
	var out any
	if json.Unmarshal(raw, &out) != nil {
		return nil
	}
	return out
}

type badBody struct {
	name, contentType string // "-": no Content-Type
	body              []byte
}

// badBodies are invalid variants of a valid example body: each is refused whatever the
// operation, so none may change anything.
func badBodies(example any) []badBody {
	valid, _ := json.Marshal(example)
	firstKey := "x"
	if m, ok := example.(map[string]any); ok && len(m) > 0 {
		firstKey = slices.Sorted(maps.Keys(m))[0]
	}
	withUnknown := map[string]any{"zz_unknown": true}
	if m, ok := example.(map[string]any); ok {
		maps.Copy(withUnknown, m)
	}
	unknown, _ := json.Marshal(withUnknown)
	wrongTypes, _ := json.Marshal(mapLeaves(example, func(string) any { return 12345 }, func(float64) any { return "12345" }, func(bool) any { return "yes" }))
	zero := func(float64) any { return 0 }
	same := func(b bool) any { return b }
	const placeholder = "\x00SWEEP\x00"
	strs := countStrings(example)
	long := strings.Repeat("é", min(6000, 28000/max(strs, 1)))
	invalidUTF8, _ := json.Marshal(mapLeaves(example, func(string) any { return placeholder }, zero, same))
	invalidUTF8 = bytes.ReplaceAll(invalidUTF8, []byte(`\u0000SWEEP\u0000`), []byte("\xff\xfe\xc3"))
	meta, _ := json.Marshal(mapLeaves(example, func(string) any {
		return `'; DROP TABLE citizens; -- " \ {{.}} {{template "x"}} ${7*7} <script>alert(1)</script> %s %n`
	}, zero, same))
	longStrings, _ := json.Marshal(mapLeaves(example, func(string) any { return long }, zero, same))
	nested := []byte(`{"` + firstKey + `":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`)
	huge := append(bytes.Repeat([]byte(" "), 70<<10), valid...)

	// Names that match only case-insensitively, and a member given twice: encoding/json
	// would take both (the last twice-given value winning), the document neither.
	upper := map[string]any{}
	if m, ok := example.(map[string]any); ok {
		for k, v := range m {
			upper[strings.ToUpper(k)] = v
		}
	}
	upperCase, _ := json.Marshal(upper)
	duplicate := valid
	if m, ok := example.(map[string]any); ok && len(m) > 0 {
		again, _ := json.Marshal(map[string]any{firstKey: m[firstKey]})
		duplicate = append(append(append([]byte{}, valid[:len(valid)-1]...), ','), again[1:]...)
	}

	bodies := []badBody{
		{"member names in upper case", "application/json", upperCase},
		{"a member twice", "application/json", duplicate},
		{"empty body", "application/json", nil},
		{"malformed JSON", "application/json", valid[:max(len(valid)-1, 0)]},
		{"trailing data", "application/json", append(append([]byte{}, valid...), ` {"again":1}`...)},
		{"an array", "application/json", []byte("[" + string(valid) + "]")},
		{"null", "application/json", []byte("null")},
		{"wrong types", "application/json", wrongTypes},
		{"missing fields", "application/json", []byte(`{}`)},
		{"unknown field", "application/json", unknown},
		{"over 64 KiB", "application/json", huge},
		{"deeply nested", "application/json", nested},
		{"deeply nested top level", "application/json", []byte(strings.Repeat("[", 20000) + strings.Repeat("]", 20000))},
		{"invalid UTF-8", "application/json", invalidUTF8},
		{"SQL and template meta-characters", "application/json", meta},
		{"very long strings", "application/json", longStrings},
		{"text/plain", "text/plain", valid},
		{"form-encoded", "application/x-www-form-urlencoded", []byte("a=1&b=%27%3B--")},
		{"bad Content-Type", "application/json; charset", valid},
		{"no Content-Type, not JSON", "-", []byte("a=1&b=2")},
	}
	if countNumbers(example) > 0 {
		huge, _ := json.Marshal(mapLeaves(example, func(s string) any { return s }, func(float64) any { return json.Number("1e400") }, same))
		bodies = append(bodies, badBody{"numbers out of range", "application/json", huge})
	}
	return bodies
}

// mapLeaves rebuilds a JSON value with its leaves mapped.
func mapLeaves(v any, str func(string) any, num func(float64) any, boolean func(bool) any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = mapLeaves(e, str, num, boolean)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = mapLeaves(e, str, num, boolean)
		}
		return out
	case string:
		return str(x)
	case float64:
		return num(x)
	case bool:
		return boolean(x)
	default:
		return x
	}
}

func countStrings(v any) int {
	n := 0
	mapLeaves(v, func(string) any { n++; return nil }, func(float64) any { return nil }, func(bool) any { return nil })
	return n
}

func countNumbers(v any) int {
	n := 0
	mapLeaves(v, func(string) any { return nil }, func(float64) any { n++; return nil }, func(bool) any { return nil })
	return n
}

// sweeper is a client of the API that shows redirects (a redirect is not a refusal).
func sweeper() *stack.Client {
	return &stack.Client{BaseURL: env.api.URL,
		HTTP: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// sweepSend sends raw bytes (call marshals its body; the sweep needs to send broken ones).
func sweepSend(t *testing.T, method, path, token, contentType string, body []byte, headers ...string) response {
	t.Helper()
	return callWith(t, sweeper(), method, path, token, stack.RawBody{ContentType: contentType, Bytes: body}, headers...)
}

// settledState waits until the database and the number of workflows stop changing (the
// workflows of the set-up write their read models a moment after the API answers), then
// returns them.
func settledState(t *testing.T, ctx context.Context) map[string]string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	prev := dbState(t, ctx)
	for {
		time.Sleep(time.Second)
		cur := dbState(t, ctx)
		if maps.Equal(prev, cur) {
			return cur
		}
		if time.Now().After(deadline) {
			t.Fatalf("the database keeps changing without requests")
		}
		prev = cur
	}
}

// dbState is a checksum of every table of the test database and the number of workflow
// executions.
//
// Left out, because a refused request changes them by design:
//   - auth_failures: a well-formed sign-in with a wrong password (the sweep's
//     meta-character passwords, a wrong current password on PUT /me/password) is counted
//     for the lockout, refused or not;
//   - sessions.last_seen_at: each authenticated request, refused or not, moves the idle
//     deadline (at most once a minute); the other columns are checked;
//   - rate_limit_buckets: every sign-in attempt, refused or not, spends from its address's
//     and its account's buckets, shared by the API processes;
//   - the sweep's own idempotency_keys rows: the answer to a request with an
//     Idempotency-Key is stored so that a retry gets the same one, refusals included (the
//     test checks that they are all 4xx); the other rows are checked;
//   - admin_audit's reads (*.read, citizen.data_export): a read that succeeds is audited
//     (the citizen's own export answers 200 to junk query parameters); the changes are
//     checked.
func dbState(t *testing.T, ctx context.Context) map[string]string {
	t.Helper()
	db := env.store.DB()
	var tables []string
	if err := db.SelectContext(ctx, &tables, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name`); err != nil {
		t.Fatal(err)
	}
	excluded := []string{"auth_failures", "sessions", "idempotency_keys", "rate_limit_buckets", "admin_audit"}
	var checked []string
	for _, name := range tables {
		if !slices.Contains(excluded, name) {
			checked = append(checked, "`"+name+"`")
		}
	}
	state := map[string]string{}
	rows, err := db.QueryContext(ctx, "CHECKSUM TABLE "+strings.Join(checked, ", "))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		var sum *int64
		if err := rows.Scan(&name, &sum); err != nil {
			t.Fatal(err)
		}
		if sum == nil {
			t.Fatalf("CHECKSUM TABLE %s: no checksum", name)
		}
		state["table "+name] = fmt.Sprint(*sum)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	for name, query := range map[string]string{
		"sessions (but last_seen_at)": `SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT_WS('|', HEX(token_hash), subject_kind, subject_id,
			scope, created_at, expires_at, IFNULL(revoked_at, '-')))), 0) FROM sessions`,
		"admin_audit (but the reads)": `SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT_WS('|', id, staff_id, action, entity, entity_id,
			IFNULL(changes, '-'), at))), 0) FROM admin_audit WHERE action NOT LIKE '%.read' AND action <> 'citizen.data_export'`,
		"idempotency_keys (but the sweep's)": `SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT_WS('|', scope, idem_key, HEX(request_hash),
			IFNULL(status_code, '-'), IFNULL(content_type, '-'), IFNULL(HEX(body), '-'), created_at))), 0)
			FROM idempotency_keys WHERE idem_key NOT LIKE 'sweep-%'`,
	} {
		var n, sum int64
		if err := db.QueryRowContext(ctx, query).Scan(&n, &sum); err != nil {
			t.Fatal(err)
		}
		state[name] = fmt.Sprintf("%d rows, %d", n, sum)
	}
	count, err := env.temporal.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	state["workflow executions"] = fmt.Sprint(count.GetCount())
	return state
}
