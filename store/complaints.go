package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"occonnect/domain"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Complaint is the read model of a complaint workflow.
type Complaint struct {
	Reference            string                 `db:"reference"`
	CitizenID            int64                  `db:"citizen_id"`
	Category             string                 `db:"category"`
	Subject              string                 `db:"subject"`
	ExchangePointCode    sql.NullString         `db:"exchange_point_code"`
	Status               domain.ComplaintStatus `db:"status"`
	EscalationLevel      int                    `db:"escalation_level"`
	Cycle                int                    `db:"cycle"`
	TaskID               sql.NullString         `db:"task_id"`
	FirstResponseDueAt   sql.NullTime           `db:"first_response_due_at"`
	ResolutionDueAt      sql.NullTime           `db:"resolution_due_at"`
	FirstResponseAt      sql.NullTime           `db:"first_response_at"`
	PausedAt             sql.NullTime           `db:"paused_at"`
	FirstResponseOverdue bool                   `db:"first_response_overdue"`
	ResolutionOverdue    bool                   `db:"resolution_overdue"`
	ResolvedAt           sql.NullTime           `db:"resolved_at"`
	ClosedAt             sql.NullTime           `db:"closed_at"`
	ReopenCount          int                    `db:"reopen_count"`
	Version              int                    `db:"version"`
	Rating               sql.NullInt64          `db:"rating"`
	FeedbackComment      sql.NullString         `db:"feedback_comment"`
	FeedbackAt           sql.NullTime           `db:"feedback_at"`
	CreatedAt            time.Time              `db:"created_at"`
	UpdatedAt            time.Time              `db:"updated_at"`
}

const complaintColumns = `reference, citizen_id, category, subject, exchange_point_code, status, escalation_level, cycle,
	task_id, first_response_due_at, resolution_due_at, first_response_at, paused_at, first_response_overdue,
	resolution_overdue, resolved_at, closed_at, reopen_count, version, rating, feedback_comment, feedback_at, created_at, updated_at`

// NewComplaint is what a citizen files.
type NewComplaint struct {
	CitizenID         int64
	Category          string
	Subject           string
	Description       string
	ExchangePointCode string
	Year              int // of the reference, in Africa/Casablanca
	Now               time.Time
	// RequestKey and RequestHash: the citizen's Idempotency-Key (optional) and the hash of
	// the request. Another complaint of the citizen's with the key is ErrRequestKeyReused
	// when it hashes otherwise, ErrDuplicateRequest when it is the same one.
	RequestKey  string
	RequestHash []byte
}

// ErrDuplicateRequest: a row with the citizen's request key was written meanwhile (read it
// with ComplaintByRequestKey or DTSRequestByRequestKey).
var ErrDuplicateRequest = errors.New("a request with that key was recorded meanwhile")

// CreateComplaint numbers and records a complaint in one transaction: the next number of
// the year's gap-free sequence (REC-<year>-<6 digits>), the complaint, its description as
// the first message, and the audit row.
func (s *Store) CreateComplaint(ctx context.Context, n NewComplaint) (string, error) {
	var ref string
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO complaint_sequences (year, last_no) VALUES (?, 1)
			ON DUPLICATE KEY UPDATE last_no = last_no + 1`, n.Year); err != nil {
			return fmt.Errorf("next complaint number: %w", err)
		}
		var no int64
		if err := tx.GetContext(ctx, &no, `SELECT last_no FROM complaint_sequences WHERE year = ?`, n.Year); err != nil {
			return fmt.Errorf("read complaint number: %w", err)
		}
		ref = fmt.Sprintf("REC-%d-%06d", n.Year, no)
		// On a duplicate key the transaction rolls back with the sequence's increment: the
		// numbering stays gap-free.
		_, err := tx.ExecContext(ctx, `INSERT INTO complaints (reference, citizen_id, category, subject, exchange_point_code,
			status, request_key, request_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'submitted', ?, ?, ?, ?)`,
			ref, n.CitizenID, n.Category, n.Subject, nullString(n.ExchangePointCode), nullKey(n.RequestKey), n.RequestHash, n.Now, n.Now)
		if duplicateOf(err, "complaints_request_key") {
			return ErrDuplicateRequest
		}
		if err != nil {
			return fmt.Errorf("insert complaint: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO complaint_messages (reference, message_key, author, kind, body, created_at, published_at)
			VALUES (?, ?, 'citizen', 'description', ?, ?, ?)`, ref, ref+"/description", n.Description, n.Now, n.Now); err != nil {
			return fmt.Errorf("insert description: %w", err)
		}
		return insertComplaintAudit(ctx, tx, ref, ref+"/filed", "citizen", 0, "filed", "", "submitted", n.Now)
	})
	return ref, err
}

func insertComplaintAudit(ctx context.Context, tx *sqlx.Tx, ref, key, actor string, staffID int64, action string, from, to domain.ComplaintStatus, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT IGNORE INTO complaint_audit (reference, event_key, actor, staff_id, action, from_status, to_status, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, ref, key, actor, sql.NullInt64{Int64: staffID, Valid: staffID != 0}, action,
		nullString(string(from)), nullString(string(to)), at)
	if err != nil {
		return fmt.Errorf("insert complaint audit: %w", err)
	}
	return nil
}

// ComplaintByReference reads a complaint.
func (s *Store) ComplaintByReference(ctx context.Context, ref string) (Complaint, error) {
	var c Complaint
	err := s.db.GetContext(ctx, &c, `SELECT `+complaintColumns+` FROM complaints WHERE reference = ?`, ref)
	return c, notFound(err)
}

// ComplaintsByReferences reads several complaints in one query (a page of tasks), by
// reference; unknown references are absent from the map.
func (s *Store) ComplaintsByReferences(ctx context.Context, refs []string) (map[string]Complaint, error) {
	out := make(map[string]Complaint, len(refs))
	if len(refs) == 0 {
		return out, nil
	}
	query, args, err := sqlx.In(`SELECT `+complaintColumns+` FROM complaints WHERE reference IN (?)`, refs)
	if err != nil {
		return nil, err
	}
	var list []Complaint
	if err := s.db.SelectContext(ctx, &list, query, args...); err != nil {
		return nil, fmt.Errorf("complaints by reference: %w", err)
	}
	for _, c := range list {
		out[c.Reference] = c
	}
	return out, nil
}

// ComplaintFilter selects complaints, newest first.
type ComplaintFilter struct {
	CitizenID       int64                  // 0: all
	Status          domain.ComplaintStatus // "": all
	Category        string
	EscalationLevel *int
	// Visible, when set, keeps what a staff member may read: complaints at an escalation
	// level up to MaxLevel, or whose task is assigned to StaffID.
	Visible       *StaffVisibility
	OverdueOnly   bool
	Before        string // cursor: references are increasing within a year; ordered by created_at, reference
	BeforeCreated time.Time
	Limit         int
}

// StaffVisibility is what a staff member reads of the complaints: those of the queues
// their role works (escalation levels 0 to MaxLevel) and those assigned to them.
type StaffVisibility struct {
	MaxLevel int
	StaffID  int64
}

// clause is the condition of v on the complaints table.
func (v StaffVisibility) clause() (string, []any) {
	return `(escalation_level <= ? OR task_id IN (SELECT id FROM tasks WHERE assignee_staff_id = ?))`, []any{v.MaxLevel, v.StaffID}
}

// ComplaintVisibleTo tells whether v may read the complaint.
func (s *Store) ComplaintVisibleTo(ctx context.Context, ref string, v StaffVisibility) (bool, error) {
	cond, args := v.clause()
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM complaints WHERE reference = ? AND `+cond, append([]any{ref}, args...)...)
	return n > 0, err
}

// Complaints lists complaints, newest first.
func (s *Store) Complaints(ctx context.Context, f ComplaintFilter) ([]Complaint, error) {
	var where []string
	var args []any
	if f.Visible != nil {
		cond, cargs := f.Visible.clause()
		where, args = append(where, cond), append(args, cargs...)
	}
	if f.CitizenID != 0 {
		where, args = append(where, "citizen_id = ?"), append(args, f.CitizenID)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if f.Category != "" {
		where, args = append(where, "category = ?"), append(args, f.Category)
	}
	if f.EscalationLevel != nil {
		where, args = append(where, "escalation_level = ?"), append(args, *f.EscalationLevel)
	}
	if f.OverdueOnly {
		where = append(where, "(first_response_overdue OR resolution_overdue) AND status NOT IN ('resolved','closed','rejected')")
	}
	if f.Before != "" {
		where = append(where, "(created_at < ? OR (created_at = ? AND reference < ?))")
		args = append(args, f.BeforeCreated, f.BeforeCreated, f.Before)
	}
	query := `SELECT ` + complaintColumns + ` FROM complaints`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY created_at DESC, reference DESC LIMIT ?"
	args = append(args, f.Limit)
	var out []Complaint
	err := s.db.SelectContext(ctx, &out, query, args...)
	return out, err
}

// ComplaintMessage is one message of the conversation.
type ComplaintMessage struct {
	ID        int64         `db:"id"`
	Author    string        `db:"author"` // citizen, officer, supervisor, head_of_unit, system
	StaffID   sql.NullInt64 `db:"staff_id"`
	Kind      string        `db:"kind"` // description, question, answer, response, rejection, reopen
	Body      string        `db:"body"`
	CreatedAt time.Time     `db:"created_at"`
}

// ComplaintMessages returns the published conversation, oldest first.
func (s *Store) ComplaintMessages(ctx context.Context, ref string) ([]ComplaintMessage, error) {
	var out []ComplaintMessage
	err := s.db.SelectContext(ctx, &out, `SELECT id, author, staff_id, kind, body, COALESCE(published_at, created_at) AS created_at
		FROM complaint_messages WHERE reference = ? AND published_at IS NOT NULL ORDER BY published_at, id`, ref)
	return out, err
}

// DraftComplaintMessage stores a text that the workflow will publish with its transition
// (or that stays hidden when the workflow refuses it). The key makes a retry write once.
func (s *Store) DraftComplaintMessage(ctx context.Context, ref, key, author string, staffID int64, kind, body string, at time.Time) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT IGNORE INTO complaint_messages (reference, message_key, author, staff_id, kind, body, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, ref, key, author, sql.NullInt64{Int64: staffID, Valid: staffID != 0}, kind, body, at); err != nil {
			return fmt.Errorf("draft message: %w", err)
		}
		return tx.GetContext(ctx, &id, `SELECT id FROM complaint_messages WHERE message_key = ?`, key)
	})
	return id, err
}

// ComplaintMessageByID reads a message (published or draft) of a complaint.
func (s *Store) ComplaintMessageByID(ctx context.Context, ref string, id int64) (ComplaintMessage, error) {
	var m ComplaintMessage
	err := s.db.GetContext(ctx, &m, `SELECT id, author, staff_id, kind, body, created_at FROM complaint_messages
		WHERE reference = ? AND id = ?`, ref, id)
	return m, notFound(err)
}

// ComplaintSnapshot is the complaint workflow's view of a complaint, written whole at each
// transition.
type ComplaintSnapshot = domain.ComplaintSnapshot

func nullTime(t time.Time) sql.NullTime { return sql.NullTime{Time: t, Valid: !t.IsZero()} }

// ComplaintChange is one transition: the snapshot, its audit row, and optionally the task's
// transition, a message to publish and an e-mail to queue, in one transaction.
type ComplaintChange struct {
	Snapshot   ComplaintSnapshot
	EventKey   string
	Actor      string // citizen, staff, system
	StaffID    int64
	Action     string
	FromStatus domain.ComplaintStatus
	Task       *TaskChange
	NewTask    *Task
	PublishID  int64 // a draft message to publish (0: none)
	Mail       *OutboxMessage
	At         time.Time
}

// ApplyComplaintChange writes a transition; it returns the id of the queued e-mail (0: none).
// A NewTask whose key exists already is that task: its ID is set to the stored one.
func (s *Store) ApplyComplaintChange(ctx context.Context, c ComplaintChange) (int64, error) {
	var outboxID int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		outboxID = 0
		sn := c.Snapshot
		if c.NewTask != nil {
			if _, err := tx.ExecContext(ctx, `INSERT IGNORE INTO tasks
				(id, task_key, kind, subject_id, workflow_id, state, queue, escalation_level, version, due_at, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, 'open', ?, ?, 0, ?, ?, ?)`,
				c.NewTask.ID, c.NewTask.TaskKey, c.NewTask.Kind, c.NewTask.SubjectID, c.NewTask.WorkflowID, c.NewTask.Queue,
				c.NewTask.EscalationLevel, c.NewTask.DueAt, c.At, c.At); err != nil {
				return fmt.Errorf("insert task: %w", err)
			}
			// Another attempt of the same step may have created it first (an attempt that
			// outlived its timeout, retried meanwhile): the task is the one its key names.
			var id string
			if err := tx.GetContext(ctx, &id, `SELECT id FROM tasks WHERE task_key = ?`, c.NewTask.TaskKey); err != nil {
				return fmt.Errorf("read the task back: %w", err)
			}
			if sn.TaskID == c.NewTask.ID {
				sn.TaskID = id
			}
			c.NewTask.ID = id
			if err := insertTaskEvent(ctx, tx, c.NewTask.ID, c.NewTask.TaskKey+"/created", "created", sql.NullInt64{}, "", c.At); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE complaints SET version = ?, status = ?, escalation_level = ?, cycle = ?,
			task_id = ?, first_response_due_at = ?, resolution_due_at = ?, first_response_at = ?, paused_at = ?,
			first_response_overdue = ?, resolution_overdue = ?, resolved_at = ?, closed_at = ?, reopen_count = ?, updated_at = ?
			WHERE reference = ? AND version < ?`,
			sn.Version, sn.Status, sn.EscalationLevel, sn.Cycle, nullString(sn.TaskID), nullTime(sn.FirstResponseDueAt),
			nullTime(sn.ResolutionDueAt), nullTime(sn.FirstResponseAt), nullTime(sn.PausedAt), sn.FirstResponseOverdue,
			sn.ResolutionOverdue, nullTime(sn.ResolvedAt), nullTime(sn.ClosedAt), sn.ReopenCount, c.At, sn.Reference, sn.Version)
		if err != nil {
			return fmt.Errorf("update complaint: %w", err)
		}
		// The open task is due at the complaint's current target: the first response until
		// it is given, then the resolution (so the task lists' order and "overdue" follow).
		if n, err := res.RowsAffected(); err == nil && n > 0 && sn.TaskID != "" {
			due := sn.FirstResponseDueAt
			if !sn.FirstResponseAt.IsZero() {
				due = sn.ResolutionDueAt
			}
			if !due.IsZero() {
				if _, err := tx.ExecContext(ctx, `UPDATE tasks SET due_at = ? WHERE id = ? AND state IN ('open','claimed')`,
					due, sn.TaskID); err != nil {
					return fmt.Errorf("move task due time: %w", err)
				}
			}
		}
		if err := insertComplaintAudit(ctx, tx, sn.Reference, c.EventKey, c.Actor, c.StaffID, c.Action, c.FromStatus, sn.Status, c.At); err != nil {
			return err
		}
		if c.Task != nil {
			if err := applyTaskChange(ctx, tx, *c.Task); err != nil {
				return err
			}
		}
		if c.PublishID != 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE complaint_messages SET published_at = COALESCE(published_at, ?)
				WHERE id = ? AND reference = ?`, c.At, c.PublishID, sn.Reference); err != nil {
				return fmt.Errorf("publish message: %w", err)
			}
		}
		if c.Mail != nil {
			id, err := insertOutbox(ctx, tx, *c.Mail)
			if err != nil {
				return err
			}
			outboxID = id
		}
		return nil
	})
	return outboxID, err
}

// ComplaintAuditEntry is one row of the audit trail.
type ComplaintAuditEntry struct {
	Actor      string         `db:"actor"`
	StaffID    sql.NullInt64  `db:"staff_id"`
	Action     string         `db:"action"`
	FromStatus sql.NullString `db:"from_status"`
	ToStatus   sql.NullString `db:"to_status"`
	At         time.Time      `db:"at"`
}

// ComplaintAudit returns the audit trail, oldest first.
func (s *Store) ComplaintAudit(ctx context.Context, ref string) ([]ComplaintAuditEntry, error) {
	var out []ComplaintAuditEntry
	err := s.db.SelectContext(ctx, &out, `SELECT actor, staff_id, action, from_status, to_status, at FROM complaint_audit
		WHERE reference = ? ORDER BY id`, ref)
	return out, err
}

// ErrFeedbackNotAllowed: feedback is given once, after resolution.
var ErrFeedbackNotAllowed = fmt.Errorf("feedback not allowed")

// SetComplaintFeedback records the citizen's rating once, after resolution.
func (s *Store) SetComplaintFeedback(ctx context.Context, ref string, citizenID int64, rating int, comment string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE complaints SET rating = ?, feedback_comment = ?, feedback_at = ?
		WHERE reference = ? AND citizen_id = ? AND rating IS NULL AND status IN ('resolved','closed')`,
		rating, nullString(comment), at, ref, citizenID)
	if err != nil {
		return fmt.Errorf("set feedback: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrFeedbackNotAllowed
	}
	return nil
}

// StaffContactByID reads one staff member's e-mail (reminders to an assignee).
func (s *Store) StaffContactByID(ctx context.Context, id int64) (StaffContact, error) {
	var c StaffContact
	err := s.db.GetContext(ctx, &c, `SELECT id, email FROM staff WHERE id = ? AND NOT disabled`, id)
	return c, notFound(err)
}
