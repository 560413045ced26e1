package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"occonnect/service"
)

// TestDecodeJSONStrict: what encoding/json accepts and the document does not is refused.
func TestDecodeJSONStrict(t *testing.T) {
	decode := func(body string, dst any) *httpError {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		err := decodeJSON(req, dst)
		if err == nil {
			return nil
		}
		var he *httpError
		if !errors.As(err, &he) {
			t.Fatalf("%s: %v, want an HTTP problem", body, err)
		}
		return he
	}
	for _, tt := range []struct {
		body        string
		code, field string // "" "": accepted
	}{
		{`{"cin":"AB123456","password":"x"}`, "", ""},
		{`{"CIN":"AB123456","password":"x"}`, "unknown_field", "CIN"},
		{`{"cin":"AB123456","Password":"x"}`, "unknown_field", "Password"},
		{`{"cin":"AB1","cin":"AB123456","password":"x"}`, "validation_failed", "cin"},
		{`{"cin":"AB1","CIN":"AB123456"}`, "unknown_field", "CIN"},
		{`{"cin":1}`, "validation_failed", "cin"},
		{`{"cin":"A"} {}`, "malformed_json", ""},
		{`{"is_admin":true}`, "unknown_field", "is_admin"},
	} {
		var req credentialsRequest
		he := decode(tt.body, &req)
		switch {
		case tt.code == "" && he != nil:
			t.Errorf("%s: %v, want accepted", tt.body, he)
		case tt.code == "":
		case he == nil || he.code != tt.code || he.status != http.StatusBadRequest:
			t.Errorf("%s: %v, want 400 %s", tt.body, he, tt.code)
		case tt.field != "" && (len(he.fields) != 1 || he.fields[0].Field != tt.field):
			t.Errorf("%s: fields %v, want %s", tt.body, he.fields, tt.field)
		}
	}
	// Nested members: the rules of a year and the holidays, and the free keys of a map.
	var rules service.RuleSet
	if he := decode(`{"edition":"E","rules":[{"type":"tourism","entitlement_mad":1,"label_fr":"a","label_ar":"b"},{"Type":"x"}]}`, &rules); he == nil ||
		he.code != "unknown_field" || he.fields[0].Field != "rules[1].Type" {
		t.Errorf("nested case mismatch: %v", he)
	}
	var ep exchangePointFields
	if he := decode(`{"hours":{"mon":["09:00-12:00"],"Mon":[]},"lat":1,"lat":2}`, &ep); he == nil ||
		he.code != "validation_failed" || he.fields[0].Field != "lat" {
		t.Errorf("duplicate after a map: %v", he)
	}
	var big service.HolidaySet
	if he := decode(`{"dated":[`+strings.Repeat(`{"date":"2026-01-01","name_fr":"x","name_ar":"y"},`, 2000)+`{}]}`, &big); he == nil ||
		he.code != "payload_too_large" {
		t.Errorf("over 64 KiB without a MaxBytesReader: %v", he)
	}
}
