package store

import (
	"context"
	"database/sql"
	"fmt"
	"occonnect/domain"
	"time"
)

// Staff is a back-office account.
type Staff struct {
	ID                 int64          `db:"id"`
	Email              string         `db:"email"`
	Role               domain.Role    `db:"role"`
	ExchangePointCode  sql.NullString `db:"exchange_point_code"`
	PasswordHash       string         `db:"password_hash"`
	MustChangePassword bool           `db:"must_change_password"`
	PasswordExpiresAt  sql.NullTime   `db:"password_expires_at"`
	Disabled           bool           `db:"disabled"`
	CreatedAt          time.Time      `db:"created_at"`
}

const staffColumns = `id, email, role, exchange_point_code, password_hash, must_change_password,
	password_expires_at, disabled, created_at`

// CreateStaff inserts a staff account with an initial (must-change) password hash.
// A taken e-mail gives ErrDuplicate.
func (s *Store) CreateStaff(ctx context.Context, st Staff) (int64, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO staff
		(email, role, exchange_point_code, password_hash, must_change_password, password_expires_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		st.Email, st.Role, st.ExchangePointCode, st.PasswordHash, st.MustChangePassword, st.PasswordExpiresAt, st.CreatedAt)
	if isMySQLError(err, errDupEntry) {
		return 0, ErrDuplicate
	}
	if err != nil {
		return 0, fmt.Errorf("insert staff: %w", err)
	}
	return res.LastInsertId()
}

// UpsertStaff creates the account or, when the e-mail exists, resets its role, exchange
// point and password (used by the demo seed).
func (s *Store) UpsertStaff(ctx context.Context, st Staff) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO staff
		(email, role, exchange_point_code, password_hash, must_change_password, password_expires_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON DUPLICATE KEY UPDATE role = VALUES(role), exchange_point_code = VALUES(exchange_point_code),
			password_hash = VALUES(password_hash), must_change_password = VALUES(must_change_password),
			password_expires_at = VALUES(password_expires_at), disabled = FALSE`,
		st.Email, st.Role, st.ExchangePointCode, st.PasswordHash, st.MustChangePassword, st.PasswordExpiresAt, st.CreatedAt)
	if err != nil {
		return fmt.Errorf("upsert staff: %w", err)
	}
	return nil
}

// StaffByEmail finds an account by its (lower-cased) e-mail.
func (s *Store) StaffByEmail(ctx context.Context, email string) (Staff, error) {
	var st Staff
	err := s.db.GetContext(ctx, &st, `SELECT `+staffColumns+` FROM staff WHERE email = ?`, email)
	return st, notFound(err)
}

// StaffByID finds an account by id.
func (s *Store) StaffByID(ctx context.Context, id int64) (Staff, error) {
	var st Staff
	err := s.db.GetContext(ctx, &st, `SELECT `+staffColumns+` FROM staff WHERE id = ?`, id)
	return st, notFound(err)
}

// SetStaffPassword stores a password the staff member chose, which ends the must-change
// state.
func (s *Store) SetStaffPassword(ctx context.Context, id int64, hash string, now time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE staff SET password_hash = ?, must_change_password = FALSE,
		password_expires_at = NULL, password_changed_at = ? WHERE id = ?`, hash, now, id)
	if err != nil {
		return fmt.Errorf("set staff password: %w", err)
	}
	return nil
}
