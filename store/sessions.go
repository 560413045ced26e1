package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Session kinds and scopes.
const (
	SubjectCitizen = "citizen"
	SubjectStaff   = "staff"

	ScopeFull           = "full"
	ScopePasswordChange = "password_change"
)

// Session is a bearer token's server side; only the token's SHA-256 is stored.
type Session struct {
	TokenHash   []byte       `db:"token_hash"`
	SubjectKind string       `db:"subject_kind"`
	SubjectID   int64        `db:"subject_id"`
	Scope       string       `db:"scope"`
	CreatedAt   time.Time    `db:"created_at"`
	LastSeenAt  time.Time    `db:"last_seen_at"`
	ExpiresAt   time.Time    `db:"expires_at"`
	RevokedAt   sql.NullTime `db:"revoked_at"`
}

// CreateSession stores a new session.
func (s *Store) CreateSession(ctx context.Context, se Session) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO sessions
		(token_hash, subject_kind, subject_id, scope, created_at, last_seen_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, se.TokenHash, se.SubjectKind, se.SubjectID, se.Scope, se.CreatedAt, se.LastSeenAt, se.ExpiresAt)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
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
func (s *Store) RevokeOtherSessions(ctx context.Context, kind string, subjectID int64, keep []byte, at time.Time) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE sessions SET revoked_at = ?
		WHERE subject_kind = ? AND subject_id = ? AND token_hash <> ? AND revoked_at IS NULL`, at, kind, subjectID, keep); err != nil {
		return fmt.Errorf("revoke sessions: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE sessions SET scope = ?, last_seen_at = ? WHERE token_hash = ?`, ScopeFull, at, keep); err != nil {
		return fmt.Errorf("widen session: %w", err)
	}
	return nil
}
