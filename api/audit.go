package api

import (
	"net/http"

	"occonnect/store"
)

// audit records an admin change (who, when, what; never a secret).
func (s *Server) audit(r *http.Request, action, entity, entityID string, changes any) error {
	return s.store.RecordAdminChange(r.Context(), nil, store.AdminChange{
		StaffID: principalFrom(r.Context()).id, Action: action, Entity: entity, EntityID: entityID,
		Changes: changes, RequestID: requestID(r.Context()), At: s.clock(),
	})
}
