package service

import (
	"context"
	"strconv"

	"occonnect/store"
)

// Audit is the accountability of the staff: every admin change (written by the use cases
// that make them) and every staff read of a citizen's data (a complaint, an enrollment, a
// task's subject) are rows of admin_audit, which admins list.
type Audit struct {
	store *store.Store
	clock clock
}

// Entities and actions of the reads audited.
const (
	auditComplaint  = "complaint"
	auditEnrollment = "enrollment"
	auditDTSRequest = "dts_request"
)

// read records that staff member p read entity id, before the data is given: a read that
// cannot be audited is not made.
func (a *Audit) read(ctx context.Context, p *Principal, entity, id string) error {
	return a.recordRead(ctx, p, entity, "read", id)
}

// recordRead records a read of entity id named entity.verb (complaint.read,
// citizen.data_export).
func (a *Audit) recordRead(ctx context.Context, p *Principal, entity, verb, id string) error {
	if a == nil {
		return nil
	}
	return a.store.RecordAdminChange(ctx, nil, store.AdminChange{StaffID: p.ID, Action: entity + "." + verb, Entity: entity,
		EntityID: id, RequestID: requestIDOf(ctx), At: a.clock.now()})
}

// AuditQuery filters the audit, as the caller sent it.
type AuditQuery struct {
	Entity, EntityID, StaffID string
	Page                      PageRequest
}

// List lists the audit, newest first (admins).
func (a *Audit) List(ctx context.Context, q AuditQuery) (Page[store.AdminAuditEntry], error) {
	var v fieldErrors
	limit, cursor := q.Page.parse(&v)
	f := store.AuditQuery{Entity: q.Entity, EntityID: q.EntityID, Limit: limit + 1}
	if cursor != "" {
		n, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || n < 1 {
			v.add("cursor", "invalid")
		}
		f.BeforeID = n
	}
	if q.StaffID != "" {
		n, err := strconv.ParseInt(q.StaffID, 10, 64)
		if err != nil || n < 1 {
			v.add("staff_id", "invalid")
		}
		f.StaffID = n
	}
	if len(q.Entity) > 32 {
		v.add("entity", "too_long")
	}
	if len(q.EntityID) > 64 {
		v.add("entity_id", "too_long")
	}
	if err := v.err(); err != nil {
		return Page[store.AdminAuditEntry]{}, err
	}
	list, err := a.store.AuditEntries(ctx, f)
	if err != nil {
		return Page[store.AdminAuditEntry]{}, err
	}
	return pageOf(list, limit, func(e store.AdminAuditEntry) string { return encodeCursor(strconv.FormatInt(e.ID, 10)) }), nil
}
