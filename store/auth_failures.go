package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"occonnect/domain"
)

// LockedUntil returns the end of the current lock of a login key, or the zero time.
func (s *Store) LockedUntil(ctx context.Context, key []byte, now time.Time) (time.Time, error) {
	var until sql.NullTime
	err := s.db.GetContext(ctx, &until, `SELECT locked_until FROM auth_failures WHERE subject_key = ?`, key)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (!until.Valid || !until.Time.After(now))) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("read lock: %w", err)
	}
	return until.Time, nil
}

// RecordFailure counts a failed attempt. The MaxConsecutiveFailures-th one locks the key
// for domain.LockDuration(locks) and returns the end of that lock.
func (s *Store) RecordFailure(ctx context.Context, key []byte, now time.Time) (time.Time, error) {
	var until time.Time
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		until = time.Time{}
		// ON DUPLICATE KEY UPDATE locks the row exclusively at once (see Enroll).
		if _, err := tx.ExecContext(ctx, `INSERT INTO auth_failures (subject_key, failures, locks, updated_at)
			VALUES (?, 0, 0, ?) ON DUPLICATE KEY UPDATE subject_key = subject_key`, key, now); err != nil {
			return fmt.Errorf("insert failure row: %w", err)
		}
		var row struct {
			Failures int `db:"failures"`
			Locks    int `db:"locks"`
		}
		if err := tx.GetContext(ctx, &row, `SELECT failures, locks FROM auth_failures WHERE subject_key = ? FOR UPDATE`, key); err != nil {
			return fmt.Errorf("lock failure row: %w", err)
		}
		row.Failures++
		var lockedUntil sql.NullTime
		if row.Failures >= domain.MaxConsecutiveFailures {
			row.Locks++
			row.Failures = 0
			until = now.Add(domain.LockDuration(row.Locks))
			lockedUntil = sql.NullTime{Time: until, Valid: true}
		}
		_, err := tx.ExecContext(ctx, `UPDATE auth_failures SET failures = ?, locks = ?,
			locked_until = COALESCE(?, locked_until), updated_at = ? WHERE subject_key = ?`,
			row.Failures, row.Locks, lockedUntil, now, key)
		return err
	})
	return until, err
}

// ResetFailures forgets the failures and locks of a key after a successful login.
func (s *Store) ResetFailures(ctx context.Context, key []byte) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM auth_failures WHERE subject_key = ?`, key)
	if err != nil {
		return fmt.Errorf("reset failures: %w", err)
	}
	return nil
}
