package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"occonnect/domain"
)

// AllowanceRule is one row of a year's rules.
type AllowanceRule struct {
	Year             int           `db:"year"`
	Type             string        `db:"type"`
	Edition          string        `db:"edition"`
	EntitlementMAD   int64         `db:"entitlement_mad"`
	RateBP           sql.NullInt64 `db:"rate_bp"`
	CapTotalMAD      sql.NullInt64 `db:"cap_total_mad"`
	LabelFR          string        `db:"label_fr"`
	LabelAR          string        `db:"label_ar"`
	UpdatedAt        time.Time     `db:"updated_at"`
	UpdatedByStaffID sql.NullInt64 `db:"updated_by_staff_id"`
}

const ruleColumns = `year, type, edition, entitlement_mad, rate_bp, cap_total_mad, label_fr, label_ar, updated_at, updated_by_staff_id`

// Errors of the allowance store.
var (
	// ErrInsufficientAllowance: the debit is above what remains.
	ErrInsufficientAllowance = errors.New("insufficient allowance")
	// ErrNoRules: no rules for that year.
	ErrNoRules = errors.New("no allowance rules for that year")
	// ErrBelowUsed: new figures below what was already used that year.
	ErrBelowUsed = errors.New("figures below what was already used")
	// ErrNotActive: the account is not active.
	ErrNotActive = errors.New("account not active")
)

// DomainRules converts stored rules for the domain's formulas.
func DomainRules(rules []AllowanceRule) []domain.AllowanceRule {
	out := make([]domain.AllowanceRule, 0, len(rules))
	for _, r := range rules {
		out = append(out, domain.AllowanceRule{Type: domain.AllowanceType(r.Type), EntitlementMAD: r.EntitlementMAD,
			RateBP: r.RateBP.Int64, CapTotalMAD: r.CapTotalMAD.Int64, LabelFR: r.LabelFR, LabelAR: r.LabelAR})
	}
	return out
}

// AllowanceRules returns the rules of a year, in a stable order (ErrNoRules when none).
func (s *Store) AllowanceRules(ctx context.Context, year int) ([]AllowanceRule, error) {
	var rules []AllowanceRule
	err := s.db.SelectContext(ctx, &rules, `SELECT `+ruleColumns+` FROM allowance_rules WHERE year = ?
		ORDER BY FIELD(type, 'tourism', 'tourism_supplement', 'studies', 'hajj_omra', 'medical')`, year)
	if err == nil && len(rules) == 0 {
		return nil, ErrNoRules
	}
	return rules, err
}

// UsedByType is, for one allowance type of a year, the most any citizen has used (debits)
// and been credited (DTS).
type UsedByType struct {
	Type        string `db:"type"`
	MaxDebited  int64  `db:"max_debited"`
	MaxCredited int64  `db:"max_credited"`
}

// ReplaceAllowanceRules writes a year's rules. check receives, under lock, what was used
// that year so far and may refuse the change (ErrBelowUsed with its own detail).
func (s *Store) ReplaceAllowanceRules(ctx context.Context, year int, rules []AllowanceRule, staffID int64, now time.Time,
	check func(used []UsedByType) error) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		// Lock the year's rules so that concurrent changes and debits see one version.
		// (Read the rows: go-sql-driver's Exec of a SELECT that finds no row hangs on MariaDB.)
		var locked []int
		if err := tx.SelectContext(ctx, &locked, `SELECT year FROM allowance_rules WHERE year = ? FOR UPDATE`, year); err != nil {
			return fmt.Errorf("lock rules: %w", err)
		}
		var used []UsedByType
		if err := tx.SelectContext(ctx, &used, `SELECT type,
				COALESCE(MAX(debited), 0) AS max_debited, COALESCE(MAX(credited), 0) AS max_credited
			FROM (SELECT citizen_id, type,
					SUM(IF(kind = 'debit', amount_mad, 0)) AS debited,
					SUM(IF(kind = 'credit', amount_mad, 0)) AS credited
				FROM ledger_entries WHERE year = ? GROUP BY citizen_id, type) per_citizen
			GROUP BY type`, year); err != nil {
			return fmt.Errorf("read use: %w", err)
		}
		if err := check(used); err != nil {
			return err
		}
		for _, r := range rules {
			if _, err := tx.ExecContext(ctx, `INSERT INTO allowance_rules
				(year, type, edition, entitlement_mad, rate_bp, cap_total_mad, label_fr, label_ar, updated_at, updated_by_staff_id)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON DUPLICATE KEY UPDATE edition = VALUES(edition), entitlement_mad = VALUES(entitlement_mad),
					rate_bp = VALUES(rate_bp), cap_total_mad = VALUES(cap_total_mad), label_fr = VALUES(label_fr),
					label_ar = VALUES(label_ar), updated_at = VALUES(updated_at), updated_by_staff_id = VALUES(updated_by_staff_id)`,
				year, r.Type, r.Edition, r.EntitlementMAD, r.RateBP, r.CapTotalMAD, r.LabelFR, r.LabelAR, now, staffID); err != nil {
				return fmt.Errorf("write rule: %w", err)
			}
		}
		return nil
	})
}

// Balance is one allowance of a citizen for a year.
type Balance struct {
	Rule        AllowanceRule
	CreditedMAD int64
	UsedMAD     int64
}

// EntitlementMAD is the rule's figure plus what was credited (the DTS).
func (b Balance) EntitlementMAD() int64 { return b.Rule.EntitlementMAD + b.CreditedMAD }

// RemainingMAD is what can still be used (never negative).
func (b Balance) RemainingMAD() int64 { return max(0, b.EntitlementMAD()-b.UsedMAD) }

// Balances derives a citizen's balances for a year from the rules and the ledger.
func (s *Store) Balances(ctx context.Context, citizenID int64, year int) ([]Balance, error) {
	// One round trip: the year's rules with the citizen's ledger sums per type (the app
	// polls this; ledger_balance covers the join).
	var rows []struct {
		AllowanceRule
		Credited int64 `db:"credited"`
		Debited  int64 `db:"debited"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT r.year, r.type, r.edition, r.entitlement_mad, r.rate_bp, r.cap_total_mad,
		r.label_fr, r.label_ar, r.updated_at, r.updated_by_staff_id,
		COALESCE(SUM(IF(l.kind = 'credit', l.amount_mad, 0)), 0) AS credited,
		COALESCE(SUM(IF(l.kind = 'debit', l.amount_mad, 0)), 0) AS debited
		FROM allowance_rules r
		LEFT JOIN ledger_entries l ON l.citizen_id = ? AND l.year = r.year AND l.type = r.type
		WHERE r.year = ?
		GROUP BY r.year, r.type
		ORDER BY FIELD(r.type, 'tourism', 'tourism_supplement', 'studies', 'hajj_omra', 'medical')`, citizenID, year)
	if err != nil {
		return nil, fmt.Errorf("balances: %w", err)
	}
	if len(rows) == 0 {
		return nil, ErrNoRules
	}
	out := make([]Balance, 0, len(rows))
	for _, r := range rows {
		out = append(out, Balance{Rule: r.AllowanceRule, CreditedMAD: r.Credited, UsedMAD: r.Debited})
	}
	return out, nil
}

type sums struct{ credited, debited int64 }

func ledgerSums(ctx context.Context, q sqlx.QueryerContext, citizenID int64, year int, onlyType string) (map[string]sums, error) {
	var rows []struct {
		Type     string `db:"type"`
		Credited int64  `db:"credited"`
		Debited  int64  `db:"debited"`
	}
	query := `SELECT type, COALESCE(SUM(IF(kind = 'credit', amount_mad, 0)), 0) AS credited,
		COALESCE(SUM(IF(kind = 'debit', amount_mad, 0)), 0) AS debited
		FROM ledger_entries WHERE citizen_id = ? AND year = ?`
	args := []any{citizenID, year}
	if onlyType != "" {
		query += ` AND type = ?`
		args = append(args, onlyType)
	}
	if err := sqlx.SelectContext(ctx, q, &rows, query+` GROUP BY type`, args...); err != nil {
		return nil, fmt.Errorf("ledger sums: %w", err)
	}
	out := map[string]sums{}
	for _, r := range rows {
		out[r.Type] = sums{credited: r.Credited, debited: r.Debited}
	}
	return out, nil
}

// Debit is a currency sale recorded by an agent against an allowance.
type Debit struct {
	CitizenID         int64
	Year              int
	Type              string
	AmountMAD         int64
	Currency          string
	ForeignAmount     string // decimal, validated by the caller
	Reference         string
	AgentStaffID      int64
	ExchangePointCode string
	OperationKey      string // unique: a retried debit is applied once
	RequestHash       []byte
	At                time.Time
}

// DebitResult is the recorded operation and what remains after it.
type DebitResult struct {
	OperationID  int64
	RemainingMAD int64
	Replayed     bool // the operation key was already recorded (same request)
}

// InsufficientError carries what remains when a debit is refused.
type InsufficientError struct{ RemainingMAD int64 }

func (e *InsufficientError) Error() string { return ErrInsufficientAllowance.Error() }

// Unwrap makes errors.Is(err, ErrInsufficientAllowance) true.
func (e *InsufficientError) Unwrap() error { return ErrInsufficientAllowance }

// RecordDebit applies a debit if the allowance covers it. The citizen's row is locked for
// the transaction, so concurrent debits by several agents are serialized per citizen and
// the sum of accepted debits never exceeds the entitlement. An operation key already
// recorded returns that operation (Replayed) when the request hash matches, and
// ErrIdempotencyMismatch otherwise.
func (s *Store) RecordDebit(ctx context.Context, d Debit) (DebitResult, error) {
	var out DebitResult
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		out = DebitResult{}
		var status domain.CitizenStatus
		if err := tx.GetContext(ctx, &status, `SELECT status FROM citizens WHERE id = ? FOR UPDATE`, d.CitizenID); err != nil {
			return notFound(err)
		}
		if status != domain.CitizenActive {
			return ErrNotActive
		}
		var prior struct {
			ID   int64  `db:"id"`
			Hash []byte `db:"request_hash"`
		}
		err := tx.GetContext(ctx, &prior, `SELECT id, request_hash FROM ledger_entries WHERE operation_key = ?`, d.OperationKey)
		if err == nil {
			if !bytes.Equal(prior.Hash, d.RequestHash) {
				return ErrIdempotencyMismatch
			}
			out.OperationID, out.Replayed = prior.ID, true
		} else if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read operation: %w", err)
		}
		var entitlement int64
		if err := tx.GetContext(ctx, &entitlement, `SELECT entitlement_mad FROM allowance_rules WHERE year = ? AND type = ? LOCK IN SHARE MODE`,
			d.Year, d.Type); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNoRules
			}
			return fmt.Errorf("read rule: %w", err)
		}
		sum, err := ledgerSums(ctx, tx, d.CitizenID, d.Year, d.Type)
		if err != nil {
			return err
		}
		remaining := entitlement + sum[d.Type].credited - sum[d.Type].debited
		if out.Replayed {
			out.RemainingMAD = max(0, remaining)
			return nil
		}
		if d.AmountMAD > remaining {
			return &InsufficientError{RemainingMAD: max(0, remaining)}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO ledger_entries
			(citizen_id, year, type, kind, amount_mad, operation_key, request_hash, currency, foreign_amount, reference,
			 agent_staff_id, exchange_point_code, created_at)
			VALUES (?, ?, ?, 'debit', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			d.CitizenID, d.Year, d.Type, d.AmountMAD, d.OperationKey, d.RequestHash, d.Currency, d.ForeignAmount, d.Reference,
			d.AgentStaffID, nullString(d.ExchangePointCode), d.At)
		if isMySQLError(err, errDupEntry) {
			return ErrIdempotencyMismatch // the key was taken meanwhile by another request
		}
		if err != nil {
			return fmt.Errorf("insert debit: %w", err)
		}
		out.OperationID, _ = res.LastInsertId()
		out.RemainingMAD = remaining - d.AmountMAD
		return nil
	})
	return out, err
}

// LedgerEntry is one operation as the citizen sees it.
type LedgerEntry struct {
	ID                int64          `db:"id"`
	Year              int            `db:"year"`
	Type              string         `db:"type"`
	Kind              string         `db:"kind"`
	AmountMAD         int64          `db:"amount_mad"`
	Currency          sql.NullString `db:"currency"`
	ForeignAmount     sql.NullString `db:"foreign_amount"`
	Reference         sql.NullString `db:"reference"`
	ExchangePointCode sql.NullString `db:"exchange_point_code"`
	DTSRequestID      sql.NullString `db:"dts_request_id"`
	CreatedAt         time.Time      `db:"created_at"`
}

// LedgerFilter selects a page of a citizen's operations, newest first.
type LedgerFilter struct {
	CitizenID int64
	Year      int    // 0: all years
	Type      string // "": all types
	BeforeID  int64  // 0: from the newest
	Limit     int
}

// LedgerPage returns up to Limit entries older than BeforeID.
func (s *Store) LedgerPage(ctx context.Context, f LedgerFilter) ([]LedgerEntry, error) {
	query := `SELECT id, year, type, kind, amount_mad, currency, foreign_amount, reference, exchange_point_code,
		dts_request_id, created_at FROM ledger_entries WHERE citizen_id = ?`
	args := []any{f.CitizenID}
	if f.Year != 0 {
		query += ` AND year = ?`
		args = append(args, f.Year)
	}
	if f.Type != "" {
		query += ` AND type = ?`
		args = append(args, f.Type)
	}
	if f.BeforeID > 0 {
		query += ` AND id < ?`
		args = append(args, f.BeforeID)
	}
	query += ` ORDER BY id DESC LIMIT ?`
	args = append(args, f.Limit)
	var out []LedgerEntry
	err := s.db.SelectContext(ctx, &out, query, args...)
	return out, err
}

// CreditDTS credits an approved supplement to the citizen's ledger, once per request (the
// operation key is the request's): a retried activity does not credit twice.
func (s *Store) CreditDTS(ctx context.Context, citizenID int64, year int, requestID string, amount int64, at time.Time) error {
	return creditDTS(ctx, s.db, citizenID, year, requestID, amount, at)
}

// creditDTS is CreditDTS on a connection or inside a transaction (DecideDTS).
func creditDTS(ctx context.Context, exec sqlx.ExecerContext, citizenID int64, year int, requestID string, amount int64, at time.Time) error {
	if amount <= 0 {
		return nil
	}
	_, err := exec.ExecContext(ctx, `INSERT IGNORE INTO ledger_entries
		(citizen_id, year, type, kind, amount_mad, operation_key, dts_request_id, created_at)
		VALUES (?, ?, 'tourism_supplement', 'credit', ?, ?, ?, ?)`,
		citizenID, year, amount, "dts/"+requestID, requestID, at)
	if err != nil {
		return fmt.Errorf("credit DTS: %w", err)
	}
	return nil
}
