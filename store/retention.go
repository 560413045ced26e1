package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
)

// RetentionPolicy is how long the back office keeps what it no longer needs (law 09-08:
// personal data no longer than their purpose requires). Zero durations keep for ever.
type RetentionPolicy struct {
	Sessions       time.Duration // after a session expired or was revoked
	Idempotency    time.Duration // a stored answer to an Idempotency-Key
	OutboxBodies   time.Duration // an e-mail's bodies that were neither sent nor cancelled (sent or cancelled: erased at once)
	LapsedCitizens time.Duration // a never-activated citizen whose last enrollment lapsed
	ClosedTexts    time.Duration // the texts of a complaint closed or rejected that long ago
}

// RetentionCounts is what one retention run deleted or erased.
type RetentionCounts struct {
	Sessions, IdempotencyKeys, AuthFailures, RateLimitBuckets int64
	OutboxBodies, LapsedCitizens, ComplaintTexts              int64
}

// retentionBatch bounds one statement's rows, so that a first run on a large backlog
// never holds long locks: the next statement (or run) takes the next batch.
const retentionBatch = 5000

// ApplyRetention deletes and erases what p no longer keeps, as of now, batch by batch.
// Idempotent: a second run at the same time finds nothing more.
func (s *Store) ApplyRetention(ctx context.Context, p RetentionPolicy, now time.Time) (RetentionCounts, error) {
	var c RetentionCounts
	steps := []struct {
		n     *int64
		keep  time.Duration
		query string
		args  func(before time.Time) []any
	}{
		{&c.Sessions, p.Sessions, `DELETE FROM sessions WHERE expires_at < ? OR revoked_at < ? LIMIT ?`,
			func(b time.Time) []any { return []any{b, b} }},
		// The second factor's challenges and the recovery codes live minutes; counted with
		// the sessions.
		{&c.Sessions, p.Sessions, `DELETE FROM staff_mfa_challenges WHERE expires_at < ? LIMIT ?`,
			func(b time.Time) []any { return []any{b} }},
		{&c.Sessions, p.Sessions, `DELETE FROM citizen_recovery_codes WHERE expires_at < ? LIMIT ?`,
			func(b time.Time) []any { return []any{b} }},
		{&c.IdempotencyKeys, p.Idempotency, `DELETE FROM idempotency_keys WHERE created_at < ? LIMIT ?`,
			func(b time.Time) []any { return []any{b} }},
		// A failure count a quiet day old is forgotten anyway (domain.SourceLock.Forget).
		{&c.AuthFailures, 24 * time.Hour, `DELETE FROM auth_failures WHERE updated_at < ? AND (locked_until IS NULL OR locked_until < ?) LIMIT ?`,
			func(b time.Time) []any { return []any{b, now} }},
		// An idle bucket is a full one (ratelimit.Shared).
		{&c.RateLimitBuckets, 24 * time.Hour, `DELETE FROM rate_limit_buckets WHERE updated_at < ? LIMIT ?`,
			func(b time.Time) []any { return []any{b} }},
		{&c.OutboxBodies, p.OutboxBodies, `UPDATE email_outbox SET text_body = NULL, html_body = NULL
			WHERE (text_body IS NOT NULL OR html_body IS NOT NULL)
			AND (sent_at IS NOT NULL OR cancelled_at IS NOT NULL OR created_at < ?) LIMIT ?`,
			func(b time.Time) []any { return []any{b} }},
	}
	for _, st := range steps {
		if st.keep <= 0 {
			continue
		}
		n, err := s.batches(ctx, st.query, st.args(now.Add(-st.keep)))
		*st.n += n
		if err != nil {
			return c, err
		}
	}
	var err error
	if p.LapsedCitizens > 0 {
		if c.LapsedCitizens, err = s.anonymiseLapsedCitizens(ctx, now.Add(-p.LapsedCitizens)); err != nil {
			return c, err
		}
	}
	if p.ClosedTexts > 0 {
		if c.ComplaintTexts, err = s.eraseClosedComplaintTexts(ctx, now.Add(-p.ClosedTexts)); err != nil {
			return c, err
		}
	}
	return c, nil
}

// batches runs a statement ending in LIMIT ? until it touches fewer rows than a batch.
func (s *Store) batches(ctx context.Context, query string, args []any) (int64, error) {
	var total int64
	for {
		res, err := s.db.ExecContext(ctx, query, append(args, retentionBatch)...)
		if err != nil {
			return total, fmt.Errorf("retention: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
		if n < retentionBatch || ctx.Err() != nil {
			return total, ctx.Err()
		}
	}
}

// AnonymisedCINPrefix starts the CIN of an anonymised citizen (never a valid CIN).
const AnonymisedCINPrefix = "~"

// anonymiseLapsedCitizens replaces the identity of the citizens who never activated their
// account and whose every enrollment is closed, the last one lapsed before `before`: the
// row stays (the enrollments refer to it) but no longer names anybody, and the CIN is
// free to be enrolled again.
func (s *Store) anonymiseLapsedCitizens(ctx context.Context, before time.Time) (int64, error) {
	var ids []int64
	err := s.db.SelectContext(ctx, &ids, `SELECT c.id FROM citizens c
		WHERE c.status = 'pending' AND c.cin NOT LIKE '~%'
		AND EXISTS (SELECT 1 FROM enrollments e WHERE e.citizen_id = c.id AND e.status = 'lapsed')
		AND NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.citizen_id = c.id AND (e.status <> 'lapsed' OR e.updated_at >= ?))
		LIMIT ?`, before, retentionBatch)
	if err != nil {
		return 0, fmt.Errorf("lapsed citizens: %w", err)
	}
	var n int64
	for _, id := range ids {
		err := s.inTx(ctx, func(tx *sqlx.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE citizens SET cin = ?, first_name = '-', last_name = '-',
				email = 'anonymised@invalid', phone = NULL, birth_date = '1900-01-01', password_hash = NULL,
				pending_password_hash = NULL WHERE id = ? AND status = 'pending' AND cin NOT LIKE '~%'`,
				AnonymisedCINPrefix+strconv.FormatInt(id, 36), id)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k > 0 {
				n++
			}
			_, err = tx.ExecContext(ctx, `UPDATE email_outbox o JOIN enrollments e ON o.message_key LIKE CONCAT('enrollment/', e.id, '/%')
				SET o.to_addr = 'anonymised@invalid', o.text_body = NULL, o.html_body = NULL WHERE e.citizen_id = ?`, id)
			return err
		})
		if err != nil {
			return n, fmt.Errorf("anonymise citizen: %w", err)
		}
	}
	return n, nil
}

// eraseClosedComplaintTexts replaces the texts of the complaints closed or rejected before
// `before` (subject, conversation, feedback comment): the complaint keeps its reference,
// category, dates and statuses for the statistics, and no longer says anything personal.
func (s *Store) eraseClosedComplaintTexts(ctx context.Context, before time.Time) (int64, error) {
	var refs []string
	err := s.db.SelectContext(ctx, &refs, `SELECT reference FROM complaints
		WHERE status IN ('closed','rejected') AND subject <> '-' AND COALESCE(closed_at, updated_at) < ? LIMIT ?`,
		before, retentionBatch)
	if err != nil {
		return 0, fmt.Errorf("closed complaints: %w", err)
	}
	for _, ref := range refs {
		err := s.inTx(ctx, func(tx *sqlx.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE complaints SET subject = '-', feedback_comment = NULL WHERE reference = ?`, ref); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `UPDATE complaint_messages SET body = '-' WHERE reference = ?`, ref)
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("erase complaint texts: %w", err)
		}
	}
	return int64(len(refs)), nil
}
