package api

import (
	"net/http"
	"time"
)

// The citizen's settings of their own account: the language of their e-mails and their
// sessions (authHandlers: both are the Auth service's).

type updateMeRequest struct {
	Language string `json:"language"`
}

// updateMe: PATCH /me {language}, the language of the citizen's e-mails; answers the
// account as GET /me does.
func (h authHandlers) updateMe(w http.ResponseWriter, r *http.Request) error {
	var req updateMeRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	me, err := h.svc.SetLanguage(r.Context(), principalFrom(r.Context()), req.Language)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, meView(me))
	return nil
}

// sessionJSON is one of the caller's sessions: never its token or the token's hash.
type sessionJSON struct {
	ID         string    `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	UserAgent  string    `json:"user_agent"`
	Current    bool      `json:"current"`
}

// mySessions: GET /me/sessions, the caller's live sessions, newest first.
func (h authHandlers) mySessions(w http.ResponseWriter, r *http.Request) error {
	list, err := h.svc.Sessions(r.Context(), principalFrom(r.Context()))
	if err != nil {
		return err
	}
	items := make([]sessionJSON, 0, len(list))
	for _, s := range list {
		items = append(items, sessionJSON{ID: s.ID, CreatedAt: s.CreatedAt, LastSeenAt: s.LastSeenAt, UserAgent: s.UserAgent, Current: s.Current})
	}
	writeJSON(w, http.StatusOK, struct {
		Items []sessionJSON `json:"items"`
	}{items})
	return nil
}

// endMySession: DELETE /me/sessions/{id} ends one of the caller's live sessions (its own
// too: a logout); 404 for any other id.
func (h authHandlers) endMySession(w http.ResponseWriter, r *http.Request) error {
	if err := h.svc.EndSessionByID(r.Context(), principalFrom(r.Context()), pathVar(r, "id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// endMyOtherSessions: DELETE /me/sessions ends every session of the caller but this one.
func (h authHandlers) endMyOtherSessions(w http.ResponseWriter, r *http.Request) error {
	if err := h.svc.EndOtherSessions(r.Context(), principalFrom(r.Context())); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
