package api

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gorilla/mux"

	"occonnect/domain"
	"occonnect/store"
)

// Limits of the exchange-point queries.
const (
	nearestDefaultLimit  = 10
	nearestMaxLimit      = 50
	nearestDefaultRadius = 50.0
	nearestMaxRadius     = 1000.0
	maxSearchLen         = 100
)

// exchangePointJSON is a point as the API shows it. open_now is computed at the server's
// clock, in Morocco's time zone; distance_km only in the answers of /nearest.
type exchangePointJSON struct {
	Code         string             `json:"code"`
	Name         string             `json:"name"`
	OperatorType string             `json:"operator_type"`
	Address      string             `json:"address"`
	City         string             `json:"city"`
	Region       string             `json:"region"`
	Lat          float64            `json:"lat"`
	Lon          float64            `json:"lon"`
	Phone        *string            `json:"phone"`
	Hours        domain.WeeklyHours `json:"hours"`
	OpenNow      bool               `json:"open_now"`
	Active       bool               `json:"active"`
	DistanceKm   *float64           `json:"distance_km,omitempty"`
}

func (s *Server) exchangePointJSON(p store.ExchangePoint) exchangePointJSON {
	j := exchangePointJSON{Code: p.Code, Name: p.Name, OperatorType: p.OperatorType, Address: p.Address, City: p.City,
		Region: p.Region, Lat: p.Lat, Lon: p.Lon, Hours: p.OpeningHours, OpenNow: p.OpeningHours.OpenAt(s.clock()), Active: p.Active}
	if p.Phone != "" {
		j.Phone = &p.Phone
	}
	return j
}

// coordParam reads a required decimal query parameter within [lo, hi].
func coordParam(q url.Values, name string, lo, hi float64, v *validation) float64 {
	s := strings.TrimSpace(q.Get(name))
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

// boolParam reads an optional true|false query parameter.
func boolParam(q url.Values, name string, v *validation) bool {
	switch q.Get(name) {
	case "", "false":
		return false
	case "true":
		return true
	}
	v.add(name, "invalid")
	return false
}

// nearestExchangePoints: GET /exchange-points/nearest?lat=&lon=&limit=&radius_km=&open_now=
// (public): the active points within radius_km, nearest first; open_now=true keeps those
// open now.
func (s *Server) nearestExchangePoints(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var v validation
	lat := coordParam(q, "lat", -90, 90, &v)
	lon := coordParam(q, "lon", -180, 180, &v)
	limit := intParam(r, "limit", 1, nearestMaxLimit, nearestDefaultLimit, &v)
	radius := nearestDefaultRadius
	if raw := q.Get("radius_km"); raw != "" {
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil || math.IsNaN(f) || f <= 0 || f > nearestMaxRadius {
			v.add("radius_km", "invalid")
		} else {
			radius = f
		}
	}
	openNow := boolParam(q, "open_now", &v)
	if err := v.err(); err != nil {
		return err
	}
	var keep func(store.ExchangePoint) bool
	if openNow {
		now := s.clock()
		keep = func(p store.ExchangePoint) bool { return p.OpeningHours.OpenAt(now) }
	}
	points, err := s.store.NearestWhere(r.Context(), lat, lon, radius, limit, keep)
	if err != nil {
		return err
	}
	out := struct {
		Items []exchangePointJSON `json:"items"`
	}{Items: make([]exchangePointJSON, 0, len(points))}
	for _, p := range points {
		j := s.exchangePointJSON(p.ExchangePoint)
		d := math.Round(p.DistanceKm*10) / 10
		j.DistanceKm = &d
		out.Items = append(out.Items, j)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// listExchangePoints: GET /exchange-points?city=&q=&cursor=&limit= (public): the active
// points by code; city and q ignore case and accents.
func (s *Server) listExchangePoints(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var v validation
	limit, cursor := page(r, &v)
	if cursor != "" && !domain.ValidExchangePointCode(cursor) {
		v.add("cursor", "invalid")
	}
	city, search := strings.TrimSpace(q.Get("city")), strings.TrimSpace(q.Get("q"))
	if !utf8.ValidString(city) || utf8.RuneCountInString(city) > domain.MaxPointCity {
		v.add("city", "invalid")
	}
	if !utf8.ValidString(search) || utf8.RuneCountInString(search) > maxSearchLen {
		v.add("q", "invalid")
	}
	if err := v.err(); err != nil {
		return err
	}
	points, err := s.store.ListExchangePoints(r.Context(), city, search, cursor, limit+1)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageItems(points, limit,
		func(p store.ExchangePoint) *string { return encodeCursor(p.Code) }, s.exchangePointJSON))
	return nil
}

// pathCode is the {code} of the path, upper-cased; a malformed one is 404.
func pathCode(r *http.Request) (string, error) {
	code := strings.ToUpper(mux.Vars(r)["code"])
	if !domain.ValidExchangePointCode(code) {
		return "", problem(http.StatusNotFound, "not_found")
	}
	return code, nil
}

// getExchangePoint: GET /exchange-points/{code} (public), active or not.
func (s *Server) getExchangePoint(w http.ResponseWriter, r *http.Request) error {
	code, err := pathCode(r)
	if err != nil {
		return err
	}
	p, err := s.store.ExchangePointByCode(r.Context(), code)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.exchangePointJSON(p))
	return nil
}

// exchangePointFields are the editable fields of a point (PUT's body).
type exchangePointFields struct {
	Name         string              `json:"name"`
	OperatorType string              `json:"operator_type"`
	Address      string              `json:"address"`
	City         string              `json:"city"`
	Region       string              `json:"region"`
	Lat          *float64            `json:"lat"`
	Lon          *float64            `json:"lon"`
	Phone        *string             `json:"phone"`
	Hours        map[string][]string `json:"hours"`
}

// exchangePointCreate is POST's body: the code, the fields and, optionally, active. (Not
// embedding exchangePointFields keeps the field names of JSON type errors plain.)
type exchangePointCreate struct {
	Code         string              `json:"code"`
	Name         string              `json:"name"`
	OperatorType string              `json:"operator_type"`
	Address      string              `json:"address"`
	City         string              `json:"city"`
	Region       string              `json:"region"`
	Lat          *float64            `json:"lat"`
	Lon          *float64            `json:"lon"`
	Phone        *string             `json:"phone"`
	Hours        map[string][]string `json:"hours"`
	Active       *bool               `json:"active"`
}

func (c *exchangePointCreate) fields() *exchangePointFields {
	return &exchangePointFields{Name: c.Name, OperatorType: c.OperatorType, Address: c.Address, City: c.City, Region: c.Region,
		Lat: c.Lat, Lon: c.Lon, Phone: c.Phone, Hours: c.Hours}
}

// point validates the fields into a point (code from the body or the path).
func (f *exchangePointFields) point(code string) (store.ExchangePoint, error) {
	var v validation
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

// createExchangePoint: POST /admin/exchange-points (admin); 409 conflict when the code is
// taken. Audited (exchange_point.create) in the same transaction.
func (s *Server) createExchangePoint(w http.ResponseWriter, r *http.Request) error {
	var body exchangePointCreate
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	p, err := body.fields().point(body.Code)
	if err != nil {
		return err
	}
	p.Active = body.Active == nil || *body.Active
	ctx := r.Context()
	err = s.store.CreateExchangePoint(ctx, p, principalFrom(ctx).id, requestID(ctx), s.clock())
	if errors.Is(err, store.ErrDuplicate) {
		return problem(http.StatusConflict, "conflict")
	}
	if err != nil {
		return err
	}
	stored, err := s.store.ExchangePointByCode(ctx, p.Code)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.exchangePointJSON(stored))
	return nil
}

// updateExchangePoint: PUT /admin/exchange-points/{code} (admin): replaces every field but
// the code and active. Audited (exchange_point.update, what changed) in the same
// transaction.
func (s *Server) updateExchangePoint(w http.ResponseWriter, r *http.Request) error {
	code, err := pathCode(r)
	if err != nil {
		return err
	}
	var body exchangePointFields
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	p, err := body.point(code)
	if err != nil {
		return err
	}
	ctx := r.Context()
	stored, err := s.store.UpdateExchangePoint(ctx, p, principalFrom(ctx).id, requestID(ctx), s.clock())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.exchangePointJSON(stored))
	return nil
}

func (s *Server) setExchangePointActive(w http.ResponseWriter, r *http.Request, active bool) error {
	code, err := pathCode(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	p, err := s.store.SetExchangePointActive(ctx, code, active, principalFrom(ctx).id, requestID(ctx), s.clock())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.exchangePointJSON(p))
	return nil
}

// deactivateExchangePoint: POST /admin/exchange-points/{code}/deactivate (admin): the point
// leaves the app's lists; idempotent. Audited (exchange_point.deactivate) when it changes.
func (s *Server) deactivateExchangePoint(w http.ResponseWriter, r *http.Request) error {
	return s.setExchangePointActive(w, r, false)
}

// activateExchangePoint: POST /admin/exchange-points/{code}/activate (admin); idempotent.
// Audited (exchange_point.activate) when it changes.
func (s *Server) activateExchangePoint(w http.ResponseWriter, r *http.Request) error {
	return s.setExchangePointActive(w, r, true)
}
