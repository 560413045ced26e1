package activities_test

import (
	"context"
	"testing"
	"time"

	"occonnect/activities/contract"
	"occonnect/domain"
)

// TestCitizenDeadlines: a request for information left unanswered is reminded 10 business
// days after it and closed 5 business days after the reminder, skipping the weekends, the
// fixed holidays (1 May) and the holidays table's (a Monday declared on the moon's
// sighting); the override replaces each delay by a plain duration.
func TestCitizenDeadlines(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	if _, err := f.db.Exec(`INSERT INTO public_holidays (day, name_fr, name_ar) VALUES ('2026-04-27', 'Fête test', 'عيد')`); err != nil {
		t.Fatal(err)
	}
	paused := time.Date(2026, time.April, 16, 10, 0, 0, 0, domain.Casablanca) // a Thursday
	res, err := f.acts.CitizenDeadlines(ctx, contract.CitizenDeadlinesInput{PausedAt: paused, ReminderBusinessDays: 10, CloseBusinessDays: 5})
	if err != nil {
		t.Fatal(err)
	}
	// 17, 20-24, 28-30 April (27 is the table's holiday, 1 May a fixed one), 4 May; then 5-8 and 11 May.
	reminder := time.Date(2026, time.May, 4, 10, 0, 0, 0, domain.Casablanca)
	closing := time.Date(2026, time.May, 11, 10, 0, 0, 0, domain.Casablanca)
	if !res.ReminderAt.Equal(reminder) || !res.CloseAt.Equal(closing) {
		t.Errorf("CitizenDeadlines = reminder %v, close %v; want %v, %v", res.ReminderAt, res.CloseAt, reminder.UTC(), closing.UTC())
	}

	res, err = f.acts.CitizenDeadlines(ctx, contract.CitizenDeadlinesInput{PausedAt: paused, ReminderBusinessDays: 10, CloseBusinessDays: 5,
		Override: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !res.ReminderAt.Equal(paused.Add(3*time.Second)) || !res.CloseAt.Equal(paused.Add(6*time.Second)) {
		t.Errorf("CitizenDeadlines with a 3 s override = reminder %v, close %v", res.ReminderAt, res.CloseAt)
	}
}

// TestFirstResponseDueFollowsTheHolidays: the business time of a first response target,
// counted again from the same start once a holiday was entered in the table, ends that
// holiday later; without a new holiday it ends where it did.
func TestFirstResponseDueFollowsTheHolidays(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	friday := time.Date(2026, time.March, 6, 10, 0, 0, 0, domain.Casablanca)
	due := time.Date(2026, time.March, 10, 10, 0, 0, 0, domain.Casablanca) // Tuesday: two business days
	business := domain.NewCalendar(nil).BusinessDurationBetween(friday, due)
	res, err := f.acts.BusinessDeadline(ctx, contract.BusinessDeadlineInput{Since: friday, Business: business})
	if err != nil || !res.Due.Equal(due) {
		t.Fatalf("FirstResponseDue without a new holiday = %v, %v; want %v", res.Due, err, due)
	}
	if _, err := f.db.Exec(`INSERT INTO public_holidays (day, name_fr, name_ar) VALUES ('2026-03-09', 'Fête test', 'عيد')`); err != nil {
		t.Fatal(err)
	}
	res, err = f.acts.BusinessDeadline(ctx, contract.BusinessDeadlineInput{Since: friday, Business: business})
	if want := due.AddDate(0, 0, 1); err != nil || !res.Due.Equal(want) {
		t.Fatalf("FirstResponseDue with Monday a holiday = %v, %v; want %v", res.Due, err, want)
	}
}
