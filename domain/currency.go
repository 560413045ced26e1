package domain

import (
	_ "embed" // for currenciesFile
	"strings"
	"sync"
)

// HomeCurrency is the ISO 4217 code of the Moroccan dirham, the currency in
// which allowances are expressed.
const HomeCurrency = "MAD"

// currenciesFile lists the accepted ISO 4217 alphabetic codes, one per line;
// lines starting with '#' are comments. See the file header for what is
// included and excluded.
//
//go:embed currencies.txt
var currenciesFile string

// currencies parses the embedded list on first use.
var currencies = sync.OnceValue(func() map[string]struct{} {
	m := make(map[string]struct{}, 200)
	for line := range strings.Lines(currenciesFile) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m[line] = struct{}{}
	}
	return m
})

// IsCurrency reports whether code is an active ISO 4217 alphabetic currency
// code, written as three upper-case ASCII letters ("EUR", not "eur" or
// " EUR"). MAD is a currency.
//
// Accepted are the national and regional currencies and the ISO fund codes
// (such as USN or CLF). Rejected are the withdrawn codes (such as HRK or
// ZWL), XXX (no currency), XTS (reserved for testing), the precious metals
// (XAU, XAG, XPT, XPD), the bond-market units (XBA to XBD) and the units of
// account (XDR, XSU, XUA, XAD): none of them can be sold at an exchange point.
func IsCurrency(code string) bool {
	if len(code) != 3 {
		return false
	}
	_, ok := currencies()[code]
	return ok
}

// IsForeignCurrency reports whether code is a currency (see [IsCurrency])
// other than the Moroccan dirham, [HomeCurrency]: a currency that can be
// bought against an allowance.
func IsForeignCurrency(code string) bool {
	return code != HomeCurrency && IsCurrency(code)
}
