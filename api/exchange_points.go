package api

import (
	"math"
	"net/http"

	"occonnect/domain"
	"occonnect/service"
	"occonnect/store"
)

// exchangePointHandlers: the public lists and the admins' maintenance of exchange points.
type exchangePointHandlers struct{ svc *service.ExchangePoints }

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

func (h exchangePointHandlers) view(p store.ExchangePoint) exchangePointJSON {
	j := exchangePointJSON{Code: p.Code, Name: p.Name, OperatorType: p.OperatorType, Address: p.Address, City: p.City,
		Region: p.Region, Lat: p.Lat, Lon: p.Lon, Hours: p.OpeningHours, OpenNow: h.svc.OpenNow(p), Active: p.Active}
	if p.Phone != "" {
		j.Phone = &p.Phone
	}
	return j
}

// nearest: GET /exchange-points/nearest?lat=&lon=&limit=&radius_km=&open_now= (public):
// the active points within radius_km, nearest first; open_now=true keeps those open now.
func (h exchangePointHandlers) nearest(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	points, err := h.svc.Nearest(r.Context(), service.NearestQuery{Lat: q.Get("lat"), Lon: q.Get("lon"), Limit: q.Get("limit"),
		RadiusKm: q.Get("radius_km"), OpenNow: q.Get("open_now")})
	if err != nil {
		return err
	}
	out := struct {
		Items []exchangePointJSON `json:"items"`
	}{Items: make([]exchangePointJSON, 0, len(points))}
	for _, p := range points {
		j := h.view(p.ExchangePoint)
		d := math.Round(p.DistanceKm*10) / 10
		j.DistanceKm = &d
		out.Items = append(out.Items, j)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// list: GET /exchange-points?city=&q=&cursor=&limit= (public): the active points by code;
// city and q ignore case and accents.
func (h exchangePointHandlers) list(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p, err := h.svc.List(r.Context(), service.PointQuery{City: q.Get("city"), Q: q.Get("q"), Page: page(r)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(p, h.view))
	return nil
}

// get: GET /exchange-points/{code} (public), active or not.
func (h exchangePointHandlers) get(w http.ResponseWriter, r *http.Request) error {
	p, err := h.svc.Get(r.Context(), pathVar(r, "code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h.view(p))
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

func (f exchangePointFields) fields() service.PointFields {
	return service.PointFields{Name: f.Name, OperatorType: f.OperatorType, Address: f.Address, City: f.City, Region: f.Region,
		Lat: f.Lat, Lon: f.Lon, Phone: f.Phone, Hours: f.Hours}
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

// create: POST /admin/exchange-points (admin); 409 conflict when the code is taken.
func (h exchangePointHandlers) create(w http.ResponseWriter, r *http.Request) error {
	var b exchangePointCreate
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	f := exchangePointFields{Name: b.Name, OperatorType: b.OperatorType, Address: b.Address, City: b.City, Region: b.Region,
		Lat: b.Lat, Lon: b.Lon, Phone: b.Phone, Hours: b.Hours}
	p, err := h.svc.Create(r.Context(), adminActor(r), b.Code, f.fields(), b.Active)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, h.view(p))
	return nil
}

// update: PUT /admin/exchange-points/{code} (admin): replaces every field but the code
// and active.
func (h exchangePointHandlers) update(w http.ResponseWriter, r *http.Request) error {
	var b exchangePointFields
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	p, err := h.svc.Update(r.Context(), adminActor(r), pathVar(r, "code"), b.fields())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h.view(p))
	return nil
}

// deactivate: POST /admin/exchange-points/{code}/deactivate (admin): the point leaves the
// app's lists; idempotent.
func (h exchangePointHandlers) deactivate(w http.ResponseWriter, r *http.Request) error {
	return h.setActive(w, r, false)
}

// activate: POST /admin/exchange-points/{code}/activate (admin); idempotent.
func (h exchangePointHandlers) activate(w http.ResponseWriter, r *http.Request) error {
	return h.setActive(w, r, true)
}

func (h exchangePointHandlers) setActive(w http.ResponseWriter, r *http.Request, active bool) error {
	p, err := h.svc.SetActive(r.Context(), adminActor(r), pathVar(r, "code"), active)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h.view(p))
	return nil
}
