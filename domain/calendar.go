package domain

import "time"

// fixedHolidays are the Moroccan public holidays that fall on the same
// Gregorian date every year.
var fixedHolidays = [...]struct {
	month time.Month
	day   int
	name  label
}{
	{time.January, 1, label{"Nouvel An", "رأس السنة الميلادية"}},
	{time.January, 11, label{"Manifeste de l'Indépendance", "ذكرى تقديم وثيقة الاستقلال"}},
	{time.January, 14, label{"Nouvel An amazigh", "رأس السنة الأمازيغية"}},
	{time.May, 1, label{"Fête du Travail", "عيد الشغل"}},
	{time.July, 30, label{"Fête du Trône", "عيد العرش"}},
	{time.August, 14, label{"Allégeance Oued Eddahab", "ذكرى استرجاع إقليم وادي الذهب"}},
	{time.August, 20, label{"Révolution du Roi et du Peuple", "ذكرى ثورة الملك والشعب"}},
	{time.August, 21, label{"Fête de la Jeunesse", "عيد الشباب"}},
	{time.October, 31, label{"Fête de l'Unité", "عيد الوحدة"}},
	{time.November, 6, label{"Marche Verte", "ذكرى المسيرة الخضراء"}},
	{time.November, 18, label{"Fête de l'Indépendance", "عيد الاستقلال"}},
}

// holidayKeyLayout formats the keys of Calendar.extra.
const holidayKeyLayout = "2006-01-02"

// FixedHolidays returns the Moroccan public holidays with a fixed Gregorian
// date (1 Jan, 11 Jan, 14 Jan, 1 May, 30 Jul, 14 Aug, 20 Aug, 21 Aug, 31 Oct,
// 6 Nov, 18 Nov) of year, in date order, each at midnight in
// Africa/Casablanca.
//
// The current list is applied to every year: it is not historical (14 Jan,
// for instance, has been a public holiday only since 2024). The religious
// holidays, whose dates depend on the sighting of the moon, are not included:
// they are given to [NewCalendar].
func FixedHolidays(year int) []time.Time {
	days := make([]time.Time, len(fixedHolidays))
	for i, h := range fixedHolidays {
		days[i] = time.Date(year, h.month, h.day, 0, 0, 0, 0, Casablanca)
	}
	return days
}

// NamedHoliday is a public holiday with its French and Arabic names.
type NamedHoliday struct {
	Day            time.Time
	NameFR, NameAR string
}

// NamedFixedHolidays returns FixedHolidays(year) with their names.
func NamedFixedHolidays(year int) []NamedHoliday {
	days := FixedHolidays(year)
	out := make([]NamedHoliday, len(days))
	for i, d := range days {
		out[i] = NamedHoliday{Day: d, NameFR: fixedHolidays[i].name.fr, NameAR: fixedHolidays[i].name.ar}
	}
	return out
}

func isFixedHoliday(m time.Month, d int) bool {
	for _, h := range fixedHolidays {
		if h.month == m && h.day == d {
			return true
		}
	}
	return false
}

// Calendar is the Moroccan business calendar: business days are Monday to
// Friday in Africa/Casablanca, minus the fixed public holidays (see
// [FixedHolidays]) and the extra holidays given to [NewCalendar].
//
// A Calendar is immutable, so it is safe for concurrent use. A nil *Calendar
// is valid and knows only the fixed holidays.
type Calendar struct {
	extra map[string]bool // "2006-01-02" → holiday
}

// NewCalendar returns a Calendar whose holidays are the fixed ones plus
// extraHolidays: the religious holidays (Eid al-Fitr, Eid al-Adha, Islamic
// New Year, the Prophet's birthday...), whose dates are set by the sighting
// of the moon and kept by operations in a table.
//
// Each extra holiday is the calendar date of the given instant in
// Africa/Casablanca, so both midnight UTC (a DATE column scanned as UTC) and
// midnight in Casablanca designate the intended day.
func NewCalendar(extraHolidays []time.Time) *Calendar {
	c := &Calendar{extra: make(map[string]bool, len(extraHolidays))}
	for _, t := range extraHolidays {
		c.extra[t.In(Casablanca).Format(holidayKeyLayout)] = true
	}
	return c
}

// IsBusinessDay reports whether the calendar date of t in Africa/Casablanca
// is a business day: a Monday to Friday that is neither a fixed nor an extra
// holiday.
func (c *Calendar) IsBusinessDay(t time.Time) bool {
	return c.isBusinessDate(casaWallClock(t))
}

// isBusinessDate reports whether the date of w, a wall-clock time as returned
// by casaWallClock, is a business day.
func (c *Calendar) isBusinessDate(w time.Time) bool {
	switch w.Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	_, m, d := w.Date()
	if isFixedHoliday(m, d) {
		return false
	}
	return c == nil || !c.extra[w.Format(holidayKeyLayout)]
}

// AddBusinessDays returns the deadline n business days after from: the same
// Africa/Casablanca wall-clock time on the n-th business day after from's
// date, in UTC. from's own date is never counted, business day or not:
// Friday 10:00 + 2 is Tuesday 10:00, Saturday 09:00 + 2 is Tuesday 09:00, and
// Thursday + 1 is Monday when Friday is a holiday.
//
// Days are counted on the calendar, not as multiples of 24 hours, so the
// result keeps its wall-clock time across the Ramadan clock changes. Should
// that wall-clock time not exist on the target day (a clock change at that
// hour), it is normalised as by [time.Date]. n <= 0 returns from unchanged.
func (c *Calendar) AddBusinessDays(from time.Time, n int) time.Time {
	if n <= 0 {
		return from
	}
	w := casaWallClock(from)
	for {
		w = w.AddDate(0, 0, 1)
		if c.isBusinessDate(w) {
			if n--; n == 0 {
				return fromCasaWallClock(w).UTC()
			}
		}
	}
}

// BusinessDurationBetween returns the business time elapsed from from to to:
// the parts of [from, to) that fall on business days. Time is measured on the
// Africa/Casablanca wall clock, each business day counting for the 24 hours
// from its midnight to the next (Morocco's clock changes are scheduled on
// Sundays, so in practice this is also the real elapsed time). It returns 0
// when to is not after from.
//
// With [Calendar.AddBusinessDuration], it pauses and resumes SLA clocks that
// only run on business days.
func (c *Calendar) BusinessDurationBetween(from, to time.Time) time.Duration {
	if !to.After(from) {
		return 0
	}
	a, b := casaWallClock(from), casaWallClock(to)
	var total time.Duration
	for day := wallStartOfDay(a); day.Before(b); {
		next := day.AddDate(0, 0, 1)
		if c.isBusinessDate(day) {
			start, end := day, next
			if a.After(start) {
				start = a
			}
			if b.Before(end) {
				end = b
			}
			total += end.Sub(start)
		}
		day = next
	}
	return max(total, 0) // b < a can only happen inside a fall-back hour
}

// AddBusinessDuration returns the instant, in UTC, at which d of business
// time (as measured by [Calendar.BusinessDurationBetween]) has elapsed after
// from: non-business days are skipped. When d ends exactly at the end of a
// business day, the result is the following midnight. d <= 0 returns from
// unchanged.
//
// It is the inverse of BusinessDurationBetween: when to falls on a business
// day, after its midnight, and BusinessDurationBetween(from, to) > 0,
// AddBusinessDuration(from, BusinessDurationBetween(from, to)) equals to.
// Otherwise the result is the earliest instant with the same business
// duration: the end of the last business day before to, for a to on a
// non-business day or at the midnight starting a business day.
func (c *Calendar) AddBusinessDuration(from time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return from
	}
	w := casaWallClock(from)
	for day := wallStartOfDay(w); ; {
		next := day.AddDate(0, 0, 1)
		if c.isBusinessDate(day) {
			rest := next.Sub(w)
			if d <= rest {
				return fromCasaWallClock(w.Add(d)).UTC()
			}
			d -= rest
		}
		day, w = next, next
	}
}

// casaWallClock returns the Africa/Casablanca wall-clock reading of t as a time
// in UTC, where days are always 24 hours long and date arithmetic is plain.
func casaWallClock(t time.Time) time.Time {
	l := t.In(Casablanca)
	y, m, d := l.Date()
	hh, mm, ss := l.Clock()
	return time.Date(y, m, d, hh, mm, ss, l.Nanosecond(), time.UTC)
}

// fromCasaWallClock is the inverse of casaWallClock: the instant at which the
// Africa/Casablanca clock reads w.
func fromCasaWallClock(w time.Time) time.Time {
	y, m, d := w.Date()
	hh, mm, ss := w.Clock()
	return time.Date(y, m, d, hh, mm, ss, w.Nanosecond(), Casablanca)
}

// wallStartOfDay truncates w, a wall-clock time in UTC, to its midnight.
func wallStartOfDay(w time.Time) time.Time {
	y, m, d := w.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
