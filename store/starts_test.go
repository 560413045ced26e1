package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"occonnect/domain"
	"occonnect/store"
)

// TestRequestKeys: a citizen's request key finds the row it created, refuses another
// request, and a second row with it is refused without using up a complaint number; the
// reconciler lists the rows without a started workflow until they are marked.
func TestRequestKeys(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := context.Background()
	cid := alwActiveCitizen(t, st, "RK100001")
	hash, other := []byte("0123456789abcdef0123456789abcdef"), []byte("fedcba9876543210fedcba9876543210")
	file := func(key string, h []byte) (string, error) {
		return st.CreateComplaint(ctx, store.NewComplaint{CitizenID: cid, Category: domain.CategoryOther, Subject: "Frais",
			Description: "Description", Year: 2026, Now: t0, RequestKey: key, RequestHash: h})
	}
	ref, err := file("k-1", hash)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := file("k-1", hash); !errors.Is(err, store.ErrDuplicateRequest) {
		t.Fatalf("a second complaint with the key: %v, want ErrDuplicateRequest", err)
	}
	next, err := file("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "REC-2026-000002"; ref != "REC-2026-000001" || next != want {
		t.Fatalf("references %s then %s: the refused duplicate used up a number", ref, next)
	}
	if _, err := file("", nil); err != nil { // no key: any number of them
		t.Fatal(err)
	}
	k, err := st.ComplaintByRequestKey(ctx, cid, "k-1", hash)
	if err != nil || k.ID != ref || k.Category.String != domain.CategoryOther || k.Started() {
		t.Fatalf("by key: %+v, %v", k, err)
	}
	if _, err := st.ComplaintByRequestKey(ctx, cid, "k-1", other); !errors.Is(err, store.ErrRequestKeyReused) {
		t.Fatalf("the key with another request: %v", err)
	}
	if _, err := st.ComplaintByRequestKey(ctx, cid, "k-2", hash); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an unknown key: %v", err)
	}

	d := store.DTSRequest{ID: ulid.Make().String(), CitizenID: cid, FiscalYear: 2025, Year: 2026, IRAmountMAD: 48_000,
		AttestationReference: "ATT", CreatedAt: t0, RequestKey: "k-1", RequestHash: hash}
	if err := st.CreateDTSRequest(ctx, d); err != nil {
		t.Fatal(err)
	}
	d2 := d
	d2.ID, d2.Year, d2.FiscalYear = ulid.Make().String(), 2027, 2026
	if err := st.CreateDTSRequest(ctx, d2); !errors.Is(err, store.ErrDuplicateRequest) {
		t.Fatalf("a second DTS request with the key: %v", err)
	}
	if k, err := st.DTSRequestByRequestKey(ctx, cid, "k-1", hash); err != nil || k.ID != d.ID {
		t.Fatalf("DTS by key: %+v, %v", k, err)
	}

	// The reconciler's lists: older than the cut-off, not started; marking takes them off.
	later := t0.Add(time.Minute)
	cs, err := st.UnstartedComplaints(ctx, later, 10)
	if err != nil || len(cs) != 3 {
		t.Fatalf("unstarted complaints: %d, %v; want 3", len(cs), err)
	}
	if cs, _ := st.UnstartedComplaints(ctx, t0, 10); len(cs) != 0 {
		t.Fatalf("%d complaints younger than the cut-off listed", len(cs))
	}
	if err := st.MarkComplaintStarted(ctx, ref, later); err != nil {
		t.Fatal(err)
	}
	if cs, _ := st.UnstartedComplaints(ctx, later, 10); len(cs) != 2 {
		t.Fatalf("after a mark: %d unstarted, want 2", len(cs))
	}
	ds, err := st.UnstartedDTSRequests(ctx, later, 10)
	if err != nil || len(ds) != 1 || ds[0].ID != d.ID {
		t.Fatalf("unstarted DTS requests: %+v, %v", ds, err)
	}
	if err := st.MarkDTSStarted(ctx, d.ID, later); err != nil {
		t.Fatal(err)
	}
	if ds, _ := st.UnstartedDTSRequests(ctx, later, 10); len(ds) != 0 {
		t.Fatalf("after a mark: %d unstarted DTS requests", len(ds))
	}
}

// TestLateEnrollmentWrites: a status write that lands after a later one (an activity
// attempt that timed out but went on) changes nothing, nor does any write on a closed
// enrollment; version 0 (a workflow from before the versions) is checked only for that.
func TestLateEnrollmentWrites(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := context.Background()
	eid, cid := enrolled(t, st, "LW100001")
	mustIssue(t, st, credential(eid, cid, 1, "$argon2id$one", t0), credentialsMail(eid, 1, "one", t0))
	status := func() (domain.EnrollmentStatus, int) {
		t.Helper()
		e, err := st.EnrollmentByID(ctx, eid)
		if err != nil {
			t.Fatal(err)
		}
		steps, err := st.EnrollmentSteps(ctx, eid)
		if err != nil {
			t.Fatal(err)
		}
		return e.Status, len(steps)
	}
	_, steps0 := status()

	// The workflow activates (version 20), then the credentials expire (version 30).
	if err := st.ConfirmActivation(ctx, eid, 1, t0.Add(time.Minute), 20); err != nil {
		t.Fatal(err)
	}
	if err := st.SetEnrollmentStatus(ctx, eid, domain.EnrollmentCredentialsExpired, domain.StepCredentialsExpired, "expired/1", t0.Add(time.Hour), 30); err != nil {
		t.Fatal(err)
	}
	// The activation's first attempt, which timed out, lands now: nothing moves back.
	if err := st.ConfirmActivation(ctx, eid, 1, t0.Add(2*time.Minute), 20); err != nil {
		t.Fatal(err)
	}
	if s, n := status(); s != domain.EnrollmentCredentialsExpired || n != steps0+2 {
		t.Fatalf("after a late activation: %s, %d steps; want credentials_expired, %d", s, n, steps0+2)
	}
	// The same write again (a retry after its commit): nothing either, not even the step.
	if err := st.SetEnrollmentStatus(ctx, eid, domain.EnrollmentCredentialsExpired, "retried", "retried/1", t0.Add(time.Hour), 30); err != nil {
		t.Fatal(err)
	}
	if _, n := status(); n != steps0+2 {
		t.Fatalf("a retried write added a step: %d", n)
	}
	// The lapse (final), then writes of any version, 0 included: the enrollment stays lapsed.
	if err := st.SetEnrollmentStatus(ctx, eid, domain.EnrollmentLapsed, domain.StepLapsed, domain.StepLapsed, t0.Add(2*time.Hour), 40); err != nil {
		t.Fatal(err)
	}
	for _, v := range []int64{50, 0} {
		if err := st.SetEnrollmentStatus(ctx, eid, domain.EnrollmentCredentialsExpired, "late", fmt.Sprintf("late/%d", v), t0.Add(3*time.Hour), v); err != nil {
			t.Fatal(err)
		}
		if err := st.ConfirmActivation(ctx, eid, 1, t0.Add(3*time.Hour), v); err != nil {
			t.Fatal(err)
		}
	}
	if s, n := status(); s != domain.EnrollmentLapsed || n != steps0+3 {
		t.Fatalf("after writes on a lapsed enrollment: %s, %d steps; want lapsed, %d", s, n, steps0+3)
	}
}

// TestTaskDueMoves: a task change with a due time moves the task's; one without leaves it.
func TestTaskDueMoves(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := context.Background()
	due := t0.Add(48 * time.Hour)
	task, err := st.CreateTask(ctx, store.Task{ID: ulid.Make().String(), TaskKey: "dts/x/review", Kind: "dts", SubjectID: "x",
		WorkflowID: "dts/x", Queue: domain.QueueOfficers, DueAt: due, CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	change := func(version int, dueAt time.Time) {
		t.Helper()
		if err := st.ApplyTaskChange(ctx, store.TaskChange{TaskID: task.ID, EventKey: fmt.Sprintf("%s/%d", task.ID, version),
			Action: "due_moved", State: domain.TaskOpen, Queue: domain.QueueOfficers, Version: version, DueAt: dueAt, At: t0}); err != nil {
			t.Fatal(err)
		}
	}
	change(1, due.Add(24*time.Hour))
	change(2, time.Time{})
	got, err := st.TaskByID(ctx, task.ID)
	if err != nil || !got.DueAt.Equal(due.Add(24*time.Hour)) {
		t.Fatalf("due %v (%v), want a day later than %v", got.DueAt, err, due)
	}
}

// TestFailuresPerSourceDecay: failures lock an account for the source they came from only;
// a count decays after a quiet period and the lock number after a quiet day; Unlock
// forgets every source.
func TestFailuresPerSourceDecay(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := context.Background()
	key := loginKey("cin:SD100001")
	attacker, owner := []byte("source-attacker1"), []byte("source-owner0001")
	record := func(source []byte, n int, at time.Time) time.Time {
		t.Helper()
		var until time.Time
		for range n {
			var err error
			if until, err = st.RecordFailure(ctx, key, source, at, domain.SourceLock); err != nil {
				t.Fatal(err)
			}
		}
		return until
	}
	locked := func(source []byte, at time.Time) time.Time {
		t.Helper()
		until, err := st.LockedUntil(ctx, key, source, at)
		if err != nil {
			t.Fatal(err)
		}
		return until
	}
	if until := record(attacker, 50, t0); until.IsZero() {
		t.Fatal("50 failures from one source did not lock it")
	}
	if !locked(attacker, t0).After(t0) {
		t.Fatal("the attacker's source is not locked")
	}
	if got := locked(owner, t0); !got.IsZero() {
		t.Fatalf("the owner's source is locked until %v by another source's failures", got)
	}
	if got := locked(attacker, t0.Add(time.Hour)); !got.IsZero() {
		t.Fatalf("the lock is not bounded: locked until %v after an hour", got)
	}

	// Four failures, then a fifth after a quiet quarter of an hour: the count restarted.
	record(owner, 4, t0)
	if until := record(owner, 1, t0.Add(16*time.Minute)); !until.IsZero() {
		t.Fatalf("a failure after a quiet period locked until %v", until)
	}
	// Two locks, then a quiet day: the next lock is a first one again (15 min).
	later := t0.Add(2 * time.Hour)
	record(owner, 5, later)
	second := later.Add(time.Hour)
	if until := record(owner, 5, second); !until.Equal(second.Add(30 * time.Minute)) {
		t.Fatalf("second lock until %v, want 30 min", until)
	}
	nextDay := second.Add(25 * time.Hour)
	if until := record(owner, 5, nextDay); !until.Equal(nextDay.Add(15 * time.Minute)) {
		t.Fatalf("lock after a quiet day until %v, want 15 min", until)
	}

	n, err := st.Unlock(ctx, key)
	if err != nil || n != 2 {
		t.Fatalf("Unlock = %d, %v; want the 2 sources forgotten", n, err)
	}
	if !locked(owner, nextDay).IsZero() || !locked(attacker, t0).IsZero() {
		t.Fatal("still locked after Unlock")
	}
}
