package api

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
)

// page reads ?limit= (default 20, 1..100) and ?cursor= (opaque to clients).
func page(r *http.Request, v *validation) (limit int, cursor string) {
	limit = 20
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			v.add("limit", "invalid")
		} else {
			limit = n
		}
	}
	if c := r.URL.Query().Get("cursor"); c != "" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		if err != nil || len(b) == 0 || len(b) > 200 {
			v.add("cursor", "invalid")
		} else {
			cursor = string(b)
		}
	}
	return limit, cursor
}

func encodeCursor(parts ...string) *string {
	c := base64.RawURLEncoding.EncodeToString([]byte(strings.Join(parts, "|")))
	return &c
}

// listResponse is the shape of every list: items and the cursor of the next page (null at
// the end).
type listResponse[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// intParam reads an optional integer query parameter within [lo, hi].
func intParam(r *http.Request, name string, lo, hi int, def int, v *validation) int {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		v.add(name, "invalid")
		return def
	}
	return n
}

// pageItems makes a list answer from up to limit+1 rows (the extra row only tells that a
// next page exists): the items converted, and the cursor of the last one kept.
func pageItems[T, J any](rows []T, limit int, cursor func(T) *string, conv func(T) J) listResponse[J] {
	out := listResponse[J]{Items: make([]J, 0, min(len(rows), limit))}
	if len(rows) > limit {
		rows = rows[:limit]
		out.NextCursor = cursor(rows[limit-1])
	}
	for _, r := range rows {
		out.Items = append(out.Items, conv(r))
	}
	return out
}
