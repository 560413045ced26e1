package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// ErrHolidayOutOfYear: ReplaceHolidays was given a day outside the year it replaces.
var ErrHolidayOutOfYear = errors.New("holiday outside the year")

// Holiday is a dated public holiday of the public_holidays table: a religious holiday whose
// date is set by the sighting of the moon, kept by operations (the fixed ones are in
// domain.FixedHolidays, not in the table).
type Holiday struct {
	// Day is the holiday's date: its year, month and day in Day's own location are what is
	// stored. Read back, it is midnight UTC (a DATE column), like the days of Holidays.
	Day    time.Time
	NameFR string
	NameAR string
}

type holidayRow struct {
	Day    time.Time `db:"day"`
	NameFR string    `db:"name_fr"`
	NameAR string    `db:"name_ar"`
}

// yearBounds are the first and last dates of year, as DATE literals.
func yearBounds(year int) (first, last string) {
	y := fmt.Sprintf("%04d", year)
	return y + "-01-01", y + "-12-31"
}

// HolidaysOfYear returns the dated public holidays of year, ordered by day (none: an empty
// list).
func (s *Store) HolidaysOfYear(ctx context.Context, year int) ([]Holiday, error) {
	first, last := yearBounds(year)
	var rows []holidayRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT day, name_fr, name_ar FROM public_holidays
		WHERE day BETWEEN ? AND ? ORDER BY day`, first, last); err != nil {
		return nil, fmt.Errorf("read holidays of %d: %w", year, err)
	}
	out := make([]Holiday, len(rows))
	for i, r := range rows {
		out[i] = Holiday(r)
	}
	return out, nil
}

// ReplaceHolidays makes hs the dated public holidays of year, in one transaction: the
// year's rows are deleted, then hs inserted (an empty hs clears the year). Other years are
// untouched.
//
// The caller validates: a day outside year gives ErrHolidayOutOfYear and a day given twice
// ErrDuplicate, both before anything is written. Names are stored as given.
//
// Deadlines already computed from the old dates (task due dates, written by activities) are
// not recomputed: the table is read when a deadline is computed.
func (s *Store) ReplaceHolidays(ctx context.Context, year int, hs []Holiday) error {
	if year < 1 || year > 9999 {
		return fmt.Errorf("%w: year %d", ErrHolidayOutOfYear, year)
	}
	days := make([]string, len(hs))
	seen := make(map[string]bool, len(hs))
	for i, h := range hs {
		if h.Day.Year() != year {
			return fmt.Errorf("%w: %s is not in %d", ErrHolidayOutOfYear, h.Day.Format(time.DateOnly), year)
		}
		days[i] = h.Day.Format(time.DateOnly)
		if seen[days[i]] {
			return fmt.Errorf("%w: holiday %s given twice", ErrDuplicate, days[i])
		}
		seen[days[i]] = true
	}
	first, last := yearBounds(year)
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		// The range delete takes next-key locks on the year: a concurrent replacement of the
		// same year waits for this one (or deadlocks and is retried by inTx).
		if _, err := tx.ExecContext(ctx, `DELETE FROM public_holidays WHERE day BETWEEN ? AND ?`, first, last); err != nil {
			return fmt.Errorf("delete holidays of %d: %w", year, err)
		}
		for i, h := range hs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO public_holidays (day, name_fr, name_ar, updated_at)
				VALUES (?, ?, ?, CURRENT_TIMESTAMP(6))`, days[i], h.NameFR, h.NameAR); err != nil {
				if isMySQLError(err, errDupEntry) {
					return fmt.Errorf("%w: holiday %s", ErrDuplicate, days[i])
				}
				return fmt.Errorf("insert holiday %s: %w", days[i], err)
			}
		}
		return nil
	})
}
