package store

import (
	"context"
	"database/sql"
	"fmt"
	"occonnect/domain"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Task is an officer task: the read model of the workflow that owns it.
type Task struct {
	ID                 string           `db:"id"`
	TaskKey            string           `db:"task_key"`
	Kind               domain.TaskKind  `db:"kind"`
	SubjectID          string           `db:"subject_id"`
	WorkflowID         string           `db:"workflow_id"`
	State              domain.TaskState `db:"state"`
	Queue              domain.Queue     `db:"queue"`
	EscalationLevel    int              `db:"escalation_level"`
	Version            int              `db:"version"`
	AssigneeStaffID    sql.NullInt64    `db:"assignee_staff_id"`
	DueAt              time.Time        `db:"due_at"`
	CreatedAt          time.Time        `db:"created_at"`
	ClaimedAt          sql.NullTime     `db:"claimed_at"`
	CompletedAt        sql.NullTime     `db:"completed_at"`
	CompletedByStaffID sql.NullInt64    `db:"completed_by_staff_id"`
	Outcome            sql.NullString   `db:"outcome"`
	Comment            sql.NullString   `db:"comment"`
	UpdatedAt          time.Time        `db:"updated_at"`
}

const taskColumns = `id, task_key, kind, subject_id, workflow_id, state, queue, escalation_level, version, assignee_staff_id,
	due_at, created_at, claimed_at, completed_at, completed_by_staff_id, outcome, comment, updated_at`

// CreateTask inserts a task once per task key and returns the stored one.
func (s *Store) CreateTask(ctx context.Context, t Task) (Task, error) {
	var out Task
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT IGNORE INTO tasks
			(id, task_key, kind, subject_id, workflow_id, state, queue, escalation_level, due_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 'open', ?, 0, ?, ?, ?)`,
			t.ID, t.TaskKey, t.Kind, t.SubjectID, t.WorkflowID, t.Queue, t.DueAt, t.CreatedAt, t.CreatedAt)
		if err != nil {
			return fmt.Errorf("insert task: %w", err)
		}
		if err := tx.GetContext(ctx, &out, `SELECT `+taskColumns+` FROM tasks WHERE task_key = ?`, t.TaskKey); err != nil {
			return fmt.Errorf("read task: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return insertTaskEvent(ctx, tx, out.ID, t.TaskKey+"/created", "created", sql.NullInt64{}, "", t.CreatedAt)
		}
		return nil
	})
	return out, err
}

func insertTaskEvent(ctx context.Context, tx *sqlx.Tx, taskID, key, action string, staffID sql.NullInt64, detail string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT IGNORE INTO task_events (task_id, event_key, action, staff_id, detail, at)
		VALUES (?, ?, ?, ?, ?, ?)`, taskID, key, action, staffID, nullString(detail), at)
	if err != nil {
		return fmt.Errorf("insert task event: %w", err)
	}
	return nil
}

// TaskChange is a transition written by the owning workflow's activity. EventKey makes it
// idempotent: a retried activity writes the event once and sets the same values.
type TaskChange struct {
	TaskID          string
	EventKey        string
	Action          string // claimed, released, completed, escalated, cancelled
	StaffID         int64  // who acted (0: the system)
	State           domain.TaskState
	Queue           domain.Queue
	EscalationLevel int
	Version         int   // the workflow's transition counter; older versions are ignored
	AssigneeStaffID int64 // 0: none
	Outcome         string
	Comment         string
	DueAt           time.Time // zero: unchanged
	At              time.Time
}

// ApplyTaskChange writes a task transition and its audit event.
func (s *Store) ApplyTaskChange(ctx context.Context, c TaskChange) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error { return applyTaskChange(ctx, tx, c) })
}

func applyTaskChange(ctx context.Context, tx *sqlx.Tx, c TaskChange) error {
	staff := sql.NullInt64{Int64: c.StaffID, Valid: c.StaffID != 0}
	assignee := sql.NullInt64{Int64: c.AssigneeStaffID, Valid: c.AssigneeStaffID != 0}
	done := c.State == domain.TaskDone || c.State == domain.TaskCancelled
	_, err := tx.ExecContext(ctx, `UPDATE tasks SET state = ?, queue = ?, escalation_level = ?, version = ?, assignee_staff_id = ?,
		claimed_at = IF(? = 'claimed', COALESCE(claimed_at, ?), IF(? = 'open', NULL, claimed_at)),
		completed_at = IF(?, COALESCE(completed_at, ?), NULL),
		completed_by_staff_id = IF(? = 'done', ?, completed_by_staff_id),
		outcome = COALESCE(?, outcome), comment = COALESCE(?, comment), due_at = COALESCE(?, due_at), updated_at = ?
		WHERE id = ? AND version < ?`,
		c.State, c.Queue, c.EscalationLevel, c.Version, assignee,
		c.State, c.At, c.State,
		done, c.At,
		c.State, staff,
		nullString(c.Outcome), nullString(c.Comment), sql.NullTime{Time: c.DueAt, Valid: !c.DueAt.IsZero()}, c.At, c.TaskID, c.Version)
	if err != nil {
		return fmt.Errorf("update task: %w", err)
	}
	return insertTaskEvent(ctx, tx, c.TaskID, c.EventKey, c.Action, staff, c.Comment, c.At)
}

// TaskByID reads a task.
func (s *Store) TaskByID(ctx context.Context, id string) (Task, error) {
	var t Task
	err := s.db.GetContext(ctx, &t, `SELECT `+taskColumns+` FROM tasks WHERE id = ?`, id)
	return t, notFound(err)
}

// TaskFilter selects tasks, ordered by due time.
type TaskFilter struct {
	States     []domain.TaskState
	Kind       domain.TaskKind // "": any
	AssigneeID int64           // 0: any
	Queues     []domain.Queue  // empty: any
	Overdue    *time.Time
	// EscalationLevel: only this level (nil: any). Category: only complaint tasks whose
	// complaint has this category.
	EscalationLevel *int
	Category        string
	AfterDue        time.Time // cursor: (due_at, id) after these
	AfterID         string
	Limit           int
}

// Tasks lists tasks by due time, then id.
func (s *Store) Tasks(ctx context.Context, f TaskFilter) ([]Task, error) {
	var where []string
	var args []any
	if len(f.States) > 0 {
		where = append(where, "state IN (?)")
		args = append(args, f.States)
	}
	if f.Kind != "" {
		where = append(where, "kind = ?")
		args = append(args, f.Kind)
	}
	if f.AssigneeID != 0 {
		where = append(where, "assignee_staff_id = ?")
		args = append(args, f.AssigneeID)
	}
	if len(f.Queues) > 0 {
		where = append(where, "queue IN (?)")
		args = append(args, f.Queues)
	}
	if f.Overdue != nil {
		where = append(where, "due_at < ? AND state IN ('open','claimed')")
		args = append(args, *f.Overdue)
	}
	if f.EscalationLevel != nil {
		where = append(where, "escalation_level = ?")
		args = append(args, *f.EscalationLevel)
	}
	if f.Category != "" {
		where = append(where, "kind = 'complaint' AND subject_id IN (SELECT reference FROM complaints WHERE category = ?)")
		args = append(args, f.Category)
	}
	if f.AfterID != "" {
		where = append(where, "(due_at > ? OR (due_at = ? AND id > ?))")
		args = append(args, f.AfterDue, f.AfterDue, f.AfterID)
	}
	query := `SELECT ` + taskColumns + ` FROM tasks`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY due_at, id LIMIT ?"
	args = append(args, f.Limit)
	query, args, err := sqlx.In(query, args...)
	if err != nil {
		return nil, err
	}
	var out []Task
	err = s.db.SelectContext(ctx, &out, query, args...)
	return out, err
}

// TaskEvent is one line of a task's audit trail.
type TaskEvent struct {
	Action  string         `db:"action"`
	StaffID sql.NullInt64  `db:"staff_id"`
	Detail  sql.NullString `db:"detail"`
	At      time.Time      `db:"at"`
}

// TaskEvents returns a task's audit trail, oldest first.
func (s *Store) TaskEvents(ctx context.Context, taskID string) ([]TaskEvent, error) {
	var out []TaskEvent
	err := s.db.SelectContext(ctx, &out, `SELECT action, staff_id, detail, at FROM task_events WHERE task_id = ? ORDER BY id`, taskID)
	return out, err
}

// StaffContact is a staff member to notify.
type StaffContact struct {
	ID    int64  `db:"id"`
	Email string `db:"email"`
}

// StaffByRole lists the enabled staff of a role (escalation notices).
func (s *Store) StaffByRole(ctx context.Context, role domain.Role) ([]StaffContact, error) {
	var out []StaffContact
	err := s.db.SelectContext(ctx, &out, `SELECT id, email FROM staff WHERE role = ? AND NOT disabled ORDER BY id`, role)
	return out, err
}

// Holidays returns the dated public holidays between two dates (inclusive).
func (s *Store) Holidays(ctx context.Context, from, to time.Time) ([]time.Time, error) {
	var out []time.Time
	err := s.db.SelectContext(ctx, &out, `SELECT day FROM public_holidays WHERE day BETWEEN ? AND ? ORDER BY day`,
		from.Format(time.DateOnly), to.Format(time.DateOnly))
	return out, err
}

// TaskByKey reads a task by its creation key.
func (s *Store) TaskByKey(ctx context.Context, key string) (Task, error) {
	var t Task
	err := s.db.GetContext(ctx, &t, `SELECT `+taskColumns+` FROM tasks WHERE task_key = ?`, key)
	return t, notFound(err)
}
