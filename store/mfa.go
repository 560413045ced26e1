package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
)

// StaffMFA is a staff member's second factor: the sealed TOTP secret, whether the
// enrolment was confirmed, and the last time step used.
type StaffMFA struct {
	StaffID      int64        `db:"staff_id"`
	SecretSealed string       `db:"secret_sealed"`
	ConfirmedAt  sql.NullTime `db:"confirmed_at"`
	LastStep     int64        `db:"last_step"`
	CreatedAt    time.Time    `db:"created_at"`
}

// Confirmed says whether the second factor is enrolled (its first code was given).
func (m StaffMFA) Confirmed() bool { return m.ConfirmedAt.Valid }

// MFAOf reads a staff member's second factor; ErrNotFound when none was started.
func (s *Store) MFAOf(ctx context.Context, staffID int64) (StaffMFA, error) {
	var m StaffMFA
	err := s.db.GetContext(ctx, &m, `SELECT staff_id, secret_sealed, confirmed_at, last_step, created_at
		FROM staff_mfa WHERE staff_id = ?`, staffID)
	return m, notFound(err)
}

// StartMFAEnrolment stores a sealed secret waiting for its first code, unless the staff
// member already has one (pending or confirmed), and returns the row that holds.
func (s *Store) StartMFAEnrolment(ctx context.Context, staffID int64, sealed string, now time.Time) (StaffMFA, error) {
	if _, err := s.db.ExecContext(ctx, `INSERT IGNORE INTO staff_mfa (staff_id, secret_sealed, created_at) VALUES (?, ?, ?)`,
		staffID, sealed, now); err != nil {
		return StaffMFA{}, fmt.Errorf("start MFA enrolment: %w", err)
	}
	return s.MFAOf(ctx, staffID)
}

// SetMFA enrols a confirmed second factor with a sealed secret, replacing any and its
// recovery codes (the demo data's seeding; staff enrol through the sign-in).
func (s *Store) SetMFA(ctx context.Context, staffID int64, sealed string, now time.Time) error {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO staff_mfa (staff_id, secret_sealed, confirmed_at, created_at) VALUES (?, ?, ?, ?)
			ON DUPLICATE KEY UPDATE secret_sealed = VALUES(secret_sealed), confirmed_at = VALUES(confirmed_at), last_step = 0`,
			staffID, sealed, now, now); err != nil {
			return err
		}
		return replaceRecoveryCodes(ctx, tx, staffID, nil)
	})
	if err != nil {
		return fmt.Errorf("set MFA: %w", err)
	}
	return nil
}

// ConfirmMFA confirms a pending enrolment with the step of its first code and stores the
// recovery codes' hashes (replacing any). false when it was confirmed already (a
// concurrent confirmation won).
func (s *Store) ConfirmMFA(ctx context.Context, staffID, step int64, recoveryHashes [][]byte, now time.Time) (bool, error) {
	var ok bool
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE staff_mfa SET confirmed_at = ?, last_step = ?
			WHERE staff_id = ? AND confirmed_at IS NULL`, now, step, staffID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil
		}
		ok = true
		return replaceRecoveryCodes(ctx, tx, staffID, recoveryHashes)
	})
	if err != nil {
		return false, fmt.Errorf("confirm MFA: %w", err)
	}
	return ok, nil
}

func replaceRecoveryCodes(ctx context.Context, tx *sqlx.Tx, staffID int64, hashes [][]byte) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM staff_recovery_codes WHERE staff_id = ?`, staffID); err != nil {
		return err
	}
	for _, h := range hashes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO staff_recovery_codes (staff_id, code_hash) VALUES (?, ?)`, staffID, h); err != nil {
			return err
		}
	}
	return nil
}

// UseTOTPStep records step as used if it is later than the last one: true once, false
// for a step (or an earlier one) already used, whoever used it first.
func (s *Store) UseTOTPStep(ctx context.Context, staffID, step int64) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE staff_mfa SET last_step = ?
		WHERE staff_id = ? AND confirmed_at IS NOT NULL AND last_step < ?`, step, staffID, step)
	if err != nil {
		return false, fmt.Errorf("use TOTP step: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// UseRecoveryCode spends an unused recovery code: true once.
func (s *Store) UseRecoveryCode(ctx context.Context, staffID int64, hash []byte, now time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE staff_recovery_codes SET used_at = ?
		WHERE staff_id = ? AND code_hash = ? AND used_at IS NULL`, now, staffID, hash)
	if err != nil {
		return false, fmt.Errorf("use recovery code: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// RecoveryCodesLeft counts a staff member's unused recovery codes.
func (s *Store) RecoveryCodesLeft(ctx context.Context, staffID int64) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM staff_recovery_codes WHERE staff_id = ? AND used_at IS NULL`, staffID)
	return n, err
}

// ResetMFA removes a staff member's second factor, recovery codes and open challenges (a
// lost phone): the next sign-in enrols again. Audited as staff.mfa_reset by `by`. false
// when there was none.
func (s *Store) ResetMFA(ctx context.Context, staffID int64, at time.Time, by AdminActor) (bool, error) {
	var removed bool
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM staff_mfa WHERE staff_id = ?`, staffID)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		removed = n == 1
		if _, err := tx.ExecContext(ctx, `DELETE FROM staff_recovery_codes WHERE staff_id = ?`, staffID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM staff_mfa_challenges WHERE staff_id = ?`, staffID); err != nil {
			return err
		}
		return s.RecordAdminChange(ctx, tx, AdminChange{StaffID: by.StaffID, Action: AuditStaffMFAReset, Entity: auditEntityStaff,
			EntityID: strconv.FormatInt(staffID, 10), Changes: map[string]bool{"second_factor_removed": removed}, RequestID: by.RequestID, At: at})
	})
	if err != nil {
		return false, fmt.Errorf("reset MFA: %w", err)
	}
	return removed, nil
}

// MFAChallenge is a verified password waiting for its second factor.
type MFAChallenge struct {
	TokenHash []byte       `db:"token_hash"`
	StaffID   int64        `db:"staff_id"`
	SourceKey []byte       `db:"source_key"`
	Attempts  int          `db:"attempts"`
	CreatedAt time.Time    `db:"created_at"`
	ExpiresAt time.Time    `db:"expires_at"`
	UsedAt    sql.NullTime `db:"used_at"`
}

// CreateMFAChallenge stores a challenge.
func (s *Store) CreateMFAChallenge(ctx context.Context, c MFAChallenge) error {
	if c.SourceKey == nil {
		c.SourceKey = []byte{}
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO staff_mfa_challenges (token_hash, staff_id, source_key, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?)`, c.TokenHash, c.StaffID, c.SourceKey, c.CreatedAt, c.ExpiresAt)
	if err != nil {
		return fmt.Errorf("create MFA challenge: %w", err)
	}
	return nil
}

// MFAChallengeByHash reads a challenge.
func (s *Store) MFAChallengeByHash(ctx context.Context, hash []byte) (MFAChallenge, error) {
	var c MFAChallenge
	err := s.db.GetContext(ctx, &c, `SELECT token_hash, staff_id, source_key, attempts, created_at, expires_at, used_at
		FROM staff_mfa_challenges WHERE token_hash = ?`, hash)
	return c, notFound(err)
}

// FailMFAChallenge counts a wrong code against a challenge and returns the attempts.
func (s *Store) FailMFAChallenge(ctx context.Context, hash []byte) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE staff_mfa_challenges SET attempts = attempts + 1 WHERE token_hash = ?`, hash); err != nil {
			return err
		}
		return tx.GetContext(ctx, &n, `SELECT attempts FROM staff_mfa_challenges WHERE token_hash = ?`, hash)
	})
	return n, err
}

// UseMFAChallenge spends a challenge: true once, while it is unexpired and has fewer
// than maxAttempts failures.
func (s *Store) UseMFAChallenge(ctx context.Context, hash []byte, maxAttempts int, now time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE staff_mfa_challenges SET used_at = ?
		WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? AND attempts < ?`, now, hash, now, maxAttempts)
	if err != nil {
		return false, fmt.Errorf("use MFA challenge: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
