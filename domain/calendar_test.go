package domain

import (
	"testing"
	"time"
)

// casaTime returns the instant at which the Casablanca clock reads the given time.
func casaTime(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, Casablanca)
}

// testEidCalendar2026 is a calendar with assumed religious holidays of 2026: Eid al-Fitr
// on Friday 20 and Saturday 21 March (given as DATE values scanned as
// midnight UTC) and Eid al-Adha on Wednesday 27 and Thursday 28 May (given as
// midnight in Casablanca, that is 23:00 UTC the day before).
var testEidCalendar2026 = NewCalendar([]time.Time{
	time.Date(2026, time.March, 20, 0, 0, 0, 0, time.UTC),
	time.Date(2026, time.March, 21, 0, 0, 0, 0, time.UTC),
	casaTime(2026, time.May, 27, 0, 0),
	casaTime(2026, time.May, 28, 0, 0),
})

func TestCasablancaClockChanges2026(t *testing.T) {
	// The tests below rely on these tzdata facts: Morocco is on UTC+1 except
	// during Ramadan, on UTC+0 from Sunday 15 February 2026 to Sunday
	// 22 March 2026.
	tests := []struct {
		at         time.Time
		wantOffset int
	}{
		{time.Date(2026, time.February, 13, 12, 0, 0, 0, time.UTC), 3600},
		{time.Date(2026, time.February, 16, 12, 0, 0, 0, time.UTC), 0},
		{time.Date(2026, time.March, 20, 12, 0, 0, 0, time.UTC), 0},
		{time.Date(2026, time.March, 23, 12, 0, 0, 0, time.UTC), 3600},
	}
	for _, tt := range tests {
		if _, off := tt.at.In(Casablanca).Zone(); off != tt.wantOffset {
			t.Errorf("offset at %v = %d, want %d", tt.at, off, tt.wantOffset)
		}
	}
}

func TestFixedHolidays(t *testing.T) {
	want := []string{
		"2026-01-01", "2026-01-11", "2026-01-14", "2026-05-01", "2026-07-30", "2026-08-14",
		"2026-08-20", "2026-08-21", "2026-10-31", "2026-11-06", "2026-11-18",
	}
	got := FixedHolidays(2026)
	if len(got) != len(want) {
		t.Fatalf("FixedHolidays(2026) has %d dates, want %d", len(got), len(want))
	}
	var c *Calendar
	for i, d := range got {
		if s := d.Format(holidayKeyLayout); s != want[i] {
			t.Errorf("FixedHolidays(2026)[%d] = %s, want %s", i, s, want[i])
		}
		if d.Location() != Casablanca || d.Hour() != 0 || d.Minute() != 0 {
			t.Errorf("FixedHolidays(2026)[%d] = %v, want midnight in Casablanca", i, d)
		}
		if c.IsBusinessDay(d) || c.IsBusinessDay(d.Add(23*time.Hour)) {
			t.Errorf("%s is a business day", want[i])
		}
	}
	if got := FixedHolidays(2031)[3]; got != casaTime(2031, time.May, 1, 0, 0) {
		t.Errorf("FixedHolidays(2031)[3] = %v, want 1 May 2031", got)
	}
}

func TestIsBusinessDay(t *testing.T) {
	tests := []struct {
		name string
		cal  *Calendar
		t    time.Time
		want bool
	}{
		{"Monday", nil, casaTime(2026, time.January, 12, 10, 0), true},
		{"Friday", nil, casaTime(2026, time.January, 16, 23, 59), true},
		{"Saturday", nil, casaTime(2026, time.January, 17, 10, 0), false},
		{"Sunday", nil, casaTime(2026, time.January, 18, 10, 0), false},
		{"1 Jan (Thursday)", nil, casaTime(2026, time.January, 1, 10, 0), false},
		{"14 Jan (Wednesday)", nil, casaTime(2026, time.January, 14, 10, 0), false},
		{"1 May (Friday)", nil, casaTime(2026, time.May, 1, 10, 0), false},
		{"30 Jul (Thursday)", nil, casaTime(2026, time.July, 30, 10, 0), false},
		{"18 Nov (Wednesday)", nil, casaTime(2026, time.November, 18, 10, 0), false},
		{"31 Oct 2025 (Friday)", nil, casaTime(2025, time.October, 31, 10, 0), false},
		{"extra holiday unknown to a nil calendar", nil, casaTime(2026, time.March, 20, 10, 0), true},
		{"extra holiday given as midnight UTC", testEidCalendar2026, casaTime(2026, time.March, 20, 10, 0), false},
		{"extra holiday given as midnight Casablanca", testEidCalendar2026, casaTime(2026, time.May, 27, 10, 0), false},
		{"day before an extra holiday", testEidCalendar2026, casaTime(2026, time.May, 26, 23, 59), true},
		{"extra holiday, first minute", testEidCalendar2026, casaTime(2026, time.May, 27, 0, 0), false},
		{"day after extra holidays", testEidCalendar2026, casaTime(2026, time.May, 29, 0, 0), true},
		{"an empty calendar", NewCalendar(nil), casaTime(2026, time.March, 20, 10, 0), true},
		// The date is taken in Casablanca, not in UTC.
		{"Friday 00:30 in Casablanca, Thursday in UTC", nil, time.Date(2026, time.January, 15, 23, 30, 0, 0, time.UTC), true},
		{"Saturday 00:30 in Casablanca, Friday in UTC", nil, time.Date(2026, time.January, 16, 23, 30, 0, 0, time.UTC), false},
	}
	for _, tt := range tests {
		if got := tt.cal.IsBusinessDay(tt.t); got != tt.want {
			t.Errorf("%s: IsBusinessDay(%v) = %v, want %v", tt.name, tt.t, got, tt.want)
		}
	}
}

func TestAddBusinessDays(t *testing.T) {
	tests := []struct {
		name string
		cal  *Calendar
		from time.Time
		n    int
		want time.Time
	}{
		{"Friday + 2", nil, casaTime(2026, time.January, 16, 10, 0), 2, casaTime(2026, time.January, 20, 10, 0)},
		{"Saturday + 2", nil, casaTime(2026, time.January, 17, 9, 0), 2, casaTime(2026, time.January, 20, 9, 0)},
		{"Sunday + 1", nil, casaTime(2026, time.January, 18, 9, 0), 1, casaTime(2026, time.January, 19, 9, 0)},
		{"Monday + 1", nil, casaTime(2026, time.January, 19, 9, 0), 1, casaTime(2026, time.January, 20, 9, 0)},
		{"Monday + 5", nil, casaTime(2026, time.January, 19, 9, 0), 5, casaTime(2026, time.January, 26, 9, 0)},
		{"Friday late + 1", nil, casaTime(2026, time.January, 16, 23, 30), 1, casaTime(2026, time.January, 19, 23, 30)},
		{"Thursday before 1 May (Friday) + 1", nil, casaTime(2026, time.April, 30, 10, 0), 1, casaTime(2026, time.May, 4, 10, 0)},
		{"Tuesday before 14 Jan + 1", nil, casaTime(2026, time.January, 13, 15, 0), 1, casaTime(2026, time.January, 15, 15, 0)},
		{"from a holiday + 1", nil, casaTime(2026, time.January, 14, 15, 0), 1, casaTime(2026, time.January, 15, 15, 0)},
		{"Wednesday before 20-21 Aug + 1", nil, casaTime(2026, time.August, 19, 11, 0), 1, casaTime(2026, time.August, 24, 11, 0)},
		{"31 Dec (Thursday) + 2, across 1 Jan", nil, casaTime(2026, time.December, 31, 10, 0), 2, casaTime(2027, time.January, 5, 10, 0)},
		{"31 Dec (Thursday) + 6, across 1 and 11 Jan", nil, casaTime(2026, time.December, 31, 10, 0), 6, casaTime(2027, time.January, 12, 10, 0)},
		{"Thursday before extra holiday + 1", testEidCalendar2026, casaTime(2026, time.March, 19, 10, 0), 1, casaTime(2026, time.March, 23, 10, 0)},
		{"same without the extra holiday", nil, casaTime(2026, time.March, 19, 10, 0), 1, casaTime(2026, time.March, 20, 10, 0)},
		{"Tuesday before Eid al-Adha + 2", testEidCalendar2026, casaTime(2026, time.May, 26, 16, 45), 2, casaTime(2026, time.June, 1, 16, 45)},
		// Clock changes: the wall-clock time is kept, the UTC offset changes.
		{"across the fall back of 15 Feb 2026", nil, casaTime(2026, time.February, 13, 10, 0), 1, time.Date(2026, time.February, 16, 10, 0, 0, 0, time.UTC)},
		{"across the spring forward of 22 Mar 2026", nil, casaTime(2026, time.March, 20, 10, 0), 1, time.Date(2026, time.March, 23, 9, 0, 0, 0, time.UTC)},
		{"the fall back, 10 business days", nil, casaTime(2026, time.February, 9, 8, 30), 10, casaTime(2026, time.February, 23, 8, 30)},
		// The date of from is taken in Casablanca: Friday 16 Jan, 00:30.
		{"from given in UTC", nil, time.Date(2026, time.January, 15, 23, 30, 0, 0, time.UTC), 1, time.Date(2026, time.January, 18, 23, 30, 0, 0, time.UTC)},
		{"sub-second precision kept", nil, casaTime(2026, time.January, 16, 10, 0).Add(1500 * time.Millisecond), 1, casaTime(2026, time.January, 19, 10, 0).Add(1500 * time.Millisecond)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cal.AddBusinessDays(tt.from, tt.n)
			if !got.Equal(tt.want) {
				t.Errorf("AddBusinessDays(%v, %d) = %v, want %v", tt.from, tt.n, got.In(Casablanca), tt.want.In(Casablanca))
			}
			if got.Location() != time.UTC {
				t.Errorf("AddBusinessDays returned a time in %v, want UTC", got.Location())
			}
			if !tt.cal.IsBusinessDay(got) {
				t.Errorf("AddBusinessDays returned %v, not a business day", got)
			}
		})
	}
}

func TestAddBusinessDaysNonPositive(t *testing.T) {
	from := casaTime(2026, time.January, 17, 9, 0)
	for _, n := range []int{0, -1, -10} {
		if got := NewCalendar(nil).AddBusinessDays(from, n); got != from {
			t.Errorf("AddBusinessDays(from, %d) = %v, want from (%v)", n, got, from)
		}
	}
}

func TestBusinessDurationBetween(t *testing.T) {
	tests := []struct {
		name     string
		cal      *Calendar
		from, to time.Time
		want     time.Duration
	}{
		{"same business day", nil, casaTime(2026, time.January, 12, 9, 0), casaTime(2026, time.January, 12, 11, 30), 150 * time.Minute},
		{"from == to", nil, casaTime(2026, time.January, 12, 9, 0), casaTime(2026, time.January, 12, 9, 0), 0},
		{"to before from", nil, casaTime(2026, time.January, 12, 9, 0), casaTime(2026, time.January, 12, 8, 0), 0},
		{"across a weekend", nil, casaTime(2026, time.January, 16, 16, 0), casaTime(2026, time.January, 19, 10, 0), 18 * time.Hour},
		{"within a weekend", nil, casaTime(2026, time.January, 17, 9, 0), casaTime(2026, time.January, 18, 20, 0), 0},
		{"from a Saturday", nil, casaTime(2026, time.January, 17, 9, 0), casaTime(2026, time.January, 19, 10, 0), 10 * time.Hour},
		{"to a Saturday", nil, casaTime(2026, time.January, 16, 20, 0), casaTime(2026, time.January, 17, 10, 0), 4 * time.Hour},
		{"a whole week", nil, casaTime(2026, time.January, 19, 0, 0), casaTime(2026, time.January, 26, 0, 0), 5 * 24 * time.Hour},
		{"across 14 Jan", nil, casaTime(2026, time.January, 13, 18, 0), casaTime(2026, time.January, 15, 9, 0), 15 * time.Hour},
		{"across 1 May (Friday)", nil, casaTime(2026, time.April, 30, 12, 0), casaTime(2026, time.May, 4, 12, 0), 24 * time.Hour},
		{"across the year end", nil, casaTime(2026, time.December, 31, 12, 0), casaTime(2027, time.January, 4, 12, 0), 24 * time.Hour},
		{"across an extra holiday", testEidCalendar2026, casaTime(2026, time.March, 19, 20, 0), casaTime(2026, time.March, 23, 4, 0), 8 * time.Hour},
		{"same without the extra holiday", nil, casaTime(2026, time.March, 19, 20, 0), casaTime(2026, time.March, 23, 4, 0), 32 * time.Hour},
		// Wall-clock hours, although the real elapsed time differs by one hour.
		{"across the fall back", nil, casaTime(2026, time.February, 13, 20, 0), casaTime(2026, time.February, 16, 4, 0), 8 * time.Hour},
		{"across the spring forward", nil, casaTime(2026, time.March, 20, 20, 0), casaTime(2026, time.March, 23, 4, 0), 8 * time.Hour},
	}
	for _, tt := range tests {
		if got := tt.cal.BusinessDurationBetween(tt.from, tt.to); got != tt.want {
			t.Errorf("%s: BusinessDurationBetween(%v, %v) = %v, want %v", tt.name, tt.from, tt.to, got, tt.want)
		}
	}
}

func TestAddBusinessDuration(t *testing.T) {
	tests := []struct {
		name string
		cal  *Calendar
		from time.Time
		d    time.Duration
		want time.Time
	}{
		{"zero", nil, casaTime(2026, time.January, 17, 9, 0), 0, casaTime(2026, time.January, 17, 9, 0)},
		{"negative", nil, casaTime(2026, time.January, 17, 9, 0), -time.Hour, casaTime(2026, time.January, 17, 9, 0)},
		{"same business day", nil, casaTime(2026, time.January, 12, 9, 0), 150 * time.Minute, casaTime(2026, time.January, 12, 11, 30)},
		{"across a weekend", nil, casaTime(2026, time.January, 16, 16, 0), 18 * time.Hour, casaTime(2026, time.January, 19, 10, 0)},
		{"to the end of Friday", nil, casaTime(2026, time.January, 16, 16, 0), 8 * time.Hour, casaTime(2026, time.January, 17, 0, 0)},
		{"just past the end of Friday", nil, casaTime(2026, time.January, 16, 16, 0), 8*time.Hour + time.Nanosecond, casaTime(2026, time.January, 19, 0, 0).Add(time.Nanosecond)},
		{"from a Saturday", nil, casaTime(2026, time.January, 17, 9, 0), time.Hour, casaTime(2026, time.January, 19, 1, 0)},
		{"across 14 Jan", nil, casaTime(2026, time.January, 13, 18, 0), 15 * time.Hour, casaTime(2026, time.January, 15, 9, 0)},
		{"two business days", nil, casaTime(2026, time.January, 16, 10, 0), 48 * time.Hour, casaTime(2026, time.January, 20, 10, 0)},
		{"across an extra holiday", testEidCalendar2026, casaTime(2026, time.March, 19, 20, 0), 8 * time.Hour, casaTime(2026, time.March, 23, 4, 0)},
		{"across the fall back", nil, casaTime(2026, time.February, 13, 20, 0), 8 * time.Hour, time.Date(2026, time.February, 16, 4, 0, 0, 0, time.UTC)},
		{"across the spring forward", nil, casaTime(2026, time.March, 20, 20, 0), 8 * time.Hour, time.Date(2026, time.March, 23, 3, 0, 0, 0, time.UTC)},
		{"across the year end", nil, casaTime(2026, time.December, 31, 12, 0), 24 * time.Hour, casaTime(2027, time.January, 4, 12, 0)},
	}
	for _, tt := range tests {
		got := tt.cal.AddBusinessDuration(tt.from, tt.d)
		if !got.Equal(tt.want) {
			t.Errorf("%s: AddBusinessDuration(%v, %v) = %v, want %v", tt.name, tt.from, tt.d, got.In(Casablanca), tt.want.In(Casablanca))
		}
	}
}

// TestBusinessDurationRoundTrip checks on a grid of instants around the 2026
// clock changes and holidays that AddBusinessDuration inverts
// BusinessDurationBetween.
func TestBusinessDurationRoundTrip(t *testing.T) {
	start := casaTime(2026, time.January, 8, 7, 0)
	for i := range 300 {
		from := start.Add(time.Duration(i) * (7*time.Hour + 13*time.Minute))
		for j := 1; j <= 40; j++ {
			to := from.Add(time.Duration(j) * (5*time.Hour + 37*time.Minute + 11*time.Second))
			d := testEidCalendar2026.BusinessDurationBetween(from, to)
			if d < 0 || d > to.Sub(from)+time.Hour {
				t.Fatalf("BusinessDurationBetween(%v, %v) = %v", from, to, d)
			}
			got := testEidCalendar2026.AddBusinessDuration(from, d)
			if w := casaWallClock(to); testEidCalendar2026.IsBusinessDay(to) && w != wallStartOfDay(w) && d > 0 && !got.Equal(to) {
				t.Fatalf("AddBusinessDuration(%v, BusinessDurationBetween(%v, %v) = %v) = %v, want %v",
					from, from, to, d, got.In(Casablanca), to.In(Casablanca))
			}
			if d > 0 {
				if back := testEidCalendar2026.BusinessDurationBetween(from, got); back != d {
					t.Fatalf("BusinessDurationBetween(%v, AddBusinessDuration(%v, %v)) = %v, want %v", from, from, d, back, d)
				}
			}
		}
	}
}
