package activities_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"occonnect/activities/contract"
	"occonnect/domain"
	"occonnect/internal/metrics"
	"occonnect/store"
)

// TestRetentionWarnsOfMissingRules: from 1 December, a retention run names next year when
// it has no allowance rules, the occ_allowance_rules_missing gauge says 1 and every admin
// gets an e-mail once a day until they are entered; before December it says nothing.
func TestRetentionWarnsOfMissingRules(t *testing.T) {
	f := setup(t)
	if _, err := f.st.CreateStaff(context.Background(), store.Staff{Email: "admin@oc.gov.ma", Role: domain.RoleAdmin,
		PasswordHash: "$argon2id$dummy", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	warnings := func() int {
		n := 0
		for _, m := range f.mailer.Messages() {
			if m.To == "admin@oc.gov.ma" && strings.Contains(m.Msg.Subject, "2041") {
				n++
			}
		}
		return n
	}
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
	if warnings() != 0 {
		t.Fatal("warned in November")
	}
	if res := run(time.Date(2040, time.December, 1, 3, 0, 0, 0, domain.Casablanca)); res.RulesMissingYear != 2041 || gauge() != "1" {
		t.Fatalf("on 1 December without 2041's rules: %+v, gauge %s", res, gauge())
	}
	run(time.Date(2040, time.December, 1, 4, 0, 0, 0, domain.Casablanca)) // a retried run, the same day
	if n := warnings(); n != 1 {
		t.Fatalf("%d e-mails to the admin on 1 December, want 1", n)
	}
	if _, err := f.db.Exec(`INSERT INTO allowance_rules (year, edition, type, entitlement_mad, label_fr, label_ar)
		VALUES (2041, 'IGOC 2041', 'tourism', 100000, 'Dotation touristique', 'مخصصات السفر')`); err != nil {
		t.Fatal(err)
	}
	if res := run(time.Date(2040, time.December, 2, 3, 0, 0, 0, domain.Casablanca)); res.RulesMissingYear != 0 || gauge() != "0" {
		t.Fatalf("once 2041's rules are entered: %+v, gauge %s", res, gauge())
	}
	if n := warnings(); n != 1 {
		t.Fatalf("%d e-mails to the admin once the rules are entered, want still 1", n)
	}
}
