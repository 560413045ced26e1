package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"occonnect/domain"
	"occonnect/store"
)

func saStaff(t *testing.T, st *store.Store, email string, role domain.Role) int64 {
	t.Helper()
	id, err := st.CreateStaff(context.Background(), store.Staff{Email: email, Role: role, PasswordHash: "$argon2id$old-" + email,
		MustChangePassword: false, CreatedAt: t0})
	if err != nil {
		t.Fatalf("CreateStaff %s: %v", email, err)
	}
	return id
}

func saSession(t *testing.T, st *store.Store, kind domain.SubjectKind, id int64, token string) []byte {
	t.Helper()
	hash := []byte(strings.Repeat(token, 32)[:32])
	if err := st.CreateSession(context.Background(), store.Session{TokenHash: hash, SubjectKind: kind, SubjectID: id,
		Scope: domain.ScopeFull, CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(12 * time.Hour)}); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	return hash
}

func saRevoked(t *testing.T, st *store.Store, hash []byte) bool {
	t.Helper()
	se, err := st.SessionByHash(context.Background(), hash)
	if err != nil {
		t.Fatalf("SessionByHash: %v", err)
	}
	return se.RevokedAt.Valid
}

func saAudit(t *testing.T, st *store.Store, id int64) []store.AdminAuditEntry {
	t.Helper()
	rows, err := st.AdminAudit(context.Background(), "staff", strconv.FormatInt(id, 10), 100)
	if err != nil {
		t.Fatalf("AdminAudit: %v", err)
	}
	return rows
}

func saAuditCount(t *testing.T, db *sqlx.DB) int {
	return count(t, db, `SELECT COUNT(*) FROM admin_audit`)
}

func TestListStaff(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := context.Background()
	var officers []int64
	for i := range 5 {
		officers = append(officers, saStaff(t, st, "officer"+strconv.Itoa(i)+"@oc.gov.ma", domain.RoleOfficer))
		saStaff(t, st, "admin"+strconv.Itoa(i)+"@oc.gov.ma", domain.RoleAdmin)
	}

	all, err := st.ListStaff(ctx, store.StaffFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 10 {
		t.Fatalf("all: %d accounts, want 10", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].ID <= all[i-1].ID {
			t.Fatalf("not in id order: %d after %d", all[i].ID, all[i-1].ID)
		}
	}

	var got []int64
	var after int64
	for {
		page, err := st.ListStaff(ctx, store.StaffFilter{Role: domain.RoleOfficer, AfterID: after, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page {
			if s.Role != domain.RoleOfficer {
				t.Errorf("role filter let %s through", s.Role)
			}
			got = append(got, s.ID)
		}
		if len(page) < 2 {
			break
		}
		after = page[len(page)-1].ID
	}
	if len(got) != len(officers) {
		t.Fatalf("paged officers = %v, want %v", got, officers)
	}
	for i := range got {
		if got[i] != officers[i] {
			t.Fatalf("paged officers = %v, want %v", got, officers)
		}
	}
}

func TestCreateStaffAudited(t *testing.T) {
	t.Parallel()
	st, db := newStore(t)
	ctx := context.Background()
	by := store.AdminActor{StaffID: 7, RequestID: "req-create-1"}
	expires := t0.Add(24 * time.Hour)
	account := store.Staff{Email: "new.officer@oc.gov.ma", Role: domain.RoleOfficer, PasswordHash: "$argon2id$secret-hash",
		MustChangePassword: true, PasswordExpiresAt: sql.NullTime{Time: expires, Valid: true}, CreatedAt: t0}
	id, err := st.CreateStaffAudited(ctx, account, by)
	if err != nil {
		t.Fatal(err)
	}
	rows := saAudit(t, st, id)
	if len(rows) != 1 {
		t.Fatalf("%d audit rows, want 1", len(rows))
	}
	a := rows[0]
	if a.Action != store.AuditStaffCreate || a.StaffID != 7 || a.RequestID == nil || *a.RequestID != "req-create-1" || !a.At.Equal(t0) {
		t.Errorf("audit row = %+v", a)
	}
	changes := string(a.Changes)
	for _, want := range []string{`"email"`, "new.officer@oc.gov.ma", `"role"`, "officer", `"must_change_password"`} {
		if !strings.Contains(changes, want) {
			t.Errorf("changes %s lack %s", changes, want)
		}
	}
	if strings.Contains(changes, "argon2") || strings.Contains(changes, "secret-hash") || strings.Contains(changes, "password_hash") {
		t.Errorf("changes hold the hash: %s", changes)
	}

	// A taken e-mail: ErrDuplicate, and the audit row is rolled back with the insert.
	before := saAuditCount(t, db)
	if _, err := st.CreateStaffAudited(ctx, account, by); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("duplicate: %v, want ErrDuplicate", err)
	}
	if n := saAuditCount(t, db); n != before {
		t.Errorf("a failed creation left an audit row (%d → %d)", before, n)
	}
}

func TestSetStaffDisabled(t *testing.T) {
	t.Parallel()
	st, db := newStore(t)
	ctx := context.Background()
	by := store.AdminActor{StaffID: 1, RequestID: "req-disable"}
	member := saStaff(t, st, "member@oc.gov.ma", domain.RoleOfficer)
	other := saStaff(t, st, "other@oc.gov.ma", domain.RoleOfficer)
	s1 := saSession(t, st, domain.SubjectStaff, member, "a")
	s2 := saSession(t, st, domain.SubjectStaff, member, "b")
	sOther := saSession(t, st, domain.SubjectStaff, other, "c")
	sCitizen := saSession(t, st, domain.SubjectCitizen, member, "d") // a citizen with the same id

	now := t0.Add(time.Hour)
	got, err := st.SetStaffDisabled(ctx, member, true, now, by)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Disabled || got.ID != member {
		t.Errorf("returned %+v", got)
	}
	if reread, _ := st.StaffByID(ctx, member); !reread.Disabled {
		t.Error("not disabled in the database")
	}
	if !saRevoked(t, st, s1) || !saRevoked(t, st, s2) {
		t.Error("the member's sessions are not revoked")
	}
	if saRevoked(t, st, sOther) || saRevoked(t, st, sCitizen) {
		t.Error("someone else's session was revoked")
	}
	rows := saAudit(t, st, member)
	if len(rows) != 1 || rows[0].Action != store.AuditStaffDisable {
		t.Fatalf("audit after disable = %+v", rows)
	}
	var changes struct {
		Disabled        struct{ From, To bool } `json:"disabled"`
		SessionsRevoked int                     `json:"sessions_revoked"`
	}
	if err := json.Unmarshal(rows[0].Changes, &changes); err != nil {
		t.Fatal(err)
	}
	if changes.Disabled.From || !changes.Disabled.To || changes.SessionsRevoked != 2 {
		t.Errorf("disable changes = %s", rows[0].Changes)
	}

	// Disabling again changes nothing: no new audit row.
	if _, err := st.SetStaffDisabled(ctx, member, true, now, by); err != nil {
		t.Fatal(err)
	}
	if rows := saAudit(t, st, member); len(rows) != 1 {
		t.Errorf("a no-op disable wrote an audit row: %d rows", len(rows))
	}

	got, err = st.SetStaffDisabled(ctx, member, false, now, by)
	if err != nil {
		t.Fatal(err)
	}
	if got.Disabled {
		t.Error("still disabled after enable")
	}
	rows = saAudit(t, st, member)
	if len(rows) != 2 || rows[0].Action != store.AuditStaffEnable {
		t.Fatalf("audit after enable = %+v", rows)
	}

	before := saAuditCount(t, db)
	if _, err := st.SetStaffDisabled(ctx, 999999, true, now, by); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown id: %v, want ErrNotFound", err)
	}
	if n := saAuditCount(t, db); n != before {
		t.Error("an unknown id wrote an audit row")
	}
}

func TestReissueStaffPassword(t *testing.T) {
	t.Parallel()
	st, db := newStore(t)
	ctx := context.Background()
	by := store.AdminActor{StaffID: 1, RequestID: "req-reissue"}
	member := saStaff(t, st, "member@oc.gov.ma", domain.RoleAgent)
	s1 := saSession(t, st, domain.SubjectStaff, member, "a")
	now := t0.Add(2 * time.Hour)
	expires := now.Add(24 * time.Hour)

	got, err := st.ReissueStaffPassword(ctx, member, "$argon2id$new-hash", expires, now, by)
	if err != nil {
		t.Fatal(err)
	}
	reread, err := st.StaffByID(ctx, member)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []store.Staff{got, reread} {
		if s.PasswordHash != "$argon2id$new-hash" || !s.MustChangePassword || !s.PasswordExpiresAt.Valid || !s.PasswordExpiresAt.Time.Equal(expires) {
			t.Errorf("after reissue: %+v", s)
		}
	}
	if !saRevoked(t, st, s1) {
		t.Error("the session survived the reissue")
	}
	rows := saAudit(t, st, member)
	if len(rows) != 1 || rows[0].Action != store.AuditStaffReissuePassword {
		t.Fatalf("audit = %+v", rows)
	}
	if c := string(rows[0].Changes); strings.Contains(c, "argon2") || strings.Contains(c, "new-hash") || strings.Contains(c, "old-") {
		t.Errorf("audit changes hold a hash: %s", c)
	}

	// Disabled or unknown: nothing changes, no audit row.
	if _, err := st.SetStaffDisabled(ctx, member, true, now, by); err != nil {
		t.Fatal(err)
	}
	before := saAuditCount(t, db)
	if _, err := st.ReissueStaffPassword(ctx, member, "$argon2id$other", expires, now, by); !errors.Is(err, store.ErrStaffDisabled) {
		t.Errorf("disabled: %v, want ErrStaffDisabled", err)
	}
	if reread, _ := st.StaffByID(ctx, member); reread.PasswordHash != "$argon2id$new-hash" {
		t.Error("a refused reissue changed the hash")
	}
	if _, err := st.ReissueStaffPassword(ctx, 999999, "$argon2id$other", expires, now, by); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown: %v, want ErrNotFound", err)
	}
	if n := saAuditCount(t, db); n != before {
		t.Error("a refused reissue wrote an audit row")
	}
}
