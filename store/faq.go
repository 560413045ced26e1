package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"occonnect/domain"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
)

// ErrInvalidFAQ: a FAQ entry given to the store has an unknown category or a negative
// position (the API validates first; this is the store's own guard).
var ErrInvalidFAQ = errors.New("invalid FAQ entry")

// FAQEntry is one question of the FAQ with its answer, in French and in Arabic.
type FAQEntry struct {
	ID               int64         `db:"id"`
	Category         string        `db:"category"`
	QuestionFR       string        `db:"question_fr"`
	AnswerFR         string        `db:"answer_fr"`
	QuestionAR       string        `db:"question_ar"`
	AnswerAR         string        `db:"answer_ar"`
	Position         int           `db:"position"`
	Active           bool          `db:"active"`
	CreatedAt        time.Time     `db:"created_at"`
	UpdatedAt        time.Time     `db:"updated_at"`
	UpdatedByStaffID sql.NullInt64 `db:"updated_by_staff_id"` // NULL for the seeded entries
}

// FAQInput is what an admin sets on an entry. Texts are stored as given (the API trims
// and validates them).
type FAQInput struct {
	Category   string
	QuestionFR string
	AnswerFR   string
	QuestionAR string
	AnswerAR   string
	// Position orders the entries of a category (ascending, ties by id). nil: on create,
	// 10 after the last entry of the category; on update, unchanged.
	Position *int
	// Active: only active entries are shown in the app. nil: true on create, unchanged on
	// update.
	Active *bool
}

// FAQ audit: the admin_audit entity and actions of the FAQ.
const (
	FAQAuditEntity = "faq"
	FAQAuditCreate = "faq.create"
	FAQAuditUpdate = "faq.update"
	FAQAuditDelete = "faq.delete"
)

// FAQAuditTextLimit is the length, in characters, beyond which a text is cut in the audit
// (the last kept character is then "…").
const FAQAuditTextLimit = 200

// FAQFieldChange is one field of an audited FAQ change: from is null on create, to is null
// on delete.
type FAQFieldChange struct {
	From any `json:"from"`
	To   any `json:"to"`
}

const faqColumns = `id, category, question_fr, answer_fr, question_ar, answer_ar, position, active,
	created_at, updated_at, updated_by_staff_id`

// faqOrder sorts by the display order of the categories, then by position and id.
func faqOrder() (string, []any) {
	marks := strings.TrimSuffix(strings.Repeat("?,", len(domain.FAQCategories)), ",")
	args := make([]any, len(domain.FAQCategories))
	for i, c := range domain.FAQCategories {
		args[i] = c
	}
	return ` ORDER BY FIELD(category, ` + marks + `), position, id`, args
}

// FAQEntries lists the entries of category (all categories when ""), only the active ones
// when activeOnly, in display order: the order of FAQCategories, then position, then id.
// No entry: an empty list.
func (s *Store) FAQEntries(ctx context.Context, category string, activeOnly bool) ([]FAQEntry, error) {
	q := `SELECT ` + faqColumns + ` FROM faq_entries WHERE TRUE`
	var args []any
	if category != "" {
		q += ` AND category = ?`
		args = append(args, category)
	}
	if activeOnly {
		q += ` AND active`
	}
	order, orderArgs := faqOrder()
	out := []FAQEntry{}
	if err := s.db.SelectContext(ctx, &out, q+order, append(args, orderArgs...)...); err != nil {
		return nil, fmt.Errorf("list FAQ entries: %w", err)
	}
	return out, nil
}

// FAQEntryByID reads one entry, active or not (ErrNotFound when there is none).
func (s *Store) FAQEntryByID(ctx context.Context, id int64) (FAQEntry, error) {
	var e FAQEntry
	err := s.db.GetContext(ctx, &e, `SELECT `+faqColumns+` FROM faq_entries WHERE id = ?`, id)
	if err != nil {
		return FAQEntry{}, notFound(err)
	}
	return e, nil
}

func checkFAQInput(in FAQInput) error {
	if !domain.ValidFAQCategory(in.Category) {
		return fmt.Errorf("%w: category %q", ErrInvalidFAQ, in.Category)
	}
	if in.Position != nil && *in.Position < 0 {
		return fmt.Errorf("%w: position %d", ErrInvalidFAQ, *in.Position)
	}
	return nil
}

// CreateFAQEntry adds an entry and its audit row (faq.create, every field from null)
// in one transaction, and returns it as stored.
func (s *Store) CreateFAQEntry(ctx context.Context, in FAQInput, staffID int64, requestID string, at time.Time) (FAQEntry, error) {
	if err := checkFAQInput(in); err != nil {
		return FAQEntry{}, err
	}
	at = at.UTC().Truncate(time.Microsecond)
	e := FAQEntry{Category: in.Category, QuestionFR: in.QuestionFR, AnswerFR: in.AnswerFR, QuestionAR: in.QuestionAR,
		AnswerAR: in.AnswerAR, Active: true, CreatedAt: at, UpdatedAt: at, UpdatedByStaffID: sql.NullInt64{Int64: staffID, Valid: true}}
	if in.Active != nil {
		e.Active = *in.Active
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if in.Position != nil {
			e.Position = *in.Position
		} else if err := tx.GetContext(ctx, &e.Position, `SELECT COALESCE(MAX(position), 0) + 10 FROM faq_entries
			WHERE category = ?`, in.Category); err != nil {
			return fmt.Errorf("next FAQ position: %w", err)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO faq_entries (category, question_fr, answer_fr, question_ar, answer_ar,
			position, active, created_at, updated_at, updated_by_staff_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.Category, e.QuestionFR, e.AnswerFR, e.QuestionAR, e.AnswerAR, e.Position, e.Active, at, at, staffID)
		if err != nil {
			return fmt.Errorf("insert FAQ entry: %w", err)
		}
		if e.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		return s.RecordAdminChange(ctx, tx, AdminChange{StaffID: staffID, Action: FAQAuditCreate, Entity: FAQAuditEntity,
			EntityID: strconv.FormatInt(e.ID, 10), Changes: faqChanges(nil, &e), RequestID: requestID, At: at})
	})
	if err != nil {
		return FAQEntry{}, err
	}
	return e, nil
}

// UpdateFAQEntry sets the category and the four texts of entry id, and its position and
// active flag when given, with an audit row (faq.update, the changed fields only) in the
// same transaction. An update that changes nothing writes nothing (no audit row, the
// entry's updated_at and updated_by_staff_id stay). ErrNotFound when there is no such
// entry. Returns the entry as stored.
func (s *Store) UpdateFAQEntry(ctx context.Context, id int64, in FAQInput, staffID int64, requestID string, at time.Time) (FAQEntry, error) {
	if err := checkFAQInput(in); err != nil {
		return FAQEntry{}, err
	}
	at = at.UTC().Truncate(time.Microsecond)
	var out FAQEntry
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var old FAQEntry
		if err := tx.GetContext(ctx, &old, `SELECT `+faqColumns+` FROM faq_entries WHERE id = ? FOR UPDATE`, id); err != nil {
			return notFound(err)
		}
		e := old
		e.Category, e.QuestionFR, e.AnswerFR, e.QuestionAR, e.AnswerAR = in.Category, in.QuestionFR, in.AnswerFR, in.QuestionAR, in.AnswerAR
		if in.Position != nil {
			e.Position = *in.Position
		}
		if in.Active != nil {
			e.Active = *in.Active
		}
		changes := faqChanges(&old, &e)
		if len(changes) == 0 {
			out = old
			return nil
		}
		e.UpdatedAt, e.UpdatedByStaffID = at, sql.NullInt64{Int64: staffID, Valid: true}
		if _, err := tx.ExecContext(ctx, `UPDATE faq_entries SET category = ?, question_fr = ?, answer_fr = ?, question_ar = ?,
			answer_ar = ?, position = ?, active = ?, updated_at = ?, updated_by_staff_id = ? WHERE id = ?`,
			e.Category, e.QuestionFR, e.AnswerFR, e.QuestionAR, e.AnswerAR, e.Position, e.Active, at, staffID, id); err != nil {
			return fmt.Errorf("update FAQ entry %d: %w", id, err)
		}
		out = e
		return s.RecordAdminChange(ctx, tx, AdminChange{StaffID: staffID, Action: FAQAuditUpdate, Entity: FAQAuditEntity,
			EntityID: strconv.FormatInt(id, 10), Changes: changes, RequestID: requestID, At: at})
	})
	if err != nil {
		return FAQEntry{}, err
	}
	return out, nil
}

// DeleteFAQEntry removes entry id for good (a hard delete), with an audit row (faq.delete,
// every field to null: the audit keeps what the entry said, texts cut at
// FAQAuditTextLimit) in the same transaction. To hide an entry without losing it, update
// it with Active false instead. ErrNotFound when there is no such entry.
func (s *Store) DeleteFAQEntry(ctx context.Context, id int64, staffID int64, requestID string, at time.Time) error {
	at = at.UTC().Truncate(time.Microsecond)
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var old FAQEntry
		if err := tx.GetContext(ctx, &old, `SELECT `+faqColumns+` FROM faq_entries WHERE id = ? FOR UPDATE`, id); err != nil {
			return notFound(err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM faq_entries WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete FAQ entry %d: %w", id, err)
		}
		return s.RecordAdminChange(ctx, tx, AdminChange{StaffID: staffID, Action: FAQAuditDelete, Entity: FAQAuditEntity,
			EntityID: strconv.FormatInt(id, 10), Changes: faqChanges(&old, nil), RequestID: requestID, At: at})
	})
}

// faqChanges lists the fields that differ between from and to (either nil: every field,
// from or to null), texts cut at FAQAuditTextLimit.
func faqChanges(from, to *FAQEntry) map[string]FAQFieldChange {
	fields := func(e *FAQEntry) map[string]any {
		if e == nil {
			return nil
		}
		return map[string]any{
			"category":    e.Category,
			"question_fr": auditText(e.QuestionFR),
			"answer_fr":   auditText(e.AnswerFR),
			"question_ar": auditText(e.QuestionAR),
			"answer_ar":   auditText(e.AnswerAR),
			"position":    e.Position,
			"active":      e.Active,
		}
	}
	f, t := fields(from), fields(to)
	changed := func(name string) bool {
		if from == nil || to == nil {
			return true
		}
		switch name { // compare the whole texts, not their cut versions
		case "question_fr":
			return from.QuestionFR != to.QuestionFR
		case "answer_fr":
			return from.AnswerFR != to.AnswerFR
		case "question_ar":
			return from.QuestionAR != to.QuestionAR
		case "answer_ar":
			return from.AnswerAR != to.AnswerAR
		}
		return f[name] != t[name]
	}
	out := map[string]FAQFieldChange{}
	for _, name := range []string{"category", "question_fr", "answer_fr", "question_ar", "answer_ar", "position", "active"} {
		if changed(name) {
			out[name] = FAQFieldChange{From: f[name], To: t[name]}
		}
	}
	return out
}

// auditText cuts s to FAQAuditTextLimit characters, the last one "…" when it was longer.
func auditText(s string) string {
	if utf8.RuneCountInString(s) <= FAQAuditTextLimit {
		return s
	}
	r := []rune(s)
	return string(r[:FAQAuditTextLimit-1]) + "…"
}
