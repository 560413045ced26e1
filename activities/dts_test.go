package activities_test

import (
	"context"
	"database/sql"
	"fmt"
	"occonnect/activities/contract"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"occonnect/activities"
	"occonnect/domain"
	"occonnect/mail"
	"occonnect/store"
)

// Helpers of this file are prefixed with "dts" so as not to clash with the other test files
// of package activities_test.

// dtsRequest records a pending DTS request of the fixture's citizen.
func dtsRequest(t *testing.T, f fixture, fiscalYear int, ir int64) string {
	t.Helper()
	id := ulid.Make().String()
	if err := f.st.CreateDTSRequest(context.Background(), store.DTSRequest{ID: id, CitizenID: f.citizenID,
		FiscalYear: fiscalYear, Year: fiscalYear + 1, IRAmountMAD: ir, AttestationReference: fmt.Sprintf("ATT-%d", fiscalYear),
		CreatedAt: now}); err != nil {
		t.Fatalf("CreateDTSRequest: %v", err)
	}
	return id
}

func dtsRead(t *testing.T, f fixture, id string) store.DTSRequest {
	t.Helper()
	r, err := f.st.DTSRequestByID(context.Background(), id)
	if err != nil {
		t.Fatalf("DTSRequestByID(%s): %v", id, err)
	}
	return r
}

// dtsWithClock is the fixture's activities with another fixed clock.
func dtsWithClock(f fixture, at time.Time) *activities.Activities {
	a := *f.acts
	a.Now = func() time.Time { return at }
	return &a
}

func dtsCreateTask(t *testing.T, a *activities.Activities, requestID string) contract.CreateTaskResult {
	t.Helper()
	res, err := a.CreateTask(context.Background(), contract.CreateTaskInput{Kind: "dts", SubjectID: requestID,
		WorkflowID: "dts-" + requestID, TaskKey: "dts/" + requestID, BusinessDays: 2})
	if err != nil {
		t.Fatalf("CreateTask(%s): %v", requestID, err)
	}
	return res
}

func dtsStaff(t *testing.T, f fixture, email string, role domain.Role) int64 {
	t.Helper()
	id, err := f.st.CreateStaff(context.Background(), store.Staff{Email: email, Role: role, PasswordHash: "$argon2id$dummy", CreatedAt: now})
	if err != nil {
		t.Fatalf("CreateStaff(%s): %v", email, err)
	}
	return id
}

func dtsNullInt(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: true} }

// ---------------------------------------------------------------------------------------
// 8. ComputeDTS

func TestComputeDTSStoresFigures(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()

	for _, tc := range []struct {
		fiscal          int
		ir              int64
		supplement, cap int64
	}{
		{2025, 40_000, 12_000, 500_000},     // 30 % of the IR, 2026 edition
		{2024, 1_000_000, 200_000, 300_000}, // capped: 300000 - 100000 under the 2024 edition
	} {
		id := dtsRequest(t, f, tc.fiscal, tc.ir)
		for attempt := 1; attempt <= 2; attempt++ { // the second one is a retried activity
			res, err := f.acts.ComputeDTS(ctx, id)
			if err != nil {
				t.Fatalf("ComputeDTS(fiscal %d, IR %d), attempt %d: %v", tc.fiscal, tc.ir, attempt, err)
			}
			if res.SupplementMAD != tc.supplement {
				t.Errorf("ComputeDTS(fiscal %d, IR %d) = %d, want %d", tc.fiscal, tc.ir, res.SupplementMAD, tc.supplement)
			}
		}
		r := dtsRead(t, f, id)
		if r.Year != tc.fiscal+1 || r.SupplementMAD != dtsNullInt(tc.supplement) || r.RateBP != dtsNullInt(3000) ||
			r.BaseMAD != dtsNullInt(100_000) || r.CapTotalMAD != dtsNullInt(tc.cap) || r.Status != domain.DTSPending || !r.UpdatedAt.Equal(now) {
			t.Errorf("request after ComputeDTS = %+v, want supplement %d, rate 3000, base 100000, cap %d",
				r, tc.supplement, tc.cap)
		}
	}

	// A year without rules: final, and nothing is stored.
	id := dtsRequest(t, f, 2030, 40_000)
	_, err := f.acts.ComputeDTS(ctx, id)
	assertNonRetryable(t, err, contract.ErrTypeNoRules)
	if r := dtsRead(t, f, id); r.SupplementMAD.Valid || r.RateBP.Valid || r.BaseMAD.Valid || r.CapTotalMAD.Valid {
		t.Errorf("request without rules = %+v, want no figures", r)
	}

	_, err = f.acts.ComputeDTS(ctx, ulid.Make().String())
	assertNonRetryable(t, err, contract.ErrTypeNotFound)
}

// ---------------------------------------------------------------------------------------
// 9. CreateTask

func TestCreateTaskDeadline(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	// Friday 24 April 2026, 10:00 in Casablanca (UTC+1).
	friday := time.Date(2026, 4, 24, 10, 0, 0, 0, domain.Casablanca)
	if friday.Weekday() != time.Friday {
		t.Fatalf("%v is a %v", friday, friday.Weekday())
	}
	acts := dtsWithClock(f, friday)

	first := dtsRequest(t, f, 2025, 40_000)
	res := dtsCreateTask(t, acts, first)
	tuesday := time.Date(2026, 4, 28, 10, 0, 0, 0, domain.Casablanca)
	if !res.DueAt.Equal(tuesday) || !res.DueAt.Equal(domain.NewCalendar(nil).AddBusinessDays(friday, 2)) || res.TaskID == "" {
		t.Errorf("CreateTask on a Friday = %+v, want due %v (Tuesday)", res, tuesday.UTC())
	}
	task, err := f.st.TaskByID(ctx, res.TaskID)
	if err != nil {
		t.Fatalf("TaskByID: %v", err)
	}
	if task.TaskKey != "dts/"+first || task.Kind != "dts" || task.SubjectID != first || task.WorkflowID != "dts-"+first ||
		task.State != domain.TaskOpen || task.Queue != domain.QueueOfficers || task.Version != 0 || task.EscalationLevel != 0 ||
		!task.DueAt.Equal(tuesday) || !task.CreatedAt.Equal(friday) {
		t.Errorf("task = %+v", task)
	}
	if r := dtsRead(t, f, first); r.TaskID != (sql.NullString{String: res.TaskID, Valid: true}) {
		t.Errorf("request task_id = %v, want %s", r.TaskID, res.TaskID)
	}

	// Monday is declared a holiday (moon sighting): new deadlines skip it...
	if _, err := f.db.Exec(`INSERT INTO public_holidays (day, name_fr, name_ar) VALUES ('2026-04-27', 'Fête test', 'عيد')`); err != nil {
		t.Fatal(err)
	}
	second := dtsRequest(t, f, 2026, 40_000)
	res2 := dtsCreateTask(t, acts, second)
	wednesday := time.Date(2026, 4, 29, 10, 0, 0, 0, domain.Casablanca)
	holidays, err := f.st.Holidays(ctx, friday, friday.AddDate(0, 1, 0))
	if err != nil || len(holidays) != 1 {
		t.Fatalf("Holidays = %v, %v", holidays, err)
	}
	if !res2.DueAt.Equal(wednesday) || !res2.DueAt.Equal(domain.NewCalendar(holidays).AddBusinessDays(friday, 2)) {
		t.Errorf("CreateTask with Monday a holiday: due %v, want %v (Wednesday)", res2.DueAt, wednesday.UTC())
	}

	// ...but a retried activity returns the task as created, deadline included.
	retry, err := dtsWithClock(f, friday.Add(time.Hour)).CreateTask(ctx, contract.CreateTaskInput{Kind: "dts", SubjectID: first,
		WorkflowID: "dts-" + first, TaskKey: "dts/" + first, BusinessDays: 2})
	if err != nil {
		t.Fatalf("retried CreateTask: %v", err)
	}
	if retry.TaskID != res.TaskID || !retry.DueAt.Equal(tuesday) {
		t.Errorf("retried CreateTask = %+v, want %+v", retry, res)
	}
	if got := f.count(t, `SELECT COUNT(*) FROM tasks`); got != 2 {
		t.Errorf("tasks = %d, want 2", got)
	}
	if got := f.count(t, `SELECT COUNT(*) FROM task_events WHERE task_id = ? AND action = 'created'`, res.TaskID); got != 1 {
		t.Errorf("created events = %d, want 1", got)
	}
	if r := dtsRead(t, f, first); r.TaskID.String != res.TaskID {
		t.Errorf("request task_id after the retry = %v", r.TaskID)
	}
}

// ---------------------------------------------------------------------------------------
// 10. DecideDTS

func TestDecideDTSApprovedRetried(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	officer := dtsStaff(t, f, "officer@oc.gov.ma", domain.RoleOfficer)
	id := dtsRequest(t, f, 2025, 40_000)
	if _, err := f.acts.ComputeDTS(ctx, id); err != nil {
		t.Fatal(err)
	}
	task := dtsCreateTask(t, f.acts, id)

	in := contract.DecideDTSInput{RequestID: id, Status: domain.DTSApproved, StaffID: officer,
		Task: &contract.TaskChangeInput{TaskID: task.TaskID, EventKey: "dts/" + id + "/completed", Action: "completed",
			StaffID: officer, State: domain.TaskDone, Queue: domain.QueueOfficers, AssigneeStaffID: officer, Version: 2, Outcome: "approved"}}
	first, err := f.acts.DecideDTS(ctx, in)
	if err != nil || first.OutboxID == 0 {
		t.Fatalf("DecideDTS(approved) = %+v, %v", first, err)
	}
	second, err := dtsWithClock(f, now.Add(time.Minute)).DecideDTS(ctx, in) // the retried activity
	if err != nil || second != first {
		t.Errorf("retried DecideDTS = %+v, %v; want %+v", second, err, first)
	}

	if got := f.count(t, `SELECT COUNT(*) FROM ledger_entries WHERE dts_request_id = ? AND kind = 'credit'
		AND type = 'tourism_supplement' AND year = 2026 AND amount_mad = 12000`, id); got != 1 {
		t.Errorf("credits of 12000 MAD for 2026 = %d, want 1", got)
	}
	if got := f.count(t, `SELECT COUNT(*) FROM ledger_entries`); got != 1 {
		t.Errorf("ledger rows = %d, want 1", got)
	}
	if got := f.count(t, `SELECT COUNT(*) FROM email_outbox`); got != 1 {
		t.Errorf("outbox rows = %d, want 1", got)
	}
	ob := f.outbox(t, first.OutboxID)
	amount := mail.FormatMAD(12_000, "fr")
	if ob.To != "amina@example.ma" || !ob.Text.Valid || !strings.Contains(ob.Text.String, amount) ||
		!strings.Contains(ob.HTML.String, amount) || ob.SentAt.Valid {
		t.Errorf("approval e-mail = %+v, want the amount %q", ob, amount)
	}
	if strings.Contains(ob.Text.String, cin) {
		t.Error("the CIN appears in the approval e-mail")
	}
	r := dtsRead(t, f, id)
	if r.Status != domain.DTSApproved || r.DecidedByStaffID != dtsNullInt(officer) || !r.DecidedAt.Time.Equal(now) {
		t.Errorf("request = %+v", r)
	}
	tk, err := f.st.TaskByID(ctx, task.TaskID)
	if err != nil {
		t.Fatal(err)
	}
	if tk.State != domain.TaskDone || tk.Version != 2 || tk.Outcome.String != "approved" || tk.CompletedByStaffID != dtsNullInt(officer) ||
		!tk.CompletedAt.Time.Equal(now) {
		t.Errorf("task = %+v", tk)
	}
	if got := f.count(t, `SELECT COUNT(*) FROM task_events WHERE task_id = ? AND action = 'completed'`, task.TaskID); got != 1 {
		t.Errorf("completed events = %d, want 1", got)
	}
	bs, err := f.st.Balances(ctx, f.citizenID, 2026)
	if err != nil {
		t.Fatal(err)
	}
	if bs[1].Rule.Type != "tourism_supplement" || bs[1].EntitlementMAD() != 12_000 {
		t.Errorf("DTS balance = %+v", bs[1])
	}
}

func TestDecideDTSRejectedAndCancelled(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	officer := dtsStaff(t, f, "officer@oc.gov.ma", domain.RoleOfficer)

	rejected := dtsRequest(t, f, 2025, 40_000)
	if _, err := f.acts.ComputeDTS(ctx, rejected); err != nil {
		t.Fatal(err)
	}
	task := dtsCreateTask(t, f.acts, rejected)
	reason := "Attestation illisible : le montant de l'impôt n'apparaît pas"
	in := contract.DecideDTSInput{RequestID: rejected, Status: domain.DTSRejected, StaffID: officer, Comment: reason,
		Task: &contract.TaskChangeInput{TaskID: task.TaskID, EventKey: "dts/" + rejected + "/completed", Action: "completed",
			StaffID: officer, State: domain.TaskDone, Queue: domain.QueueOfficers, AssigneeStaffID: officer, Version: 2,
			Outcome: "rejected", Comment: reason}}
	res, err := f.acts.DecideDTS(ctx, in)
	if err != nil || res.OutboxID == 0 {
		t.Fatalf("DecideDTS(rejected) = %+v, %v", res, err)
	}
	if again, err := f.acts.DecideDTS(ctx, in); err != nil || again != res {
		t.Errorf("retried rejection = %+v, %v; want %+v", again, err, res)
	}
	ob := f.outbox(t, res.OutboxID)
	if ob.To != "amina@example.ma" || !strings.Contains(ob.Text.String, reason) || !strings.Contains(ob.HTML.String, "Attestation illisible") {
		t.Errorf("rejection e-mail = %+v, want the reason %q", ob, reason)
	}
	if got := f.count(t, `SELECT COUNT(*) FROM email_outbox`); got != 1 {
		t.Errorf("outbox rows = %d, want 1", got)
	}
	if got := f.count(t, `SELECT COUNT(*) FROM ledger_entries`); got != 0 {
		t.Errorf("ledger rows after a rejection = %d, want 0", got)
	}
	if r := dtsRead(t, f, rejected); r.Status != domain.DTSRejected || r.DecisionComment.String != reason {
		t.Errorf("request = %+v", r)
	}

	// A new request for the same year, cancelled by the citizen: no e-mail, no credit.
	cancelled := dtsRequest(t, f, 2025, 40_000)
	if _, err := f.acts.ComputeDTS(ctx, cancelled); err != nil {
		t.Fatal(err)
	}
	res, err = f.acts.DecideDTS(ctx, contract.DecideDTSInput{RequestID: cancelled, Status: domain.DTSCancelled})
	if err != nil || res.OutboxID != 0 {
		t.Errorf("DecideDTS(cancelled) = %+v, %v; want no e-mail", res, err)
	}
	if r := dtsRead(t, f, cancelled); r.Status != domain.DTSCancelled {
		t.Errorf("request = %+v", r)
	}
	if got := f.count(t, `SELECT COUNT(*) FROM email_outbox`); got != 1 {
		t.Errorf("outbox rows = %d, want 1", got)
	}
	if got := f.count(t, `SELECT COUNT(*) FROM ledger_entries`); got != 0 {
		t.Errorf("ledger rows = %d, want 0", got)
	}

	_, err = f.acts.DecideDTS(ctx, contract.DecideDTSInput{RequestID: ulid.Make().String(), Status: domain.DTSApproved})
	assertNonRetryable(t, err, contract.ErrTypeNotFound)
}

// ---------------------------------------------------------------------------------------
// 11. EscalateTask

func TestEscalateTaskNotifiesSupervisors(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	dtsStaff(t, f, "sup1@oc.gov.ma", domain.RoleSupervisor)
	dtsStaff(t, f, "sup2@oc.gov.ma", domain.RoleSupervisor)
	off := dtsStaff(t, f, "sup3@oc.gov.ma", domain.RoleSupervisor)
	dtsStaff(t, f, "officer@oc.gov.ma", domain.RoleOfficer)
	if _, err := f.db.Exec(`UPDATE staff SET disabled = TRUE WHERE id = ?`, off); err != nil {
		t.Fatal(err)
	}

	id := dtsRequest(t, f, 2025, 40_000)
	task := dtsCreateTask(t, f.acts, id)
	in := contract.EscalateTaskInput{
		Change: contract.TaskChangeInput{TaskID: task.TaskID, EventKey: "task/" + task.TaskID + "/escalated/1", Action: "escalated",
			State: domain.TaskOpen, Queue: domain.QueueSupervisors, EscalationLevel: 1, Version: 1},
		Kind: "dts", Reference: "DTS-" + id[len(id)-10:], DueAt: task.DueAt,
	}
	first, err := f.acts.EscalateTask(ctx, in)
	if err != nil {
		t.Fatalf("EscalateTask: %v", err)
	}
	if len(first.OutboxIDs) != 2 {
		t.Fatalf("EscalateTask = %+v, want 2 notices (the enabled supervisors)", first)
	}
	second, err := dtsWithClock(f, now.Add(time.Minute)).EscalateTask(ctx, in) // the retried activity
	if err != nil || !reflect.DeepEqual(second, first) {
		t.Errorf("retried EscalateTask = %+v, %v; want %+v", second, err, first)
	}
	for i, to := range []string{"sup1@oc.gov.ma", "sup2@oc.gov.ma"} {
		ob := f.outbox(t, first.OutboxIDs[i])
		if ob.To != to || !strings.Contains(ob.Text.String, task.TaskID) || ob.SentAt.Valid {
			t.Errorf("notice %d = %+v, want one to %s naming the task", i, ob, to)
		}
		if strings.Contains(ob.Text.String, "Amina") || strings.Contains(ob.Text.String, cin) {
			t.Errorf("notice %d carries the citizen's personal data", i)
		}
	}
	if got := f.count(t, `SELECT COUNT(*) FROM email_outbox WHERE kind = 'task_escalated'`); got != 2 {
		t.Errorf("escalation notices = %d, want 2", got)
	}
	if got := f.count(t, `SELECT COUNT(*) FROM email_outbox WHERE to_addr = 'sup3@oc.gov.ma'`); got != 0 {
		t.Error("a disabled supervisor was notified")
	}
	tk, err := f.st.TaskByID(ctx, task.TaskID)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Queue != domain.QueueSupervisors || tk.EscalationLevel != 1 || tk.Version != 1 || tk.State != domain.TaskOpen || !tk.UpdatedAt.Equal(now) {
		t.Errorf("escalated task = %+v", tk)
	}
	events, err := f.st.TaskEvents(ctx, task.TaskID)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || events[0].Action != "created" || events[1].Action != "escalated" {
		t.Errorf("events = %+v, want created then one escalated", events)
	}
}
