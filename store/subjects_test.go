package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"occonnect/domain"
	"occonnect/store"
)

// TestSubjectsInOneQuery: the console's page of tasks reads its complaints and DTS requests
// in one query per kind; each row is what the one-by-one read returns, unknown keys absent.
func TestSubjectsInOneQuery(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := context.Background()
	cid := alwActiveCitizen(t, st, "SQ100001")

	var refs, ids []string
	for i, subject := range []string{"Frais de change", "Reçu manquant", "Taux appliqué"} {
		ref, err := st.CreateComplaint(ctx, store.NewComplaint{CitizenID: cid, Category: domain.CategoryOther, Subject: subject,
			Description: "Description", Year: 2026, Now: t0.Add(-time.Duration(i) * time.Hour)})
		if err != nil {
			t.Fatalf("CreateComplaint: %v", err)
		}
		refs = append(refs, ref)
	}
	for year := 2026; year <= 2027; year++ {
		r := store.DTSRequest{ID: ulid.Make().String(), CitizenID: cid, FiscalYear: year - 1, Year: year,
			IRAmountMAD: 48_000, AttestationReference: "ATT", CreatedAt: t0}
		if err := st.CreateDTSRequest(ctx, r); err != nil {
			t.Fatalf("CreateDTSRequest: %v", err)
		}
		ids = append(ids, r.ID)
	}

	complaints, err := st.ComplaintsByReferences(ctx, append(refs, "REC-2026-999999"))
	if err != nil {
		t.Fatalf("ComplaintsByReferences: %v", err)
	}
	if len(complaints) != len(refs) {
		t.Errorf("%d complaints, want %d", len(complaints), len(refs))
	}
	for _, ref := range refs {
		want, err := st.ComplaintByReference(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		if got := complaints[ref]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %+v, want %+v", ref, got, want)
		}
	}
	dts, err := st.DTSRequestsByIDs(ctx, append(ids, ulid.Make().String()))
	if err != nil {
		t.Fatalf("DTSRequestsByIDs: %v", err)
	}
	if len(dts) != len(ids) {
		t.Errorf("%d DTS requests, want %d", len(dts), len(ids))
	}
	for _, id := range ids {
		want, err := st.DTSRequestByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got := dts[id]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %+v, want %+v", id, got, want)
		}
	}
	if m, err := st.ComplaintsByReferences(ctx, nil); err != nil || len(m) != 0 {
		t.Errorf("no references: %v, %v", m, err)
	}
	if m, err := st.DTSRequestsByIDs(ctx, nil); err != nil || len(m) != 0 {
		t.Errorf("no ids: %v, %v", m, err)
	}
}

// TestComplaintCycleTaskCreatedOnce: two attempts of one cycle's step that both found no
// task (the first outlived its timeout while the second ran) create one task; the second
// gets the first one's, and so does the complaint.
func TestComplaintCycleTaskCreatedOnce(t *testing.T) {
	t.Parallel()
	st, db := newStore(t)
	ctx := context.Background()
	cid := alwActiveCitizen(t, st, "SQ100002")
	ref, err := st.CreateComplaint(ctx, store.NewComplaint{CitizenID: cid, Category: domain.CategoryOther, Subject: "Délai",
		Description: "Description", Year: 2026, Now: t0})
	if err != nil {
		t.Fatalf("CreateComplaint: %v", err)
	}
	key := "complaint/" + ref + "/cycle/1"
	attempt := func(version int) (store.Task, error) {
		task := store.Task{ID: ulid.Make().String(), TaskKey: key, Kind: "complaint", SubjectID: ref, WorkflowID: "complaint/" + ref,
			Queue: domain.QueueOfficers, DueAt: t0.Add(48 * time.Hour)}
		_, err := st.ApplyComplaintChange(ctx, store.ComplaintChange{
			Snapshot: domain.ComplaintSnapshot{Reference: ref, Version: version, Status: domain.ComplaintInQueue, Cycle: 1, TaskID: task.ID},
			EventKey: ref + "/queued/" + task.ID, Actor: "system", Action: "queued", FromStatus: domain.ComplaintSubmitted,
			NewTask: &task, At: t0})
		return task, err
	}
	first, err := attempt(1)
	if err != nil {
		t.Fatal(err)
	}
	second, err := attempt(2)
	if err != nil {
		t.Fatal(err)
	}
	if second.ID != first.ID {
		t.Errorf("the second attempt's task is %s, want the first one's %s", second.ID, first.ID)
	}
	c, err := st.ComplaintByReference(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	var tasks, events int
	if err := db.GetContext(ctx, &tasks, `SELECT COUNT(*) FROM tasks WHERE subject_id = ?`, ref); err != nil {
		t.Fatal(err)
	}
	if err := db.GetContext(ctx, &events, `SELECT COUNT(*) FROM task_events e LEFT JOIN tasks t ON t.id = e.task_id WHERE t.id IS NULL`); err != nil {
		t.Fatal(err)
	}
	if c.TaskID.String != first.ID || tasks != 1 || events != 0 {
		t.Errorf("complaint's task %q (want %s), %d tasks (want 1), %d events of no task (want 0)", c.TaskID.String, first.ID, tasks, events)
	}
}
