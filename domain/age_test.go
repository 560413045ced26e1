package domain

import (
	"testing"
	"time"
)

func TestCasablancaLoaded(t *testing.T) {
	if Casablanca == nil || Casablanca.String() != "Africa/Casablanca" {
		t.Fatalf("Casablanca = %v", Casablanca)
	}
}

func TestIsAdult(t *testing.T) {
	date := func(y int, m time.Month, d int) time.Time {
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	at := func(y int, m time.Month, d, h, min int, loc *time.Location) time.Time {
		return time.Date(y, m, d, h, min, 0, 0, loc)
	}
	tests := []struct {
		name  string
		birth time.Time
		now   time.Time
		want  bool
	}{
		{"18th birthday", date(2008, time.May, 10), at(2026, time.May, 10, 12, 0, Casablanca), true},
		{"day before 18th birthday", date(2008, time.May, 10), at(2026, time.May, 9, 12, 0, Casablanca), false},
		{"long ago", date(1960, time.January, 1), at(2026, time.May, 10, 12, 0, Casablanca), true},
		{"17 years old", date(2009, time.January, 1), at(2026, time.December, 31, 12, 0, Casablanca), false},
		{"born in the future", date(2030, time.January, 1), at(2026, time.May, 10, 12, 0, Casablanca), false},
		{"zero birth date", time.Time{}, at(2026, time.May, 10, 12, 0, Casablanca), false},

		// Feb 29: 18 years later is never a leap year, adulthood on 1 March.
		{"feb 29, on feb 28", date(2008, time.February, 29), at(2026, time.February, 28, 12, 0, Casablanca), false},
		{"feb 29, on mar 1", date(2008, time.February, 29), at(2026, time.March, 1, 0, 0, Casablanca), true},
		{"feb 29, a year later", date(2008, time.February, 29), at(2027, time.February, 28, 0, 0, Casablanca), true},

		// now's date is taken in Casablanca (UTC+1 outside Ramadan).
		{"23:30 UTC is already the birthday in Casablanca", date(2008, time.May, 10), at(2026, time.May, 9, 23, 30, time.UTC), true},
		{"midnight in Casablanca is still the day before in UTC", date(2008, time.May, 10), at(2026, time.May, 10, 0, 10, Casablanca), true},
		{"just before midnight in Casablanca", date(2008, time.May, 10), at(2026, time.May, 9, 23, 59, Casablanca), false},
		{"New York evening is already the next day in Casablanca", date(2008, time.May, 10), at(2026, time.May, 9, 20, 0, mustLoadLocation("America/New_York")), true},
		{"Tokyo morning is still the previous day in Casablanca", date(2008, time.May, 10), at(2026, time.May, 10, 7, 0, mustLoadLocation("Asia/Tokyo")), false},

		// The birth date is a calendar date read in its own location.
		{"birth date in another zone keeps its calendar day", at(2008, time.May, 10, 23, 0, mustLoadLocation("Asia/Tokyo")), at(2026, time.May, 10, 0, 5, Casablanca), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsAdult(tt.birth, tt.now); got != tt.want {
				t.Errorf("IsAdult(%v, %v) = %v, want %v", tt.birth, tt.now, got, tt.want)
			}
		})
	}
}
