package domain

import (
	"errors"
	"math/bits"
	"strconv"
	"strings"
)

// AllowanceType identifies a personal foreign-currency allowance ("dotation")
// of the Instruction Générale des Opérations de Change (IGOC). Its values are
// the codes stored in the allowance_rules table.
type AllowanceType string

// Allowance types.
const (
	// AllowanceTourism is the yearly tourist allowance (dotation touristique).
	AllowanceTourism AllowanceType = "tourism"
	// AllowanceTourismSupplement is the supplementary tourist allowance
	// indexed on the income tax of the previous year (DTS).
	AllowanceTourismSupplement AllowanceType = "tourism_supplement"
	// AllowanceStudies is the allowance for studies abroad (scolarité).
	AllowanceStudies AllowanceType = "studies"
	// AllowanceHajjOmra is the allowance for the Hajj and Omra pilgrimages.
	AllowanceHajjOmra AllowanceType = "hajj_omra"
	// AllowanceMedical is the allowance for medical care abroad.
	AllowanceMedical AllowanceType = "medical"
)

// AllowanceTypes lists every AllowanceType, in display order. Do not modify.
var AllowanceTypes = []AllowanceType{
	AllowanceTourism,
	AllowanceTourismSupplement,
	AllowanceStudies,
	AllowanceHajjOmra,
	AllowanceMedical,
}

// ParseAllowanceType returns the AllowanceType for s and true if s is exactly
// one of the codes in [AllowanceTypes]. Any other value, including upper-case
// or padded variants, yields ("", false).
func ParseAllowanceType(s string) (AllowanceType, bool) {
	switch t := AllowanceType(s); t {
	case AllowanceTourism, AllowanceTourismSupplement, AllowanceStudies,
		AllowanceHajjOmra, AllowanceMedical:
		return t, true
	}
	return "", false
}

// AllowanceRule is the rule for one allowance type in one calendar year, as
// configured (per IGOC edition) in the allowance_rules table. Amounts are
// whole dirhams (MAD).
type AllowanceRule struct {
	// Type is the allowance the rule applies to.
	Type AllowanceType
	// EntitlementMAD is the amount available to a resident for the year (or
	// per trip, depending on the allowance). It is 0 for the DTS, which is
	// credited when a request is approved.
	EntitlementMAD int64
	// RateBP is the DTS rate in basis points of the income tax (3000 = 30%).
	// Used by the tourism_supplement rule only.
	RateBP int64
	// CapTotalMAD is the ceiling of the tourist allowance plus the DTS
	// (base + supplement <= CapTotalMAD). Used by the tourism_supplement rule
	// only.
	CapTotalMAD int64
	// LabelFR and LabelAR are the names shown to users, in French and Arabic.
	LabelFR, LabelAR string
}

// DTSResult is the outcome of [ComputeDTS]. Amounts are whole dirhams (MAD).
type DTSResult struct {
	// Year is the calendar year the supplement is for (fiscal year + 1).
	Year int
	// RateBP is the rate applied, in basis points.
	RateBP int64
	// BaseMAD is the tourist allowance of Year; CapTotalMAD the ceiling of
	// base plus supplement.
	BaseMAD, CapTotalMAD int64
	// SupplementMAD is the DTS; TotalMAD is BaseMAD + SupplementMAD.
	SupplementMAD, TotalMAD int64
}

// Errors returned by [ComputeDTS]. They never contain the amounts involved.
var (
	// ErrNoRules means that the rules given lack the tourism or the
	// tourism_supplement rule.
	ErrNoRules = errors.New("domain: no allowance rules for that year")
	// ErrInvalidAmount means that an amount given by the caller (such as a
	// negative income tax) is invalid.
	ErrInvalidAmount = errors.New("domain: invalid amount")
	// ErrInvalidRule means that a configured rule is unusable (a negative
	// entitlement, rate or cap).
	ErrInvalidRule = errors.New("domain: invalid allowance rule")
)

// ComputeDTS computes the supplementary tourist allowance (DTS) for year, the
// calendar year the supplement is for (the fiscal year of the income tax + 1),
// from irMAD, the income tax (IR) paid for the fiscal year, in whole dirhams.
//
// rules are the allowance rules of year (the caller looks them up): the base
// is the EntitlementMAD of the tourism rule, the rate and the ceiling come
// from the tourism_supplement rule. If a type occurs more than once, the
// first occurrence is used. The formula (DESIGN.md) is
//
//	supplement = min(rate × IR, cap_total − base)
//
// with rate × IR rounded down to the dirham, computed exactly in integer
// arithmetic for any non-negative irMAD (no overflow). A zero IR gives a
// zero supplement, and so does a ceiling below the base.
//
// Errors: [ErrInvalidAmount] for a negative irMAD, [ErrNoRules] when either
// rule is missing, [ErrInvalidRule] for a negative base, rate or ceiling.
func ComputeDTS(year int, irMAD int64, rules []AllowanceRule) (DTSResult, error) {
	if irMAD < 0 {
		return DTSResult{}, ErrInvalidAmount
	}
	base, okBase := findAllowanceRule(rules, AllowanceTourism)
	supp, okSupp := findAllowanceRule(rules, AllowanceTourismSupplement)
	if !okBase || !okSupp {
		return DTSResult{}, ErrNoRules
	}
	if base.EntitlementMAD < 0 || supp.RateBP < 0 || supp.CapTotalMAD < 0 {
		return DTSResult{}, ErrInvalidRule
	}
	res := DTSResult{
		Year:        year,
		RateBP:      supp.RateBP,
		BaseMAD:     base.EntitlementMAD,
		CapTotalMAD: supp.CapTotalMAD,
	}
	room := max(supp.CapTotalMAD-base.EntitlementMAD, 0) // both >= 0: no overflow
	res.SupplementMAD = min(applyRateBP(irMAD, supp.RateBP, room), room)
	res.TotalMAD = res.BaseMAD + res.SupplementMAD
	return res, nil
}

// applyRateBP returns floor(amount × bp / 10000), or limit if that exceeds
// limit. amount, bp and limit must be non-negative. The product is computed
// on 128 bits, so it never overflows.
func applyRateBP(amount, bp, limit int64) int64 {
	hi, lo := bits.Mul64(uint64(amount), uint64(bp))
	if hi >= 10000 { // the quotient would not fit in 64 bits
		return limit
	}
	q, _ := bits.Div64(hi, lo, 10000)
	if q > uint64(limit) {
		return limit
	}
	return int64(q)
}

// findAllowanceRule returns the first rule of type t in rules.
func findAllowanceRule(rules []AllowanceRule, t AllowanceType) (AllowanceRule, bool) {
	for _, r := range rules {
		if r.Type == t {
			return r, true
		}
	}
	return AllowanceRule{}, false
}

// RateString formats a rate in basis points as a decimal fraction without
// trailing zeros: 3000 → "0.3", 2500 → "0.25", 10000 → "1", 1 → "0.0001",
// 0 → "0". A negative rate gets a leading minus sign.
func RateString(bp int64) string {
	var sign string
	u := uint64(bp)
	if bp < 0 {
		sign, u = "-", -u // two's complement: also right for math.MinInt64
	}
	s := sign + strconv.FormatUint(u/10000, 10)
	if frac := u % 10000; frac != 0 {
		f := strconv.FormatUint(frac+10000, 10)[1:] // four digits, zero-padded
		s += "." + strings.TrimRight(f, "0")
	}
	return s
}

// Seed rule sets (DESIGN.md, "Domain rules"): the figures of the 2024 and the
// 2026 IGOC editions, with the French and Arabic labels. The migrations seed
// the same figures; these variables are for tests and cross-checks. Do not
// modify them.
//
// The studies rule holds the yearly 25,000 MAD only; the extra 20,000 MAD for
// the first departure of a minor is not modelled here.
var (
	// DefaultRules2024 is the 2024 edition: DTS total capped at 300,000 MAD.
	DefaultRules2024 = defaultAllowanceRules(300_000)
	// DefaultRules2026 is the 2026 edition: DTS total capped at 500,000 MAD.
	DefaultRules2026 = defaultAllowanceRules(500_000)
)

func defaultAllowanceRules(capTotalMAD int64) []AllowanceRule {
	return []AllowanceRule{
		{Type: AllowanceTourism, EntitlementMAD: 100_000,
			LabelFR: "Dotation touristique", LabelAR: "المخصص السياحي"},
		{Type: AllowanceTourismSupplement, EntitlementMAD: 0, RateBP: 3000, CapTotalMAD: capTotalMAD,
			LabelFR: "Dotation touristique supplémentaire (DTS)", LabelAR: "المخصص السياحي الإضافي"},
		{Type: AllowanceStudies, EntitlementMAD: 25_000,
			LabelFR: "Allocation scolarité", LabelAR: "مخصص الدراسة"},
		{Type: AllowanceHajjOmra, EntitlementMAD: 15_000,
			LabelFR: "Dotation Hajj et Omra", LabelAR: "مخصص الحج والعمرة"},
		{Type: AllowanceMedical, EntitlementMAD: 30_000,
			LabelFR: "Allocation soins médicaux", LabelAR: "مخصص العلاج"},
	}
}
