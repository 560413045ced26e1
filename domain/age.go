package domain

import (
	"time"
	_ "time/tzdata" // embedded zoneinfo, for hosts without /usr/share/zoneinfo
)

// AdultAge is the age of majority in Morocco (Moudawana, art. 209).
const AdultAge = 18

// Casablanca is the Africa/Casablanca time zone, the legal time of Morocco.
// Calendar-day rules (such as [IsAdult]) are evaluated in this zone. The
// zone database is embedded (time/tzdata), so loading cannot fail on a host
// without zoneinfo files.
var Casablanca = mustLoadLocation("Africa/Casablanca")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		// Unreachable with time/tzdata linked in.
		panic("domain: cannot load time zone " + name + ": " + err.Error())
	}
	return loc
}

// IsAdult reports whether a person born on birthDate is at least AdultAge
// (18) years old on the current date in Morocco, that is on now's calendar
// date in the Africa/Casablanca time zone.
//
// birthDate is a calendar date: only its year, month and day, read in its own
// location, are used (a DATE column scanned as midnight UTC works as
// expected). A person born on 29 February becomes an adult on 1 March of a
// non-leap year, never earlier. A zero birthDate is treated as unknown and
// yields false.
func IsAdult(birthDate, now time.Time) bool {
	if birthDate.IsZero() {
		return false
	}
	by, bm, bd := birthDate.Date()
	ny, nm, nd := now.In(Casablanca).Date()
	// time.Date normalises 29 February of a non-leap year to 1 March.
	majority := time.Date(by+AdultAge, bm, bd, 0, 0, 0, 0, time.UTC)
	today := time.Date(ny, nm, nd, 0, 0, 0, 0, time.UTC)
	return !today.Before(majority)
}
