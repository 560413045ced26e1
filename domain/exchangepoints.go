package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Operator types of an exchange point.
const (
	OperatorBank           = "bank"
	OperatorBureauDeChange = "bureau_de_change"
	OperatorMoneyTransfer  = "money_transfer"
	OperatorHotel          = "hotel"
)

// OperatorTypes lists the operator types, in documentation order.
var OperatorTypes = []string{OperatorBank, OperatorBureauDeChange, OperatorMoneyTransfer, OperatorHotel}

// ValidOperatorType reports whether s is one of OperatorTypes.
func ValidOperatorType(s string) bool { return slices.Contains(OperatorTypes, s) }

// ExchangePoint is a place where citizens buy currency and are enrolled. Its JSON is the
// API's and the audit trail's.
type ExchangePoint struct {
	Code         string      `json:"code"`
	Name         string      `json:"name"`
	OperatorType string      `json:"operator_type"` // OperatorTypes; "" is stored as bureau_de_change
	Address      string      `json:"address"`
	City         string      `json:"city"`
	Region       string      `json:"region"`
	Lat          float64     `json:"lat"`
	Lon          float64     `json:"lon"`
	Phone        string      `json:"phone,omitempty"` // "" for none
	OpeningHours WeeklyHours `json:"hours"`
	Active       bool        `json:"active"`
}

// --- Opening hours ---

// Interval is an opening interval of a day, in minutes after midnight: From < To. A
// closing time of 23:59 means "until midnight" (00:00-23:59 is open all day).
type Interval struct {
	From, To int
}

const endOfDay = 23*60 + 59

// ParseInterval reads "HH:MM-HH:MM" (24-hour clock, 00:00 to 23:59).
func ParseInterval(s string) (Interval, error) {
	from, to, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return Interval{}, fmt.Errorf("%q is not HH:MM-HH:MM", s)
	}
	f, err1 := parseClock(from)
	t, err2 := parseClock(to)
	if err1 != nil || err2 != nil {
		return Interval{}, fmt.Errorf("%q is not HH:MM-HH:MM", s)
	}
	if t <= f {
		return Interval{}, fmt.Errorf("%q closes before it opens", s)
	}
	return Interval{From: f, To: t}, nil
}

func parseClock(s string) (int, error) {
	if len(s) != 5 || s[2] != ':' {
		return 0, errors.New("not HH:MM")
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[3:])
	if err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 || s[0] == '+' || s[3] == '+' {
		return 0, errors.New("not HH:MM")
	}
	return h*60 + m, nil
}

// String is the "HH:MM-HH:MM" form.
func (i Interval) String() string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", i.From/60, i.From%60, i.To/60, i.To%60)
}

// contains: minute m of the day (0..1439) falls in the interval.
func (i Interval) contains(m int) bool {
	return m >= i.From && (m < i.To || i.To == endOfDay)
}

// NormalizeDay sorts a day's intervals and refuses overlapping ones.
func NormalizeDay(day []Interval) ([]Interval, error) {
	out := slices.Clone(day)
	slices.SortFunc(out, func(a, b Interval) int { return a.From - b.From })
	for i := 1; i < len(out); i++ {
		if out[i].From < out[i-1].To {
			return nil, fmt.Errorf("%s and %s overlap", out[i-1], out[i])
		}
	}
	return out, nil
}

// ParseDayHours reads a day's intervals written "08:30-12:00 14:00-18:00" (separated by
// spaces, commas or semicolons); "" (or "closed", "fermé", "-") is closed that day.
func ParseDayHours(s string) ([]Interval, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "-", "closed", "fermé", "ferme":
		return []Interval{}, nil
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == ';' || r == '\t' })
	day := make([]Interval, 0, len(parts))
	for _, p := range parts {
		iv, err := ParseInterval(p)
		if err != nil {
			return nil, err
		}
		day = append(day, iv)
	}
	return NormalizeDay(day)
}

// DayKeys are the weekdays' keys in the hours JSON, Monday first.
var DayKeys = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

var dayWeekdays = map[string]time.Weekday{"mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday, "sun": time.Sunday}

// WeekdayOf maps a key of DayKeys to its weekday.
func WeekdayOf(key string) (time.Weekday, bool) {
	d, ok := dayWeekdays[key]
	return d, ok
}

// DayKey is the JSON key of a weekday.
func DayKey(d time.Weekday) string { return DayKeys[(int(d)+6)%7] }

// WeeklyHours are the opening intervals of each weekday, indexed by time.Weekday
// (h[time.Monday]); an empty day is closed. Its JSON is the hours column's:
// {"mon":["08:30-12:00","14:00-18:00"],…,"sun":[]}.
type WeeklyHours [7][]Interval

// Strings is a day's intervals as "HH:MM-HH:MM" (an empty, non-nil slice when closed).
func (h WeeklyHours) Strings(d time.Weekday) []string {
	out := make([]string, 0, len(h[d]))
	for _, iv := range h[d] {
		out = append(out, iv.String())
	}
	return out
}

// OpenAt reports whether the point is open at t, read in Morocco's time zone.
func (h WeeklyHours) OpenAt(t time.Time) bool {
	lt := t.In(Casablanca)
	m := lt.Hour()*60 + lt.Minute()
	for _, iv := range h[lt.Weekday()] {
		if iv.contains(m) {
			return true
		}
	}
	return false
}

// Equal compares two weeks interval by interval.
func (h WeeklyHours) Equal(o WeeklyHours) bool {
	for d := range h {
		if !slices.Equal(h[d], o[d]) {
			return false
		}
	}
	return true
}

// MarshalJSON writes every day, Monday first, closed days as [].
func (h WeeklyHours) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, key := range DayKeys {
		if i > 0 {
			b.WriteByte(',')
		}
		d, _ := WeekdayOf(key)
		list, err := json.Marshal(h.Strings(d))
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "%q:%s", key, list)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads the object of DayKeys; a missing day is closed. Besides lists of
// intervals it accepts the older shapes: a day as one string ("08:30-12:00 14:00-18:00")
// or null (closed).
func (h *WeeklyHours) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("hours: %w", err)
	}
	var out WeeklyHours
	for key, v := range raw {
		d, ok := WeekdayOf(key)
		if !ok {
			return fmt.Errorf("hours: unknown day %q", key)
		}
		var day []Interval
		var one *string
		var list []string
		switch {
		case json.Unmarshal(v, &one) == nil:
			if one != nil {
				var err error
				if day, err = ParseDayHours(*one); err != nil {
					return fmt.Errorf("hours.%s: %w", key, err)
				}
			}
		case json.Unmarshal(v, &list) == nil:
			for _, s := range list {
				iv, err := ParseInterval(s)
				if err != nil {
					return fmt.Errorf("hours.%s: %w", key, err)
				}
				day = append(day, iv)
			}
			var err error
			if day, err = NormalizeDay(day); err != nil {
				return fmt.Errorf("hours.%s: %w", key, err)
			}
		default:
			return fmt.Errorf("hours.%s: neither a list of intervals nor a string", key)
		}
		if len(day) > 0 {
			out[d] = day
		}
	}
	*h = out
	return nil
}

// --- Distances ---

// EarthRadiusKm is the mean Earth radius (IUGG) of the great-circle distances.
const EarthRadiusKm = 6371.0088

// HaversineKm is the great-circle distance between two points, in kilometres (the store
// computes the same in SQL).
func HaversineKm(lat1, lon1, lat2, lon2 float64) float64 {
	rad := math.Pi / 180
	dLat, dLon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Pow(math.Sin(dLat/2), 2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Pow(math.Sin(dLon/2), 2)
	return 2 * EarthRadiusKm * math.Asin(math.Min(1, math.Sqrt(a)))
}

// --- Validation ---

// Morocco's extent, the bounds of a point's coordinates.
const (
	MinLat, MaxLat = 20.5, 36.1
	MinLon, MaxLon = -17.3, -0.9
)

// Text limits of an exchange point, in characters (the columns' sizes).
const (
	MaxPointName    = 200
	MaxPointAddress = 300
	MaxPointCity    = 100
	MaxPointRegion  = 100
	MaxPhone        = 32
)

var (
	codeRE          = regexp.MustCompile(`^EP-\d{4,6}$`)
	moroccanPhoneRE = regexp.MustCompile(`^(0|\+212|00212)[5-8]\d{8}$`)
	e164RE          = regexp.MustCompile(`^\+[1-9]\d{7,14}$`)
)

// ValidExchangePointCode reports whether s is a well-formed point code (EP- and 4 to 6 digits).
func ValidExchangePointCode(s string) bool { return codeRE.MatchString(s) }

// ValidPhone reports whether s is a phone number: a Moroccan one (0 then 9 digits, or
// +212 or 00212 then 9 digits, the first 5 to 8) or an international one in E.164 form
// (+, then 8 to 15 digits); spaces, dots and dashes between digits are allowed. It is the
// one phone check of the back office (citizens at enrollment, exchange points).
func ValidPhone(s string) bool {
	if len(s) > MaxPhone {
		return false
	}
	n := strings.NewReplacer(" ", "", ".", "", "-", "").Replace(s)
	if strings.HasPrefix(n, "+212") || strings.HasPrefix(n, "00212") || strings.HasPrefix(n, "0") {
		return moroccanPhoneRE.MatchString(n)
	}
	return e164RE.MatchString(n)
}

// InMorocco reports whether (lat, lon) is within Morocco's extent.
func InMorocco(lat, lon float64) bool {
	return lat >= MinLat && lat <= MaxLat && lon >= MinLon && lon <= MaxLon
}

// FieldIssue is one invalid field of a point: the field (the API's name), a field error code
// of the API (required, invalid_format, invalid, too_long, outside_morocco) and an
// English sentence for the command line.
type FieldIssue struct {
	Field, Code, Message string
}

// NormalizeExchangePoint trims the texts of a point and upper-cases its code.
func NormalizeExchangePoint(p ExchangePoint) ExchangePoint {
	p.Code = strings.ToUpper(strings.TrimSpace(p.Code))
	for _, s := range []*string{&p.Name, &p.OperatorType, &p.Address, &p.City, &p.Region, &p.Phone} {
		*s = strings.Join(strings.Fields(*s), " ")
	}
	return p
}

func checkText(issues []FieldIssue, field, value string, required bool, max int) []FieldIssue {
	switch {
	case value == "" && required:
		return append(issues, FieldIssue{field, "required", field + " is empty"})
	case !utf8.ValidString(value):
		return append(issues, FieldIssue{field, "invalid", field + " is not valid UTF-8"})
	case utf8.RuneCountInString(value) > max:
		return append(issues, FieldIssue{field, "too_long", fmt.Sprintf("%s is longer than %d characters", field, max)})
	}
	return issues
}

// ValidateExchangePoint checks a (normalized) point: every field but active.
func ValidateExchangePoint(p ExchangePoint) []FieldIssue {
	var issues []FieldIssue
	switch {
	case p.Code == "":
		issues = append(issues, FieldIssue{"code", "required", "code is empty"})
	case !ValidExchangePointCode(p.Code):
		issues = append(issues, FieldIssue{"code", "invalid_format", fmt.Sprintf("code %q is not EP- followed by 4 to 6 digits", p.Code)})
	}
	issues = checkText(issues, "name", p.Name, true, MaxPointName)
	switch {
	case p.OperatorType == "":
		issues = append(issues, FieldIssue{"operator_type", "required", "operator_type is empty"})
	case !ValidOperatorType(p.OperatorType):
		issues = append(issues, FieldIssue{"operator_type", "invalid", fmt.Sprintf("operator_type %q is not one of %s",
			p.OperatorType, strings.Join(OperatorTypes, ", "))})
	}
	issues = checkText(issues, "address", p.Address, true, MaxPointAddress)
	issues = checkText(issues, "city", p.City, true, MaxPointCity)
	issues = checkText(issues, "region", p.Region, false, MaxPointRegion)
	if math.IsNaN(p.Lat) || p.Lat < MinLat || p.Lat > MaxLat {
		issues = append(issues, FieldIssue{"lat", "outside_morocco", fmt.Sprintf("lat %v is outside Morocco (%v to %v)", p.Lat, MinLat, MaxLat)})
	}
	if math.IsNaN(p.Lon) || p.Lon < MinLon || p.Lon > MaxLon {
		issues = append(issues, FieldIssue{"lon", "outside_morocco", fmt.Sprintf("lon %v is outside Morocco (%v to %v)", p.Lon, MinLon, MaxLon)})
	}
	switch {
	case p.Phone == "":
	case utf8.RuneCountInString(p.Phone) > MaxPhone:
		issues = append(issues, FieldIssue{"phone", "too_long", fmt.Sprintf("phone is longer than %d characters", MaxPhone)})
	case !ValidPhone(p.Phone):
		issues = append(issues, FieldIssue{"phone", "invalid_format", fmt.Sprintf("phone %q is not a phone number (0 then 9 digits, +212 then 9 digits, or + and the international number)", p.Phone)})
	}
	for _, key := range DayKeys {
		d, _ := WeekdayOf(key)
		for _, iv := range p.OpeningHours[d] {
			if iv.From < 0 || iv.To > 23*60+59 || iv.From >= iv.To {
				issues = append(issues, FieldIssue{"hours." + key, "invalid_format", fmt.Sprintf("%s: %s is not a valid interval", key, iv)})
				break
			}
		}
		if _, err := NormalizeDay(p.OpeningHours[d]); err != nil {
			issues = append(issues, FieldIssue{"hours." + key, "invalid", key + ": " + err.Error()})
		}
	}
	return issues
}
