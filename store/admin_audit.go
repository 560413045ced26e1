package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// AdminChange is one change made through an admin endpoint. Changes holds what changed
// (field → {from, to} or the new values); it must never hold a secret.
type AdminChange struct {
	StaffID   int64
	Action    string // e.g. staff.create, staff.disable, exchange_point.update, faq.delete
	Entity    string // staff, exchange_point, faq, allowance_rules, holidays
	EntityID  string
	Changes   any
	RequestID string
	At        time.Time
}

// RecordAdminChange writes one audit row, inside tx when given (so the change and its
// audit commit together), else on its own.
func (s *Store) RecordAdminChange(ctx context.Context, tx *sqlx.Tx, c AdminChange) error {
	changes, err := json.Marshal(c.Changes)
	if err != nil {
		return fmt.Errorf("encode audit changes: %w", err)
	}
	var exec sqlx.ExecerContext = s.db
	if tx != nil {
		exec = tx
	}
	_, err = exec.ExecContext(ctx, `INSERT INTO admin_audit (staff_id, action, entity, entity_id, changes, request_id, at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, c.StaffID, c.Action, c.Entity, c.EntityID, changes, nullString(c.RequestID), c.At)
	if err != nil {
		return fmt.Errorf("record admin change: %w", err)
	}
	return nil
}

// AdminAuditEntry is one row of the admin audit.
type AdminAuditEntry struct {
	ID        int64     `db:"id"`
	StaffID   int64     `db:"staff_id"`
	Action    string    `db:"action"`
	Entity    string    `db:"entity"`
	EntityID  string    `db:"entity_id"`
	Changes   []byte    `db:"changes"`
	RequestID *string   `db:"request_id"`
	At        time.Time `db:"at"`
}

// AdminAudit lists the audit of an entity (all entities when entity is ""), newest first.
func (s *Store) AdminAudit(ctx context.Context, entity, entityID string, limit int) ([]AdminAuditEntry, error) {
	q := `SELECT id, staff_id, action, entity, entity_id, changes, request_id, at FROM admin_audit WHERE TRUE`
	var args []any
	if entity != "" {
		q += ` AND entity = ?`
		args = append(args, entity)
	}
	if entityID != "" {
		q += ` AND entity_id = ?`
		args = append(args, entityID)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	var out []AdminAuditEntry
	err := s.db.SelectContext(ctx, &out, q, args...)
	return out, err
}

// AuditQuery selects audit rows, newest first: an entity (and one of its ids), a staff
// member, and the rows before an id (the cursor).
type AuditQuery struct {
	Entity, EntityID string
	StaffID          int64
	BeforeID         int64
	Limit            int
}

// AuditEntries lists the audit (admin changes and staff reads of citizens' data).
func (s *Store) AuditEntries(ctx context.Context, q AuditQuery) ([]AdminAuditEntry, error) {
	query := `SELECT id, staff_id, action, entity, entity_id, changes, request_id, at FROM admin_audit WHERE TRUE`
	var args []any
	for _, c := range []struct {
		set   bool
		where string
		arg   any
	}{{q.Entity != "", ` AND entity = ?`, q.Entity}, {q.EntityID != "", ` AND entity_id = ?`, q.EntityID},
		{q.StaffID != 0, ` AND staff_id = ?`, q.StaffID}, {q.BeforeID != 0, ` AND id < ?`, q.BeforeID}} {
		if c.set {
			query, args = query+c.where, append(args, c.arg)
		}
	}
	var out []AdminAuditEntry
	if err := s.db.SelectContext(ctx, &out, query+` ORDER BY id DESC LIMIT ?`, append(args, q.Limit)...); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}
