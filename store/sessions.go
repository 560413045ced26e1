package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/oklog/ulid/v2"

	"occonnect/domain"
)

// Session is a bearer token's server side; only the token's SHA-256 is stored.
type Session struct {
	TokenHash   []byte              `db:"token_hash"`
	SubjectKind domain.SubjectKind  `db:"subject_kind"`
	SubjectID   int64               `db:"subject_id"`
	Scope       domain.SessionScope `db:"scope"`
	CreatedAt   time.Time           `db:"created_at"`
	LastSeenAt  time.Time           `db:"last_seen_at"`
	ExpiresAt   time.Time           `db:"expires_at"`
	RevokedAt   sql.NullTime        `db:"revoked_at"`
	// PublicID names the session to its owner (GET /me/sessions): never the token or its
	// hash. Read by LiveSessions only; CreateSession makes one when it is empty.
	PublicID string `db:"public_id"`
	// UserAgent is a summary of the client that opened the session ("" when unknown);
	// read by LiveSessions only.
	UserAgent string `db:"user_agent"`
}

// CreateSession stores a new session, with a new public id when se has none.
func (s *Store) CreateSession(ctx context.Context, se Session) error {
	if se.PublicID == "" {
		se.PublicID = ulid.Make().String()
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO sessions
		(token_hash, subject_kind, subject_id, scope, created_at, last_seen_at, expires_at, public_id, user_agent)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, se.TokenHash, se.SubjectKind, se.SubjectID, se.Scope, se.CreatedAt, se.LastSeenAt,
		se.ExpiresAt, se.PublicID, nullString(se.UserAgent))
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// LiveSessions are the subject's sessions still in use at now: not revoked, not expired,
// last seen at seenSince or later (the idle limit); newest first. A session without a
// public id (opened before migration 00012, or by an older binary) is given one here.
func (s *Store) LiveSessions(ctx context.Context, kind domain.SubjectKind, subjectID int64, now, seenSince time.Time) ([]Session, error) {
	if _, err := s.db.ExecContext(ctx, `UPDATE sessions SET public_id = LEFT(HEX(RANDOM_BYTES(13)), 26)
		WHERE subject_kind = ? AND subject_id = ? AND public_id IS NULL`, kind, subjectID); err != nil {
		return nil, fmt.Errorf("name sessions: %w", err)
	}
	out := []Session{}
	err := s.db.SelectContext(ctx, &out, `SELECT token_hash, subject_kind, subject_id, scope, created_at, last_seen_at,
		expires_at, revoked_at, public_id, COALESCE(user_agent, '') AS user_agent
		FROM sessions
		WHERE subject_kind = ? AND subject_id = ? AND revoked_at IS NULL AND expires_at > ? AND last_seen_at >= ?
			AND public_id IS NOT NULL
		ORDER BY created_at DESC, public_id DESC`, kind, subjectID, now, seenSince)
	if err != nil {
		return nil, fmt.Errorf("live sessions: %w", err)
	}
	return out, nil
}

// RevokeLiveSession ends the subject's live session (as LiveSessions says) named by its
// public id; false when the subject has no such live session.
func (s *Store) RevokeLiveSession(ctx context.Context, kind domain.SubjectKind, subjectID int64, publicID string, now, seenSince time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE sessions SET revoked_at = ?
		WHERE subject_kind = ? AND subject_id = ? AND public_id = ? AND revoked_at IS NULL AND expires_at > ? AND last_seen_at >= ?`,
		now, kind, subjectID, publicID, now, seenSince)
	if err != nil {
		return false, fmt.Errorf("revoke session: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("revoke session: %w", err)
	}
	return n > 0, nil
}

// SessionByHash reads a session by token hash.
func (s *Store) SessionByHash(ctx context.Context, hash []byte) (Session, error) {
	var se Session
	err := s.db.GetContext(ctx, &se, `SELECT token_hash, subject_kind, subject_id, scope, created_at, last_seen_at,
		expires_at, revoked_at FROM sessions WHERE token_hash = ?`, hash)
	return se, notFound(err)
}

// TouchSession moves the idle deadline.
func (s *Store) TouchSession(ctx context.Context, hash []byte, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?`, at, hash)
	return err
}

// RevokeSession ends one session (logout).
func (s *Store) RevokeSession(ctx context.Context, hash []byte, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL`, at, hash)
	if err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	return nil
}

// RevokeOtherSessions ends every session of the subject but keep (after a password change)
// and widens keep to full scope.
func (s *Store) RevokeOtherSessions(ctx context.Context, kind domain.SubjectKind, subjectID int64, keep []byte, at time.Time) error {
	if _, err := s.RevokeSessionsExcept(ctx, kind, subjectID, keep, at); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE sessions SET scope = ?, last_seen_at = ? WHERE token_hash = ?`, domain.ScopeFull, at, keep); err != nil {
		return fmt.Errorf("widen session: %w", err)
	}
	return nil
}

// RevokeSessionsExcept ends every session of the subject but keep (DELETE /me/sessions),
// and says how many it ended.
func (s *Store) RevokeSessionsExcept(ctx context.Context, kind domain.SubjectKind, subjectID int64, keep []byte, at time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE sessions SET revoked_at = ?
		WHERE subject_kind = ? AND subject_id = ? AND token_hash <> ? AND revoked_at IS NULL`, at, kind, subjectID, keep)
	if err != nil {
		return 0, fmt.Errorf("revoke sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("revoke sessions: %w", err)
	}
	return n, nil
}

// The app polls GET /me/enrollment and GET /me/allowances. Their queries below also read
// the bearer token's session, so that a poll costs one round trip to MySQL instead of two
// (session, then data); the API checks the session exactly as for any other route before it
// uses the data. ErrNotFound means no such session.

const sessionColumns = `se.token_hash, se.subject_kind, se.subject_id, se.scope, se.created_at, se.last_seen_at,
	se.expires_at, se.revoked_at`

// SessionLatestEnrollment is SessionByHash and, for a citizen's session, LatestEnrollment
// with its EnrollmentSteps, in one query. The enrollment's ID is empty when the citizen
// has none (or the session is not a citizen's).
func (s *Store) SessionLatestEnrollment(ctx context.Context, hash []byte) (Session, Enrollment, []Step, error) {
	var rows []struct {
		Session
		EnrollmentID      sql.NullString `db:"e_id"`
		CitizenID         sql.NullInt64  `db:"e_citizen_id"`
		Status            sql.NullString `db:"e_status"`
		AgentStaffID      sql.NullInt64  `db:"e_agent_staff_id"`
		ExchangePointCode sql.NullString `db:"e_exchange_point_code"`
		CredentialsIssued sql.NullInt64  `db:"e_credentials_issued"`
		CreatedAt         sql.NullTime   `db:"e_created_at"`
		UpdatedAt         sql.NullTime   `db:"e_updated_at"`
		StepName          sql.NullString `db:"step_name"`
		StepAt            sql.NullTime   `db:"step_at"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT `+sessionColumns+`,
		e.id AS e_id, e.citizen_id AS e_citizen_id, e.status AS e_status, e.agent_staff_id AS e_agent_staff_id,
		e.exchange_point_code AS e_exchange_point_code, e.credentials_issued AS e_credentials_issued,
		e.created_at AS e_created_at, e.updated_at AS e_updated_at, st.name AS step_name, st.at AS step_at
		FROM sessions se
		LEFT JOIN enrollments e ON se.subject_kind = 'citizen' AND e.id = (SELECT id FROM enrollments
			WHERE citizen_id = se.subject_id ORDER BY created_at DESC, id DESC LIMIT 1)
		LEFT JOIN enrollment_steps st ON st.enrollment_id = e.id
		WHERE se.token_hash = ?
		ORDER BY st.at, st.id`, hash)
	if err != nil {
		return Session{}, Enrollment{}, nil, fmt.Errorf("session and enrollment: %w", err)
	}
	if len(rows) == 0 {
		return Session{}, Enrollment{}, nil, ErrNotFound
	}
	r := rows[0]
	if !r.EnrollmentID.Valid {
		return r.Session, Enrollment{}, nil, nil
	}
	e := Enrollment{ID: r.EnrollmentID.String, CitizenID: r.CitizenID.Int64, Status: domain.EnrollmentStatus(r.Status.String),
		AgentStaffID: r.AgentStaffID.Int64, ExchangePointCode: r.ExchangePointCode,
		CredentialsIssued: int(r.CredentialsIssued.Int64), CreatedAt: r.CreatedAt.Time, UpdatedAt: r.UpdatedAt.Time}
	steps := make([]Step, 0, len(rows))
	for _, r := range rows {
		if r.StepName.Valid {
			steps = append(steps, Step{Name: r.StepName.String, At: r.StepAt.Time})
		}
	}
	return r.Session, e, steps, nil
}

// SessionBalances is SessionByHash and, for a citizen's session, Balances for the year, in
// one query. ErrNoRules when the year has no rules.
func (s *Store) SessionBalances(ctx context.Context, hash []byte, year int) (Session, []Balance, error) {
	var rows []struct {
		Session
		Year             sql.NullInt64  `db:"year"`
		Type             sql.NullString `db:"type"`
		Edition          sql.NullString `db:"edition"`
		EntitlementMAD   sql.NullInt64  `db:"entitlement_mad"`
		RateBP           sql.NullInt64  `db:"rate_bp"`
		CapTotalMAD      sql.NullInt64  `db:"cap_total_mad"`
		LabelFR          sql.NullString `db:"label_fr"`
		LabelAR          sql.NullString `db:"label_ar"`
		UpdatedAt        sql.NullTime   `db:"updated_at"`
		UpdatedByStaffID sql.NullInt64  `db:"updated_by_staff_id"`
		Credited         int64          `db:"credited"`
		Debited          int64          `db:"debited"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT `+sessionColumns+`,
		r.year, r.type, r.edition, r.entitlement_mad, r.rate_bp, r.cap_total_mad,
		r.label_fr, r.label_ar, r.updated_at, r.updated_by_staff_id,
		COALESCE(SUM(IF(l.kind = 'credit', l.amount_mad, 0)), 0) AS credited,
		COALESCE(SUM(IF(l.kind = 'debit', l.amount_mad, 0)), 0) AS debited
		FROM sessions se
		LEFT JOIN allowance_rules r ON r.year = ?
		LEFT JOIN ledger_entries l ON se.subject_kind = 'citizen' AND l.citizen_id = se.subject_id
			AND l.year = r.year AND l.type = r.type
		WHERE se.token_hash = ?
		GROUP BY r.year, r.type
		ORDER BY FIELD(r.type, 'tourism', 'tourism_supplement', 'studies', 'hajj_omra', 'medical')`, year, hash)
	if err != nil {
		return Session{}, nil, fmt.Errorf("session and balances: %w", err)
	}
	if len(rows) == 0 {
		return Session{}, nil, ErrNotFound
	}
	if !rows[0].Type.Valid {
		return rows[0].Session, nil, ErrNoRules
	}
	out := make([]Balance, 0, len(rows))
	for _, r := range rows {
		out = append(out, Balance{Rule: AllowanceRule{Year: int(r.Year.Int64), Type: r.Type.String, Edition: r.Edition.String,
			EntitlementMAD: r.EntitlementMAD.Int64, RateBP: r.RateBP, CapTotalMAD: r.CapTotalMAD,
			LabelFR: r.LabelFR.String, LabelAR: r.LabelAR.String, UpdatedAt: r.UpdatedAt.Time, UpdatedByStaffID: r.UpdatedByStaffID},
			CreditedMAD: r.Credited, UsedMAD: r.Debited})
	}
	return rows[0].Session, out, nil
}
