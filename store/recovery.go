package store

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"occonnect/domain"
)

// RecoveryCode is a citizen's live password-recovery code (its hash).
type RecoveryCode struct {
	CitizenID int64        `db:"citizen_id"`
	CodeHash  []byte       `db:"code_hash"`
	Attempts  int          `db:"attempts"`
	CreatedAt time.Time    `db:"created_at"`
	ExpiresAt time.Time    `db:"expires_at"`
	UsedAt    sql.NullTime `db:"used_at"`
}

// PutRecoveryCode stores a citizen's new recovery code, replacing the previous one.
func (s *Store) PutRecoveryCode(ctx context.Context, c RecoveryCode) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO citizen_recovery_codes (citizen_id, code_hash, created_at, expires_at)
		VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE code_hash = VALUES(code_hash), attempts = 0,
		created_at = VALUES(created_at), expires_at = VALUES(expires_at), used_at = NULL`,
		c.CitizenID, c.CodeHash, c.CreatedAt, c.ExpiresAt)
	if err != nil {
		return fmt.Errorf("put recovery code: %w", err)
	}
	return nil
}

// ErrRecoveryCode: no live code matches (none, expired, used, burnt by maxAttempts wrong
// tries, or wrong: a wrong try is counted).
var ErrRecoveryCode = errors.New("no live recovery code matches")

// RecoveryReset is what a recovery changes: the new password's hash, and the login key
// whose failures are forgotten.
type RecoveryReset struct {
	CitizenID    int64
	CodeHash     []byte
	PasswordHash string
	LoginKey     []byte
	MaxAttempts  int
	At           time.Time
}

// CheckRecoveryCode tells whether hash is the citizen's live code, counting a wrong try;
// ErrRecoveryCode otherwise. It uses nothing: ResetByRecovery does.
func (s *Store) CheckRecoveryCode(ctx context.Context, citizenID int64, hash []byte, maxAttempts int, now time.Time) error {
	var refused error
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		err := liveRecoveryCode(ctx, tx, citizenID, hash, maxAttempts, now)
		if errors.Is(err, ErrRecoveryCode) {
			refused = err
			return nil // commit the counted try
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("check recovery code: %w", err)
	}
	return refused
}

// liveRecoveryCode locks the citizen's code and checks it, counting a wrong try (committed
// with the transaction: the caller's transaction must commit on ErrRecoveryCode).
func liveRecoveryCode(ctx context.Context, tx *sqlx.Tx, citizenID int64, hash []byte, maxAttempts int, now time.Time) error {
	var c RecoveryCode
	err := tx.GetContext(ctx, &c, `SELECT citizen_id, code_hash, attempts, created_at, expires_at, used_at
		FROM citizen_recovery_codes WHERE citizen_id = ? FOR UPDATE`, citizenID)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrRecoveryCode
	} else if err != nil {
		return err
	}
	if c.UsedAt.Valid || !now.Before(c.ExpiresAt) || c.Attempts >= maxAttempts {
		return ErrRecoveryCode
	}
	if subtle.ConstantTimeCompare(c.CodeHash, hash) != 1 {
		if _, err := tx.ExecContext(ctx, `UPDATE citizen_recovery_codes SET attempts = attempts + 1 WHERE citizen_id = ?`, citizenID); err != nil {
			return err
		}
		return ErrRecoveryCode
	}
	return nil
}

// ResetByRecovery spends the citizen's live code and, in the same transaction, sets the
// new password, revokes every session and forgets the sign-in failures of the login key
// from every source. ErrRecoveryCode (a wrong try counted) when the code is not live.
func (s *Store) ResetByRecovery(ctx context.Context, r RecoveryReset) error {
	var refused error
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := liveRecoveryCode(ctx, tx, r.CitizenID, r.CodeHash, r.MaxAttempts, r.At); errors.Is(err, ErrRecoveryCode) {
			refused = err
			return nil // commit the counted try
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE citizen_recovery_codes SET used_at = ? WHERE citizen_id = ?`, r.At, r.CitizenID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE citizens SET password_hash = ?, password_changed_at = ?
			WHERE id = ? AND status = 'active'`, r.PasswordHash, r.At, r.CitizenID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			refused = ErrRecoveryCode // no longer an active account
			return errors.New("rollback")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = ?
			WHERE subject_kind = ? AND subject_id = ? AND revoked_at IS NULL`, r.At, domain.SubjectCitizen, r.CitizenID); err != nil {
			return err
		}
		_, err = unlock(ctx, tx, r.LoginKey)
		return err
	})
	if refused != nil {
		return refused
	}
	if err != nil {
		return fmt.Errorf("reset by recovery: %w", err)
	}
	return nil
}

// RecoveryCodeOf reads a citizen's current recovery code (its hash and deadline).
func (s *Store) RecoveryCodeOf(ctx context.Context, citizenID int64) (RecoveryCode, error) {
	var c RecoveryCode
	err := s.db.GetContext(ctx, &c, `SELECT citizen_id, code_hash, attempts, created_at, expires_at, used_at
		FROM citizen_recovery_codes WHERE citizen_id = ?`, citizenID)
	return c, notFound(err)
}
