package api_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"occonnect/api"
	"occonnect/domain"
	"occonnect/internal/apitest"
	"occonnect/internal/testenv"
	"occonnect/store"
)

type exchangePointJSON = api.ExchangePointJSON

type epNearest struct {
	Items []exchangePointJSON `json:"items"`
}

// epMonday10 is Monday 8 June 2026, 10:00 in Casablanca.
var epMonday10 = time.Date(2026, 6, 8, 10, 0, 0, 0, domain.Casablanca)

// epTestEnv is the admin routes' server holding the demo exchange points.
type epTestEnv struct {
	*adminEnv
	points []store.ExchangePoint
}

func newEPTestEnv(t *testing.T) *epTestEnv {
	t.Helper()
	e := &epTestEnv{adminEnv: newAdminEnv(t, apitest.Options{Now: epMonday10})}
	points := testenv.DemoExchangePoints(t)
	if _, _, err := e.Store.ImportExchangePoints(context.Background(), points); err != nil {
		t.Fatal(err)
	}
	e.points = points
	return e
}

// get sends an anonymous GET.
func (e *epTestEnv) get(path string) *httptest.ResponseRecorder {
	return e.Call("", http.MethodGet, path, "")
}

// as sends a request with the member's token and a request ID the audit must show.
func (e *epTestEnv) as(m apitest.Member, method, path, body string) *httptest.ResponseRecorder {
	return e.Call(m.Token, method, path, body, "X-Request-ID", "ep-test-"+strings.ToLower(method))
}

// TestExchangePointsNearest: nearest first within the radius, distances rounded to 0.1 km,
// open_now at the server's clock and as a filter; bad parameters are field errors.
func TestExchangePointsNearest(t *testing.T) {
	t.Parallel()
	e := newEPTestEnv(t)
	const rabat = "lat=34.0209&lon=-6.8416"

	w := e.get("/api/v1/exchange-points/nearest?" + rabat)
	if w.Code != http.StatusOK {
		t.Fatalf("nearest: %d %s", w.Code, w.Body)
	}
	got := apitest.Decode[epNearest](t, w)
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
	if body := w.Body.String(); !strings.Contains(body, `"distance_km":`) || !strings.Contains(body, `"hours":{"mon":[`) {
		t.Errorf("body: %s", body)
	}

	w = e.get("/api/v1/exchange-points/nearest?" + rabat + "&limit=50&radius_km=3")
	got = apitest.Decode[epNearest](t, w)
	if w.Code != http.StatusOK || len(got.Items) == 0 || len(got.Items) == 50 {
		t.Fatalf("radius 3 km: %d, %d items", w.Code, len(got.Items))
	}
	for _, p := range got.Items {
		if *p.DistanceKm > 3.05 {
			t.Errorf("%s at %v km, radius 3", p.Code, *p.DistanceKm)
		}
	}
	if w := e.get("/api/v1/exchange-points/nearest?lat=30&lon=-3&radius_km=1"); w.Code != http.StatusOK || w.Body.String() != "{\"items\":[]}\n" {
		t.Errorf("nothing near: %d %s", w.Code, w.Body)
	}

	// Sunday 10:00 in Casablanca: open_now=true keeps the points open then.
	e.Clock.Set(time.Date(2026, 6, 7, 10, 0, 0, 0, domain.Casablanca))
	all := apitest.Decode[epNearest](t, e.get("/api/v1/exchange-points/nearest?"+rabat+"&limit=50"))
	closed := 0
	for _, p := range all.Items {
		if !p.OpenNow {
			closed++
		}
	}
	w = e.get("/api/v1/exchange-points/nearest?" + rabat + "&limit=50&open_now=true")
	open := apitest.Decode[epNearest](t, w)
	if w.Code != http.StatusOK || len(open.Items) == 0 || closed == 0 {
		t.Fatalf("open_now: %d, %d open, %d closed among the nearest 50", w.Code, len(open.Items), closed)
	}
	for _, p := range open.Items {
		if !p.OpenNow || len(p.Hours[time.Sunday]) == 0 {
			t.Errorf("%s answered on Sunday 10:00 with hours %v", p.Code, p.Hours.Strings(time.Sunday))
		}
	}
	e.Clock.Set(epMonday10)

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
		w := e.get("/api/v1/exchange-points/nearest?" + c.query)
		if pc, fields := problemFields(t, w); w.Code != http.StatusBadRequest || pc != "validation_failed" || !reflect.DeepEqual(fields, c.fields) {
			t.Errorf("?%s: %d %s %v, want 400 %v", c.query, w.Code, pc, fields, c.fields)
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
		w := e.get(path)
		if w.Code != http.StatusOK || pages > 10 {
			t.Fatalf("%s: %d %s", path, w.Code, w.Body)
		}
		page := apitest.Decode[api.ListResponse[exchangePointJSON]](t, w)
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
		w := e.get("/api/v1/exchange-points?limit=100&" + query)
		if w.Code != http.StatusOK {
			t.Fatalf("?%s: %d %s", query, w.Code, w.Body)
		}
		return apitest.Decode[api.ListResponse[exchangePointJSON]](t, w).Items
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
		w := e.get("/api/v1/exchange-points?" + c.query)
		if pc, fields := problemFields(t, w); w.Code != http.StatusBadRequest || pc != "validation_failed" || fields[c.field] != "invalid" {
			t.Errorf("?%s: %d %s %v", c.query, w.Code, pc, fields)
		}
	}

	w := e.get("/api/v1/exchange-points/ep-0003")
	if w.Code != http.StatusOK {
		t.Fatalf("GET ep-0003: %d %s", w.Code, w.Body)
	}
	p := apitest.Decode[exchangePointJSON](t, w)
	if p.Code != "EP-0003" || p.Name != "Démo — Change Jamaâ El Fna" || p.OperatorType != "bureau_de_change" || p.City != "Marrakech" ||
		p.Region != "Marrakech-Safi" || p.Lat != 31.625826 || p.Lon != -7.989161 || p.Phone == nil || !p.Active || p.DistanceKm != nil {
		t.Errorf("EP-0003 = %+v", p)
	}
	raw := apitest.Decode[map[string]json.RawMessage](t, w)
	for _, k := range []string{"code", "name", "operator_type", "address", "city", "region", "lat", "lon", "phone", "hours", "open_now", "active"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("GET: no %q in %s", k, w.Body)
		}
	}
	for _, path := range []string{"/api/v1/exchange-points/EP-9999", "/api/v1/exchange-points/nope"} {
		apitest.WantProblem(t, e.get(path), http.StatusNotFound, "not_found")
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
	nobody := apitest.Member{}

	for _, c := range []struct {
		who                apitest.Member
		method, path, body string
	}{
		{e.officer, http.MethodPost, "/api/v1/admin/exchange-points", epNewPoint},
		{e.officer, http.MethodPut, "/api/v1/admin/exchange-points/EP-0001", epNewPoint},
		{e.officer, http.MethodPost, "/api/v1/admin/exchange-points/EP-0001/deactivate", ""},
		{e.officer, http.MethodPost, "/api/v1/admin/exchange-points/EP-0001/activate", ""},
		{nobody, http.MethodPost, "/api/v1/admin/exchange-points", epNewPoint},
		{nobody, http.MethodPost, "/api/v1/admin/exchange-points/EP-0001/deactivate", ""},
	} {
		want, wantCode := http.StatusForbidden, "forbidden"
		if c.who.Token == "" {
			want, wantCode = http.StatusUnauthorized, "unauthorized"
		}
		apitest.WantProblem(t, e.as(c.who, c.method, c.path, c.body), want, wantCode)
	}
	if p, _ := e.Store.ExchangePointByCode(ctx, "EP-0001"); !p.Active {
		t.Fatal("an officer deactivated EP-0001")
	}

	// Create.
	w := e.as(e.admin, http.MethodPost, "/api/v1/admin/exchange-points", epNewPoint)
	if w.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	created := apitest.Decode[exchangePointJSON](t, w)
	if created.Code != "EP-0900" || created.Name != "Démo — Nouveau bureau" || created.Phone == nil || *created.Phone != "0537 11 22 33" ||
		!created.Active || !created.OpenNow || created.Hours.Strings(time.Saturday)[0] != "09:00-12:00" || len(created.Hours[time.Sunday]) != 0 {
		t.Errorf("created = %+v", created)
	}
	if w := e.get("/api/v1/exchange-points/EP-0900"); w.Code != http.StatusOK || !reflect.DeepEqual(apitest.Decode[exchangePointJSON](t, w), created) {
		t.Errorf("GET after create: %d %s", w.Code, w.Body)
	}
	apitest.WantProblem(t, e.as(e.admin, http.MethodPost, "/api/v1/admin/exchange-points", epNewPoint), http.StatusConflict, "conflict")

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
		w := e.as(e.admin, c.method, c.path, c.body)
		if pc, fields := problemFields(t, w); w.Code != http.StatusBadRequest || pc != c.code || !reflect.DeepEqual(fields, c.fields) {
			t.Errorf("%s: %d %s %v, want 400 %s %v", c.name, w.Code, pc, fields, c.code, c.fields)
		}
	}

	// Full update.
	update := `{"name":"Démo — Bureau renommé","operator_type":"money_transfer","address":"3, Rue Test, Agdal, Rabat",
		"city":"Rabat","region":"Rabat-Salé-Kénitra","lat":34.0,"lon":-6.85,"hours":{"mon":["08:00-20:00"]}}`
	w = e.as(e.admin, http.MethodPut, "/api/v1/admin/exchange-points/EP-0900", update)
	if w.Code != http.StatusOK {
		t.Fatalf("update: %d %s", w.Code, w.Body)
	}
	updated := apitest.Decode[exchangePointJSON](t, w)
	if updated.Name != "Démo — Bureau renommé" || updated.OperatorType != "money_transfer" || updated.Phone != nil ||
		len(updated.Hours[time.Saturday]) != 0 || !updated.Active {
		t.Errorf("updated = %+v", updated)
	}
	apitest.WantProblem(t, e.as(e.admin, http.MethodPut, "/api/v1/admin/exchange-points/EP-9999", update), http.StatusNotFound, "not_found")

	// Deactivate: out of the lists and of nearest; still readable by code. Then activate.
	near := func() []string {
		var codes []string
		for _, p := range apitest.Decode[epNearest](t, e.get("/api/v1/exchange-points/nearest?lat=34.0&lon=-6.85&radius_km=0.5")).Items {
			codes = append(codes, p.Code)
		}
		return codes
	}
	if !slices.Contains(near(), "EP-0900") {
		t.Fatal("the new point is not near its own coordinates")
	}
	for range 2 {
		w = e.as(e.admin, http.MethodPost, "/api/v1/admin/exchange-points/EP-0900/deactivate", "")
		if w.Code != http.StatusOK || apitest.Decode[exchangePointJSON](t, w).Active {
			t.Fatalf("deactivate: %d %s", w.Code, w.Body)
		}
	}
	if slices.Contains(near(), "EP-0900") {
		t.Error("a deactivated point is still near")
	}
	if w := e.get("/api/v1/exchange-points/EP-0900"); w.Code != http.StatusOK || apitest.Decode[exchangePointJSON](t, w).Active {
		t.Errorf("GET a deactivated point: %d %s", w.Code, w.Body)
	}
	w = e.as(e.admin, http.MethodPost, "/api/v1/admin/exchange-points/EP-0900/activate", "")
	if w.Code != http.StatusOK || !apitest.Decode[exchangePointJSON](t, w).Active || !slices.Contains(near(), "EP-0900") {
		t.Errorf("activate: %d %s", w.Code, w.Body)
	}
	apitest.WantProblem(t, e.as(e.admin, http.MethodPost, "/api/v1/admin/exchange-points/EP-9999/activate", ""), http.StatusNotFound, "not_found")

	// The audit: one row per change, newest first, by the admin, with the request id,
	// and never a secret.
	audit, err := e.Store.AdminAudit(ctx, "exchange_point", "EP-0900", 20)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Action)
		if a.StaffID != e.admin.ID || a.RequestID == nil || !strings.HasPrefix(*a.RequestID, "ep-test-") || !a.At.Equal(epMonday10) {
			t.Errorf("audit row %+v", a)
		}
		lower := strings.ToLower(string(a.Changes))
		for _, secret := range []string{e.admin.Token, e.officer.Token, "password", "hash", "token", "bearer"} {
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
