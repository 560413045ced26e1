package service

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"time"

	"occonnect/domain"
)

// SetLanguage sets the language of the calling citizen's e-mails ("fr" or "ar"; Invalid
// otherwise) and answers the account as Me does. The e-mails are rendered in the
// citizen's language when they are queued, so every e-mail queued after this is in it.
func (a *Auth) SetLanguage(ctx context.Context, p *Principal, language string) (Me, error) {
	var v fieldErrors
	lang, ok := domain.ParseLanguage(language)
	switch {
	case language == "":
		v.add("language", "required")
	case !ok:
		v.add("language", "invalid")
	}
	if err := v.err(); err != nil {
		return Me{}, err
	}
	if err := a.store.SetCitizenLanguage(ctx, p.ID, string(lang)); err != nil {
		return Me{}, err
	}
	return a.Me(ctx, p)
}

// SessionInfo is one of the caller's live sessions as its owner sees it: never its token
// or the token's hash.
type SessionInfo struct {
	// ID names the session (DELETE /me/sessions/{id}).
	ID                    string
	CreatedAt, LastSeenAt time.Time
	// UserAgent is a summary of the client that opened it ("" when unknown).
	UserAgent string
	// Current: the session of the request.
	Current bool
}

// liveSince is the oldest last use of a live session at now (older ones are idle).
func liveSince(now time.Time) time.Time { return now.Add(-SessionIdle) }

// Sessions are the caller's live sessions (not revoked, expired or idle), newest first,
// the caller's own marked Current.
func (a *Auth) Sessions(ctx context.Context, p *Principal) ([]SessionInfo, error) {
	now := a.clock.now()
	list, err := a.store.LiveSessions(ctx, p.Kind, p.ID, now, liveSince(now))
	if err != nil {
		return nil, err
	}
	out := make([]SessionInfo, 0, len(list))
	for _, se := range list {
		out = append(out, SessionInfo{ID: se.PublicID, CreatedAt: se.CreatedAt, LastSeenAt: se.LastSeenAt,
			UserAgent: se.UserAgent, Current: bytes.Equal(se.TokenHash, p.tokenHash)})
	}
	return out, nil
}

// sessionID is the form of a session's public id: a ULID, or 26 hexadecimal digits for
// the sessions named after migration 00012 (store.LiveSessions).
var sessionID = regexp.MustCompile(`^[0-9A-Z]{26}$`)

// EndSessionByID ends one of the caller's live sessions, named by its id (the caller's own
// included: that is a logout). NotFound for any id that is not one of them, whoever's it
// is.
func (a *Auth) EndSessionByID(ctx context.Context, p *Principal, id string) error {
	if !sessionID.MatchString(id) {
		return refuse(NotFound)
	}
	now := a.clock.now()
	ended, err := a.store.RevokeLiveSession(ctx, p.Kind, p.ID, id, now, liveSince(now))
	if err != nil {
		return err
	}
	if !ended {
		return refuse(NotFound)
	}
	return nil
}

// EndOtherSessions ends every session of the caller but the one of the request.
func (a *Auth) EndOtherSessions(ctx context.Context, p *Principal) error {
	if len(p.tokenHash) == 0 {
		return errors.New("end other sessions: the principal has no session")
	}
	_, err := a.store.RevokeSessionsExcept(ctx, p.Kind, p.ID, p.tokenHash, a.clock.now())
	return err
}
