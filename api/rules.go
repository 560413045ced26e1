package api

import (
	"net/http"
	"time"

	"occonnect/domain"
	"occonnect/service"
)

// ruleHandlers: the allowance rules and the public holidays, edited by admins.
type ruleHandlers struct{ svc *service.Rules }

// rulesJSON is a year's rules; each rule has the shape a PUT sends (service.Rule).
type rulesJSON struct {
	Year      int            `json:"year"`
	Edition   string         `json:"edition"`
	Rules     []service.Rule `json:"rules"`
	UpdatedAt *time.Time     `json:"updated_at,omitempty"`
}

func rulesView(y service.YearRules) rulesJSON {
	out := rulesJSON{Year: y.Year, Edition: y.Edition, Rules: make([]service.Rule, 0, len(y.Rules)), UpdatedAt: nonZero(y.UpdatedAt)}
	for _, rule := range y.Rules {
		out.Rules = append(out.Rules, service.Rule{Type: rule.Type, EntitlementMAD: rule.EntitlementMAD, RateBP: int64Ptr(rule.RateBP),
			CapTotalMAD: int64Ptr(rule.CapTotalMAD), LabelFR: rule.LabelFR, LabelAR: rule.LabelAR})
	}
	return out
}

// getAllowanceRules: GET /admin/allowance-rules/{year} (admin).
func (h ruleHandlers) getAllowanceRules(w http.ResponseWriter, r *http.Request) error {
	y, err := h.svc.AllowanceRules(r.Context(), pathVar(r, "year"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rulesView(y))
	return nil
}

// putAllowanceRules: PUT /admin/allowance-rules/{year} (admin): the whole set of a current
// or future year; figures cannot go below what was already used that year.
func (h ruleHandlers) putAllowanceRules(w http.ResponseWriter, r *http.Request) error {
	var set service.RuleSet
	if err := decodeJSON(r, &set); err != nil {
		return err
	}
	y, err := h.svc.ReplaceAllowanceRules(r.Context(), adminActor(r), pathVar(r, "year"), set)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rulesView(y))
	return nil
}

// holidaysJSON is a year's public holidays: the fixed ones (in code, read only) and the
// dated ones (the table, edited by admins); each has the shape a PUT sends (its date,
// YYYY-MM-DD, and its French and Arabic names).
type holidaysJSON struct {
	Year  int               `json:"year"`
	Fixed []service.Holiday `json:"fixed"`
	Dated []service.Holiday `json:"dated"`
}

func holidayViews(hs []domain.NamedHoliday) []service.Holiday {
	out := make([]service.Holiday, len(hs))
	for i, h := range hs {
		out[i] = service.Holiday{Date: h.Day.Format(time.DateOnly), NameFR: h.NameFR, NameAR: h.NameAR}
	}
	return out
}

func holidaysView(y service.YearHolidays) holidaysJSON {
	return holidaysJSON{Year: y.Year, Fixed: holidayViews(y.Fixed), Dated: holidayViews(y.Dated)}
}

// getHolidays: GET /admin/holidays/{year} (admin): fixed and dated, in date order.
func (h ruleHandlers) getHolidays(w http.ResponseWriter, r *http.Request) error {
	y, err := h.svc.Holidays(r.Context(), pathVar(r, "year"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, holidaysView(y))
	return nil
}

// putHolidays: PUT /admin/holidays/{year} (admin): replaces the year's dated holidays,
// then answers as GET.
func (h ruleHandlers) putHolidays(w http.ResponseWriter, r *http.Request) error {
	var set service.HolidaySet // Dated nil: missing or null (required); empty: clears the year
	if err := decodeJSON(r, &set); err != nil {
		return err
	}
	y, err := h.svc.ReplaceHolidays(r.Context(), adminActor(r), pathVar(r, "year"), set)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, holidaysView(y))
	return nil
}
