package api

import (
	"database/sql"
	"time"

	"net/http"

	"github.com/gorilla/mux"

	"occonnect/service"
)

// optional, int64Ptr and timePtr turn SQL NULLs into JSON nulls.
func optional(ns sql.NullString) *string {
	if !ns.Valid {
		return nil
	}
	return &ns.String
}

func int64Ptr(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	return &n.Int64
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	return &t.Time
}

// nonZero is nil for the zero time.
func nonZero(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// listResponse is the shape of every list: items and the cursor of the next page (null at
// the end).
type listResponse[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// listOf renders a page with conv.
func listOf[T, J any](p service.Page[T], conv func(T) J) listResponse[J] {
	out := listResponse[J]{Items: make([]J, 0, len(p.Items))}
	for _, x := range p.Items {
		out.Items = append(out.Items, conv(x))
	}
	if p.Next != "" {
		next := p.Next
		out.NextCursor = &next
	}
	return out
}

// page is the request's ?limit= and ?cursor=.
func page(r *http.Request) service.PageRequest {
	q := r.URL.Query()
	return service.PageRequest{Limit: q.Get("limit"), Cursor: q.Get("cursor")}
}

// pathVar is a variable of the route's path.
func pathVar(r *http.Request, name string) string { return mux.Vars(r)[name] }
