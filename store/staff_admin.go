package store

import (
	"context"
	"errors"
	"fmt"
	"occonnect/domain"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
)

// ErrStaffDisabled: the staff account is disabled (no password is re-issued to it).
var ErrStaffDisabled = errors.New("staff account disabled")

// AdminActor is who makes an admin change, for its audit row: the admin's staff id (0 for
// the command line) and the request id.
type AdminActor struct {
	StaffID   int64
	RequestID string
}

// Admin audit actions and entity of the staff accounts.
const (
	AuditStaffCreate          = "staff.create"
	AuditStaffDisable         = "staff.disable"
	AuditStaffEnable          = "staff.enable"
	AuditStaffReissuePassword = "staff.reissue_password"
	AuditStaffUnlock          = "staff.unlock"
	AuditStaffMFAReset        = "staff.mfa_reset"
	auditEntityStaff          = "staff"
)

// StaffFilter selects accounts for ListStaff.
type StaffFilter struct {
	Role    domain.Role // "" for every role
	AfterID int64       // the cursor: only accounts with a larger id
	Limit   int
}

// ListStaff lists accounts by id (oldest first).
func (s *Store) ListStaff(ctx context.Context, f StaffFilter) ([]Staff, error) {
	q := `SELECT ` + staffColumns + ` FROM staff WHERE id > ?`
	args := []any{f.AfterID}
	if f.Role != "" {
		q += ` AND role = ?`
		args = append(args, f.Role)
	}
	q += ` ORDER BY id LIMIT ?`
	args = append(args, f.Limit)
	var out []Staff
	if err := s.db.SelectContext(ctx, &out, q, args...); err != nil {
		return nil, fmt.Errorf("list staff: %w", err)
	}
	return out, nil
}

// CreateStaffAudited inserts an account, like CreateStaff, with its staff.create audit row
// in the same transaction. A taken e-mail gives ErrDuplicate.
func (s *Store) CreateStaffAudited(ctx context.Context, st Staff, by AdminActor) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO staff
			(email, role, exchange_point_code, password_hash, must_change_password, password_expires_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			st.Email, st.Role, st.ExchangePointCode, st.PasswordHash, st.MustChangePassword, st.PasswordExpiresAt, st.CreatedAt)
		if isMySQLError(err, errDupEntry) {
			return ErrDuplicate
		}
		if err != nil {
			return fmt.Errorf("insert staff: %w", err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		// The e-mail address is the account's login, not a secret: the audit keeps it so
		// that the row says whose account was created. The password and its hash are
		// never written here.
		changes := map[string]any{
			"email":                st.Email,
			"role":                 st.Role,
			"exchange_point_code":  staffAuditString(st.ExchangePointCode.String, st.ExchangePointCode.Valid),
			"must_change_password": st.MustChangePassword,
			"password_expires_at":  staffAuditTime(st.PasswordExpiresAt.Time, st.PasswordExpiresAt.Valid),
		}
		return s.RecordAdminChange(ctx, tx, staffAuditChange(by, AuditStaffCreate, id, changes, st.CreatedAt))
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}

// SetStaffDisabled disables or enables an account and returns it as it now is. Disabling
// also revokes every session of the account; the change, the revocation and the audit row
// (staff.disable or staff.enable) commit together. Setting the state the account already
// has changes nothing and writes no audit row (unless disabling still revoked a session).
// An unknown id gives ErrNotFound.
func (s *Store) SetStaffDisabled(ctx context.Context, id int64, disabled bool, now time.Time, by AdminActor) (Staff, error) {
	var st Staff
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &st, `SELECT `+staffColumns+` FROM staff WHERE id = ? FOR UPDATE`, id); err != nil {
			return notFound(err)
		}
		was := st.Disabled
		if was != disabled {
			if _, err := tx.ExecContext(ctx, `UPDATE staff SET disabled = ? WHERE id = ?`, disabled, id); err != nil {
				return fmt.Errorf("set staff disabled: %w", err)
			}
			st.Disabled = disabled
		}
		var revoked int64
		if disabled {
			var err error
			if revoked, err = revokeStaffSessions(ctx, tx, id, now); err != nil {
				return err
			}
		}
		if was == disabled && revoked == 0 {
			return nil
		}
		action := AuditStaffEnable
		changes := map[string]any{"disabled": map[string]bool{"from": was, "to": disabled}}
		if disabled {
			action = AuditStaffDisable
			changes["sessions_revoked"] = revoked
		}
		return s.RecordAdminChange(ctx, tx, staffAuditChange(by, action, id, changes, now))
	})
	if err != nil {
		return Staff{}, err
	}
	return st, nil
}

// ReissueStaffPassword replaces an account's password hash with that of a new one-time
// password valid until expires (to be changed at the next login), so that the old
// password stops working at once, revokes every session of the account and writes the
// staff.reissue_password audit row (without the password or its hash), in one transaction.
// It returns the account as it now is. An unknown id gives ErrNotFound, a disabled account
// ErrStaffDisabled.
func (s *Store) ReissueStaffPassword(ctx context.Context, id int64, hash string, expires, now time.Time, by AdminActor) (Staff, error) {
	var st Staff
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &st, `SELECT `+staffColumns+` FROM staff WHERE id = ? FOR UPDATE`, id); err != nil {
			return notFound(err)
		}
		if st.Disabled {
			return ErrStaffDisabled
		}
		if _, err := tx.ExecContext(ctx, `UPDATE staff SET password_hash = ?, must_change_password = TRUE,
			password_expires_at = ? WHERE id = ?`, hash, expires, id); err != nil {
			return fmt.Errorf("reissue staff password: %w", err)
		}
		st.PasswordHash, st.MustChangePassword = hash, true
		st.PasswordExpiresAt.Time, st.PasswordExpiresAt.Valid = expires, true
		revoked, err := revokeStaffSessions(ctx, tx, id, now)
		if err != nil {
			return err
		}
		changes := map[string]any{
			"must_change_password": true,
			"password_expires_at":  expires,
			"sessions_revoked":     revoked,
		}
		return s.RecordAdminChange(ctx, tx, staffAuditChange(by, AuditStaffReissuePassword, id, changes, now))
	})
	if err != nil {
		return Staff{}, err
	}
	return st, nil
}

// revokeStaffSessions ends every live session of a staff account; it returns how many.
func revokeStaffSessions(ctx context.Context, tx *sqlx.Tx, id int64, now time.Time) (int64, error) {
	res, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = ?
		WHERE subject_kind = ? AND subject_id = ? AND revoked_at IS NULL`, now, domain.SubjectStaff, id)
	if err != nil {
		return 0, fmt.Errorf("revoke staff sessions: %w", err)
	}
	return res.RowsAffected()
}

func staffAuditChange(by AdminActor, action string, id int64, changes any, at time.Time) AdminChange {
	return AdminChange{StaffID: by.StaffID, Action: action, Entity: auditEntityStaff, EntityID: strconv.FormatInt(id, 10),
		Changes: changes, RequestID: by.RequestID, At: at}
}

func staffAuditString(s string, valid bool) *string {
	if !valid {
		return nil
	}
	return &s
}

func staffAuditTime(t time.Time, valid bool) *time.Time {
	if !valid {
		return nil
	}
	return &t
}
