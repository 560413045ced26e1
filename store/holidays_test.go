package store_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"occonnect/domain"
	"occonnect/store"
)

func holidayDay(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func mustHolidaysOfYear(t *testing.T, st *store.Store, year int) []store.Holiday {
	t.Helper()
	hs, err := st.HolidaysOfYear(context.Background(), year)
	if err != nil {
		t.Fatalf("HolidaysOfYear(%d): %v", year, err)
	}
	return hs
}

// TestHolidaysRoundTrip: what ReplaceHolidays writes, HolidaysOfYear reads back ordered by
// day (midnight UTC, Arabic intact), and Holidays sees the same days.
func TestHolidaysRoundTrip(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := context.Background()

	if hs := mustHolidaysOfYear(t, st, 2026); len(hs) != 0 {
		t.Fatalf("fresh database has holidays in 2026: %+v", hs)
	}

	// Given out of order, one at midnight in Casablanca (UTC+1): its own date is stored.
	in := []store.Holiday{
		{Day: holidayDay(2026, time.May, 27), NameFR: "Aïd al-Adha", NameAR: "عيد الأضحى"},
		{Day: time.Date(2026, time.March, 20, 0, 0, 0, 0, domain.Casablanca), NameFR: "Aïd al-Fitr", NameAR: "عيد الفطر"},
		{Day: holidayDay(2026, time.May, 28), NameFR: "Aïd al-Adha (2e jour)", NameAR: "عيد الأضحى (اليوم الثاني)"},
	}
	if err := st.ReplaceHolidays(ctx, 2026, in); err != nil {
		t.Fatalf("ReplaceHolidays: %v", err)
	}
	want := []store.Holiday{
		{Day: holidayDay(2026, time.March, 20), NameFR: "Aïd al-Fitr", NameAR: "عيد الفطر"},
		{Day: holidayDay(2026, time.May, 27), NameFR: "Aïd al-Adha", NameAR: "عيد الأضحى"},
		{Day: holidayDay(2026, time.May, 28), NameFR: "Aïd al-Adha (2e jour)", NameAR: "عيد الأضحى (اليوم الثاني)"},
	}
	if got := mustHolidaysOfYear(t, st, 2026); !reflect.DeepEqual(got, want) {
		t.Errorf("HolidaysOfYear(2026) = %+v, want %+v", got, want)
	}
	days, err := st.Holidays(ctx, holidayDay(2026, time.January, 1), holidayDay(2026, time.December, 31))
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 3 || !days[0].Equal(want[0].Day) || !days[1].Equal(want[1].Day) || !days[2].Equal(want[2].Day) {
		t.Errorf("Holidays = %v, want the days of %+v", days, want)
	}
	if hs := mustHolidaysOfYear(t, st, 2025); len(hs) != 0 {
		t.Errorf("HolidaysOfYear(2025) = %+v, want none", hs)
	}
}

// TestReplaceHolidays: a replacement drops the year's old rows (including 1 January and
// 31 December, the bounds) and leaves the neighbouring years alone; an empty list clears the
// year; bad input is refused before anything changes.
func TestReplaceHolidays(t *testing.T) {
	t.Parallel()
	st, db := newStore(t)
	ctx := context.Background()

	y2025 := []store.Holiday{{Day: holidayDay(2025, time.December, 31), NameFR: "Veille", NameAR: "عشية"}}
	y2027 := []store.Holiday{{Day: holidayDay(2027, time.January, 1), NameFR: "Lendemain", NameAR: "غداة"}}
	for year, hs := range map[int][]store.Holiday{2025: y2025, 2027: y2027} {
		if err := st.ReplaceHolidays(ctx, year, hs); err != nil {
			t.Fatalf("ReplaceHolidays(%d): %v", year, err)
		}
	}
	first := []store.Holiday{
		{Day: holidayDay(2026, time.January, 1), NameFR: "Premier", NameAR: "الأول"},
		{Day: holidayDay(2026, time.June, 16), NameFR: "1er Moharram", NameAR: "فاتح محرم"},
		{Day: holidayDay(2026, time.December, 31), NameFR: "Dernier", NameAR: "الأخير"},
	}
	if err := st.ReplaceHolidays(ctx, 2026, first); err != nil {
		t.Fatalf("ReplaceHolidays: %v", err)
	}
	second := []store.Holiday{
		{Day: holidayDay(2026, time.June, 17), NameFR: "1er Moharram", NameAR: "فاتح محرم"},
		{Day: holidayDay(2026, time.August, 26), NameFR: "Aïd al-Mawlid", NameAR: "عيد المولد النبوي"},
	}
	if err := st.ReplaceHolidays(ctx, 2026, second); err != nil {
		t.Fatalf("second ReplaceHolidays: %v", err)
	}
	if got := mustHolidaysOfYear(t, st, 2026); !reflect.DeepEqual(got, second) {
		t.Errorf("after replacement = %+v, want %+v", got, second)
	}
	if got := mustHolidaysOfYear(t, st, 2025); !reflect.DeepEqual(got, y2025) {
		t.Errorf("2025 changed: %+v", got)
	}
	if got := mustHolidaysOfYear(t, st, 2027); !reflect.DeepEqual(got, y2027) {
		t.Errorf("2027 changed: %+v", got)
	}

	// Refused: a day of another year, a day given twice. Nothing changes.
	for name, hs := range map[string][]store.Holiday{
		"other year": {second[0], {Day: holidayDay(2027, time.January, 2), NameFR: "x", NameAR: "x"}},
		"twice":      {second[0], second[1], {Day: holidayDay(2026, time.June, 17), NameFR: "y", NameAR: "y"}},
	} {
		err := st.ReplaceHolidays(ctx, 2026, hs)
		wantErr := map[string]error{"other year": store.ErrHolidayOutOfYear, "twice": store.ErrDuplicate}[name]
		if !errors.Is(err, wantErr) {
			t.Errorf("%s: ReplaceHolidays = %v, want %v", name, err, wantErr)
		}
		if got := mustHolidaysOfYear(t, st, 2026); !reflect.DeepEqual(got, second) {
			t.Errorf("%s: holidays changed by a refused replacement: %+v", name, got)
		}
	}

	// An empty list clears the year.
	if err := st.ReplaceHolidays(ctx, 2026, nil); err != nil {
		t.Fatalf("clearing ReplaceHolidays: %v", err)
	}
	if got := mustHolidaysOfYear(t, st, 2026); len(got) != 0 {
		t.Errorf("after clearing = %+v", got)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM public_holidays`); got != 2 {
		t.Errorf("holiday rows = %d, want 2 (2025 and 2027)", got)
	}
}

// TestReplaceHolidaysConcurrent: replacements of the same year at once leave exactly one of
// the proposed sets, never a mix.
func TestReplaceHolidaysConcurrent(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := context.Background()

	sets := make([][]store.Holiday, 6)
	for i := range sets {
		for d := 1; d <= 3; d++ {
			sets[i] = append(sets[i], store.Holiday{Day: holidayDay(2026, time.Month(i+1), d*7+i), NameFR: "f", NameAR: "ع"})
		}
	}
	errs := make(chan error, len(sets))
	for _, hs := range sets {
		go func() { errs <- st.ReplaceHolidays(ctx, 2026, hs) }()
	}
	for range sets {
		if err := <-errs; err != nil {
			t.Errorf("concurrent ReplaceHolidays: %v", err)
		}
	}
	got := mustHolidaysOfYear(t, st, 2026)
	for _, hs := range sets {
		if reflect.DeepEqual(got, hs) {
			return
		}
	}
	t.Errorf("after concurrent replacements: %+v, not one of the proposed sets", got)
}
