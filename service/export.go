package service

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"occonnect/domain"
	"occonnect/store"
)

// Exports give a citizen a copy of everything held about them (law 09-08's right of
// access): in the app, or through an admin for a request made at a counter or by post.
type Exports struct {
	store *store.Store
	audit *Audit
}

// Mine is the calling citizen's own export, audited too (citizen.data_export with staff
// id 0 and actor "citizen": who obtained a copy of the data, and when).
func (e *Exports) Mine(ctx context.Context, p *Principal) (store.CitizenExport, error) {
	if err := e.store.RecordAdminChange(ctx, nil, store.AdminChange{Action: "citizen.data_export", Entity: "citizen",
		EntityID: strconv.FormatInt(p.ID, 10), Changes: map[string]string{"actor": "citizen"}, RequestID: requestIDOf(ctx),
		At: e.audit.clock.now()}); err != nil {
		return store.CitizenExport{}, err
	}
	return e.store.ExportCitizen(ctx, p.ID)
}

// ForCitizen is an admin's export of the citizen with this CIN, audited as
// citizen.data_export before the data is given (a read that cannot be audited is not
// made). NotFound for an unknown CIN.
func (e *Exports) ForCitizen(ctx context.Context, p *Principal, cin string) (store.CitizenExport, error) {
	var v fieldErrors
	norm, err := domain.NormalizeCIN(cin)
	switch {
	case strings.TrimSpace(cin) == "":
		v.add("cin", "required")
	case err != nil:
		v.add("cin", "invalid_format")
	}
	if err := v.err(); err != nil {
		return store.CitizenExport{}, err
	}
	c, err := e.store.CitizenByCIN(ctx, norm)
	if errors.Is(err, store.ErrNotFound) {
		return store.CitizenExport{}, refuse(NotFound)
	} else if err != nil {
		return store.CitizenExport{}, err
	}
	if err := e.audit.recordRead(ctx, p, "citizen", "data_export", strconv.FormatInt(c.ID, 10)); err != nil {
		return store.CitizenExport{}, err
	}
	return e.store.ExportCitizen(ctx, c.ID)
}
