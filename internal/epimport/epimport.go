// Package epimport reads the exchange points' CSV file, for `occonnect exchange-points
// import FILE.csv`; the checks of a point, which the file and the admin API share, are
// domain.ValidateExchangePoint's.
//
// # The CSV file
//
// UTF-8 (a leading byte order mark is ignored), comma-separated, fields quoted with "
// when they hold a comma, a quote or a line break (RFC 4180). The first line is the
// header; it names these 17 columns, each once, in any order (names are not case
// sensitive):
//
//	code           required; EP- followed by 4 to 6 digits, e.g. EP-0001; unique in the
//	               file. An existing point with that code is updated, else one is created.
//	name           required, at most 200 characters.
//	operator_type  required; bank, bureau_de_change, money_transfer or hotel.
//	address        required, at most 300 characters.
//	city           required, at most 100 characters.
//	region         optional, at most 100 characters (e.g. Rabat-Salé-Kénitra).
//	lat, lon       required; decimal degrees with a dot (34.020882, -6.841650), within
//	               Morocco's extent: lat 20.5 to 36.1, lon -17.3 to -0.9. Six decimals are
//	               kept.
//	phone          optional; a Moroccan number, 0 then 9 digits (0537 12 34 56) or
//	               +212 then 9 digits, or an international one (+ then 8 to 15
//	               digits); spaces, dots and dashes are allowed.
//	mon … sun      the opening hours of each weekday (columns mon, tue, wed, thu, fri,
//	               sat, sun): intervals HH:MM-HH:MM (24-hour clock) separated by spaces,
//	               e.g. "08:30-12:00 14:00-18:00"; an empty cell means closed that day.
//	               00:00-23:59 is open all day. Intervals must not overlap.
//	active         true or false (also 1/0, yes/no, oui/non); empty means true. An
//	               inactive point is kept but not shown in the app.
//
// Every line is checked; each problem is reported with its line number ("line 12: lat
// 40.1 is outside Morocco (20.5 to 36.1)"). When any line is wrong, nothing is loaded;
// otherwise the whole file is loaded in one transaction.
package epimport

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"occonnect/domain"
)

// Columns are the header's columns, in the documented order.
var Columns = []string{"code", "name", "operator_type", "address", "city", "region", "lat", "lon", "phone",
	"mon", "tue", "wed", "thu", "fri", "sat", "sun", "active"}

// LineError is one problem of the file, at a line (1 is the header).
type LineError struct {
	Line   int
	Reason string
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// ParseActive reads the active column: true/false, 1/0, yes/no, oui/non; empty is true.
func ParseActive(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "true", "1", "yes", "oui":
		return true, nil
	case "false", "0", "no", "non":
		return false, nil
	}
	return false, fmt.Errorf("active %q is not true or false", s)
}

func parseCoord(name, s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("%s is empty", name)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%s %q is not a decimal number", name, s)
	}
	return v, nil
}

// Parse reads the CSV file described in the package comment. It returns the points to
// load, or, when any line is wrong, no point and every problem found, in line order.
func Parse(r io.Reader) ([]domain.ExchangePoint, []LineError) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	var errs []LineError

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, []LineError{{1, "the file is empty: the header line is required"}}
	}
	if err != nil {
		return nil, []LineError{csvError(err, 1)}
	}
	col := map[string]int{}
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\uFEFF")
		}
		h = strings.ToLower(strings.TrimSpace(h))
		switch _, dup := col[h]; {
		case !isColumn(h):
			errs = append(errs, LineError{1, fmt.Sprintf("unknown column %q in the header", h)})
		case dup:
			errs = append(errs, LineError{1, fmt.Sprintf("column %q is twice in the header", h)})
		}
		col[h] = i
	}
	for _, c := range Columns {
		if _, ok := col[c]; !ok {
			errs = append(errs, LineError{1, fmt.Sprintf("column %q is missing from the header", c)})
		}
	}
	if len(errs) > 0 {
		return nil, append(errs, LineError{1, "the header must be " + strings.Join(Columns, ",")})
	}

	var points []domain.ExchangePoint
	firstLine := map[string]int{} // code → line
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				errs = append(errs, LineError{0, "reading the file: " + err.Error()})
				break // a read error: the rest of the file is unknown
			}
			errs = append(errs, csvError(err, pe.Line))
			continue
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			errs = append(errs, LineError{line, fmt.Sprintf("%d fields, the header has %d", len(rec), len(header))})
			continue
		}
		p, problems := parseRecord(rec, col)
		for _, msg := range problems {
			errs = append(errs, LineError{line, msg})
		}
		if p.Code != "" && domain.ValidExchangePointCode(p.Code) {
			if first, dup := firstLine[p.Code]; dup {
				errs = append(errs, LineError{line, fmt.Sprintf("code %s is already on line %d", p.Code, first)})
			} else {
				firstLine[p.Code] = line
			}
		}
		points = append(points, p)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if points == nil {
		points = []domain.ExchangePoint{}
	}
	return points, nil
}

func isColumn(h string) bool {
	for _, c := range Columns {
		if c == h {
			return true
		}
	}
	return false
}

func csvError(err error, line int) LineError {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if pe.StartLine > 0 {
			line = pe.StartLine
		}
		return LineError{line, "not valid CSV: " + pe.Err.Error()}
	}
	return LineError{line, err.Error()}
}

// parseRecord builds a point from one line and lists its problems.
func parseRecord(rec []string, col map[string]int) (domain.ExchangePoint, []string) {
	var problems []string
	for i, cell := range rec {
		if !utf8.ValidString(cell) {
			return domain.ExchangePoint{}, []string{fmt.Sprintf("field %d is not valid UTF-8", i+1)}
		}
	}
	get := func(c string) string { return rec[col[c]] }
	p := domain.NormalizeExchangePoint(domain.ExchangePoint{Code: get("code"), Name: get("name"), OperatorType: get("operator_type"),
		Address: get("address"), City: get("city"), Region: get("region"), Phone: get("phone")})
	bad := map[string]bool{}
	var err error
	if p.Lat, err = parseCoord("lat", get("lat")); err != nil {
		problems, bad["lat"] = append(problems, err.Error()), true
	}
	if p.Lon, err = parseCoord("lon", get("lon")); err != nil {
		problems, bad["lon"] = append(problems, err.Error()), true
	}
	for _, key := range domain.DayKeys {
		d, _ := domain.WeekdayOf(key)
		day, err := domain.ParseDayHours(get(key))
		if err != nil {
			problems, bad["hours."+key] = append(problems, key+": "+err.Error()), true
			continue
		}
		if len(day) > 0 {
			p.OpeningHours[d] = day
		}
	}
	if p.Active, err = ParseActive(get("active")); err != nil {
		problems = append(problems, err.Error())
	}
	for _, is := range domain.ValidateExchangePoint(p) {
		if !bad[is.Field] {
			problems = append(problems, is.Message)
		}
	}
	return p, problems
}
