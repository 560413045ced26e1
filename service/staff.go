package service

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"occonnect/domain"
	"occonnect/internal/passhash"
	"occonnect/internal/scrub"
	"occonnect/mail"
	"occonnect/store"
)

// Staff manages back-office accounts: created with a random one-time password that is
// e-mailed to the account (never shown to the admin) and must be changed at first login,
// disabled and enabled, and given a new one-time password.
type Staff struct {
	store  *store.Store
	hasher *passhash.Hasher
	mailer mail.Sender // nil: the one-time password is returned (the command line's --print)
	ttl    time.Duration
	clock  clock
	log    *slog.Logger
}

// NewStaffAccounts is the staff accounts' use cases alone, for the command line (mailer
// nil: the one-time password is returned to be handed over).
func NewStaffAccounts(st *store.Store, hasher *passhash.Hasher, mailer mail.Sender, ttl time.Duration) *Staff {
	return &Staff{store: st, hasher: hasher, mailer: mailer, ttl: ttl, log: slog.Default()}
}

// NewStaff is an account to create: agents belong to an exchange point, the other roles
// to none.
type NewStaff struct {
	Role, Email, ExchangePointCode string
}

// StaffCreated is a new account (or one with a new one-time password); Password is set
// only when it was not mailed (no mailer: the command line).
type StaffCreated struct {
	ID        int64
	Mailed    bool
	Password  string
	ExpiresAt time.Time // the end of the one-time password's validity
}

// Create validates and creates an account with the hash of a random one-time password
// (valid for the credentials' TTL) and mails that password to it. by is the admin
// creating it (the account and its staff.create audit row are then written in one
// transaction; without a mailer nothing is created: the password could reach nobody), or
// nil for the command line (no audit row; without a mailer the password is returned).
//
// When the e-mail fails, the account exists (ID set) and the error says so: the admin
// re-issues the password once mail works.
func (s *Staff) Create(ctx context.Context, by *store.AdminActor, in NewStaff) (StaffCreated, error) {
	if by != nil && s.mailer == nil {
		s.log.WarnContext(ctx, "staff creation refused: no mailer configured", "request_id", by.RequestID)
		return StaffCreated{}, refuse(Unavailable)
	}
	email := strings.ToLower(strings.TrimSpace(in.Email))
	code := strings.TrimSpace(in.ExchangePointCode)
	role := domain.Role(in.Role)
	var v fieldErrors
	switch {
	case in.Role == "":
		v.add("role", "required")
	case !domain.ValidRole(in.Role):
		v.add("role", "invalid")
	}
	switch {
	case email == "":
		v.add("email", "required")
	case !domain.ValidEmail(email):
		v.add("email", "invalid_format")
	}
	switch {
	case role == domain.RoleAgent && code == "":
		v.add("exchange_point_code", "exchange_point_required")
	case role != domain.RoleAgent && code != "":
		if domain.ValidRole(in.Role) {
			v.add("exchange_point_code", "exchange_point_not_allowed")
		}
	case code != "":
		ok, err := s.store.ExchangePointExists(ctx, code)
		if err != nil {
			return StaffCreated{}, err
		}
		if !ok {
			v.add("exchange_point_code", "unknown_exchange_point")
		}
	}
	if err := v.err(); err != nil {
		return StaffCreated{}, err
	}
	password, err := passhash.GenerateInitialPassword()
	if err != nil {
		return StaffCreated{}, err
	}
	hash, err := s.hasher.Hash(password)
	if err != nil {
		return StaffCreated{}, err
	}
	now := s.clock.now()
	expires := now.Add(s.ttl)
	account := store.Staff{
		Email: email, Role: role,
		ExchangePointCode:  sql.NullString{String: code, Valid: code != ""},
		PasswordHash:       hash,
		MustChangePassword: true,
		PasswordExpiresAt:  sql.NullTime{Time: expires, Valid: true},
		CreatedAt:          now,
	}
	var id int64
	if by != nil {
		id, err = s.store.CreateStaffAudited(ctx, account, *by)
	} else {
		id, err = s.store.CreateStaff(ctx, account)
	}
	if errors.Is(err, store.ErrDuplicate) {
		return StaffCreated{}, conflict("staff_email_taken")
	}
	if err != nil {
		return StaffCreated{}, err
	}
	if s.mailer == nil {
		return StaffCreated{ID: id, Password: password, ExpiresAt: expires}, nil
	}
	msg, err := mail.RenderStaffCredentials(mail.StaffCredentialsData{Email: email, Role: role, Password: password, ExpiresAt: expires})
	if err != nil {
		return StaffCreated{ID: id, ExpiresAt: expires}, fmt.Errorf("render staff e-mail: %w", err)
	}
	if err := s.mailer.Send(ctx, email, msg, fmt.Sprintf("staff-%d-credentials", id)); err != nil {
		if by != nil {
			// The account exists but the e-mail failed: the answer says so (mailed: false);
			// the admin re-issues the password once mail works.
			s.log.ErrorContext(ctx, "staff credentials e-mail failed", "request_id", by.RequestID, "staff_id", id, "error", scrub.Message(err))
			return StaffCreated{ID: id, ExpiresAt: expires}, nil
		}
		return StaffCreated{ID: id, ExpiresAt: expires}, fmt.Errorf("the account was created but the e-mail failed (re-issue the password once SMTP works): %w", err)
	}
	return StaffCreated{ID: id, Mailed: true, ExpiresAt: expires}, nil
}

// Reissue gives an account a new random one-time password (valid for the credentials'
// TTL, to be changed at the next login): its hash replaces the old one, which stops
// working at once, every session of the account is revoked, and a staff.reissue_password
// audit row by `by` is written, all in one transaction; then the password is mailed.
// Conflict (staff_disabled) for a disabled account. When the e-mail fails the new password
// is in force and lost: the answer is Unavailable, and a retry issues another one.
func (s *Staff) Reissue(ctx context.Context, by store.AdminActor, id int64) (StaffCreated, error) {
	if s.mailer == nil {
		s.log.WarnContext(ctx, "staff password re-issue refused: no mailer configured", "request_id", by.RequestID)
		return StaffCreated{}, refuse(Unavailable)
	}
	st, err := s.store.StaffByID(ctx, id)
	if err != nil {
		return StaffCreated{}, err
	}
	if st.Disabled {
		return StaffCreated{}, conflict("staff_disabled")
	}
	password, err := passhash.GenerateInitialPassword()
	if err != nil {
		return StaffCreated{}, err
	}
	hash, err := s.hasher.Hash(password)
	if err != nil {
		return StaffCreated{}, err
	}
	now := s.clock.now()
	expires := now.Add(s.ttl).Truncate(time.Microsecond) // as MySQL keeps it
	// Rendered before anything changes: a render failure leaves the old password.
	msg, err := mail.RenderStaffCredentials(mail.StaffCredentialsData{Email: st.Email, Role: st.Role, Password: password, ExpiresAt: expires})
	if err != nil {
		return StaffCreated{}, fmt.Errorf("render staff e-mail: %w", err)
	}
	_, err = s.store.ReissueStaffPassword(ctx, id, hash, expires, now, by)
	if errors.Is(err, store.ErrStaffDisabled) {
		return StaffCreated{}, conflict("staff_disabled")
	}
	if err != nil {
		return StaffCreated{}, err
	}
	messageID := fmt.Sprintf("staff-%d-credentials-%d", id, now.UnixNano())
	if err := s.mailer.Send(ctx, st.Email, msg, messageID); err != nil {
		s.log.ErrorContext(ctx, "staff credentials e-mail failed", "request_id", by.RequestID, "staff_id", id, "error", scrub.Message(err))
		return StaffCreated{}, &Refusal{Reason: Unavailable, RetryAfter: 30 * time.Second, cause: err}
	}
	return StaffCreated{ID: id, Mailed: true, ExpiresAt: expires}, nil
}

// Unlock lifts the sign-in locks of a staff account from every address (its failures
// forgotten), audited as staff.unlock by `by`; it tells from how many addresses the
// account had failures. The owner locked out by failures from elsewhere never needs it
// (the locks are per address and bounded); it is for the owner's own address.
func (s *Staff) Unlock(ctx context.Context, by store.AdminActor, id int64) (int64, error) {
	st, err := s.store.StaffByID(ctx, id)
	if err != nil {
		return 0, err
	}
	return s.store.UnlockStaff(ctx, id, loginKey(domain.SubjectStaff, st.Email), s.clock.now(), by)
}

// StaffQuery filters the list of accounts, as the caller sent it.
type StaffQuery struct {
	Role string
	Page PageRequest
}

// List lists the accounts by id.
func (s *Staff) List(ctx context.Context, q StaffQuery) (Page[store.Staff], error) {
	var v fieldErrors
	limit, cursor := q.Page.parse(&v)
	var after int64
	if cursor != "" {
		n, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || n < 1 {
			v.add("cursor", "invalid")
		}
		after = n
	}
	if q.Role != "" && !domain.ValidRole(q.Role) {
		v.add("role", "invalid")
	}
	if err := v.err(); err != nil {
		return Page[store.Staff]{}, err
	}
	list, err := s.store.ListStaff(ctx, store.StaffFilter{Role: domain.Role(q.Role), AfterID: after, Limit: limit + 1})
	if err != nil {
		return Page[store.Staff]{}, err
	}
	return pageOf(list, limit, func(st store.Staff) string { return encodeCursor(strconv.FormatInt(st.ID, 10)) }), nil
}

// Get reads an account.
func (s *Staff) Get(ctx context.Context, id int64) (store.Staff, error) {
	return s.store.StaffByID(ctx, id)
}

// SetDisabled disables an account (it can no longer sign in and its sessions are
// revoked) or enables it again (with its password; its revoked sessions stay revoked).
// An admin cannot disable themself (Conflict, cannot_disable_self).
func (s *Staff) SetDisabled(ctx context.Context, by store.AdminActor, id int64, disabled bool) (store.Staff, error) {
	if disabled && id == by.StaffID {
		return store.Staff{}, conflict("cannot_disable_self")
	}
	return s.store.SetStaffDisabled(ctx, id, disabled, s.clock.now(), by)
}
