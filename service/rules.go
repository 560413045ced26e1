package service

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"occonnect/domain"
	"occonnect/store"
)

// Rules are the figures ops edit without a code change: the allowance rules of a year
// (IGOC edition) and the dated public holidays (religious ones, moon-sighted). Every
// change is audited.
type Rules struct {
	store *store.Store
	clock clock
}

// ruleYear reads a year of the path: 2000 to 2100.
func ruleYear(year string) (int, error) {
	y, err := strconv.Atoi(year)
	if err != nil || y < 2000 || y > 2100 {
		return 0, invalidField("year", "invalid")
	}
	return y, nil
}

// YearRules are the allowance rules of a year.
type YearRules struct {
	Year      int
	Edition   string
	Rules     []store.AllowanceRule
	UpdatedAt time.Time // the latest change of any rule
}

// AllowanceRules reads the rules of a year; YearWithoutRules when there are none.
func (r *Rules) AllowanceRules(ctx context.Context, year string) (YearRules, error) {
	y, err := ruleYear(year)
	if err != nil {
		return YearRules{}, err
	}
	return r.allowanceRules(ctx, y)
}

func (r *Rules) allowanceRules(ctx context.Context, year int) (YearRules, error) {
	rules, err := r.store.AllowanceRules(ctx, year)
	if errors.Is(err, store.ErrNoRules) {
		return YearRules{}, refuse(YearWithoutRules)
	}
	if err != nil {
		return YearRules{}, err
	}
	out := YearRules{Year: year, Rules: rules}
	for _, rule := range rules {
		out.Edition = rule.Edition
		if rule.UpdatedAt.After(out.UpdatedAt) {
			out.UpdatedAt = rule.UpdatedAt
		}
	}
	return out, nil
}

// RuleSet is the whole set of a year's rules, as an admin sent it (and as it is audited).
type RuleSet struct {
	Edition string `json:"edition"`
	Rules   []Rule `json:"rules"`
}

// Rule is one allowance's figures: RateBP and CapTotalMAD are the DTS's, and only its.
type Rule struct {
	Type           string `json:"type"`
	EntitlementMAD int64  `json:"entitlement_mad"`
	RateBP         *int64 `json:"rate_bp,omitempty"`
	CapTotalMAD    *int64 `json:"cap_total_mad,omitempty"`
	LabelFR        string `json:"label_fr"`
	LabelAR        string `json:"label_ar"`
}

// ReplaceAllowanceRules sets the whole set of rules of the current or a future year
// (PastYear for a past one); the figures cannot go below what citizens already used that
// year (BelowUsed, with the fields). Audited (allowance_rules.replace).
func (r *Rules) ReplaceAllowanceRules(ctx context.Context, by store.AdminActor, year string, set RuleSet) (YearRules, error) {
	y, err := ruleYear(year)
	if err != nil {
		return YearRules{}, err
	}
	var v fieldErrors
	set.Edition = strings.TrimSpace(set.Edition)
	if set.Edition == "" || len(set.Edition) > 32 {
		v.add("edition", map[bool]string{true: "required", false: "too_long"}[set.Edition == ""])
	}
	seen := map[string]int{}
	rules := make([]store.AllowanceRule, 0, len(set.Rules))
	for i, rj := range set.Rules {
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
			if label := strings.TrimSpace(l.label); label == "" || len(label) > 200 {
				v.add(f(l.name), map[bool]string{true: "required", false: "too_long"}[label == ""])
			}
		}
		rule := store.AllowanceRule{Year: y, Type: rj.Type, Edition: set.Edition, EntitlementMAD: rj.EntitlementMAD,
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
		return YearRules{}, err
	}
	if y < r.clock.currentYear() {
		return YearRules{}, refuse(PastYear)
	}
	byType := map[string]store.AllowanceRule{}
	for _, rule := range rules {
		byType[rule.Type] = rule
	}
	err = r.store.ReplaceAllowanceRules(ctx, y, rules, by.StaffID, r.clock.now(), func(used []store.UsedByType) error {
		var below fieldErrors
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
			return refuse(BelowUsed, below...)
		}
		return nil
	})
	if err != nil {
		return YearRules{}, err
	}
	if err := r.audit(ctx, by, "allowance_rules.replace", "allowance_rules", strconv.Itoa(y), set); err != nil {
		return YearRules{}, err
	}
	return r.allowanceRules(ctx, y)
}

// audit records an admin change (who, when, what; never a secret).
func (r *Rules) audit(ctx context.Context, by store.AdminActor, action, entity, entityID string, changes any) error {
	return r.store.RecordAdminChange(ctx, nil, store.AdminChange{
		StaffID: by.StaffID, Action: action, Entity: entity, EntityID: entityID,
		Changes: changes, RequestID: by.RequestID, At: r.clock.now(),
	})
}

// YearHolidays are a year's public holidays: the fixed ones (in code, read only) and the
// dated ones (the table, edited by admins), each in date order.
type YearHolidays struct {
	Year  int
	Fixed []domain.NamedHoliday
	Dated []domain.NamedHoliday
}

// Holidays reads a year's public holidays. Business-day deadlines skip both kinds.
func (r *Rules) Holidays(ctx context.Context, year string) (YearHolidays, error) {
	y, err := ruleYear(year)
	if err != nil {
		return YearHolidays{}, err
	}
	return r.holidays(ctx, y)
}

func (r *Rules) holidays(ctx context.Context, year int) (YearHolidays, error) {
	dated, err := r.store.HolidaysOfYear(ctx, year)
	if err != nil {
		return YearHolidays{}, err
	}
	out := YearHolidays{Year: year, Fixed: domain.NamedFixedHolidays(year), Dated: make([]domain.NamedHoliday, len(dated))}
	for i, h := range dated {
		out.Dated[i] = domain.NamedHoliday{Day: h.Day, NameFR: h.NameFR, NameAR: h.NameAR}
	}
	return out, nil
}

// Holiday is a dated holiday as an admin sent it (and as it is audited).
type Holiday struct {
	Date   string `json:"date"`
	NameFR string `json:"name_fr"`
	NameAR string `json:"name_ar"`
}

// HolidaySet is the whole list of a year's dated holidays (nil: not given).
type HolidaySet struct {
	Dated *[]Holiday `json:"dated"`
}

// maxHolidayNameLen is the length of the name columns, in characters (VARCHAR(200)).
const maxHolidayNameLen = 200

// ReplaceHolidays replaces the whole list of dated holidays of a year (required; an empty
// list clears the year). Field errors name the entry by index: dated[i].date is required,
// invalid_format (not YYYY-MM-DD or no such day), wrong_year (not in that year) or
// duplicate (a date given twice, on the later entry); dated[i].name_fr and
// dated[i].name_ar are required or too_long (over 200 characters). A date that is also a
// fixed holiday is accepted (it changes nothing). Audited (holidays.replace).
//
// Past years may be edited, to correct the record. Deadlines already computed are not
// changed: activities read the table when they compute a deadline, so a change only
// affects deadlines computed afterwards.
func (r *Rules) ReplaceHolidays(ctx context.Context, by store.AdminActor, year string, set HolidaySet) (YearHolidays, error) {
	y, err := ruleYear(year)
	if err != nil {
		return YearHolidays{}, err
	}
	if set.Dated == nil {
		return YearHolidays{}, invalidField("dated", "required")
	}
	var v fieldErrors
	seen := map[string]bool{}
	hs := make([]store.Holiday, 0, len(*set.Dated))
	for i, hj := range *set.Dated {
		f := func(name string) string { return fmt.Sprintf("dated[%d].%s", i, name) }
		h := store.Holiday{NameFR: strings.TrimSpace(hj.NameFR), NameAR: strings.TrimSpace(hj.NameAR)}
		day, err := time.Parse(time.DateOnly, hj.Date)
		switch {
		case hj.Date == "":
			v.add(f("date"), "required")
		case err != nil:
			v.add(f("date"), "invalid_format")
		case day.Year() != y:
			v.add(f("date"), "wrong_year")
		case seen[hj.Date]:
			v.add(f("date"), "duplicate")
		default:
			seen[hj.Date] = true
			h.Day = day
		}
		for _, n := range []struct{ field, value string }{{"name_fr", h.NameFR}, {"name_ar", h.NameAR}} {
			switch {
			case n.value == "":
				v.add(f(n.field), "required")
			case utf8.RuneCountInString(n.value) > maxHolidayNameLen:
				v.add(f(n.field), "too_long")
			}
		}
		hs = append(hs, h)
	}
	if err := v.err(); err != nil {
		return YearHolidays{}, err
	}
	if err := r.store.ReplaceHolidays(ctx, y, hs); err != nil {
		return YearHolidays{}, err
	}
	if err := r.audit(ctx, by, "holidays.replace", "holidays", strconv.Itoa(y), set); err != nil {
		return YearHolidays{}, err
	}
	return r.holidays(ctx, y)
}
