package activities_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"occonnect/activities/contract"
	"occonnect/domain"
	"occonnect/internal/metrics"
)

// TestRetentionWarnsOfMissingRules: from 1 December, a retention run names next year when
// it has no allowance rules, and the occ_allowance_rules_missing gauge says 1 until they
// are entered; before December it says nothing.
func TestRetentionWarnsOfMissingRules(t *testing.T) {
	f := setup(t)
	reg := prometheus.NewRegistry()
	f.acts.Metrics = metrics.NewActivities(reg)
	run := func(at time.Time) contract.RetentionResult {
		t.Helper()
		f.acts.Now = func() time.Time { return at }
		res, err := f.acts.ApplyRetention(context.Background(), contract.RetentionInput{Sessions: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	gauge := func() string {
		t.Helper()
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range families {
			if mf.GetName() == "occ_allowance_rules_missing" {
				return fmt.Sprint(mf.GetMetric()[0].GetGauge().GetValue())
			}
		}
		return "absent"
	}
	if res := run(time.Date(2040, time.November, 30, 12, 0, 0, 0, domain.Casablanca)); res.RulesMissingYear != 0 || gauge() != "0" {
		t.Fatalf("in November: %+v, gauge %s", res, gauge())
	}
	if res := run(time.Date(2040, time.December, 1, 3, 0, 0, 0, domain.Casablanca)); res.RulesMissingYear != 2041 || gauge() != "1" {
		t.Fatalf("on 1 December without 2041's rules: %+v, gauge %s", res, gauge())
	}
	if _, err := f.db.Exec(`INSERT INTO allowance_rules (year, edition, type, entitlement_mad, label_fr, label_ar)
		VALUES (2041, 'IGOC 2041', 'tourism', 100000, 'Dotation touristique', 'مخصصات السفر')`); err != nil {
		t.Fatal(err)
	}
	if res := run(time.Date(2040, time.December, 2, 3, 0, 0, 0, domain.Casablanca)); res.RulesMissingYear != 0 || gauge() != "0" {
		t.Fatalf("once 2041's rules are entered: %+v, gauge %s", res, gauge())
	}
}
