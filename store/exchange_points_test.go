package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"occonnect/domain"
	"occonnect/internal/testenv"
	"occonnect/store"
)

// City centres of the distance tests.
var (
	epRabat      = [2]float64{34.0209, -6.8416}
	epCasablanca = [2]float64{33.5731, -7.5898}
	epFes        = [2]float64{34.0331, -5.0003}
	epMarrakech  = [2]float64{31.6295, -7.9811}
)

// epDemoStore is a fresh database with the demo file imported.
func epDemoStore(t *testing.T) (*store.Store, []store.ExchangePoint) {
	t.Helper()
	st := store.New(testenv.MySQL(t))
	points := testenv.DemoExchangePoints(t)
	created, updated, err := st.ImportExchangePoints(context.Background(), points)
	if err != nil {
		t.Fatalf("ImportExchangePoints: %v", err)
	}
	if created != len(points) || updated != 0 {
		t.Fatalf("import: %d created, %d updated; want %d, 0", created, updated, len(points))
	}
	return st, points
}

// epBrute is what Nearest must answer: the active points within radius, by distance then
// code, computed in Go.
func epBrute(points []store.ExchangePoint, lat, lon, radius float64, keep func(store.ExchangePoint) bool) []string {
	type pd struct {
		code string
		d    float64
	}
	var list []pd
	for _, p := range points {
		if d := domain.HaversineKm(lat, lon, p.Lat, p.Lon); p.Active && d <= radius && (keep == nil || keep(p)) {
			list = append(list, pd{p.Code, d})
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].d != list[j].d {
			return list[i].d < list[j].d
		}
		return list[i].code < list[j].code
	})
	out := []string{}
	for _, x := range list {
		out = append(out, x.code)
	}
	return out
}

func epCodes(list []store.NearbyPoint) []string {
	out := []string{}
	for _, p := range list {
		out = append(out, p.Code)
	}
	return out
}

// TestHaversineKm: the great-circle distances between city centres (R = 6371.0088 km).
func TestHaversineKm(t *testing.T) {
	for _, c := range []struct {
		name string
		a, b [2]float64
		want float64
	}{
		{"Rabat–Casablanca", epRabat, epCasablanca, 85.2},
		{"Rabat–Fès", epRabat, epFes, 169.7},
		{"Casablanca–Marrakech", epCasablanca, epMarrakech, 219.2},
	} {
		d := domain.HaversineKm(c.a[0], c.a[1], c.b[0], c.b[1])
		if math.Abs(d-c.want) > 1 {
			t.Errorf("%s = %.1f km, want %.1f ± 1", c.name, d, c.want)
		}
		if back := domain.HaversineKm(c.b[0], c.b[1], c.a[0], c.a[1]); math.Abs(back-d) > 1e-9 {
			t.Errorf("%s is not symmetric: %v and %v", c.name, d, back)
		}
	}
	if d := domain.HaversineKm(34, -6, 34, -6); d != 0 {
		t.Errorf("distance to itself = %v", d)
	}
	// A quarter of the equator.
	if d := domain.HaversineKm(0, 0, 0, 90); math.Abs(d-domain.EarthRadiusKm*math.Pi/2) > 1e-6 {
		t.Errorf("quarter of the equator = %v", d)
	}
}

// TestWeeklyHours: parsing, JSON (and the older shapes), and OpenAt in Morocco's time.
func TestWeeklyHours(t *testing.T) {
	day, err := domain.ParseDayHours(" 14:00-18:00  08:30-12:00 ")
	if err != nil || len(day) != 2 || day[0].String() != "08:30-12:00" || day[1].String() != "14:00-18:00" {
		t.Fatalf("ParseDayHours = %v, %v", day, err)
	}
	for _, bad := range []string{"8:30-12:00", "08:30-12", "12:00-08:00", "10:00-10:00", "24:00-25:00", "08:60-09:00",
		"08:00-12:00 11:00-14:00", "matin", "+8:30-12:00", "08:30—12:00"} {
		if _, err := domain.ParseDayHours(bad); err == nil {
			t.Errorf("ParseDayHours(%q) accepted", bad)
		}
	}
	if day, err := domain.ParseDayHours(""); err != nil || len(day) != 0 {
		t.Errorf("empty cell = %v, %v", day, err)
	}

	var h domain.WeeklyHours
	h[time.Monday], _ = domain.ParseDayHours("08:30-12:00 14:00-18:00")
	h[time.Saturday], _ = domain.ParseDayHours("09:00-13:00")
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"mon":["08:30-12:00","14:00-18:00"],"tue":[],"wed":[],"thu":[],"fri":[],"sat":["09:00-13:00"],"sun":[]}`
	if string(b) != want {
		t.Errorf("JSON = %s, want %s", b, want)
	}
	var back domain.WeeklyHours
	if err := json.Unmarshal(b, &back); err != nil || !back.Equal(h) {
		t.Errorf("round trip = %v, %v", back, err)
	}
	// The shape `seed demo` writes, and "{}".
	var legacy domain.WeeklyHours
	if err := json.Unmarshal([]byte(`{"mon":"08:30-18:00","sat":"09:00-13:00","sun":null}`), &legacy); err != nil {
		t.Fatal(err)
	}
	if got := legacy.Strings(time.Monday); !slices.Equal(got, []string{"08:30-18:00"}) || len(legacy[time.Sunday]) != 0 {
		t.Errorf("legacy = %v", legacy)
	}
	if err := json.Unmarshal([]byte(`{}`), &legacy); err != nil || !legacy.Equal(domain.WeeklyHours{}) {
		t.Errorf("{} = %v, %v", legacy, err)
	}
	for _, bad := range []string{`{"lun":[]}`, `{"mon":["8-12"]}`, `{"mon":3}`, `[]`} {
		var x domain.WeeklyHours
		if err := json.Unmarshal([]byte(bad), &x); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}

	// OpenAt reads the time in Africa/Casablanca: Monday 8 June 2026.
	at := func(hh, mm int) time.Time { return time.Date(2026, 6, 8, hh, mm, 0, 0, domain.Casablanca) }
	if at(0, 0).Weekday() != time.Monday {
		t.Fatal("8 June 2026 is not a Monday")
	}
	for _, c := range []struct {
		t    time.Time
		open bool
	}{
		{at(8, 29), false}, {at(8, 30), true}, {at(11, 59), true}, {at(12, 0), false}, {at(13, 0), false},
		{at(14, 0), true}, {at(17, 59), true}, {at(18, 0), false},
		{at(10, 0).UTC(), true}, // the same instant, in UTC
		{at(10, 0).AddDate(0, 0, 1), false},
	} {
		if got := h.OpenAt(c.t); got != c.open {
			t.Errorf("OpenAt(%v) = %v, want %v", c.t, got, c.open)
		}
	}
	var allDay domain.WeeklyHours
	allDay[time.Sunday], _ = domain.ParseDayHours("00:00-23:59")
	sun := time.Date(2026, 6, 7, 0, 0, 0, 0, domain.Casablanca)
	for _, d := range []time.Duration{0, 10 * time.Hour, 23*time.Hour + 59*time.Minute + 59*time.Second} {
		if !allDay.OpenAt(sun.Add(d)) {
			t.Errorf("00:00-23:59 closed at %v", sun.Add(d))
		}
	}
	if allDay.OpenAt(sun.Add(24 * time.Hour)) {
		t.Error("open on Monday")
	}
}

// TestNearestExchangePoints: on the demo file, Nearest answers exactly the active points
// within the radius, nearest first, with the SQL distance equal to Go's; from Rabat's
// centre the first ones are in Rabat, Salé or Témara.
func TestNearestExchangePoints(t *testing.T) {
	ctx := context.Background()
	st, points := epDemoStore(t)
	byCode := map[string]store.ExchangePoint{}
	for _, p := range points {
		byCode[p.Code] = p
	}

	got, err := st.Nearest(ctx, epRabat[0], epRabat[1], 50, 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 20 {
		t.Fatalf("%d points from Rabat, want 20", len(got))
	}
	for i, p := range got {
		if p.DistanceKm > 50 || (i > 0 && p.DistanceKm < got[i-1].DistanceKm) {
			t.Errorf("#%d %s at %.3f km: outside the radius or out of order", i, p.Code, p.DistanceKm)
		}
		if d := domain.HaversineKm(epRabat[0], epRabat[1], p.Lat, p.Lon); math.Abs(d-p.DistanceKm) > 1e-6 {
			t.Errorf("%s: SQL distance %.9f, Go %.9f", p.Code, p.DistanceKm, d)
		}
		if !p.Active {
			t.Errorf("%s is inactive", p.Code)
		}
		if i < 10 && !slices.Contains([]string{"Rabat", "Salé", "Témara"}, p.City) {
			t.Errorf("#%d %s is in %s", i, p.Code, p.City)
		}
		if p.Name != byCode[p.Code].Name || !p.OpeningHours.Equal(byCode[p.Code].OpeningHours) || p.Phone != byCode[p.Code].Phone {
			t.Errorf("%s read back as %+v, imported %+v", p.Code, p.ExchangePoint, byCode[p.Code])
		}
	}
	if got[0].Code != "EP-0001" {
		t.Errorf("nearest to Rabat's centre = %s, want EP-0001 (34.020882, -6.841650)", got[0].Code)
	}

	// The bounding box loses nothing and lets nothing extra through, wherever the centre.
	for _, c := range []struct {
		name        string
		lat, lon, r float64
	}{
		{"Rabat 5 km", epRabat[0], epRabat[1], 5},
		{"Rabat 50 km", epRabat[0], epRabat[1], 50},
		{"Casablanca 2 km", epCasablanca[0], epCasablanca[1], 2},
		{"Casablanca 300 km", epCasablanca[0], epCasablanca[1], 300},
		{"Dakhla 1000 km", 23.6848, -15.9580, 1000},
		{"Atlantic, off Agadir", 30.5, -11, 150},
		{"Madrid 1000 km", 40.4168, -3.7038, 1000},
		{"nowhere near", 10, 10, 1000},
	} {
		got, err := st.Nearest(ctx, c.lat, c.lon, c.r, 10000)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if want := epBrute(points, c.lat, c.lon, c.r, nil); !slices.Equal(epCodes(got), want) {
			t.Errorf("%s: %d points %v, want %d %v", c.name, len(got), epCodes(got), len(want), want)
		}
	}
	if got, err := st.Nearest(ctx, epRabat[0], epRabat[1], 50, 0); err != nil || len(got) != 0 {
		t.Errorf("limit 0: %v, %v", got, err)
	}

	// Open now: a Sunday at 10:00 in Casablanca excludes the points closed on Sunday.
	sunday := time.Date(2026, 6, 7, 10, 0, 0, 0, domain.Casablanca)
	if sunday.Weekday() != time.Sunday {
		t.Fatal("7 June 2026 is not a Sunday")
	}
	open := func(p store.ExchangePoint) bool { return p.OpeningHours.OpenAt(sunday) }
	got, err = st.NearestWhere(ctx, epRabat[0], epRabat[1], 50, 15, open)
	if err != nil {
		t.Fatal(err)
	}
	want := epBrute(points, epRabat[0], epRabat[1], 50, open)
	if len(want) > 15 {
		want = want[:15]
	}
	if len(got) == 0 || !slices.Equal(epCodes(got), want) {
		t.Errorf("open on Sunday 10:00: %v, want %v", epCodes(got), want)
	}
	closedSunday := 0
	for _, p := range epBrute(points, epRabat[0], epRabat[1], 50, nil) {
		if len(byCode[p].OpeningHours[time.Sunday]) == 0 {
			closedSunday++
			if slices.Contains(epCodes(got), p) {
				t.Errorf("%s is closed on Sunday but was answered", p)
			}
		}
	}
	if closedSunday == 0 {
		t.Error("the demo data has no point closed on Sunday near Rabat")
	}
	for _, p := range got {
		if !slices.ContainsFunc(p.OpeningHours[time.Sunday], func(iv domain.Interval) bool { return iv.From <= 600 && 600 < iv.To }) {
			t.Errorf("%s: Sunday hours %v do not cover 10:00", p.Code, p.OpeningHours.Strings(time.Sunday))
		}
	}
}

// TestNearestUsesIndex: EXPLAIN of the nearest query shows a range on the
// (active, lat, lon) index, not a full scan.
func TestNearestUsesIndex(t *testing.T) {
	st, _ := epDemoStore(t)
	for _, c := range []struct{ lat, lon, r float64 }{{epRabat[0], epRabat[1], 50}, {epRabat[0], epRabat[1], 10}, {epMarrakech[0], epMarrakech[1], 20}} {
		q, args := store.NearestQuery(c.lat, c.lon, c.r, 10)
		rows, err := st.DB().QueryxContext(context.Background(), "EXPLAIN "+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plans []map[string]any
		for rows.Next() {
			m := map[string]any{}
			if err := rows.MapScan(m); err != nil {
				t.Fatal(err)
			}
			for k, v := range m {
				if b, ok := v.([]byte); ok {
					m[k] = string(b)
				}
			}
			plans = append(plans, m)
		}
		rows.Close()
		if len(plans) != 1 || plans[0]["table"] != "exchange_points" || plans[0]["type"] != "range" ||
			plans[0]["key"] != "exchange_points_active_lat_lon" {
			t.Errorf("EXPLAIN (%v, %v, %v km) = %v, want a range on exchange_points_active_lat_lon", c.lat, c.lon, c.r, plans)
		}
	}
}

// TestListExchangePoints: city and search ignore case and accents, wildcards are literal,
// pages follow the code, inactive points are not listed; ExchangePointByCode.
func TestListExchangePoints(t *testing.T) {
	ctx := context.Background()
	st, points := epDemoStore(t)
	active := 0
	for _, p := range points {
		if p.Active {
			active++
		}
	}
	var all []store.ExchangePoint
	after := ""
	for {
		page, err := st.ListExchangePoints(ctx, "", "", after, 50)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if len(page) < 50 {
			break
		}
		after = page[len(page)-1].Code
	}
	if len(all) != active {
		t.Errorf("%d points listed, %d active", len(all), active)
	}
	if !slices.IsSortedFunc(all, func(a, b store.ExchangePoint) int { return strings.Compare(a.Code, b.Code) }) {
		t.Error("not in code order")
	}
	for _, p := range all {
		if !p.Active {
			t.Errorf("%s is inactive", p.Code)
		}
	}

	count := func(city, q string) []store.ExchangePoint {
		t.Helper()
		list, err := st.ListExchangePoints(ctx, city, q, "", 1000)
		if err != nil {
			t.Fatal(err)
		}
		return list
	}
	fes := count("Fès", "")
	if len(fes) == 0 || len(count("fes", "")) != len(fes) || len(count("FÈS", "")) != len(fes) {
		t.Errorf("city Fès: %d, fes: %d, FÈS: %d", len(fes), len(count("fes", "")), len(count("FÈS", "")))
	}
	for _, p := range fes {
		if p.City != "Fès" {
			t.Errorf("city filter fes gave %s in %s", p.Code, p.City)
		}
	}
	if got := count("", "jamaa el fna"); len(got) != 1 || got[0].Code != "EP-0003" {
		t.Errorf(`q "jamaa el fna" = %v`, got)
	}
	if got := count("", "LAAYOUNE"); len(got) == 0 || got[0].City != "Laâyoune" {
		t.Errorf(`q "LAAYOUNE" = %d points`, len(got))
	}
	if got := count("Casablanca", "maarif"); len(got) == 0 {
		t.Error(`city Casablanca, q "maarif": nothing`)
	} else {
		for _, p := range got {
			if p.City != "Casablanca" || !strings.Contains(strings.ToLower(p.Name+p.Address), "maârif") {
				t.Errorf("%s: %s, %s", p.Code, p.Name, p.Address)
			}
		}
	}
	if got := count("", "%"); len(got) != 0 {
		t.Errorf(`q "%%" matched %d points`, len(got))
	}
	if got := count("", "_"); len(got) != 0 {
		t.Errorf(`q "_" matched %d points`, len(got))
	}

	p, err := st.ExchangePointByCode(ctx, "EP-0002")
	if err != nil || p.Name != "Démo — Banque Maârif" || p.OperatorType != domain.OperatorBank || p.Region != "Casablanca-Settat" {
		t.Errorf("EP-0002 = %+v, %v", p, err)
	}
	if _, err := st.ExchangePointByCode(ctx, "EP-9999"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("EP-9999: %v", err)
	}
}

// TestImportExchangePoints: a second file updates by code and creates the new ones; a
// failing batch loads nothing (one transaction); UpsertExchangePoint keeps working with
// the raw JSON of its callers.
func TestImportExchangePoints(t *testing.T) {
	ctx := context.Background()
	st, points := epDemoStore(t)
	cities := map[string]bool{}
	for _, p := range points {
		cities[p.City] = true
	}
	if len(points) < 300 || len(cities) < 25 {
		t.Errorf("demo: %d points in %d cities", len(points), len(cities))
	}
	var total int
	if err := st.DB().GetContext(ctx, &total, `SELECT COUNT(*) FROM exchange_points`); err != nil || total != len(points) {
		t.Fatalf("%d rows, want %d (%v)", total, len(points), err)
	}

	// A second file: two points changed, one new.
	a, b := points[0], points[1]
	a.Name, a.Phone, a.Active = "Démo — Bureau renommé", "", false
	b.OpeningHours = domain.WeeklyHours{}
	b.OperatorType = domain.OperatorHotel
	c := store.ExchangePoint{Code: "EP-9001", Name: "Démo — Nouveau", OperatorType: domain.OperatorMoneyTransfer,
		Address: "1, Rue Test, Rabat", City: "Rabat", Region: "Rabat-Salé-Kénitra", Lat: 34.01, Lon: -6.83, Active: true}
	created, updated, err := st.ImportExchangePoints(ctx, []store.ExchangePoint{a, b, c})
	if err != nil || created != 1 || updated != 2 {
		t.Fatalf("second import: %d created, %d updated, %v", created, updated, err)
	}
	gotA, _ := st.ExchangePointByCode(ctx, a.Code)
	gotB, _ := st.ExchangePointByCode(ctx, b.Code)
	gotC, _ := st.ExchangePointByCode(ctx, c.Code)
	if gotA.Name != a.Name || gotA.Phone != "" || gotA.Active || gotB.OperatorType != domain.OperatorHotel ||
		!gotB.OpeningHours.Equal(domain.WeeklyHours{}) || gotC.Name != c.Name || gotC.Lat != 34.01 {
		t.Errorf("after the second import: %+v / %+v / %+v", gotA, gotB, gotC)
	}
	if ok, _ := st.ExchangePointExists(ctx, a.Code); ok {
		t.Error("an inactive point exists for the complaints")
	}

	// 450 points (three batches), the last one refused by the database: nothing loads.
	var many []store.ExchangePoint
	for i := range 450 {
		p := c
		p.Code = fmt.Sprintf("EP-7%04d", i)
		many = append(many, p)
	}
	many[449].OperatorType = "spaceship"
	if _, _, err := st.ImportExchangePoints(ctx, many); err == nil {
		t.Fatal("an import with a refused row succeeded")
	}
	if err := st.DB().GetContext(ctx, &total, `SELECT COUNT(*) FROM exchange_points`); err != nil || total != len(points)+1 {
		t.Errorf("%d rows after a failed import, want %d", total, len(points)+1)
	}

	// UpsertExchangePoint with the JSON of `seed demo`: parsed, and the operator type
	// (hotel since the second import), region and phone of an existing point are kept.
	var demoHours domain.WeeklyHours
	if err := json.Unmarshal([]byte(`{"mon":"08:30-18:00","tue":"08:30-18:00","wed":"08:30-18:00","thu":"08:30-18:00","fri":"08:30-18:00","sat":"09:00-13:00","sun":null}`), &demoHours); err != nil {
		t.Fatal(err)
	}
	if err := st.UpsertExchangePoint(ctx, store.ExchangePoint{Code: "EP-0002", Name: "Démo — Banque Maârif", City: "Casablanca",
		Address: "Boulevard Zerktouni, Casablanca", Lat: 33.589886, Lon: -7.603869, OpeningHours: demoHours, Active: true}); err != nil {
		t.Fatal(err)
	}
	p, err := st.ExchangePointByCode(ctx, "EP-0002")
	if err != nil || p.OperatorType != domain.OperatorHotel || p.Region != "Casablanca-Settat" || p.Phone == "" ||
		!slices.Equal(p.OpeningHours.Strings(time.Friday), []string{"08:30-18:00"}) || len(p.OpeningHours[time.Sunday]) != 0 {
		t.Errorf("after UpsertExchangePoint: %+v, %v", p, err)
	}
	if err := st.UpsertExchangePoint(ctx, store.ExchangePoint{Code: "EP-0100", Name: "x", City: "x", Address: "-", Lat: 33, Lon: -7, Active: true}); err != nil {
		t.Fatal(err)
	}
	if p, err := st.ExchangePointByCode(ctx, "EP-0100"); err != nil || p.OperatorType != domain.OperatorBureauDeChange {
		t.Errorf("a new point by UpsertExchangePoint: %+v, %v", p, err)
	}
}

// epAudit reads a point's audit rows, oldest first.
func epAudit(t *testing.T, st *store.Store, code string) []store.AdminAuditEntry {
	t.Helper()
	list, err := st.AdminAudit(context.Background(), "exchange_point", code, 100)
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(list)
	return list
}

// TestExchangePointAdminChanges: create, update and (de)activate write their audit row
// (field → {from, to}) in the same transaction; no-ops write none.
func TestExchangePointAdminChanges(t *testing.T) {
	ctx := context.Background()
	st := store.New(testenv.MySQL(t))
	admin, err := st.CreateStaff(ctx, store.Staff{Email: "admin@oc.gov.ma", Role: domain.RoleAdmin, PasswordHash: "$argon2id$dummy", CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	var hours domain.WeeklyHours
	hours[time.Monday], _ = domain.ParseDayHours("08:30-12:00 14:00-18:00")
	p := store.ExchangePoint{Code: "EP-0042", Name: "Démo — Test", OperatorType: domain.OperatorBank, Address: "1, Avenue Test, Rabat",
		City: "Rabat", Region: "Rabat-Salé-Kénitra", Lat: 34.0209001, Lon: -6.8416, Phone: "0537 12 34 56", OpeningHours: hours, Active: true}
	if err := st.CreateExchangePoint(ctx, p, admin, "req-create-1", t0); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateExchangePoint(ctx, p, admin, "req-create-2", t0); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("second create: %v, want ErrDuplicate", err)
	}
	audit := epAudit(t, st, "EP-0042")
	if len(audit) != 1 || audit[0].Action != store.AuditExchangePointCreate || audit[0].StaffID != admin ||
		audit[0].RequestID == nil || *audit[0].RequestID != "req-create-1" || !audit[0].At.Equal(t0) {
		t.Fatalf("audit after create = %+v", audit)
	}
	var created map[string]store.FieldChange
	if err := json.Unmarshal(audit[0].Changes, &created); err != nil {
		t.Fatal(err)
	}
	if created["name"].To != "Démo — Test" || created["name"].From != nil || created["lat"].To != 34.0209 ||
		created["active"].To != true || created["phone"].To != "0537 12 34 56" {
		t.Errorf("create changes = %s", audit[0].Changes)
	}

	// Update: only what changed is audited; the active flag is not PUT's business.
	q := p
	q.Name, q.Phone, q.Active = "Démo — Test renommé", "", false
	q.OpeningHours[time.Saturday], _ = domain.ParseDayHours("09:00-13:00")
	got, err := st.UpdateExchangePoint(ctx, q, admin, "req-update", t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != q.Name || got.Phone != "" || !got.Active || len(got.OpeningHours[time.Saturday]) != 1 {
		t.Errorf("UpdateExchangePoint = %+v", got)
	}
	if read, _ := st.ExchangePointByCode(ctx, "EP-0042"); read.Name != q.Name || !read.Active || !read.OpeningHours.Equal(q.OpeningHours) {
		t.Errorf("read after update = %+v", read)
	}
	audit = epAudit(t, st, "EP-0042")
	if len(audit) != 2 || audit[1].Action != store.AuditExchangePointUpdate {
		t.Fatalf("audit after update = %+v", audit)
	}
	var changes map[string]json.RawMessage
	if err := json.Unmarshal(audit[1].Changes, &changes); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(changes))
	for k := range changes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"hours", "name", "phone"}) {
		t.Errorf("update audited %v (%s), want hours, name, phone", keys, audit[1].Changes)
	}
	if string(changes["phone"]) != `{"from":"0537 12 34 56","to":null}` ||
		!strings.Contains(string(changes["hours"]), `"to":{"mon":["08:30-12:00","14:00-18:00"],"tue":[],"wed":[],"thu":[],"fri":[],"sat":["09:00-13:00"],"sun":[]}`) {
		t.Errorf("update changes = %s", audit[1].Changes)
	}
	// The same update again: nothing changes, nothing is audited.
	if _, err := st.UpdateExchangePoint(ctx, q, admin, "req-update-again", t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := len(epAudit(t, st, "EP-0042")); n != 2 {
		t.Errorf("a no-op update wrote an audit row (%d rows)", n)
	}
	q.Code = "EP-0043"
	if _, err := st.UpdateExchangePoint(ctx, q, admin, "", t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update of an unknown point: %v", err)
	}

	// Deactivate, twice; then activate.
	for i, want := range []int{3, 3} {
		got, err := st.SetExchangePointActive(ctx, "EP-0042", false, admin, "req-off", t0.Add(3*time.Minute))
		if err != nil || got.Active {
			t.Fatalf("deactivate #%d: %+v, %v", i, got, err)
		}
		if n := len(epAudit(t, st, "EP-0042")); n != want {
			t.Errorf("deactivate #%d: %d audit rows, want %d", i, n, want)
		}
	}
	if ok, _ := st.ExchangePointExists(ctx, "EP-0042"); ok {
		t.Error("deactivated point still exists")
	}
	if near, _ := st.Nearest(ctx, epRabat[0], epRabat[1], 10, 10); len(near) != 0 {
		t.Errorf("deactivated point is near: %v", epCodes(near))
	}
	if got, err := st.SetExchangePointActive(ctx, "EP-0042", true, admin, "req-on", t0.Add(4*time.Minute)); err != nil || !got.Active {
		t.Fatalf("activate: %+v, %v", got, err)
	}
	audit = epAudit(t, st, "EP-0042")
	if len(audit) != 4 || audit[2].Action != store.AuditExchangePointDeactivate || string(audit[2].Changes) != `{"active":{"from":true,"to":false}}` ||
		audit[3].Action != store.AuditExchangePointActivate || string(audit[3].Changes) != `{"active":{"from":false,"to":true}}` {
		t.Errorf("audit = %+v", audit)
	}
	if _, err := st.SetExchangePointActive(ctx, "EP-0043", true, admin, "", t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("activate an unknown point: %v", err)
	}

	// A change refused by the database leaves no audit row.
	bad := p
	bad.Code, bad.OperatorType = "EP-0044", "spaceship"
	if err := st.CreateExchangePoint(ctx, bad, admin, "", t0); err == nil {
		t.Error("a point of an unknown operator type was created")
	}
	if n := len(epAudit(t, st, "EP-0044")); n != 0 {
		t.Errorf("a refused create was audited (%d rows)", n)
	}
}
