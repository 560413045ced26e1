package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// CitizenExport is everything held about one citizen (law 09-08's right of access): the
// account, enrollments, allowance ledger, DTS requests, complaints with the conversation
// the citizen sees, sessions and the e-mails sent. Nothing about anyone else: no staff
// member's id or name, no other citizen, no password or token hash, no staff-only note.
type CitizenExport struct {
	Account     ExportAccount      `json:"account"`
	Enrollments []ExportEnrollment `json:"enrollments"`
	Ledger      []ExportLedger     `json:"allowance_operations"`
	DTSRequests []ExportDTS        `json:"dts_requests"`
	Complaints  []ExportComplaint  `json:"complaints"`
	Sessions    []ExportSession    `json:"sessions"`
	Emails      []ExportEmail      `json:"emails"`
}

// ExportAccount is the citizen's row.
type ExportAccount struct {
	CIN               string       `db:"cin" json:"cin"`
	FirstName         string       `db:"first_name" json:"first_name"`
	LastName          string       `db:"last_name" json:"last_name"`
	Email             string       `db:"email" json:"email"`
	Phone             *string      `db:"phone" json:"phone"`
	BirthDate         string       `db:"birth_date" json:"birth_date"`
	Language          string       `db:"language" json:"language"`
	Status            string       `db:"status" json:"status"`
	CreatedAt         time.Time    `db:"created_at" json:"created_at"`
	ActivatedAt       sql.NullTime `db:"activated_at" json:"-"`
	PasswordChangedAt sql.NullTime `db:"password_changed_at" json:"-"`
	Activated         *time.Time   `db:"-" json:"activated_at"`
	PasswordChanged   *time.Time   `db:"-" json:"password_changed_at"`
}

// ExportEnrollment is an enrollment at an exchange point.
type ExportEnrollment struct {
	ID                string    `db:"id" json:"id"`
	Status            string    `db:"status" json:"status"`
	ExchangePoint     *string   `db:"exchange_point_code" json:"exchange_point_code"`
	CredentialsIssued int       `db:"credentials_issued" json:"credentials_issued"`
	CreatedAt         time.Time `db:"created_at" json:"created_at"`
	UpdatedAt         time.Time `db:"updated_at" json:"updated_at"`
}

// ExportLedger is an operation on the allowances (a debit, a credit).
type ExportLedger struct {
	Year          int       `db:"year" json:"year"`
	Type          string    `db:"type" json:"type"`
	Kind          string    `db:"kind" json:"kind"`
	AmountMAD     int64     `db:"amount_mad" json:"amount_mad"`
	Currency      *string   `db:"currency" json:"currency"`
	ForeignAmount *string   `db:"foreign_amount" json:"foreign_amount"`
	Reference     *string   `db:"reference" json:"reference"`
	ExchangePoint *string   `db:"exchange_point_code" json:"exchange_point_code"`
	DTSRequestID  *string   `db:"dts_request_id" json:"dts_request_id"`
	CreatedAt     time.Time `db:"created_at" json:"created_at"`
}

// ExportDTS is a DTS request and its decision.
type ExportDTS struct {
	ID                   string     `db:"id" json:"id"`
	FiscalYear           int        `db:"fiscal_year" json:"fiscal_year"`
	Year                 int        `db:"year" json:"year"`
	IRAmountMAD          int64      `db:"ir_amount_mad" json:"ir_amount_mad"`
	AttestationReference string     `db:"attestation_reference" json:"attestation_reference"`
	Status               string     `db:"status" json:"status"`
	SupplementMAD        *int64     `db:"supplement_mad" json:"supplement_mad"`
	Decision             *string    `db:"decision" json:"decision"`
	DecisionComment      *string    `db:"decision_comment" json:"decision_comment"`
	DecidedAt            *time.Time `db:"decided_at" json:"decided_at"`
	CreatedAt            time.Time  `db:"created_at" json:"created_at"`
}

// ExportComplaint is a complaint with the conversation the citizen sees.
type ExportComplaint struct {
	Reference       string          `db:"reference" json:"reference"`
	Category        string          `db:"category" json:"category"`
	Subject         string          `db:"subject" json:"subject"`
	ExchangePoint   *string         `db:"exchange_point_code" json:"exchange_point_code"`
	Status          string          `db:"status" json:"status"`
	CreatedAt       time.Time       `db:"created_at" json:"created_at"`
	ResolvedAt      *time.Time      `db:"resolved_at" json:"resolved_at"`
	ClosedAt        *time.Time      `db:"closed_at" json:"closed_at"`
	Rating          *int            `db:"rating" json:"rating"`
	FeedbackComment *string         `db:"feedback_comment" json:"feedback_comment"`
	Messages        []ExportMessage `db:"-" json:"messages"`
}

// ExportMessage is a published message of a complaint's conversation (by role, never by
// name).
type ExportMessage struct {
	Reference string    `db:"reference" json:"-"`
	Author    string    `db:"author" json:"author"`
	Kind      string    `db:"kind" json:"kind"`
	Body      string    `db:"body" json:"body"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// ExportSession is a session of the account (never its token).
type ExportSession struct {
	Scope      string     `db:"scope" json:"scope"`
	UserAgent  *string    `db:"user_agent" json:"user_agent"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
	LastSeenAt time.Time  `db:"last_seen_at" json:"last_seen_at"`
	ExpiresAt  time.Time  `db:"expires_at" json:"expires_at"`
	RevokedAt  *time.Time `db:"revoked_at" json:"revoked_at"`
}

// ExportEmail is an e-mail sent (or queued) to the account's address: what and when, not
// the body (erased once sent).
type ExportEmail struct {
	Kind      string     `db:"kind" json:"kind"`
	Subject   string     `db:"subject" json:"subject"`
	CreatedAt time.Time  `db:"created_at" json:"created_at"`
	SentAt    *time.Time `db:"sent_at" json:"sent_at"`
}

// ExportCitizen reads everything held about the citizen, in one read-only transaction
// (a consistent snapshot). ErrNotFound for an unknown id.
func (s *Store) ExportCitizen(ctx context.Context, citizenID int64) (CitizenExport, error) {
	out := CitizenExport{Enrollments: []ExportEnrollment{}, Ledger: []ExportLedger{}, DTSRequests: []ExportDTS{},
		Complaints: []ExportComplaint{}, Sessions: []ExportSession{}, Emails: []ExportEmail{}}
	tx, err := s.db.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return out, err
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	if err := tx.GetContext(ctx, &out.Account, `SELECT cin, first_name, last_name, email, phone,
		DATE_FORMAT(birth_date, '%Y-%m-%d') AS birth_date, language, status, created_at, activated_at, password_changed_at
		FROM citizens WHERE id = ?`, citizenID); err != nil {
		return out, notFound(err)
	}
	a := &out.Account
	if a.ActivatedAt.Valid {
		a.Activated = &a.ActivatedAt.Time
	}
	if a.PasswordChangedAt.Valid {
		a.PasswordChanged = &a.PasswordChangedAt.Time
	}
	queries := []struct {
		dst   any
		query string
	}{
		{&out.Enrollments, `SELECT id, status, exchange_point_code, credentials_issued, created_at, updated_at
			FROM enrollments WHERE citizen_id = ? ORDER BY created_at`},
		{&out.Ledger, `SELECT year, type, kind, amount_mad, currency, CAST(foreign_amount AS CHAR) AS foreign_amount, reference,
			exchange_point_code, dts_request_id, created_at FROM ledger_entries WHERE citizen_id = ? ORDER BY id`},
		{&out.DTSRequests, `SELECT id, fiscal_year, year, ir_amount_mad, attestation_reference, status, supplement_mad, decision,
			decision_comment, decided_at, created_at FROM dts_requests WHERE citizen_id = ? ORDER BY created_at`},
		{&out.Complaints, `SELECT reference, category, subject, exchange_point_code, status, created_at, resolved_at, closed_at,
			rating, feedback_comment FROM complaints WHERE citizen_id = ? ORDER BY created_at`},
		{&out.Sessions, `SELECT scope, user_agent, created_at, last_seen_at, expires_at, revoked_at FROM sessions
			WHERE subject_kind = 'citizen' AND subject_id = ? ORDER BY created_at`},
	}
	for _, q := range queries {
		if err := tx.SelectContext(ctx, q.dst, q.query, citizenID); err != nil {
			return out, fmt.Errorf("export: %w", err)
		}
	}
	if err := tx.SelectContext(ctx, &out.Emails, `SELECT kind, subject, created_at, sent_at FROM email_outbox
		WHERE to_addr = ? ORDER BY id`, out.Account.Email); err != nil {
		return out, fmt.Errorf("export e-mails: %w", err)
	}
	if err := exportMessages(ctx, tx, citizenID, out.Complaints); err != nil {
		return out, err
	}
	return out, nil
}

// exportMessages fills the complaints' published conversations.
func exportMessages(ctx context.Context, tx *sqlx.Tx, citizenID int64, complaints []ExportComplaint) error {
	var msgs []ExportMessage
	if err := tx.SelectContext(ctx, &msgs, `SELECT m.reference, m.author, m.kind, m.body, m.created_at
		FROM complaint_messages m JOIN complaints c ON c.reference = m.reference
		WHERE c.citizen_id = ? AND m.published_at IS NOT NULL ORDER BY m.id`, citizenID); err != nil {
		return fmt.Errorf("export messages: %w", err)
	}
	at := map[string]int{}
	for i, c := range complaints {
		at[c.Reference] = i
		complaints[i].Messages = []ExportMessage{}
	}
	for _, m := range msgs {
		if i, ok := at[m.Reference]; ok {
			complaints[i].Messages = append(complaints[i].Messages, m)
		}
	}
	return nil
}
