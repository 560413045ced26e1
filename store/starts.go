package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// A citizen's complaint or DTS request is a row and a workflow, written one after the
// other (migrations/00008_workflow_starts.sql). These are the row's side of making the
// pair idempotent on the citizen's Idempotency-Key and repairable by the reconciler.

// ErrRequestKeyReused: the citizen's Idempotency-Key already names another request.
var ErrRequestKeyReused = errors.New("the request key names another request")

// Keyed is a row found by the citizen's request key.
type Keyed struct {
	ID                string         `db:"id"` // the complaint's reference, the DTS request's id
	Category          sql.NullString `db:"category"`
	ExchangePointCode sql.NullString `db:"exchange_point_code"`
	Hash              []byte         `db:"request_hash"`
	WorkflowStartedAt sql.NullTime   `db:"workflow_started_at"`
}

// Started tells whether the row's workflow is known to be started.
func (k Keyed) Started() bool { return k.WorkflowStartedAt.Valid }

// keyedRow reads the row of table that citizenID sent with key; ErrNotFound when none,
// ErrRequestKeyReused when it was sent for a request that hashes otherwise.
func (s *Store) keyedRow(ctx context.Context, query string, citizenID int64, key string, hash []byte) (Keyed, error) {
	var k Keyed
	if err := s.db.GetContext(ctx, &k, query, citizenID, key); err != nil {
		return k, notFound(err)
	}
	if !bytes.Equal(k.Hash, hash) {
		return k, ErrRequestKeyReused
	}
	return k, nil
}

// ComplaintByRequestKey finds the complaint citizenID filed with key (see keyedRow).
func (s *Store) ComplaintByRequestKey(ctx context.Context, citizenID int64, key string, hash []byte) (Keyed, error) {
	return s.keyedRow(ctx, `SELECT reference AS id, category, exchange_point_code, request_hash, workflow_started_at
		FROM complaints WHERE citizen_id = ? AND request_key = ?`, citizenID, key, hash)
}

// DTSRequestByRequestKey finds the DTS request citizenID sent with key (see keyedRow).
func (s *Store) DTSRequestByRequestKey(ctx context.Context, citizenID int64, key string, hash []byte) (Keyed, error) {
	return s.keyedRow(ctx, `SELECT id, NULL AS category, NULL AS exchange_point_code, request_hash, workflow_started_at
		FROM dts_requests WHERE citizen_id = ? AND request_key = ?`, citizenID, key, hash)
}

// MarkComplaintStarted records that the complaint's workflow is started.
func (s *Store) MarkComplaintStarted(ctx context.Context, ref string, at time.Time) error {
	return s.markStarted(ctx, `UPDATE complaints SET workflow_started_at = ? WHERE reference = ? AND workflow_started_at IS NULL`, ref, at)
}

// MarkDTSStarted records that the DTS request's workflow is started.
func (s *Store) MarkDTSStarted(ctx context.Context, id string, at time.Time) error {
	return s.markStarted(ctx, `UPDATE dts_requests SET workflow_started_at = ? WHERE id = ? AND workflow_started_at IS NULL`, id, at)
}

func (s *Store) markStarted(ctx context.Context, query, id string, at time.Time) error {
	if _, err := s.db.ExecContext(ctx, query, at, id); err != nil {
		return fmt.Errorf("mark workflow started: %w", err)
	}
	return nil
}

// UnstartedComplaints lists the complaints filed before `before` whose workflow is not
// known to be started, oldest first.
func (s *Store) UnstartedComplaints(ctx context.Context, before time.Time, limit int) ([]Keyed, error) {
	var out []Keyed
	err := s.db.SelectContext(ctx, &out, `SELECT reference AS id, category, exchange_point_code, request_hash, workflow_started_at
		FROM complaints WHERE workflow_started_at IS NULL AND created_at < ? ORDER BY created_at LIMIT ?`, before, limit)
	if err != nil {
		return nil, fmt.Errorf("unstarted complaints: %w", err)
	}
	return out, nil
}

// UnstartedDTSRequests lists the pending DTS requests made before `before` whose workflow
// is not known to be started, oldest first.
func (s *Store) UnstartedDTSRequests(ctx context.Context, before time.Time, limit int) ([]DTSRequest, error) {
	var out []DTSRequest
	err := s.db.SelectContext(ctx, &out, `SELECT `+dtsColumns+` FROM dts_requests
		WHERE workflow_started_at IS NULL AND created_at < ? AND status = 'pending' ORDER BY created_at LIMIT ?`, before, limit)
	if err != nil {
		return nil, fmt.Errorf("unstarted DTS requests: %w", err)
	}
	return out, nil
}

// duplicateOf tells whether err is a duplicate entry on the unique key named key.
func duplicateOf(err error, key string) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == errDupEntry && strings.Contains(me.Message, key)
}

// nullKey stores an absent request key as NULL (unique keys allow many NULLs).
func nullKey(key string) sql.NullString { return sql.NullString{String: key, Valid: key != ""} }
