package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"occonnect/domain"
	"time"

	"github.com/jmoiron/sqlx"
)

// ErrDTSRequestExists: the citizen already has a pending or approved request for that year.
var ErrDTSRequestExists = errors.New("a pending or approved DTS request exists for that year")

// DTSRequest is the read model of a DTS workflow.
type DTSRequest struct {
	ID                   string           `db:"id"`
	CitizenID            int64            `db:"citizen_id"`
	FiscalYear           int              `db:"fiscal_year"`
	Year                 int              `db:"year"`
	IRAmountMAD          int64            `db:"ir_amount_mad"`
	AttestationReference string           `db:"attestation_reference"`
	Status               domain.DTSStatus `db:"status"`
	SupplementMAD        sql.NullInt64    `db:"supplement_mad"`
	RateBP               sql.NullInt64    `db:"rate_bp"`
	BaseMAD              sql.NullInt64    `db:"base_mad"`
	CapTotalMAD          sql.NullInt64    `db:"cap_total_mad"`
	TaskID               sql.NullString   `db:"task_id"`
	Decision             sql.NullString   `db:"decision"`
	DecisionComment      sql.NullString   `db:"decision_comment"`
	DecidedByStaffID     sql.NullInt64    `db:"decided_by_staff_id"`
	DecidedAt            sql.NullTime     `db:"decided_at"`
	CreatedAt            time.Time        `db:"created_at"`
	UpdatedAt            time.Time        `db:"updated_at"`
	// Written only (CreateDTSRequest): the citizen's Idempotency-Key and the request's hash.
	RequestKey  string `db:"-"`
	RequestHash []byte `db:"-"`
}

const dtsColumns = `id, citizen_id, fiscal_year, year, ir_amount_mad, attestation_reference, status, supplement_mad,
	rate_bp, base_mad, cap_total_mad, task_id, decision, decision_comment, decided_by_staff_id, decided_at, created_at, updated_at`

// CreateDTSRequest records a submitted request; a pending or approved one for the same
// citizen and year gives ErrDTSRequestExists; another request of the citizen's with the
// same RequestKey, ErrDuplicateRequest.
func (s *Store) CreateDTSRequest(ctx context.Context, r DTSRequest) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO dts_requests
		(id, citizen_id, fiscal_year, year, ir_amount_mad, attestation_reference, status, active_key, request_key, request_hash,
		created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)`,
		r.ID, r.CitizenID, r.FiscalYear, r.Year, r.IRAmountMAD, r.AttestationReference,
		fmt.Sprintf("%d:%d", r.CitizenID, r.Year), nullKey(r.RequestKey), r.RequestHash, r.CreatedAt, r.CreatedAt)
	if duplicateOf(err, "dts_requests_request_key") {
		return ErrDuplicateRequest
	}
	if isMySQLError(err, errDupEntry) {
		return ErrDTSRequestExists
	}
	if err != nil {
		return fmt.Errorf("insert DTS request: %w", err)
	}
	return nil
}

// DTSRequestByID reads a request.
func (s *Store) DTSRequestByID(ctx context.Context, id string) (DTSRequest, error) {
	var r DTSRequest
	err := s.db.GetContext(ctx, &r, `SELECT `+dtsColumns+` FROM dts_requests WHERE id = ?`, id)
	return r, notFound(err)
}

// DTSRequestsByIDs reads several requests in one query (a page of tasks); unknown ids are
// absent from the map.
func (s *Store) DTSRequestsByIDs(ctx context.Context, ids []string) (map[string]DTSRequest, error) {
	out := make(map[string]DTSRequest, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	query, args, err := sqlx.In(`SELECT `+dtsColumns+` FROM dts_requests WHERE id IN (?)`, ids)
	if err != nil {
		return nil, err
	}
	var list []DTSRequest
	if err := s.db.SelectContext(ctx, &list, query, args...); err != nil {
		return nil, fmt.Errorf("DTS requests by id: %w", err)
	}
	for _, r := range list {
		out[r.ID] = r
	}
	return out, nil
}

// DTSFilter selects requests, newest first.
type DTSFilter struct {
	CitizenID int64            // 0: all citizens
	Status    domain.DTSStatus // "": all
	BeforeID  string           // cursor: ids are time-ordered ULIDs
	Limit     int
}

// DTSRequests lists requests, newest first.
func (s *Store) DTSRequests(ctx context.Context, f DTSFilter) ([]DTSRequest, error) {
	query := `SELECT ` + dtsColumns + ` FROM dts_requests WHERE TRUE`
	var args []any
	if f.CitizenID != 0 {
		query += ` AND citizen_id = ?`
		args = append(args, f.CitizenID)
	}
	if f.Status != "" {
		query += ` AND status = ?`
		args = append(args, f.Status)
	}
	if f.BeforeID != "" {
		query += ` AND id < ?`
		args = append(args, f.BeforeID)
	}
	query += ` ORDER BY id DESC LIMIT ?`
	args = append(args, f.Limit)
	var out []DTSRequest
	err := s.db.SelectContext(ctx, &out, query, args...)
	return out, err
}

// SetDTSComputation stores the supplement the workflow computed and the rule figures used.
func (s *Store) SetDTSComputation(ctx context.Context, id string, supplement, rateBP, base, capTotal int64, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE dts_requests SET supplement_mad = ?, rate_bp = ?, base_mad = ?, cap_total_mad = ?,
		updated_at = ? WHERE id = ?`, supplement, rateBP, base, capTotal, at, id)
	if err != nil {
		return fmt.Errorf("store DTS computation: %w", err)
	}
	return nil
}

// SetDTSTask links the request to its officer task.
func (s *Store) SetDTSTask(ctx context.Context, id, taskID string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE dts_requests SET task_id = ?, updated_at = ? WHERE id = ?`, taskID, at, id)
	if err != nil {
		return fmt.Errorf("link DTS task: %w", err)
	}
	return nil
}

// DTSDecision closes a request: approved (credited to the ledger), rejected or cancelled.
type DTSDecision struct {
	RequestID string
	Status    domain.DTSStatus // DTSApproved, DTSRejected or DTSCancelled
	StaffID   int64            // 0 for a cancellation by the citizen or an automatic decision
	Comment   string
	Task      *TaskChange // the task's closing transition, if it has one
	Mail      *OutboxMessage
	At        time.Time
}

// DecideDTS applies a decision in one transaction: the status, the ledger credit on
// approval (once: its operation key is the request's), the task's closing transition, and
// the citizen's e-mail. Idempotent: a decided request keeps its first decision and the
// outbox id of its e-mail is returned again.
func (s *Store) DecideDTS(ctx context.Context, d DTSDecision) (outboxID int64, err error) {
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		outboxID = 0
		var r DTSRequest
		if err := tx.GetContext(ctx, &r, `SELECT `+dtsColumns+` FROM dts_requests WHERE id = ? FOR UPDATE`, d.RequestID); err != nil {
			return notFound(err)
		}
		if r.Status == domain.DTSPending {
			activeKey := sql.NullString{}
			if d.Status == domain.DTSApproved {
				activeKey = sql.NullString{String: fmt.Sprintf("%d:%d", r.CitizenID, r.Year), Valid: true}
				if err := creditDTS(ctx, tx, r.CitizenID, r.Year, r.ID, r.SupplementMAD.Int64, d.At); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `UPDATE dts_requests SET status = ?, active_key = ?, decision = ?,
				decision_comment = ?, decided_by_staff_id = ?, decided_at = ?, updated_at = ? WHERE id = ?`,
				d.Status, activeKey, d.Status, nullString(d.Comment), sql.NullInt64{Int64: d.StaffID, Valid: d.StaffID != 0},
				d.At, d.At, r.ID); err != nil {
				return fmt.Errorf("decide DTS: %w", err)
			}
		}
		if d.Task != nil {
			if err := applyTaskChange(ctx, tx, *d.Task); err != nil {
				return err
			}
		}
		if d.Mail != nil {
			id, err := insertOutbox(ctx, tx, *d.Mail)
			if err != nil {
				return err
			}
			outboxID = id
		}
		return nil
	})
	return outboxID, err
}
