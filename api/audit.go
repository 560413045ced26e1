package api

import (
	"encoding/json"
	"net/http"
	"time"

	"occonnect/service"
	"occonnect/store"
)

type auditHandlers struct{ svc *service.Audit }

// auditEntryJSON is one audit row: an admin change (changes: what changed, never a secret) or a
// staff read of a citizen's data (action <entity>.read).
type auditEntryJSON struct {
	ID        int64           `json:"id"`
	StaffID   int64           `json:"staff_id"`
	Action    string          `json:"action"`
	Entity    string          `json:"entity"`
	EntityID  string          `json:"entity_id"`
	Changes   json.RawMessage `json:"changes,omitempty"`
	RequestID *string         `json:"request_id,omitempty"`
	At        time.Time       `json:"at"`
}

func auditEntryView(e store.AdminAuditEntry) auditEntryJSON {
	out := auditEntryJSON{ID: e.ID, StaffID: e.StaffID, Action: e.Action, Entity: e.Entity, EntityID: e.EntityID,
		RequestID: e.RequestID, At: e.At}
	if len(e.Changes) > 0 && string(e.Changes) != "null" {
		out.Changes = json.RawMessage(e.Changes)
	}
	return out
}

// list: GET /admin/audit?entity=&entity_id=&staff_id=&cursor=&limit= (admin), newest first.
func (h auditHandlers) list(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p, err := h.svc.List(r.Context(), service.AuditQuery{Entity: q.Get("entity"), EntityID: q.Get("entity_id"),
		StaffID: q.Get("staff_id"), Page: page(r)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(p, auditEntryView))
	return nil
}
