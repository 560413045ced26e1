package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"occonnect/domain"
	"occonnect/internal/epimport"
	"occonnect/internal/passhash"
	"occonnect/internal/testenv"
	"occonnect/store"
)

// epTestEnv is a Server on a fresh MariaDB database holding the demo exchange points, its
// handler, and a full session for an admin and an officer.
type epTestEnv struct {
	st     *store.Store
	clock  *fakeClock
	h      http.Handler
	tokens map[domain.Role]string // role → bearer token
	ids    map[domain.Role]int64  // role → staff id
	points []store.ExchangePoint
}

// epMonday10 is Monday 8 June 2026, 10:00 in Casablanca.
var epMonday10 = time.Date(2026, 6, 8, 10, 0, 0, 0, domain.Casablanca)

func newEPTestEnv(t *testing.T) *epTestEnv {
	t.Helper()
	ctx := context.Background()
	st := store.New(testenv.MySQL(t))
	clock := &fakeClock{now: epMonday10.UTC()}
	hasher, err := passhash.NewHasher(passhash.DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Deps{Store: st, Hasher: hasher, Now: clock.Now, Logger: slog.New(slog.DiscardHandler)})

	// The whole router plus the exchange-point routes as they are to be registered in
	// Router(); once Router() has them, these are never reached (the first match wins).
	r := s.Router()
	v1 := r.PathPrefix("/api/v1").Subrouter()
	v1.Handle("/exchange-points", s.serve(s.listExchangePoints)).Methods(http.MethodGet)
	v1.Handle("/exchange-points/nearest", s.serve(s.nearestExchangePoints)).Methods(http.MethodGet)
	v1.Handle("/exchange-points/{code}", s.serve(s.getExchangePoint)).Methods(http.MethodGet)
	v1.Handle("/admin/exchange-points", s.authed(staff("admin"), s.createExchangePoint)).Methods(http.MethodPost)
	v1.Handle("/admin/exchange-points/{code}", s.authed(staff("admin"), s.updateExchangePoint)).Methods(http.MethodPut)
	v1.Handle("/admin/exchange-points/{code}/deactivate", s.authed(staff("admin"), s.deactivateExchangePoint)).Methods(http.MethodPost)
	v1.Handle("/admin/exchange-points/{code}/activate", s.authed(staff("admin"), s.activateExchangePoint)).Methods(http.MethodPost)

	env := &epTestEnv{st: st, clock: clock, h: s.common(r), tokens: map[domain.Role]string{}, ids: map[domain.Role]int64{}}
	for _, role := range []domain.Role{domain.RoleAdmin, domain.RoleOfficer} {
		id, err := st.CreateStaff(ctx, store.Staff{Email: string(role) + "@t.local", Role: role, PasswordHash: "x", CreatedAt: clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := s.newSession(ctx, domain.SubjectStaff, id, domain.ScopeFull)
		if err != nil {
			t.Fatal(err)
		}
		env.tokens[role], env.ids[role] = tok.Token, id
	}

	f, err := os.Open("../data/exchange_points_demo.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	points, errs := epimport.Parse(f)
	if len(errs) > 0 {
		t.Fatalf("demo CSV: %v", errs)
	}
	if _, _, err := st.ImportExchangePoints(ctx, points); err != nil {
		t.Fatal(err)
	}
	env.points = points
	return env
}

func (e *epTestEnv) setClock(at time.Time) {
	e.clock.mu.Lock()
	defer e.clock.mu.Unlock()
	e.clock.now = at.UTC()
}

// do sends a request with role's token ("" for none) and returns the status and body.
func (e *epTestEnv) do(t *testing.T, role domain.Role, method, path, body string) (int, []byte) {
	t.Helper()
	var req *http.Request
	if body == "" {
		req = httptest.NewRequest(method, path, nil)
	} else {
		req = httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[role])
	}
	req.Header.Set("X-Request-ID", "ep-test-"+strings.ToLower(method))
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return w.Code, w.Body.Bytes()
}

func epDecode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%v in %s", err, body)
	}
	return v
}

func epProblemFields(t *testing.T, body []byte) (string, map[string]string) {
	t.Helper()
	p := epDecode[Problem](t, body)
	fields := map[string]string{}
	for _, f := range p.Errors {
		fields[f.Field] = f.Code
	}
	return p.Code, fields
}

type epNearest struct {
	Items []exchangePointJSON `json:"items"`
}

// TestExchangePointsNearest: nearest first within the radius, distances rounded to 0.1 km,
// open_now at the server's clock and as a filter; bad parameters are field errors.
func TestExchangePointsNearest(t *testing.T) {
	t.Parallel()
	e := newEPTestEnv(t)
	const rabat = "lat=34.0209&lon=-6.8416"

	code, body := e.do(t, "", http.MethodGet, "/api/v1/exchange-points/nearest?"+rabat, "")
	if code != http.StatusOK {
		t.Fatalf("nearest: %d %s", code, body)
	}
	got := epDecode[epNearest](t, body)
	if len(got.Items) != 10 {
		t.Fatalf("%d items, want the default 10", len(got.Items))
	}
	if got.Items[0].Code != "EP-0001" {
		t.Errorf("nearest to Rabat's centre = %s, want EP-0001", got.Items[0].Code)
	}
	for i, p := range got.Items {
		d := *p.DistanceKm
		exact := domain.HaversineKm(34.0209, -6.8416, p.Lat, p.Lon)
		if math.Abs(d-exact) > 0.05+1e-9 || math.Abs(d*10-math.Round(d*10)) > 1e-9 {
			t.Errorf("%s: distance_km %v for %.4f km", p.Code, d, exact)
		}
		if i > 0 && d < *got.Items[i-1].DistanceKm {
			t.Errorf("#%d %s (%v km) after %v km", i, p.Code, d, *got.Items[i-1].DistanceKm)
		}
		if !slices.Contains([]string{"Rabat", "Salé", "Témara"}, p.City) || !p.Active {
			t.Errorf("#%d %s in %s (active %v)", i, p.Code, p.City, p.Active)
		}
		if p.OpenNow != p.Hours.OpenAt(epMonday10) {
			t.Errorf("%s: open_now %v on Monday 10:00 with hours %v", p.Code, p.OpenNow, p.Hours)
		}
	}
	if !strings.Contains(string(body), `"distance_km":`) || !strings.Contains(string(body), `"hours":{"mon":[`) {
		t.Errorf("body: %s", body)
	}

	code, body = e.do(t, "", http.MethodGet, "/api/v1/exchange-points/nearest?"+rabat+"&limit=50&radius_km=3", "")
	got = epDecode[epNearest](t, body)
	if code != http.StatusOK || len(got.Items) == 0 || len(got.Items) == 50 {
		t.Fatalf("radius 3 km: %d, %d items", code, len(got.Items))
	}
	for _, p := range got.Items {
		if *p.DistanceKm > 3.05 {
			t.Errorf("%s at %v km, radius 3", p.Code, *p.DistanceKm)
		}
	}
	code, body = e.do(t, "", http.MethodGet, "/api/v1/exchange-points/nearest?lat=30&lon=-3&radius_km=1", "")
	if code != http.StatusOK || string(body) != "{\"items\":[]}\n" {
		t.Errorf("nothing near: %d %s", code, body)
	}

	// Sunday 10:00 in Casablanca: open_now=true keeps the points open then.
	e.setClock(time.Date(2026, 6, 7, 10, 0, 0, 0, domain.Casablanca))
	_, body = e.do(t, "", http.MethodGet, "/api/v1/exchange-points/nearest?"+rabat+"&limit=50", "")
	all := epDecode[epNearest](t, body)
	closed := 0
	for _, p := range all.Items {
		if !p.OpenNow {
			closed++
		}
	}
	code, body = e.do(t, "", http.MethodGet, "/api/v1/exchange-points/nearest?"+rabat+"&limit=50&open_now=true", "")
	open := epDecode[epNearest](t, body)
	if code != http.StatusOK || len(open.Items) == 0 || closed == 0 {
		t.Fatalf("open_now: %d, %d open, %d closed among the nearest 50", code, len(open.Items), closed)
	}
	for _, p := range open.Items {
		if !p.OpenNow || len(p.Hours[time.Sunday]) == 0 {
			t.Errorf("%s answered on Sunday 10:00 with hours %v", p.Code, p.Hours.Strings(time.Sunday))
		}
	}
	e.setClock(epMonday10)

	for _, c := range []struct {
		query  string
		fields map[string]string
	}{
		{"", map[string]string{"lat": "required", "lon": "required"}},
		{"lat=34.02", map[string]string{"lon": "required"}},
		{"lat=&lon=-6.8", map[string]string{"lat": "required"}},
		{"lat=abc&lon=-6.8", map[string]string{"lat": "invalid"}},
		{"lat=34,02&lon=-6.8", map[string]string{"lat": "invalid"}},
		{"lat=NaN&lon=Inf", map[string]string{"lat": "invalid", "lon": "invalid"}},
		{"lat=90.5&lon=-180.1", map[string]string{"lat": "invalid", "lon": "invalid"}},
		{rabat + "&limit=0", map[string]string{"limit": "invalid"}},
		{rabat + "&limit=51", map[string]string{"limit": "invalid"}},
		{rabat + "&radius_km=0", map[string]string{"radius_km": "invalid"}},
		{rabat + "&radius_km=1000.5", map[string]string{"radius_km": "invalid"}},
		{rabat + "&open_now=yes", map[string]string{"open_now": "invalid"}},
	} {
		code, body := e.do(t, "", http.MethodGet, "/api/v1/exchange-points/nearest?"+c.query, "")
		pc, fields := epProblemFields(t, body)
		if code != http.StatusBadRequest || pc != "validation_failed" || !reflect.DeepEqual(fields, c.fields) {
			t.Errorf("?%s: %d %s %v, want 400 %v", c.query, code, pc, fields, c.fields)
		}
	}
}

// TestExchangePointsList: pages by code, the city and search filters, one point by code.
func TestExchangePointsList(t *testing.T) {
	t.Parallel()
	e := newEPTestEnv(t)
	active := 0
	for _, p := range e.points {
		if p.Active {
			active++
		}
	}
	var all []exchangePointJSON
	path := "/api/v1/exchange-points?limit=100"
	for pages := 0; ; pages++ {
		code, body := e.do(t, "", http.MethodGet, path, "")
		if code != http.StatusOK || pages > 10 {
			t.Fatalf("%s: %d %s", path, code, body)
		}
		page := epDecode[listResponse[exchangePointJSON]](t, body)
		all = append(all, page.Items...)
		if page.NextCursor == nil {
			break
		}
		path = "/api/v1/exchange-points?limit=100&cursor=" + url.QueryEscape(*page.NextCursor)
	}
	if len(all) != active {
		t.Errorf("%d points listed, %d active", len(all), active)
	}
	if !slices.IsSortedFunc(all, func(a, b exchangePointJSON) int { return strings.Compare(a.Code, b.Code) }) {
		t.Error("not in code order")
	}

	list := func(query string) []exchangePointJSON {
		t.Helper()
		code, body := e.do(t, "", http.MethodGet, "/api/v1/exchange-points?limit=100&"+query, "")
		if code != http.StatusOK {
			t.Fatalf("?%s: %d %s", query, code, body)
		}
		return epDecode[listResponse[exchangePointJSON]](t, body).Items
	}
	fes := list("city=" + url.QueryEscape("fes"))
	if len(fes) == 0 {
		t.Error("city=fes: nothing")
	}
	for _, p := range fes {
		if p.City != "Fès" {
			t.Errorf("city=fes: %s in %s", p.Code, p.City)
		}
	}
	if got := list("q=" + url.QueryEscape("JAMAA el fna")); len(got) != 1 || got[0].Code != "EP-0003" {
		t.Errorf("q=JAMAA el fna: %v", got)
	}
	if got := list("city=Casablanca&q=" + url.QueryEscape("maârif")); len(got) == 0 {
		t.Error("Casablanca, maârif: nothing")
	}

	for _, c := range []struct{ query, field string }{
		{"cursor=" + url.QueryEscape("!!"), "cursor"},
		{"cursor=bm9wZQ", "cursor"}, // "nope"
		{"limit=101", "limit"},
		{"q=" + strings.Repeat("a", 101), "q"},
	} {
		code, body := e.do(t, "", http.MethodGet, "/api/v1/exchange-points?"+c.query, "")
		pc, fields := epProblemFields(t, body)
		if code != http.StatusBadRequest || pc != "validation_failed" || fields[c.field] != "invalid" {
			t.Errorf("?%s: %d %s %v", c.query, code, pc, fields)
		}
	}

	code, body := e.do(t, "", http.MethodGet, "/api/v1/exchange-points/ep-0003", "")
	if code != http.StatusOK {
		t.Fatalf("GET ep-0003: %d %s", code, body)
	}
	p := epDecode[exchangePointJSON](t, body)
	if p.Code != "EP-0003" || p.Name != "Démo — Change Jamaâ El Fna" || p.OperatorType != "bureau_de_change" || p.City != "Marrakech" ||
		p.Region != "Marrakech-Safi" || p.Lat != 31.625826 || p.Lon != -7.989161 || p.Phone == nil || !p.Active || p.DistanceKm != nil {
		t.Errorf("EP-0003 = %+v", p)
	}
	var raw map[string]json.RawMessage
	_ = json.Unmarshal(body, &raw)
	for _, k := range []string{"code", "name", "operator_type", "address", "city", "region", "lat", "lon", "phone", "hours", "open_now", "active"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("GET: no %q in %s", k, body)
		}
	}
	for _, path := range []string{"/api/v1/exchange-points/EP-9999", "/api/v1/exchange-points/nope"} {
		code, body := e.do(t, "", http.MethodGet, path, "")
		if pc, _ := epProblemFields(t, body); code != http.StatusNotFound || pc != "not_found" {
			t.Errorf("GET %s: %d %s", path, code, body)
		}
	}
}

const epNewPoint = `{"code":"EP-0900","name":"Démo — Nouveau bureau","operator_type":"bureau_de_change",
	"address":"3, Rue Test, Agdal, Rabat","city":"Rabat","region":"Rabat-Salé-Kénitra","lat":34.0,"lon":-6.85,
	"phone":"0537 11 22 33","hours":{"mon":["09:00-13:00","15:00-19:00"],"sat":["09:00-12:00"]}}`

// TestExchangePointsAdmin: admins create, update, deactivate and activate points, each
// change audited without secrets; officers get 403; bad bodies are field errors.
func TestExchangePointsAdmin(t *testing.T) {
	t.Parallel()
	e := newEPTestEnv(t)
	ctx := context.Background()

	for _, c := range []struct {
		role               domain.Role
		method, path, body string
	}{
		{domain.RoleOfficer, http.MethodPost, "/api/v1/admin/exchange-points", epNewPoint},
		{domain.RoleOfficer, http.MethodPut, "/api/v1/admin/exchange-points/EP-0001", epNewPoint},
		{domain.RoleOfficer, http.MethodPost, "/api/v1/admin/exchange-points/EP-0001/deactivate", ""},
		{domain.RoleOfficer, http.MethodPost, "/api/v1/admin/exchange-points/EP-0001/activate", ""},
		{"", http.MethodPost, "/api/v1/admin/exchange-points", epNewPoint},
		{"", http.MethodPost, "/api/v1/admin/exchange-points/EP-0001/deactivate", ""},
	} {
		want, wantCode := http.StatusForbidden, "forbidden"
		if c.role == "" {
			want, wantCode = http.StatusUnauthorized, "unauthorized"
		}
		code, body := e.do(t, c.role, c.method, c.path, c.body)
		if pc, _ := epProblemFields(t, body); code != want || pc != wantCode {
			t.Errorf("%q %s %s: %d %s", c.role, c.method, c.path, code, body)
		}
	}
	if p, _ := e.st.ExchangePointByCode(ctx, "EP-0001"); !p.Active {
		t.Fatal("an officer deactivated EP-0001")
	}

	// Create.
	code, body := e.do(t, domain.RoleAdmin, http.MethodPost, "/api/v1/admin/exchange-points", epNewPoint)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, body)
	}
	created := epDecode[exchangePointJSON](t, body)
	if created.Code != "EP-0900" || created.Name != "Démo — Nouveau bureau" || created.Phone == nil || *created.Phone != "0537 11 22 33" ||
		!created.Active || !created.OpenNow || created.Hours.Strings(time.Saturday)[0] != "09:00-12:00" || len(created.Hours[time.Sunday]) != 0 {
		t.Errorf("created = %+v", created)
	}
	if code, body := e.do(t, "", http.MethodGet, "/api/v1/exchange-points/EP-0900", ""); code != http.StatusOK ||
		!reflect.DeepEqual(epDecode[exchangePointJSON](t, body), created) {
		t.Errorf("GET after create: %d %s", code, body)
	}
	code, body = e.do(t, domain.RoleAdmin, http.MethodPost, "/api/v1/admin/exchange-points", epNewPoint)
	if pc, _ := epProblemFields(t, body); code != http.StatusConflict || pc != "conflict" {
		t.Errorf("create again: %d %s", code, body)
	}

	// Validation.
	for _, c := range []struct {
		name, method, path, body, code string
		fields                         map[string]string
	}{
		{"create", http.MethodPost, "/api/v1/admin/exchange-points",
			`{"code":"X-1","name":" ","operator_type":"ufo","address":"a","city":"c","lat":40,"phone":"123",
			  "hours":{"mon":["8-12"],"tue":["09:00-12:00","11:00-13:00"],"lun":[]}}`, "validation_failed",
			map[string]string{"code": "invalid_format", "name": "required", "operator_type": "invalid", "lat": "outside_morocco",
				"lon": "required", "phone": "invalid_format", "hours.mon[0]": "invalid_format", "hours.tue": "invalid", "hours.lun": "unknown"}},
		{"no hours, no code", http.MethodPost, "/api/v1/admin/exchange-points",
			`{"name":"n","operator_type":"bank","address":"a","city":"c","lat":34,"lon":-6.8}`, "validation_failed",
			map[string]string{"code": "required", "hours": "required"}},
		{"too long", http.MethodPost, "/api/v1/admin/exchange-points",
			`{"code":"EP-0901","name":"` + strings.Repeat("é", 201) + `","operator_type":"bank","address":"a","city":"c","lat":34,"lon":-6.8,"hours":{}}`,
			"validation_failed", map[string]string{"name": "too_long"}},
		{"wrong type", http.MethodPost, "/api/v1/admin/exchange-points", `{"code":"EP-0901","lat":"34"}`,
			"validation_failed", map[string]string{"lat": "invalid"}},
		{"open_now is not an input", http.MethodPost, "/api/v1/admin/exchange-points", `{"code":"EP-0901","open_now":true}`,
			"unknown_field", map[string]string{"open_now": "unknown"}},
		{"update with a code", http.MethodPut, "/api/v1/admin/exchange-points/EP-0900", `{"code":"EP-0900"}`,
			"unknown_field", map[string]string{"code": "unknown"}},
		{"update with active", http.MethodPut, "/api/v1/admin/exchange-points/EP-0900", `{"active":false}`,
			"unknown_field", map[string]string{"active": "unknown"}},
		{"update", http.MethodPut, "/api/v1/admin/exchange-points/EP-0900",
			`{"name":"n","operator_type":"bank","address":"a","city":"c","lat":34,"lon":-20,"hours":{"sun":["10:00-09:00"]}}`,
			"validation_failed", map[string]string{"lon": "outside_morocco", "hours.sun[0]": "invalid_format"}},
	} {
		code, body := e.do(t, domain.RoleAdmin, c.method, c.path, c.body)
		pc, fields := epProblemFields(t, body)
		if code != http.StatusBadRequest || pc != c.code || !reflect.DeepEqual(fields, c.fields) {
			t.Errorf("%s: %d %s %v, want 400 %s %v", c.name, code, pc, fields, c.code, c.fields)
		}
	}

	// Full update.
	update := `{"name":"Démo — Bureau renommé","operator_type":"money_transfer","address":"3, Rue Test, Agdal, Rabat",
		"city":"Rabat","region":"Rabat-Salé-Kénitra","lat":34.0,"lon":-6.85,"hours":{"mon":["08:00-20:00"]}}`
	code, body = e.do(t, domain.RoleAdmin, http.MethodPut, "/api/v1/admin/exchange-points/EP-0900", update)
	if code != http.StatusOK {
		t.Fatalf("update: %d %s", code, body)
	}
	updated := epDecode[exchangePointJSON](t, body)
	if updated.Name != "Démo — Bureau renommé" || updated.OperatorType != "money_transfer" || updated.Phone != nil ||
		len(updated.Hours[time.Saturday]) != 0 || !updated.Active {
		t.Errorf("updated = %+v", updated)
	}
	if code, body := e.do(t, domain.RoleAdmin, http.MethodPut, "/api/v1/admin/exchange-points/EP-9999", update); code != http.StatusNotFound {
		t.Errorf("update of an unknown point: %d %s", code, body)
	}

	// Deactivate: out of the lists and of nearest; still readable by code. Then activate.
	near := func() []string {
		_, body := e.do(t, "", http.MethodGet, "/api/v1/exchange-points/nearest?lat=34.0&lon=-6.85&radius_km=0.5", "")
		var codes []string
		for _, p := range epDecode[epNearest](t, body).Items {
			codes = append(codes, p.Code)
		}
		return codes
	}
	if !slices.Contains(near(), "EP-0900") {
		t.Fatal("the new point is not near its own coordinates")
	}
	for range 2 {
		code, body = e.do(t, domain.RoleAdmin, http.MethodPost, "/api/v1/admin/exchange-points/EP-0900/deactivate", "")
		if code != http.StatusOK || epDecode[exchangePointJSON](t, body).Active {
			t.Fatalf("deactivate: %d %s", code, body)
		}
	}
	if slices.Contains(near(), "EP-0900") {
		t.Error("a deactivated point is still near")
	}
	if code, body := e.do(t, "", http.MethodGet, "/api/v1/exchange-points/EP-0900", ""); code != http.StatusOK || epDecode[exchangePointJSON](t, body).Active {
		t.Errorf("GET a deactivated point: %d %s", code, body)
	}
	code, body = e.do(t, domain.RoleAdmin, http.MethodPost, "/api/v1/admin/exchange-points/EP-0900/activate", "")
	if code != http.StatusOK || !epDecode[exchangePointJSON](t, body).Active || !slices.Contains(near(), "EP-0900") {
		t.Errorf("activate: %d %s", code, body)
	}
	if code, _ := e.do(t, domain.RoleAdmin, http.MethodPost, "/api/v1/admin/exchange-points/EP-9999/activate", ""); code != http.StatusNotFound {
		t.Errorf("activate an unknown point: %d", code)
	}

	// The audit: one row per change, newest first, by the admin, with the request id,
	// and never a secret.
	audit, err := e.st.AdminAudit(ctx, "exchange_point", "EP-0900", 20)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Action)
		if a.StaffID != e.ids[domain.RoleAdmin] || a.RequestID == nil || !strings.HasPrefix(*a.RequestID, "ep-test-") || !a.At.Equal(epMonday10) {
			t.Errorf("audit row %+v", a)
		}
		lower := strings.ToLower(string(a.Changes))
		for _, secret := range []string{e.tokens[domain.RoleAdmin], e.tokens[domain.RoleOfficer], "password", "hash", "token", "bearer"} {
			if strings.Contains(lower, strings.ToLower(secret)) {
				t.Errorf("audit row %s holds %q: %s", a.Action, secret, a.Changes)
			}
		}
	}
	want := []string{"exchange_point.activate", "exchange_point.deactivate", "exchange_point.update", "exchange_point.create"}
	if !slices.Equal(actions, want) {
		t.Errorf("audit actions %v, want %v", actions, want)
	}
	if len(audit) == 4 {
		var changes map[string]store.FieldChange
		if err := json.Unmarshal(audit[2].Changes, &changes); err != nil {
			t.Fatal(err)
		}
		if changes["name"].From != "Démo — Nouveau bureau" || changes["name"].To != "Démo — Bureau renommé" ||
			changes["phone"].From != "0537 11 22 33" || changes["phone"].To != nil || len(changes) != 4 {
			t.Errorf("update audit = %s", audit[2].Changes)
		}
	}
}
