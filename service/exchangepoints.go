package service

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"occonnect/domain"
	"occonnect/store"
)

// ExchangePoints lists the places where citizens buy currency and are enrolled, finds the
// nearest, and lets admins maintain them.
type ExchangePoints struct {
	store *store.Store
	clock clock
}

// Limits of the exchange-point queries.
const (
	nearestDefaultLimit  = 10
	nearestMaxLimit      = 50
	nearestDefaultRadius = 50.0
	nearestMaxRadius     = 1000.0
	maxSearchLen         = 100
)

// NearestQuery is a search around a place, as the caller sent it: Lat and Lon required,
// Limit (1 to 50, default 10), RadiusKm (up to 1000, default 50), OpenNow (true|false).
type NearestQuery struct {
	Lat, Lon, Limit, RadiusKm, OpenNow string
}

// coordParam reads a required decimal within [lo, hi].
func coordParam(name, s string, lo, hi float64, v *fieldErrors) float64 {
	s = strings.TrimSpace(s)
	if s == "" {
		v.add(name, "required")
		return 0
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f < lo || f > hi {
		v.add(name, "invalid")
		return 0
	}
	return f
}

// Nearest finds the active points within the radius, nearest first; OpenNow keeps those
// open at this moment (Morocco's time).
func (e *ExchangePoints) Nearest(ctx context.Context, q NearestQuery) ([]store.NearbyPoint, error) {
	var v fieldErrors
	lat := coordParam("lat", q.Lat, -90, 90, &v)
	lon := coordParam("lon", q.Lon, -180, 180, &v)
	limit := intParam("limit", q.Limit, 1, nearestMaxLimit, nearestDefaultLimit, &v)
	radius := nearestDefaultRadius
	if q.RadiusKm != "" {
		f, err := strconv.ParseFloat(q.RadiusKm, 64)
		if err != nil || math.IsNaN(f) || f <= 0 || f > nearestMaxRadius {
			v.add("radius_km", "invalid")
		} else {
			radius = f
		}
	}
	openNow := boolParam("open_now", q.OpenNow, &v)
	if err := v.err(); err != nil {
		return nil, err
	}
	var keep func(store.ExchangePoint) bool
	if openNow {
		now := e.clock.now()
		keep = func(p store.ExchangePoint) bool { return p.OpeningHours.OpenAt(now) }
	}
	return e.store.NearestWhere(ctx, lat, lon, radius, limit, keep)
}

// PointQuery filters the list of active points, as the caller sent it; City and Q ignore
// case and accents.
type PointQuery struct {
	City, Q string
	Page    PageRequest
}

// List lists the active points by code.
func (e *ExchangePoints) List(ctx context.Context, q PointQuery) (Page[store.ExchangePoint], error) {
	var v fieldErrors
	limit, cursor := q.Page.parse(&v)
	if cursor != "" && !domain.ValidExchangePointCode(cursor) {
		v.add("cursor", "invalid")
	}
	city, search := strings.TrimSpace(q.City), strings.TrimSpace(q.Q)
	if !utf8.ValidString(city) || utf8.RuneCountInString(city) > domain.MaxPointCity {
		v.add("city", "invalid")
	}
	if !utf8.ValidString(search) || utf8.RuneCountInString(search) > maxSearchLen {
		v.add("q", "invalid")
	}
	if err := v.err(); err != nil {
		return Page[store.ExchangePoint]{}, err
	}
	points, err := e.store.ListExchangePoints(ctx, city, search, cursor, limit+1)
	if err != nil {
		return Page[store.ExchangePoint]{}, err
	}
	return pageOf(points, limit, func(p store.ExchangePoint) string { return encodeCursor(p.Code) }), nil
}

// pointCode is a code from a path, upper-cased; a malformed one is a point that does not
// exist (NotFound).
func pointCode(code string) (string, error) {
	code = strings.ToUpper(code)
	if !domain.ValidExchangePointCode(code) {
		return "", refuse(NotFound)
	}
	return code, nil
}

// Get reads a point, active or not.
func (e *ExchangePoints) Get(ctx context.Context, code string) (store.ExchangePoint, error) {
	code, err := pointCode(code)
	if err != nil {
		return store.ExchangePoint{}, err
	}
	return e.store.ExchangePointByCode(ctx, code)
}

// OpenNow reports whether a point is open at this moment.
func (e *ExchangePoints) OpenNow(p store.ExchangePoint) bool {
	return p.OpeningHours.OpenAt(e.clock.now())
}

// PointFields are the editable fields of a point, as an admin sent them; Hours maps a
// weekday (mon … sun) to its intervals ("08:30-12:00").
type PointFields struct {
	Name, OperatorType, Address, City, Region string
	Lat, Lon                                  *float64
	Phone                                     *string
	Hours                                     map[string][]string
}

// point validates the fields into the point of that code.
func (f PointFields) point(code string) (store.ExchangePoint, error) {
	var v fieldErrors
	bad := map[string]bool{}
	add := func(field, errCode string) { v.add(field, errCode); bad[field] = true }
	p := store.ExchangePoint{Code: code, Name: f.Name, OperatorType: f.OperatorType, Address: f.Address, City: f.City, Region: f.Region}
	if f.Lat == nil {
		add("lat", "required")
	} else {
		p.Lat = *f.Lat
	}
	if f.Lon == nil {
		add("lon", "required")
	} else {
		p.Lon = *f.Lon
	}
	if f.Phone != nil {
		p.Phone = *f.Phone
	}
	if f.Hours == nil {
		add("hours", "required")
	}
	for key, list := range f.Hours {
		d, ok := domain.WeekdayOf(key)
		if !ok {
			add("hours."+key, "unknown")
			continue
		}
		day := make([]domain.Interval, 0, len(list))
		for i, s := range list {
			iv, err := domain.ParseInterval(s)
			if err != nil {
				add(fmt.Sprintf("hours.%s[%d]", key, i), "invalid_format")
				bad["hours."+key] = true
				continue
			}
			day = append(day, iv)
		}
		if bad["hours."+key] {
			continue
		}
		day, err := domain.NormalizeDay(day)
		if err != nil {
			add("hours."+key, "invalid")
			continue
		}
		if len(day) > 0 {
			p.OpeningHours[d] = day
		}
	}
	p = domain.NormalizeExchangePoint(p)
	for _, is := range domain.ValidateExchangePoint(p) {
		if !bad[is.Field] {
			add(is.Field, is.Code)
		}
	}
	return p, v.err()
}

// Create adds a point (active unless active is false); Conflict when the code is taken.
// Audited (exchange_point.create) in the same transaction.
func (e *ExchangePoints) Create(ctx context.Context, by store.AdminActor, code string, f PointFields, active *bool) (store.ExchangePoint, error) {
	p, err := f.point(code)
	if err != nil {
		return p, err
	}
	p.Active = active == nil || *active
	err = e.store.CreateExchangePoint(ctx, p, by.StaffID, by.RequestID, e.clock.now())
	if errors.Is(err, store.ErrDuplicate) {
		return p, refuse(Conflict)
	}
	if err != nil {
		return p, err
	}
	return e.store.ExchangePointByCode(ctx, p.Code)
}

// Update replaces every field of a point but its code and active. Audited
// (exchange_point.update, what changed) in the same transaction.
func (e *ExchangePoints) Update(ctx context.Context, by store.AdminActor, code string, f PointFields) (store.ExchangePoint, error) {
	code, err := pointCode(code)
	if err != nil {
		return store.ExchangePoint{}, err
	}
	p, err := f.point(code)
	if err != nil {
		return p, err
	}
	return e.store.UpdateExchangePoint(ctx, p, by.StaffID, by.RequestID, e.clock.now())
}

// SetActive activates or deactivates a point (an inactive one leaves the app's lists);
// idempotent. Audited (exchange_point.activate or .deactivate) when it changes.
func (e *ExchangePoints) SetActive(ctx context.Context, by store.AdminActor, code string, active bool) (store.ExchangePoint, error) {
	code, err := pointCode(code)
	if err != nil {
		return store.ExchangePoint{}, err
	}
	return e.store.SetExchangePointActive(ctx, code, active, by.StaffID, by.RequestID, e.clock.now())
}
