package api_test

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"occonnect/api"
	"occonnect/domain"
	"occonnect/internal/apitest"
	"occonnect/service"
)

type (
	holidayJSON  = service.Holiday
	holidaysJSON = api.HolidaysJSON
)

// fixedHolidaysJSON are the domain's fixed holidays of a year as the API shows them.
func fixedHolidaysJSON(year int) []holidayJSON {
	var out []holidayJSON
	for _, h := range domain.NamedFixedHolidays(year) {
		out = append(out, holidayJSON{Date: h.Day.Format(time.DateOnly), NameFR: h.NameFR, NameAR: h.NameAR})
	}
	return out
}

// holidaysTestEnv is the admin routes' server.
type holidaysTestEnv struct{ *adminEnv }

func newHolidaysTestEnv(t *testing.T) holidaysTestEnv {
	return holidaysTestEnv{newAdminEnv(t, apitest.Options{})}
}

// holidays GETs a year as admin.
func (e holidaysTestEnv) holidays(t *testing.T, year string) holidaysJSON {
	t.Helper()
	w := e.asAdmin(http.MethodGet, "/api/v1/admin/holidays/"+year, "")
	if w.Code != http.StatusOK {
		t.Fatalf("GET holidays %s: %d %s", year, w.Code, w.Body)
	}
	return apitest.Decode[holidaysJSON](t, w)
}

// deadline is what an activity computes: from + n business days, with the calendar of the
// dated holidays read through store.Holidays.
func (e holidaysTestEnv) deadline(t *testing.T, from time.Time, n int) time.Time {
	t.Helper()
	days, err := e.Store.Holidays(context.Background(), from.AddDate(0, 0, -1), from.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return domain.NewCalendar(days).AddBusinessDays(from, n)
}

// TestFixedHolidayNames: every fixed holiday of the domain is listed by the API with its
// French and Arabic names.
func TestFixedHolidayNames(t *testing.T) {
	t.Parallel()
	e := newHolidaysTestEnv(t)
	fixed := e.holidays(t, "2026").Fixed
	if len(fixed) != len(domain.FixedHolidays(2026)) || !reflect.DeepEqual(fixed, fixedHolidaysJSON(2026)) {
		t.Errorf("%d fixed holidays, %d in the domain: %+v", len(fixed), len(domain.FixedHolidays(2026)), fixed)
	}
	for _, h := range fixed {
		if h.NameFR == "" || h.NameAR == "" || !strings.HasPrefix(h.Date, "2026-") {
			t.Errorf("fixed holiday %+v: a name is missing", h)
		}
	}
	if fixed[0] != (holidayJSON{Date: "2026-01-01", NameFR: "Nouvel An", NameAR: "رأس السنة الميلادية"}) {
		t.Errorf("first fixed holiday = %+v", fixed[0])
	}
	if got := fixed[len(fixed)-1]; got.Date != "2026-11-18" || got.NameFR != "Fête de l'Indépendance" {
		t.Errorf("last fixed holiday = %+v", got)
	}
}

// TestHolidaysAdminGetPut: an admin reads the fixed and dated holidays, replaces the dated
// ones (out of order in, in date order out), and the new dates move the deadlines that
// activities compute; an empty list clears the year; past years may be edited.
func TestHolidaysAdminGetPut(t *testing.T) {
	t.Parallel()
	e := newHolidaysTestEnv(t)
	put := func(year, body string) *holidaysJSON {
		t.Helper()
		w := e.asAdmin(http.MethodPut, "/api/v1/admin/holidays/"+year, body)
		if w.Code != http.StatusOK {
			t.Fatalf("PUT %s %s: %d %s", year, body, w.Code, w.Body)
		}
		out := apitest.Decode[holidaysJSON](t, w)
		return &out
	}

	got := e.holidays(t, "2026")
	if got.Year != 2026 || len(got.Fixed) != 11 || got.Dated == nil || len(got.Dated) != 0 {
		t.Fatalf("GET 2026 before any edit = %+v", got)
	}
	if !reflect.DeepEqual(got.Fixed, fixedHolidaysJSON(2026)) {
		t.Errorf("fixed = %+v", got.Fixed)
	}
	if w := e.asAdmin(http.MethodGet, "/api/v1/admin/holidays/2026", ""); w.Code != http.StatusOK ||
		!strings.Contains(w.Body.String(), `"dated":[]`) {
		t.Errorf("an empty year must answer dated: [] (%d %s)", w.Code, w.Body)
	}

	// Tuesday 26 May 2026, 10:00 in Casablanca: + 1 business day is Wednesday 27 May.
	from := time.Date(2026, time.May, 26, 10, 0, 0, 0, domain.Casablanca)
	wed := time.Date(2026, time.May, 27, 10, 0, 0, 0, domain.Casablanca)
	if d := e.deadline(t, from, 1); !d.Equal(wed) {
		t.Fatalf("deadline before the edit = %v, want %v", d, wed)
	}

	answered := put("2026", `{"dated":[
		{"date":"2026-05-28","name_fr":"Aïd al-Adha (2e jour)","name_ar":"عيد الأضحى (اليوم الثاني)"},
		{"date":"2026-03-20","name_fr":"Aïd al-Fitr","name_ar":"عيد الفطر"},
		{"date":"2026-05-27","name_fr":" Aïd al-Adha ","name_ar":"عيد الأضحى"},
		{"date":"2026-11-18","name_fr":"Fête de l'Indépendance","name_ar":"عيد الاستقلال"}]}`)
	wantDated := []holidayJSON{
		{Date: "2026-03-20", NameFR: "Aïd al-Fitr", NameAR: "عيد الفطر"},
		{Date: "2026-05-27", NameFR: "Aïd al-Adha", NameAR: "عيد الأضحى"},
		{Date: "2026-05-28", NameFR: "Aïd al-Adha (2e jour)", NameAR: "عيد الأضحى (اليوم الثاني)"},
		{Date: "2026-11-18", NameFR: "Fête de l'Indépendance", NameAR: "عيد الاستقلال"}, // also fixed: accepted
	}
	want := holidaysJSON{Year: 2026, Fixed: fixedHolidaysJSON(2026), Dated: wantDated}
	if !reflect.DeepEqual(*answered, want) {
		t.Errorf("PUT answered %+v, want %+v", *answered, want)
	}
	if got := e.holidays(t, "2026"); !reflect.DeepEqual(got, want) {
		t.Errorf("GET after PUT = %+v, want %+v", got, want)
	}

	// Eid al-Adha on Wednesday and Thursday: Tuesday + 1 is now Friday 29 May, and
	// Thursday 19 March + 1 skips Friday 20 March (Eid al-Fitr) to Monday 23 March.
	fri := time.Date(2026, time.May, 29, 10, 0, 0, 0, domain.Casablanca)
	if d := e.deadline(t, from, 1); !d.Equal(fri) {
		t.Errorf("deadline after the edit = %v, want %v", d, fri)
	}
	thu := time.Date(2026, time.March, 19, 15, 30, 0, 0, domain.Casablanca)
	if d, want := e.deadline(t, thu, 1), time.Date(2026, time.March, 23, 15, 30, 0, 0, domain.Casablanca); !d.Equal(want) {
		t.Errorf("deadline across Eid al-Fitr = %v, want %v", d, want)
	}

	// A past year may be corrected; it leaves 2026 alone.
	put("2020", `{"dated":[{"date":"2020-05-24","name_fr":"Aïd al-Fitr","name_ar":"عيد الفطر"}]}`)
	if got := e.holidays(t, "2020"); len(got.Dated) != 1 || got.Dated[0].Date != "2020-05-24" || got.Fixed[0].Date != "2020-01-01" {
		t.Errorf("GET 2020 = %+v", got)
	}
	if got := e.holidays(t, "2026"); !reflect.DeepEqual(got.Dated, wantDated) {
		t.Errorf("2026 changed by the 2020 edit: %+v", got.Dated)
	}

	// An empty list clears the year: the deadline is back to Wednesday.
	put("2026", `{"dated":[]}`)
	if got := e.holidays(t, "2026"); len(got.Dated) != 0 {
		t.Errorf("after clearing: %+v", got.Dated)
	}
	if d := e.deadline(t, from, 1); !d.Equal(wed) {
		t.Errorf("deadline after clearing = %v, want %v", d, wed)
	}
}

// TestHolidaysForbidden: only admins; no token is 401.
func TestHolidaysForbidden(t *testing.T) {
	t.Parallel()
	e := newHolidaysTestEnv(t)
	body := `{"dated":[{"date":"2026-03-20","name_fr":"Aïd al-Fitr","name_ar":"عيد الفطر"}]}`
	for _, c := range []struct {
		token, method, body string
		want                int
		code                string
	}{
		{e.officer.Token, http.MethodGet, "", http.StatusForbidden, "forbidden"},
		{e.officer.Token, http.MethodPut, body, http.StatusForbidden, "forbidden"},
		{"", http.MethodGet, "", http.StatusUnauthorized, "unauthorized"},
		{"", http.MethodPut, body, http.StatusUnauthorized, "unauthorized"},
	} {
		apitest.WantProblem(t, e.Call(c.token, c.method, "/api/v1/admin/holidays/2026", c.body), c.want, c.code)
	}
	if got := e.holidays(t, "2026"); len(got.Dated) != 0 {
		t.Errorf("a refused PUT changed the holidays: %+v", got.Dated)
	}
}

// TestHolidaysValidation: field errors by index, the year of the path, the body's shape;
// a refused PUT changes nothing.
func TestHolidaysValidation(t *testing.T) {
	t.Parallel()
	e := newHolidaysTestEnv(t)
	const path = "/api/v1/admin/holidays/2026"
	if w := e.asAdmin(http.MethodPut, path,
		`{"dated":[{"date":"2026-03-20","name_fr":"Aïd al-Fitr","name_ar":"عيد الفطر"}]}`); w.Code != http.StatusOK {
		t.Fatalf("initial PUT: %d %s", w.Code, w.Body)
	}
	before := e.holidays(t, "2026")
	long := strings.Repeat("ع", 201)

	for _, c := range []struct {
		name, path, body string
		status           int
		code             string
		fields           map[string]string
	}{
		{"entries", path, `{"dated":[
			{"date":"2026-3-20","name_fr":"a","name_ar":"b"},
			{"date":"2026-02-30","name_fr":"a","name_ar":"b"},
			{"date":"2027-03-20","name_fr":"a","name_ar":"b"},
			{"date":"2026-05-27","name_fr":"a","name_ar":"b"},
			{"date":"2026-05-27","name_fr":"a","name_ar":"b"},
			{"date":"","name_fr":"  ","name_ar":"` + long + `"},
			{"date":"2026-06-16","name_fr":"` + strings.Repeat("é", 200) + `","name_ar":"` + strings.Repeat("ع", 200) + `"}]}`,
			http.StatusBadRequest, "validation_failed", map[string]string{
				"dated[0].date":    "invalid_format",
				"dated[1].date":    "invalid_format",
				"dated[2].date":    "wrong_year",
				"dated[4].date":    "duplicate",
				"dated[5].date":    "required",
				"dated[5].name_fr": "required",
				"dated[5].name_ar": "too_long",
			}},
		{"names missing", path, `{"dated":[{"date":"2026-05-27"}]}`, http.StatusBadRequest, "validation_failed",
			map[string]string{"dated[0].name_fr": "required", "dated[0].name_ar": "required"}},
		{"dated missing", path, `{}`, http.StatusBadRequest, "validation_failed", map[string]string{"dated": "required"}},
		{"dated null", path, `{"dated":null}`, http.StatusBadRequest, "validation_failed", map[string]string{"dated": "required"}},
		{"unknown field", path, `{"dated":[],"fixed":[]}`, http.StatusBadRequest, "unknown_field", map[string]string{"fixed": "unknown"}},
		{"unknown entry field", path, `{"dated":[{"date":"2026-05-27","name_fr":"a","name_ar":"b","name_en":"c"}]}`,
			http.StatusBadRequest, "unknown_field", map[string]string{"name_en": "unknown"}},
		{"wrong type", path, `{"dated":{"date":"2026-05-27"}}`, http.StatusBadRequest, "validation_failed", map[string]string{"dated": "invalid"}},
		{"malformed", path, `{"dated":[`, http.StatusBadRequest, "malformed_json", map[string]string{}},
		{"year too early", "/api/v1/admin/holidays/1999", `{"dated":[]}`, http.StatusBadRequest, "validation_failed", map[string]string{"year": "invalid"}},
		{"year too late", "/api/v1/admin/holidays/2101", `{"dated":[]}`, http.StatusBadRequest, "validation_failed", map[string]string{"year": "invalid"}},
		{"year not a number", "/api/v1/admin/holidays/next", `{"dated":[]}`, http.StatusBadRequest, "validation_failed", map[string]string{"year": "invalid"}},
	} {
		w := e.asAdmin(http.MethodPut, c.path, c.body)
		if code, fields := problemFields(t, w); w.Code != c.status || code != c.code || !reflect.DeepEqual(fields, c.fields) {
			t.Errorf("%s: %d %s %v, want %d %s %v", c.name, w.Code, code, fields, c.status, c.code, c.fields)
		}
	}
	w := e.asAdmin(http.MethodGet, "/api/v1/admin/holidays/1999", "")
	if _, fields := problemFields(t, w); w.Code != http.StatusBadRequest || !reflect.DeepEqual(fields, map[string]string{"year": "invalid"}) {
		t.Errorf("GET 1999: %d %s", w.Code, w.Body)
	}
	if got := e.holidays(t, "2026"); !reflect.DeepEqual(got, before) {
		t.Errorf("refused PUTs changed the holidays: %+v, was %+v", got, before)
	}
}
