package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"occonnect/domain"
)

// Failed sign-ins are counted against a subject key (the hash of a login name, or of a
// client address for the address's own budget) and a source key (the hash of the client
// address the failures came from; empty for none): each pair has its own count and lock
// (migrations/00009_lockout_sources.sql).

// LockedUntil returns the end of the current lock of a subject for a source, or the zero
// time.
func (s *Store) LockedUntil(ctx context.Context, key, source []byte, now time.Time) (time.Time, error) {
	var until sql.NullTime
	err := s.db.GetContext(ctx, &until, `SELECT locked_until FROM auth_failures WHERE subject_key = ? AND source_key = ?`,
		key, sourceKey(source))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (!until.Valid || !until.Time.After(now))) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("read lock: %w", err)
	}
	return until.Time, nil
}

// RecordFailure counts a failed attempt of a subject from a source under policy p: the
// count decays (a failure more than p.Quiet after the last one starts again from one, and
// the number of locks is forgotten after p.Forget without a failure), and the
// p.MaxFailures-th failure in a row locks the pair for p.Duration(locks), returning the
// end of that lock.
func (s *Store) RecordFailure(ctx context.Context, key, source []byte, now time.Time, p domain.LockPolicy) (time.Time, error) {
	var until time.Time
	src := sourceKey(source)
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		until = time.Time{}
		// ON DUPLICATE KEY UPDATE locks the row exclusively at once (see Enroll).
		if _, err := tx.ExecContext(ctx, `INSERT INTO auth_failures (subject_key, source_key, failures, locks, updated_at)
			VALUES (?, ?, 0, 0, ?) ON DUPLICATE KEY UPDATE subject_key = subject_key`, key, src, now); err != nil {
			return fmt.Errorf("insert failure row: %w", err)
		}
		var row struct {
			Failures  int       `db:"failures"`
			Locks     int       `db:"locks"`
			UpdatedAt time.Time `db:"updated_at"`
		}
		if err := tx.GetContext(ctx, &row, `SELECT failures, locks, updated_at FROM auth_failures
			WHERE subject_key = ? AND source_key = ? FOR UPDATE`, key, src); err != nil {
			return fmt.Errorf("lock failure row: %w", err)
		}
		quiet := now.Sub(row.UpdatedAt)
		if quiet >= p.Quiet {
			row.Failures = 0
		}
		if quiet >= p.Forget {
			row.Locks = 0
		}
		row.Failures++
		var lockedUntil sql.NullTime
		if row.Failures >= p.MaxFailures {
			row.Locks++
			row.Failures = 0
			until = now.Add(p.Duration(row.Locks))
			lockedUntil = sql.NullTime{Time: until, Valid: true}
		}
		_, err := tx.ExecContext(ctx, `UPDATE auth_failures SET failures = ?, locks = ?,
			locked_until = COALESCE(?, locked_until), updated_at = ? WHERE subject_key = ? AND source_key = ?`,
			row.Failures, row.Locks, lockedUntil, now, key, src)
		return err
	})
	return until, err
}

// ResetFailures forgets the failures and locks of a subject from one source, after a
// successful sign-in from it.
func (s *Store) ResetFailures(ctx context.Context, key, source []byte) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM auth_failures WHERE subject_key = ? AND source_key = ?`, key, sourceKey(source))
	if err != nil {
		return fmt.Errorf("reset failures: %w", err)
	}
	return nil
}

// Unlock forgets the failures and locks of a subject from every source and tells from how
// many sources it had failures.
func (s *Store) Unlock(ctx context.Context, key []byte) (int64, error) {
	return unlock(ctx, s.db, key)
}

func unlock(ctx context.Context, db sqlx.ExecerContext, key []byte) (int64, error) {
	res, err := db.ExecContext(ctx, `DELETE FROM auth_failures WHERE subject_key = ?`, key)
	if err != nil {
		return 0, fmt.Errorf("unlock: %w", err)
	}
	return res.RowsAffected()
}

// UnlockStaff is an admin's unlock of a staff account (key: its login key): every source
// forgotten, and the staff.unlock audit row by `by`, in one transaction.
func (s *Store) UnlockStaff(ctx context.Context, id int64, key []byte, at time.Time, by AdminActor) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if n, err = unlock(ctx, tx, key); err != nil {
			return err
		}
		return s.RecordAdminChange(ctx, tx, AdminChange{StaffID: by.StaffID, Action: AuditStaffUnlock, Entity: auditEntityStaff,
			EntityID: strconv.FormatInt(id, 10), Changes: map[string]int64{"sources_with_failures": n}, RequestID: by.RequestID, At: at})
	})
	return n, err
}

// sourceKey stores no source as the empty key.
func sourceKey(source []byte) []byte {
	if source == nil {
		return []byte{}
	}
	return source
}

// UpgradePasswordHash replaces the hash of a password just verified (oldHash) by newHash,
// made with the current parameters, unless the password changed meanwhile.
func (s *Store) UpgradePasswordHash(ctx context.Context, kind domain.SubjectKind, id int64, oldHash, newHash string) error {
	table := "citizens"
	if kind == domain.SubjectStaff {
		table = "staff"
	}
	_, err := s.db.ExecContext(ctx, `UPDATE `+table+` SET password_hash = ? WHERE id = ? AND password_hash = ?`, newHash, id, oldHash)
	if err != nil {
		return fmt.Errorf("upgrade password hash: %w", err)
	}
	return nil
}
