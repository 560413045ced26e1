package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"occonnect/domain"
	"occonnect/store"
)

// holidayJSON is one public holiday: its date (YYYY-MM-DD) and its French and Arabic names.
type holidayJSON struct {
	Date   string `json:"date"`
	NameFR string `json:"name_fr"`
	NameAR string `json:"name_ar"`
}

// holidaysJSON is a year's public holidays: the fixed ones (in code, read only) and the
// dated ones (the table, edited by admins).
type holidaysJSON struct {
	Year  int           `json:"year"`
	Fixed []holidayJSON `json:"fixed"`
	Dated []holidayJSON `json:"dated"`
}

// putHolidaysBody is the body of PUT /admin/holidays/{year}. Dated is a pointer so that a
// missing or null list (required) differs from an empty one (clears the year).
type putHolidaysBody struct {
	Dated *[]holidayJSON `json:"dated"`
}

// maxHolidayNameLen is the length of the name columns, in characters (VARCHAR(200)).
const maxHolidayNameLen = 200

// fixedHolidayNames names the holidays of domain.FixedHolidays, by "MM-DD".
var fixedHolidayNames = map[string]struct{ fr, ar string }{
	"01-01": {"Nouvel An", "رأس السنة الميلادية"},
	"01-11": {"Manifeste de l'Indépendance", "ذكرى تقديم وثيقة الاستقلال"},
	"01-14": {"Nouvel An amazigh", "رأس السنة الأمازيغية"},
	"05-01": {"Fête du Travail", "عيد الشغل"},
	"07-30": {"Fête du Trône", "عيد العرش"},
	"08-14": {"Allégeance Oued Eddahab", "ذكرى استرجاع إقليم وادي الذهب"},
	"08-20": {"Révolution du Roi et du Peuple", "ذكرى ثورة الملك والشعب"},
	"08-21": {"Fête de la Jeunesse", "عيد الشباب"},
	"10-31": {"Fête de l'Unité", "عيد الوحدة"},
	"11-06": {"Marche Verte", "ذكرى المسيرة الخضراء"},
	"11-18": {"Fête de l'Indépendance", "عيد الاستقلال"},
}

// fixedHolidaysJSON lists the fixed holidays of year with their names (empty names for a
// date added to domain.FixedHolidays but not to fixedHolidayNames; a test guards that).
func fixedHolidaysJSON(year int) []holidayJSON {
	days := domain.FixedHolidays(year)
	out := make([]holidayJSON, len(days))
	for i, d := range days {
		n := fixedHolidayNames[d.Format("01-02")]
		out[i] = holidayJSON{Date: d.Format(time.DateOnly), NameFR: n.fr, NameAR: n.ar}
	}
	return out
}

// writeHolidays answers a year's fixed and dated holidays, as read now.
func (s *Server) writeHolidays(w http.ResponseWriter, r *http.Request, year int) error {
	dated, err := s.store.HolidaysOfYear(r.Context(), year)
	if err != nil {
		return err
	}
	out := holidaysJSON{Year: year, Fixed: fixedHolidaysJSON(year), Dated: make([]holidayJSON, len(dated))}
	for i, h := range dated {
		out.Dated[i] = holidayJSON{Date: h.Day.Format(time.DateOnly), NameFR: h.NameFR, NameAR: h.NameAR}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// getHolidays: GET /admin/holidays/{year} (admin). The public holidays of a year (2000 to
// 2100, else 400 validation_failed on year): fixed, the Gregorian ones of
// domain.FixedHolidays, which are in code and cannot be edited; dated, the religious ones
// whose dates follow the sighting of the moon, as kept in the table (empty until ops set
// them). Both are in date order. Business-day deadlines skip both.
func (s *Server) getHolidays(w http.ResponseWriter, r *http.Request) error {
	year, err := ruleYear(r)
	if err != nil {
		return err
	}
	return s.writeHolidays(w, r, year)
}

// putHolidays: PUT /admin/holidays/{year} (admin). Replaces the whole list of dated
// holidays of a year with body.dated (required; an empty list clears the year), then
// answers as GET. Field errors name the entry by index: dated[i].date is required,
// invalid_format (not YYYY-MM-DD or no such day), wrong_year (not in the path's year) or
// duplicate (a date given twice, on the later entry); dated[i].name_fr and
// dated[i].name_ar are required or too_long (over 200 characters). A date that is also a
// fixed holiday is accepted (it changes nothing).
//
// Past years may be edited, to correct the record. Deadlines already computed are not
// changed: activities read the table when they compute a deadline (the due dates of open
// tasks stay as they were), so a change only affects deadlines computed afterwards.
func (s *Server) putHolidays(w http.ResponseWriter, r *http.Request) error {
	year, err := ruleYear(r)
	if err != nil {
		return err
	}
	var body putHolidaysBody
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	var v validation
	if body.Dated == nil {
		v.add("dated", "required")
		return v.err()
	}
	seen := map[string]bool{}
	hs := make([]store.Holiday, 0, len(*body.Dated))
	for i, hj := range *body.Dated {
		f := func(name string) string { return fmt.Sprintf("dated[%d].%s", i, name) }
		h := store.Holiday{NameFR: strings.TrimSpace(hj.NameFR), NameAR: strings.TrimSpace(hj.NameAR)}
		day, err := time.Parse(time.DateOnly, hj.Date)
		switch {
		case hj.Date == "":
			v.add(f("date"), "required")
		case err != nil:
			v.add(f("date"), "invalid_format")
		case day.Year() != year:
			v.add(f("date"), "wrong_year")
		case seen[hj.Date]:
			v.add(f("date"), "duplicate")
		default:
			seen[hj.Date] = true
			h.Day = day
		}
		for _, n := range []struct{ field, value string }{{"name_fr", h.NameFR}, {"name_ar", h.NameAR}} {
			switch {
			case n.value == "":
				v.add(f(n.field), "required")
			case utf8.RuneCountInString(n.value) > maxHolidayNameLen:
				v.add(f(n.field), "too_long")
			}
		}
		hs = append(hs, h)
	}
	if err := v.err(); err != nil {
		return err
	}
	if err := s.store.ReplaceHolidays(r.Context(), year, hs); err != nil {
		return err
	}
	if err := s.audit(r, "holidays.replace", "holidays", strconv.Itoa(year), body); err != nil {
		return err
	}
	return s.writeHolidays(w, r, year)
}
