// Package epimport reads the exchange points' CSV file, for `occonnect exchange-points
// import FILE.csv`, and holds the checks that the file and the admin API share.
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
//	               +212 then 9 digits; spaces, dots and dashes are allowed.
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
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"occonnect/store"
)

// Columns are the header's columns, in the documented order.
var Columns = []string{"code", "name", "operator_type", "address", "city", "region", "lat", "lon", "phone",
	"mon", "tue", "wed", "thu", "fri", "sat", "sun", "active"}

// Morocco's extent, the bounds of a point's coordinates.
const (
	MinLat, MaxLat = 20.5, 36.1
	MinLon, MaxLon = -17.3, -0.9
)

// Text limits, in characters (the columns' sizes).
const (
	MaxName    = 200
	MaxAddress = 300
	MaxCity    = 100
	MaxRegion  = 100
	MaxPhone   = 32
)

var (
	codeRE  = regexp.MustCompile(`^EP-\d{4,6}$`)
	phoneRE = regexp.MustCompile(`^(0|\+212|00212)[5-8]\d{8}$`)
)

// ValidCode reports whether s is a well-formed point code (EP- and 4 to 6 digits).
func ValidCode(s string) bool { return codeRE.MatchString(s) }

// ValidPhone reports whether s is a Moroccan phone number as documented.
func ValidPhone(s string) bool {
	return phoneRE.MatchString(strings.NewReplacer(" ", "", ".", "", "-", "").Replace(s))
}

// InMorocco reports whether (lat, lon) is within Morocco's extent.
func InMorocco(lat, lon float64) bool {
	return lat >= MinLat && lat <= MaxLat && lon >= MinLon && lon <= MaxLon
}

// Issue is one invalid field of a point: the field (the API's name), a field error code
// of the API (required, invalid_format, invalid, too_long, outside_morocco) and an
// English sentence for the command line.
type Issue struct {
	Field, Code, Message string
}

// Normalize trims the texts and upper-cases the code.
func Normalize(p store.ExchangePoint) store.ExchangePoint {
	p.Code = strings.ToUpper(strings.TrimSpace(p.Code))
	for _, s := range []*string{&p.Name, &p.OperatorType, &p.Address, &p.City, &p.Region, &p.Phone} {
		*s = strings.Join(strings.Fields(*s), " ")
	}
	return p
}

func text(issues []Issue, field, value string, required bool, max int) []Issue {
	switch {
	case value == "" && required:
		return append(issues, Issue{field, "required", field + " is empty"})
	case !utf8.ValidString(value):
		return append(issues, Issue{field, "invalid", field + " is not valid UTF-8"})
	case utf8.RuneCountInString(value) > max:
		return append(issues, Issue{field, "too_long", fmt.Sprintf("%s is longer than %d characters", field, max)})
	}
	return issues
}

// Validate checks a (normalized) point: every field but active.
func Validate(p store.ExchangePoint) []Issue {
	var issues []Issue
	switch {
	case p.Code == "":
		issues = append(issues, Issue{"code", "required", "code is empty"})
	case !ValidCode(p.Code):
		issues = append(issues, Issue{"code", "invalid_format", fmt.Sprintf("code %q is not EP- followed by 4 to 6 digits", p.Code)})
	}
	issues = text(issues, "name", p.Name, true, MaxName)
	switch {
	case p.OperatorType == "":
		issues = append(issues, Issue{"operator_type", "required", "operator_type is empty"})
	case !store.ValidOperatorType(p.OperatorType):
		issues = append(issues, Issue{"operator_type", "invalid", fmt.Sprintf("operator_type %q is not one of %s",
			p.OperatorType, strings.Join(store.OperatorTypes, ", "))})
	}
	issues = text(issues, "address", p.Address, true, MaxAddress)
	issues = text(issues, "city", p.City, true, MaxCity)
	issues = text(issues, "region", p.Region, false, MaxRegion)
	if math.IsNaN(p.Lat) || p.Lat < MinLat || p.Lat > MaxLat {
		issues = append(issues, Issue{"lat", "outside_morocco", fmt.Sprintf("lat %v is outside Morocco (%v to %v)", p.Lat, MinLat, MaxLat)})
	}
	if math.IsNaN(p.Lon) || p.Lon < MinLon || p.Lon > MaxLon {
		issues = append(issues, Issue{"lon", "outside_morocco", fmt.Sprintf("lon %v is outside Morocco (%v to %v)", p.Lon, MinLon, MaxLon)})
	}
	switch {
	case p.Phone == "":
	case utf8.RuneCountInString(p.Phone) > MaxPhone:
		issues = append(issues, Issue{"phone", "too_long", fmt.Sprintf("phone is longer than %d characters", MaxPhone)})
	case !ValidPhone(p.Phone):
		issues = append(issues, Issue{"phone", "invalid_format", fmt.Sprintf("phone %q is not a Moroccan number (0 then 9 digits, or +212 then 9 digits)", p.Phone)})
	}
	for _, key := range store.DayKeys {
		d, _ := store.WeekdayOf(key)
		for _, iv := range p.OpeningHours[d] {
			if iv.From < 0 || iv.To > 23*60+59 || iv.From >= iv.To {
				issues = append(issues, Issue{"hours." + key, "invalid_format", fmt.Sprintf("%s: %s is not a valid interval", key, iv)})
				break
			}
		}
		if _, err := store.NormalizeDay(p.OpeningHours[d]); err != nil {
			issues = append(issues, Issue{"hours." + key, "invalid", key + ": " + err.Error()})
		}
	}
	return issues
}

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
func Parse(r io.Reader) ([]store.ExchangePoint, []LineError) {
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

	var points []store.ExchangePoint
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
		if p.Code != "" && ValidCode(p.Code) {
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
		points = []store.ExchangePoint{}
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
func parseRecord(rec []string, col map[string]int) (store.ExchangePoint, []string) {
	var problems []string
	for i, cell := range rec {
		if !utf8.ValidString(cell) {
			return store.ExchangePoint{}, []string{fmt.Sprintf("field %d is not valid UTF-8", i+1)}
		}
	}
	get := func(c string) string { return rec[col[c]] }
	p := Normalize(store.ExchangePoint{Code: get("code"), Name: get("name"), OperatorType: get("operator_type"),
		Address: get("address"), City: get("city"), Region: get("region"), Phone: get("phone")})
	bad := map[string]bool{}
	var err error
	if p.Lat, err = parseCoord("lat", get("lat")); err != nil {
		problems, bad["lat"] = append(problems, err.Error()), true
	}
	if p.Lon, err = parseCoord("lon", get("lon")); err != nil {
		problems, bad["lon"] = append(problems, err.Error()), true
	}
	for _, key := range store.DayKeys {
		d, _ := store.WeekdayOf(key)
		day, err := store.ParseDayHours(get(key))
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
	for _, is := range Validate(p) {
		if !bad[is.Field] {
			problems = append(problems, is.Message)
		}
	}
	return p, problems
}
