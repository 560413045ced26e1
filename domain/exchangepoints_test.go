package domain_test

import (
	"strings"
	"testing"
	"time"

	"occonnect/domain"
)

// TestValidateExchangePoint: the checks the CSV import and the admin API share, with their
// field error codes.
func TestValidateExchangePoint(t *testing.T) {
	p := domain.ExchangePoint{Code: "EP-000001", Name: "n", OperatorType: "hotel", Address: "a", City: "c", Lat: 20.5, Lon: -0.9, Phone: "+212 6 12 34 56 78"}
	if is := domain.ValidateExchangePoint(p); len(is) != 0 {
		t.Errorf("valid point: %v", is)
	}
	p = domain.ExchangePoint{Code: "EP-0000001", Lat: 36.2, Lon: -17.4, Region: strings.Repeat("é", 101), Phone: strings.Repeat("0", 33)}
	p.OpeningHours[time.Monday] = []domain.Interval{{From: 600, To: 700}, {From: 650, To: 800}}
	codes := map[string]string{}
	for _, is := range domain.ValidateExchangePoint(p) {
		codes[is.Field] = is.Code
	}
	want := map[string]string{"code": "invalid_format", "name": "required", "operator_type": "required", "address": "required",
		"city": "required", "region": "too_long", "lat": "outside_morocco", "lon": "outside_morocco", "phone": "too_long", "hours.mon": "invalid"}
	if len(codes) != len(want) {
		t.Errorf("issues %v, want %v", codes, want)
	}
	for k, v := range want {
		if codes[k] != v {
			t.Errorf("%s: %q, want %q", k, codes[k], v)
		}
	}
}

// TestValidPhone: the one phone check, for citizens and exchange points.
func TestValidPhone(t *testing.T) {
	for _, c := range []struct {
		phone string
		ok    bool
	}{
		{"0537 12 34 56", true},
		{"0612345678", true},
		{"06.12.34.56.78", true},
		{"+212 6 12 34 56 78", true},
		{"00212612345678", true},
		{"+33 6 12 34 56 78", true}, // a French mobile
		{"+1-202-555-0143", true},
		{"0412345678", false},        // no Moroccan number starts with 04
		{"061234567", false},         // 9 digits
		{"+212 6123 45678 9", false}, // 10 digits after +212
		{"+0123456789", false},
		{"+1234567", false},  // too short for E.164
		{"612345678", false}, // neither 0 nor +
		{"06 12 34 56 7a", false},
		{"", false},
		{strings.Repeat("0", 40), false},
	} {
		if got := domain.ValidPhone(c.phone); got != c.ok {
			t.Errorf("ValidPhone(%q) = %v, want %v", c.phone, got, c.ok)
		}
	}
}
