package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jmoiron/sqlx"
)

// TakeToken spends one token of the bucket (scope, key), a token bucket of burst tokens
// refilled at perSecond tokens a second, shared by every process on this database. With
// none left it spends nothing and returns how long until one is back; 0 means allowed.
// The bucket's row is locked for the transaction, so concurrent takes of one key are
// serialized; a new key starts full.
func (s *Store) TakeToken(ctx context.Context, scope string, key []byte, perSecond float64, burst int, now time.Time) (time.Duration, error) {
	if perSecond <= 0 || burst <= 0 {
		return 0, errors.New("take token: the rate and the burst must be positive")
	}
	var wait time.Duration
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		wait = 0
		if _, err := tx.ExecContext(ctx, `INSERT IGNORE INTO rate_limit_buckets (scope, bucket_key, tokens, updated_at)
			VALUES (?, ?, ?, ?)`, scope, key, float64(burst), now); err != nil {
			return fmt.Errorf("new bucket: %w", err)
		}
		var b struct {
			Tokens    float64   `db:"tokens"`
			UpdatedAt time.Time `db:"updated_at"`
		}
		if err := tx.GetContext(ctx, &b, `SELECT tokens, updated_at FROM rate_limit_buckets
			WHERE scope = ? AND bucket_key = ? FOR UPDATE`, scope, key); err != nil {
			return fmt.Errorf("read bucket: %w", err)
		}
		tokens := b.Tokens
		if elapsed := now.Sub(b.UpdatedAt); elapsed > 0 {
			tokens = math.Min(float64(burst), tokens+elapsed.Seconds()*perSecond)
		}
		at := now
		if now.Before(b.UpdatedAt) {
			at = b.UpdatedAt // another process's clock is ahead: never move the bucket back
		}
		if tokens < 1 {
			wait = time.Duration((1 - tokens) / perSecond * float64(time.Second))
		} else {
			tokens--
		}
		_, err := tx.ExecContext(ctx, `UPDATE rate_limit_buckets SET tokens = ?, updated_at = ?
			WHERE scope = ? AND bucket_key = ?`, tokens, at, scope, key)
		return err
	})
	return wait, err
}

// ForgetIdleBuckets deletes the buckets of scope unused since before: full again, they are
// the same as no row. It returns how many went.
func (s *Store) ForgetIdleBuckets(ctx context.Context, scope string, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM rate_limit_buckets WHERE scope = ? AND updated_at < ? LIMIT 1000`, scope, before)
	if err != nil {
		return 0, fmt.Errorf("forget idle buckets: %w", err)
	}
	return res.RowsAffected()
}
