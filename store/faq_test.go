package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"occonnect/domain"
	"occonnect/store"
)

// scriptShare is the share of the letters of s that are in script (0 when s has none).
func scriptShare(s string, script *unicode.RangeTable) float64 {
	var letters, in int
	for _, r := range s {
		if unicode.IsLetter(r) {
			letters++
			if unicode.Is(script, r) {
				in++
			}
		}
	}
	if letters == 0 {
		return 0
	}
	return float64(in) / float64(letters)
}

// TestFAQSeed: the seed has at least 15 active entries covering every category, in
// display order, each with its four texts (French in Latin script, Arabic in Arabic
// script, within the API's limits), and quotes the figures of the 2026 rules and the
// contacts in both languages.
func TestFAQSeed(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := context.Background()

	all, err := st.FAQEntries(ctx, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 15 {
		t.Fatalf("the seed has %d entries, want at least 15", len(all))
	}
	perCategory := map[string]int{}
	var fr, ar strings.Builder
	for i, e := range all {
		perCategory[e.Category]++
		if !e.Active || e.UpdatedByStaffID.Valid || e.CreatedAt.IsZero() {
			t.Errorf("entry %d: active %v, updated by %v, created %v", e.ID, e.Active, e.UpdatedByStaffID, e.CreatedAt)
		}
		texts := map[string]string{"question_fr": e.QuestionFR, "answer_fr": e.AnswerFR, "question_ar": e.QuestionAR, "answer_ar": e.AnswerAR}
		for name, text := range texts {
			limit := 5000
			if strings.HasPrefix(name, "question") {
				limit = 300
			}
			if n := utf8.RuneCountInString(strings.TrimSpace(text)); n == 0 || n > limit || text != strings.TrimSpace(text) {
				t.Errorf("entry %d %s: %d characters (want 1 to %d, trimmed): %q", e.ID, name, n, limit, text)
			}
			share, script := scriptShare(text, unicode.Latin), "Latin"
			if strings.HasSuffix(name, "_ar") {
				share, script = scriptShare(text, unicode.Arabic), "Arabic"
			}
			if share < 0.6 {
				t.Errorf("entry %d %s: only %.0f%% of the letters are in %s script: %q", e.ID, name, share*100, script, text)
			}
		}
		if !strings.HasSuffix(e.QuestionFR, " ?") || !strings.HasSuffix(e.QuestionAR, "؟") {
			t.Errorf("entry %d: questions %q / %q do not end with a question mark", e.ID, e.QuestionFR, e.QuestionAR)
		}
		if i > 0 {
			prev := all[i-1]
			pc, c := slices.Index(domain.FAQCategories, prev.Category), slices.Index(domain.FAQCategories, e.Category)
			if pc > c || (pc == c && prev.Position >= e.Position) {
				t.Errorf("entry %d (%s, %d) listed after entry %d (%s, %d)", e.ID, e.Category, e.Position, prev.ID, prev.Category, prev.Position)
			}
		}
		fr.WriteString(e.QuestionFR + "\n" + e.AnswerFR + "\n")
		ar.WriteString(e.QuestionAR + "\n" + e.AnswerAR + "\n")
	}
	for _, c := range domain.FAQCategories {
		if perCategory[c] == 0 {
			t.Errorf("no seeded entry in category %s", c)
		}
	}

	// The figures of the rules in force (2026), read from allowance_rules, and the 2024
	// ceiling, are quoted in both languages (thousands however written: NormalizeSearch).
	rules, err := st.AllowanceRules(ctx, 2026)
	if err != nil {
		t.Fatal(err)
	}
	var figures []string
	for _, r := range rules {
		if r.Type == string(domain.AllowanceTourismSupplement) {
			figures = append(figures, strconv.FormatInt(r.RateBP.Int64/100, 10), strconv.FormatInt(r.CapTotalMAD.Int64, 10))
			continue
		}
		figures = append(figures, strconv.FormatInt(r.EntitlementMAD, 10))
	}
	old, err := st.AllowanceRules(ctx, 2024)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range old {
		if r.Type == string(domain.AllowanceTourismSupplement) {
			figures = append(figures, strconv.FormatInt(r.CapTotalMAD.Int64, 10))
		}
	}
	if !slices.Equal(figures, []string{"100000", "30", "500000", "25000", "15000", "30000", "300000"}) {
		t.Fatalf("rules figures = %v: the seed of 00002 changed, review the FAQ answers", figures)
	}
	for lang, text := range map[string]string{"fr": fr.String(), "ar": ar.String()} {
		words := " " + domain.NormalizeSearch(text) + " "
		for _, want := range append(figures, "400000", "2026", "24", "12", "15", "14", "60", "rec 2026 000123",
			"chikaya ma", "occonnect oc gov ma", "05 37 26 63 63") {
			if !strings.Contains(words, " "+want+" ") {
				t.Errorf("the %s FAQ does not quote %q", lang, want)
			}
		}
	}
	for _, want := range []string{"édition 2026", "règles en vigueur", "2 jours ouvrables", "5 tentatives"} {
		if !strings.Contains(fr.String(), want) {
			t.Errorf("the French FAQ does not say %q", want)
		}
	}
	for _, want := range []string{"إصدار 2026", "القواعد الجاري بها العمل", "يومي عمل", "5 محاولات"} {
		if !strings.Contains(ar.String(), want) {
			t.Errorf("the Arabic FAQ does not say %q", want)
		}
	}
}

// TestFAQEntriesFilter: by category, active only, by id.
func TestFAQEntriesFilter(t *testing.T) {
	t.Parallel()
	st, db := newStore(t)
	ctx := context.Background()

	dts, err := st.FAQEntries(ctx, domain.FAQDTS, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(dts) == 0 {
		t.Fatal("no DTS entry")
	}
	for _, e := range dts {
		if e.Category != domain.FAQDTS {
			t.Errorf("category filter: got %s", e.Category)
		}
	}
	if _, err := db.Exec(`UPDATE faq_entries SET active = FALSE WHERE id = ?`, dts[0].ID); err != nil {
		t.Fatal(err)
	}
	active, err := st.FAQEntries(ctx, domain.FAQDTS, true)
	if err != nil {
		t.Fatal(err)
	}
	withInactive, err := st.FAQEntries(ctx, domain.FAQDTS, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(active) != len(dts)-1 || len(withInactive) != len(dts) || withInactive[0].ID != dts[0].ID || withInactive[0].Active {
		t.Errorf("active only: %d entries, all: %d, want %d and %d", len(active), len(withInactive), len(dts)-1, len(dts))
	}
	got, err := st.FAQEntryByID(ctx, dts[1].ID)
	if err != nil || !reflect.DeepEqual(got, dts[1]) {
		t.Errorf("FAQEntryByID = %+v, %v, want %+v", got, err, dts[1])
	}
	if _, err := st.FAQEntryByID(ctx, 999999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
	if none, err := st.FAQEntries(ctx, "nope", false); err != nil || none == nil || len(none) != 0 {
		t.Errorf("unknown category: %v, %v (want an empty list)", none, err)
	}
}

type faqAuditRow struct {
	Action    string                          `db:"action"`
	StaffID   int64                           `db:"staff_id"`
	RequestID string                          `db:"request_id"`
	Changes   map[string]store.FAQFieldChange `db:"-"`
}

func faqAudit(t *testing.T, st *store.Store, id int64) []faqAuditRow {
	t.Helper()
	rows, err := st.AdminAudit(context.Background(), store.FAQAuditEntity, strconv.FormatInt(id, 10), 100)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]faqAuditRow, len(rows))
	for i, r := range rows { // newest first
		out[i] = faqAuditRow{Action: r.Action, StaffID: r.StaffID}
		if r.RequestID != nil {
			out[i].RequestID = *r.RequestID
		}
		if err := json.Unmarshal(r.Changes, &out[i].Changes); err != nil {
			t.Fatalf("audit changes %s: %v", r.Changes, err)
		}
		if !r.At.Equal(t0) {
			t.Errorf("audit at %v, want %v", r.At, t0)
		}
	}
	return out
}

func intp(n int) *int    { return &n }
func boolp(b bool) *bool { return &b }

// TestFAQCreateUpdateDelete: each change and its audit row (field → {from, to}, texts cut
// at 200 characters); a no-op update writes nothing; unknown ids and bad input.
func TestFAQCreateUpdateDelete(t *testing.T) {
	t.Parallel()
	st, db := newStore(t)
	ctx := context.Background()
	admin := newAgent(t, st) // any staff id will do for the store

	apps, err := st.FAQEntries(ctx, domain.FAQApp, false)
	if err != nil {
		t.Fatal(err)
	}
	lastApp := apps[len(apps)-1].Position

	longAR := strings.Repeat("ش", 250)
	in := store.FAQInput{Category: domain.FAQApp, QuestionFR: "L’application est-elle gratuite ?", AnswerFR: "Oui.",
		QuestionAR: "هل التطبيق مجاني؟", AnswerAR: longAR}
	e, err := st.CreateFAQEntry(ctx, in, admin, "req-create-1", t0)
	if err != nil {
		t.Fatal(err)
	}
	if e.ID == 0 || e.Position != lastApp+10 || !e.Active || e.UpdatedByStaffID.Int64 != admin || !e.CreatedAt.Equal(t0) {
		t.Errorf("created %+v (last app position %d)", e, lastApp)
	}
	if got, err := st.FAQEntryByID(ctx, e.ID); err != nil || !reflect.DeepEqual(got, e) {
		t.Errorf("read back %+v, %v, want %+v", got, err, e)
	}
	audit := faqAudit(t, st, e.ID)
	if len(audit) != 1 || audit[0].Action != store.FAQAuditCreate || audit[0].StaffID != admin || audit[0].RequestID != "req-create-1" {
		t.Fatalf("audit after create: %+v", audit)
	}
	cut := strings.Repeat("ش", 199) + "…"
	wantCreate := map[string]store.FAQFieldChange{
		"category":    {From: nil, To: "app"},
		"question_fr": {From: nil, To: in.QuestionFR},
		"answer_fr":   {From: nil, To: "Oui."},
		"question_ar": {From: nil, To: in.QuestionAR},
		"answer_ar":   {From: nil, To: cut},
		"position":    {From: nil, To: float64(lastApp + 10)},
		"active":      {From: nil, To: true},
	}
	if !reflect.DeepEqual(audit[0].Changes, wantCreate) {
		t.Errorf("create changes = %v, want %v", audit[0].Changes, wantCreate)
	}

	// Given position and active.
	hidden, err := st.CreateFAQEntry(ctx, store.FAQInput{Category: domain.FAQAccount, QuestionFR: "q", AnswerFR: "a", QuestionAR: "س",
		AnswerAR: "ج", Position: intp(5), Active: boolp(false)}, admin, "", t0)
	if err != nil || hidden.Position != 5 || hidden.Active {
		t.Fatalf("create with position and active: %+v, %v", hidden, err)
	}
	if acc, _ := st.FAQEntries(ctx, domain.FAQAccount, false); acc[0].ID != hidden.ID {
		t.Errorf("position 5 is not first of its category: %+v", acc[0])
	}
	if acc, _ := st.FAQEntries(ctx, domain.FAQAccount, true); slices.ContainsFunc(acc, func(x store.FAQEntry) bool { return x.ID == hidden.ID }) {
		t.Error("an inactive entry is listed as active")
	}

	// Update: category and one text; position and active unchanged when nil.
	up := in
	up.Category, up.AnswerFR = domain.FAQAccount, "Oui, sans frais."
	t1 := t0
	got, err := st.UpdateFAQEntry(ctx, e.ID, up, admin, "req-update-1", t1)
	if err != nil {
		t.Fatal(err)
	}
	if got.Category != domain.FAQAccount || got.AnswerFR != up.AnswerFR || got.Position != e.Position || !got.Active || got.AnswerAR != longAR {
		t.Errorf("updated %+v", got)
	}
	if back, _ := st.FAQEntryByID(ctx, e.ID); !reflect.DeepEqual(back, got) {
		t.Errorf("read back %+v, want %+v", back, got)
	}
	audit = faqAudit(t, st, e.ID)
	wantUpdate := map[string]store.FAQFieldChange{
		"category":  {From: "app", To: "account"},
		"answer_fr": {From: "Oui.", To: "Oui, sans frais."},
	}
	if len(audit) != 2 || audit[0].Action != store.FAQAuditUpdate || audit[0].RequestID != "req-update-1" || !reflect.DeepEqual(audit[0].Changes, wantUpdate) {
		t.Errorf("audit after update: %+v, want changes %v", audit, wantUpdate)
	}

	// The same again: nothing written.
	if _, err := st.UpdateFAQEntry(ctx, e.ID, up, admin, "req-update-2", t1); err != nil {
		t.Fatal(err)
	}
	if audit = faqAudit(t, st, e.ID); len(audit) != 2 {
		t.Errorf("a no-op update wrote an audit row: %+v", audit)
	}

	// Position and active.
	up.Position, up.Active = intp(7), boolp(false)
	if got, err = st.UpdateFAQEntry(ctx, e.ID, up, admin, "req-update-3", t1); err != nil || got.Position != 7 || got.Active {
		t.Fatalf("update position and active: %+v, %v", got, err)
	}
	if audit = faqAudit(t, st, e.ID); !reflect.DeepEqual(audit[0].Changes, map[string]store.FAQFieldChange{
		"position": {From: float64(e.Position), To: float64(7)}, "active": {From: true, To: false}}) {
		t.Errorf("position/active changes = %v", audit[0].Changes)
	}

	// Delete: gone, audited with what it said.
	if err := st.DeleteFAQEntry(ctx, e.ID, admin, "req-delete-1", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := st.FAQEntryByID(ctx, e.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
	audit = faqAudit(t, st, e.ID)
	if len(audit) != 4 || audit[0].Action != store.FAQAuditDelete || audit[0].RequestID != "req-delete-1" {
		t.Fatalf("audit after delete: %+v", audit)
	}
	if c := audit[0].Changes; len(c) != 7 || c["answer_ar"] != (store.FAQFieldChange{From: cut, To: nil}) ||
		c["category"] != (store.FAQFieldChange{From: "account", To: nil}) || c["active"] != (store.FAQFieldChange{From: false, To: nil}) {
		t.Errorf("delete changes = %v", c)
	}

	// Unknown ids, bad input: refused, nothing audited.
	before := count(t, db, `SELECT COUNT(*) FROM admin_audit`)
	if _, err := st.UpdateFAQEntry(ctx, e.ID, up, admin, "", t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update of a deleted entry: %v", err)
	}
	if err := st.DeleteFAQEntry(ctx, e.ID, admin, "", t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete of a deleted entry: %v", err)
	}
	bad := in
	bad.Category = "other"
	if _, err := st.CreateFAQEntry(ctx, bad, admin, "", t0); !errors.Is(err, store.ErrInvalidFAQ) {
		t.Errorf("create in an unknown category: %v", err)
	}
	bad = in
	bad.Position = intp(-1)
	if _, err := st.UpdateFAQEntry(ctx, hidden.ID, bad, admin, "", t0); !errors.Is(err, store.ErrInvalidFAQ) {
		t.Errorf("negative position: %v", err)
	}
	if after := count(t, db, `SELECT COUNT(*) FROM admin_audit`); after != before {
		t.Errorf("refused changes wrote %d audit rows", after-before)
	}
}

// TestFAQChangeAndAuditAtomic: when the audit row cannot be written (a request id longer
// than its column), the change is rolled back with it.
func TestFAQChangeAndAuditAtomic(t *testing.T) {
	t.Parallel()
	st, db := newStore(t)
	ctx := context.Background()
	admin := newAgent(t, st)
	tooLong := strings.Repeat("r", 65) // admin_audit.request_id is VARCHAR(64)
	entries := count(t, db, `SELECT COUNT(*) FROM faq_entries`)

	in := store.FAQInput{Category: domain.FAQDTS, QuestionFR: "q", AnswerFR: "a", QuestionAR: "س", AnswerAR: "ج"}
	if _, err := st.CreateFAQEntry(ctx, in, admin, tooLong, t0); err == nil {
		t.Fatal("create with an unwritable audit row succeeded")
	}
	if n := count(t, db, `SELECT COUNT(*) FROM faq_entries`); n != entries {
		t.Errorf("the entry was created without its audit row (%d entries, was %d)", n, entries)
	}
	first, err := st.FAQEntries(ctx, domain.FAQAccount, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpdateFAQEntry(ctx, first[0].ID, in, admin, tooLong, t0); err == nil {
		t.Fatal("update with an unwritable audit row succeeded")
	}
	if err := st.DeleteFAQEntry(ctx, first[0].ID, admin, tooLong, t0); err == nil {
		t.Fatal("delete with an unwritable audit row succeeded")
	}
	if got, err := st.FAQEntryByID(ctx, first[0].ID); err != nil || !reflect.DeepEqual(got, first[0]) {
		t.Errorf("the entry changed without its audit row: %+v, %v, was %+v", got, err, first[0])
	}
}
