package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"time"
)

// IdempotentResponse is the stored first answer to an Idempotency-Key.
type IdempotentResponse struct {
	StatusCode  int
	ContentType string
	Body        []byte
}

// IdempotencyTakeover is how long a key may stay in progress before a retry takes it over:
// longer than any request runs (the API's write timeout is 30 s, its Temporal calls 20 s).
const IdempotencyTakeover = 45 * time.Second

// BeginIdempotent claims (scope, key) for a request whose body hashes to reqHash. It returns
// the stored response when the same request already completed; ErrIdempotencyMismatch for
// another body; ErrIdempotencyInProgress while the first one runs; (nil, nil) when the
// caller now owns the key and must call CompleteIdempotent or ReleaseIdempotent.
func (s *Store) BeginIdempotent(ctx context.Context, scope, key string, reqHash []byte, now time.Time) (*IdempotentResponse, error) {
	res, err := s.db.ExecContext(ctx, `INSERT IGNORE INTO idempotency_keys (scope, idem_key, request_hash, created_at)
		VALUES (?, ?, ?, ?)`, scope, key, reqHash, now)
	if err != nil {
		return nil, fmt.Errorf("claim idempotency key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil, nil
	}
	var row struct {
		RequestHash []byte         `db:"request_hash"`
		StatusCode  sql.NullInt64  `db:"status_code"`
		ContentType sql.NullString `db:"content_type"`
		Body        []byte         `db:"body"`
		CreatedAt   time.Time      `db:"created_at"`
	}
	if err := s.db.GetContext(ctx, &row, `SELECT request_hash, status_code, content_type, body, created_at
		FROM idempotency_keys WHERE scope = ? AND idem_key = ?`, scope, key); err != nil {
		return nil, fmt.Errorf("read idempotency key: %w", notFound(err))
	}
	if !bytes.Equal(row.RequestHash, reqHash) {
		return nil, ErrIdempotencyMismatch
	}
	if !row.StatusCode.Valid {
		// A key still in progress long after any request could have ended was left by a
		// request that lost its connection before storing its answer or releasing the key:
		// the first retry takes it over (the handlers are idempotent themselves: ledger
		// operation keys, one open enrollment per CIN). Compare-and-set, so one retry wins.
		if now.Sub(row.CreatedAt) < IdempotencyTakeover {
			return nil, ErrIdempotencyInProgress
		}
		res, err := s.db.ExecContext(ctx, `UPDATE idempotency_keys SET created_at = ?
			WHERE scope = ? AND idem_key = ? AND status_code IS NULL AND created_at = ?`, now, scope, key, row.CreatedAt)
		if err != nil {
			return nil, fmt.Errorf("take over idempotency key: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil, ErrIdempotencyInProgress
		}
		return nil, nil
	}
	return &IdempotentResponse{StatusCode: int(row.StatusCode.Int64), ContentType: row.ContentType.String, Body: row.Body}, nil
}

// CompleteIdempotent stores the answer to replay.
func (s *Store) CompleteIdempotent(ctx context.Context, scope, key string, r IdempotentResponse) error {
	_, err := s.db.ExecContext(ctx, `UPDATE idempotency_keys SET status_code = ?, content_type = ?, body = ?
		WHERE scope = ? AND idem_key = ?`, r.StatusCode, r.ContentType, r.Body, scope, key)
	if err != nil {
		return fmt.Errorf("store idempotent response: %w", err)
	}
	return nil
}

// ReleaseIdempotent forgets a key whose request failed in a way worth retrying.
func (s *Store) ReleaseIdempotent(ctx context.Context, scope, key string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE scope = ? AND idem_key = ? AND status_code IS NULL`, scope, key)
	if err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}
