package api

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"occonnect/domain"
	"occonnect/store"
)

type ruleJSON struct {
	Type           string `json:"type"`
	EntitlementMAD int64  `json:"entitlement_mad"`
	RateBP         *int64 `json:"rate_bp,omitempty"`
	CapTotalMAD    *int64 `json:"cap_total_mad,omitempty"`
	LabelFR        string `json:"label_fr"`
	LabelAR        string `json:"label_ar"`
}

type rulesJSON struct {
	Year      int        `json:"year"`
	Edition   string     `json:"edition"`
	Rules     []ruleJSON `json:"rules"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

func ruleYear(r *http.Request) (int, error) {
	y, err := strconv.Atoi(mux.Vars(r)["year"])
	if err != nil || y < 2000 || y > 2100 {
		return 0, problem(http.StatusBadRequest, "validation_failed", fieldErr("year", "invalid"))
	}
	return y, nil
}

// getAllowanceRules: GET /admin/allowance-rules/{year} (admin).
func (s *Server) getAllowanceRules(w http.ResponseWriter, r *http.Request) error {
	year, err := ruleYear(r)
	if err != nil {
		return err
	}
	rules, err := s.store.AllowanceRules(r.Context(), year)
	if errors.Is(err, store.ErrNoRules) {
		return problem(http.StatusNotFound, "no_rules")
	}
	if err != nil {
		return err
	}
	out := rulesJSON{Year: year, Rules: []ruleJSON{}}
	for _, rule := range rules {
		out.Edition = rule.Edition
		if out.UpdatedAt == nil || rule.UpdatedAt.After(*out.UpdatedAt) {
			at := rule.UpdatedAt
			out.UpdatedAt = &at
		}
		out.Rules = append(out.Rules, ruleJSON{Type: rule.Type, EntitlementMAD: rule.EntitlementMAD, RateBP: int64Ptr(rule.RateBP),
			CapTotalMAD: int64Ptr(rule.CapTotalMAD), LabelFR: rule.LabelFR, LabelAR: rule.LabelAR})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type putRulesBody struct {
	Edition string     `json:"edition"`
	Rules   []ruleJSON `json:"rules"`
}

// putAllowanceRules: PUT /admin/allowance-rules/{year} (admin): the whole set of a current or
// future year; figures cannot go below what was already used that year.
func (s *Server) putAllowanceRules(w http.ResponseWriter, r *http.Request) error {
	year, err := ruleYear(r)
	if err != nil {
		return err
	}
	var body putRulesBody
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	var v validation
	body.Edition = strings.TrimSpace(body.Edition)
	if body.Edition == "" || len(body.Edition) > 32 {
		v.add("edition", map[bool]string{true: "required", false: "too_long"}[body.Edition == ""])
	}
	seen := map[string]int{}
	rules := make([]store.AllowanceRule, 0, len(body.Rules))
	for i, rj := range body.Rules {
		f := func(name string) string { return fmt.Sprintf("rules[%d].%s", i, name) }
		t, ok := domain.ParseAllowanceType(rj.Type)
		if !ok {
			v.add(f("type"), "invalid")
		} else if _, dup := seen[rj.Type]; dup {
			v.add(f("type"), "duplicate")
		}
		seen[rj.Type] = i
		if rj.EntitlementMAD < 0 || rj.EntitlementMAD > maxDebitMAD {
			v.add(f("entitlement_mad"), "invalid")
		}
		isDTS := t == domain.AllowanceTourismSupplement
		switch {
		case isDTS && (rj.RateBP == nil || *rj.RateBP < 0 || *rj.RateBP > 10000):
			v.add(f("rate_bp"), "invalid")
		case !isDTS && rj.RateBP != nil:
			v.add(f("rate_bp"), "invalid")
		}
		switch {
		case isDTS && (rj.CapTotalMAD == nil || *rj.CapTotalMAD < 0 || *rj.CapTotalMAD > maxDebitMAD):
			v.add(f("cap_total_mad"), "invalid")
		case !isDTS && rj.CapTotalMAD != nil:
			v.add(f("cap_total_mad"), "invalid")
		}
		for _, l := range []struct{ name, label string }{{"label_fr", rj.LabelFR}, {"label_ar", rj.LabelAR}} {
			name, label := l.name, l.label
			if l := strings.TrimSpace(label); l == "" || len(l) > 200 {
				v.add(f(name), map[bool]string{true: "required", false: "too_long"}[l == ""])
			}
		}
		rule := store.AllowanceRule{Year: year, Type: rj.Type, Edition: body.Edition, EntitlementMAD: rj.EntitlementMAD,
			LabelFR: strings.TrimSpace(rj.LabelFR), LabelAR: strings.TrimSpace(rj.LabelAR)}
		if rj.RateBP != nil {
			rule.RateBP = sql.NullInt64{Int64: *rj.RateBP, Valid: true}
		}
		if rj.CapTotalMAD != nil {
			rule.CapTotalMAD = sql.NullInt64{Int64: *rj.CapTotalMAD, Valid: true}
		}
		rules = append(rules, rule)
	}
	for _, t := range domain.AllowanceTypes {
		if _, ok := seen[string(t)]; !ok {
			v.add("rules", "missing_"+string(t))
		}
	}
	if err := v.err(); err != nil {
		return err
	}
	if year < s.currentYear() {
		return problem(http.StatusConflict, "past_year")
	}
	byType := map[string]store.AllowanceRule{}
	for _, rule := range rules {
		byType[rule.Type] = rule
	}
	p := principalFrom(r.Context())
	err = s.store.ReplaceAllowanceRules(r.Context(), year, rules, p.id, s.clock(), func(used []store.UsedByType) error {
		var below validation
		for _, u := range used {
			rule := byType[u.Type]
			if u.Type == string(domain.AllowanceTourismSupplement) {
				// The credited supplements must still fit under the new cap.
				if room := rule.CapTotalMAD.Int64 - byType[string(domain.AllowanceTourism)].EntitlementMAD; u.MaxCredited > room {
					below.add(fmt.Sprintf("rules[%d].cap_total_mad", seen[u.Type]), "below_used")
				}
				continue
			}
			if u.MaxDebited > rule.EntitlementMAD {
				below.add(fmt.Sprintf("rules[%d].entitlement_mad", seen[u.Type]), "below_used")
			}
		}
		if len(below) > 0 {
			return &apiError{status: http.StatusConflict, code: "below_used", fields: below}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := s.audit(r, "allowance_rules.replace", "allowance_rules", strconv.Itoa(year), body); err != nil {
		return err
	}
	return s.getAllowanceRules(w, r)
}
