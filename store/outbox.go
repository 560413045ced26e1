package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
)

// OutboxMessage is an e-mail waiting to be sent (or sent: then its bodies are erased).
type OutboxMessage struct {
	ID          int64          `db:"id"`
	MessageKey  string         `db:"message_key"`
	Kind        string         `db:"kind"`
	To          string         `db:"to_addr"`
	Subject     string         `db:"subject"`
	Text        sql.NullString `db:"text_body"`
	HTML        sql.NullString `db:"html_body"`
	CreatedAt   time.Time      `db:"created_at"`
	SentAt      sql.NullTime   `db:"sent_at"`
	CancelledAt sql.NullTime   `db:"cancelled_at"`
	Attempts    int            `db:"attempts"`
	LastError   sql.NullString `db:"last_error"` // why the last attempt failed (scrubbed)
}

// insertOutbox queues m; a message with the same key is kept as it is and its id returned.
func insertOutbox(ctx context.Context, tx *sqlx.Tx, m OutboxMessage) (int64, error) {
	if _, err := tx.ExecContext(ctx, `INSERT IGNORE INTO email_outbox
		(message_key, kind, to_addr, subject, text_body, html_body, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, m.MessageKey, m.Kind, m.To, m.Subject, m.Text, m.HTML, m.CreatedAt); err != nil {
		return 0, fmt.Errorf("insert outbox: %w", err)
	}
	var id int64
	if err := tx.GetContext(ctx, &id, `SELECT id FROM email_outbox WHERE message_key = ?`, m.MessageKey); err != nil {
		return 0, fmt.Errorf("read outbox id: %w", err)
	}
	return id, nil
}

// Enqueue queues an e-mail outside any other write (e.g. a staff member's credentials).
func (s *Store) Enqueue(ctx context.Context, m OutboxMessage) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		id, err = insertOutbox(ctx, tx, m)
		return err
	})
	return id, err
}

// OutboxByID reads a queued e-mail.
func (s *Store) OutboxByID(ctx context.Context, id int64) (OutboxMessage, error) {
	var m OutboxMessage
	err := s.db.GetContext(ctx, &m, `SELECT id, message_key, kind, to_addr, subject, text_body, html_body,
		created_at, sent_at, cancelled_at, attempts, last_error FROM email_outbox WHERE id = ?`, id)
	return m, notFound(err)
}

// MarkOutboxSent records delivery to the SMTP server and erases the bodies, which may
// carry a one-time password.
func (s *Store) MarkOutboxSent(ctx context.Context, id int64, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE email_outbox SET sent_at = ?, attempts = attempts + 1, last_error = NULL,
		text_body = NULL, html_body = NULL WHERE id = ?`, at, id)
	if err != nil {
		return fmt.Errorf("mark e-mail sent: %w", err)
	}
	return nil
}

// EraseOutboxBodies erases the bodies of an e-mail that will not be sent (refused for good
// by the SMTP server): what it carried is not kept.
func (s *Store) EraseOutboxBodies(ctx context.Context, id int64) error {
	_, err := s.db.ExecContext(ctx, `UPDATE email_outbox SET text_body = NULL, html_body = NULL WHERE id = ? AND sent_at IS NULL`, id)
	if err != nil {
		return fmt.Errorf("erase e-mail bodies: %w", err)
	}
	return nil
}

// MarkOutboxFailed counts a failed attempt; reason must hold no personal data.
func (s *Store) MarkOutboxFailed(ctx context.Context, id int64, reason string) error {
	if len(reason) > 500 { // the column's size, cut on a character boundary
		cut := 500
		for cut > 0 && !utf8.RuneStart(reason[cut]) {
			cut--
		}
		reason = reason[:cut]
	}
	_, err := s.db.ExecContext(ctx, `UPDATE email_outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?`, reason, id)
	if err != nil {
		return fmt.Errorf("mark e-mail failed: %w", err)
	}
	return nil
}

// OutboxIDByKey finds a queued e-mail by its message key.
func (s *Store) OutboxIDByKey(ctx context.Context, key string) (int64, error) {
	var id int64
	err := s.db.GetContext(ctx, &id, `SELECT id FROM email_outbox WHERE message_key = ?`, key)
	return id, notFound(err)
}
