package service

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// PageRequest asks for a page of a list, as the caller sent it: Limit (default 20, 1 to
// 100) and the opaque Cursor that ended the previous page ("" for the first).
type PageRequest struct {
	Limit, Cursor string
}

// Page is a page of a list: its items and the cursor of the next page ("" at the end).
type Page[T any] struct {
	Items []T
	Next  string
}

// Default and largest page sizes.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// parse reads the limit and the cursor's content (its parts were joined by "|").
func (p PageRequest) parse(v *fieldErrors) (limit int, cursor string) {
	limit = DefaultPageSize
	if p.Limit != "" {
		n, err := strconv.Atoi(p.Limit)
		if err != nil || n < 1 || n > MaxPageSize {
			v.add("limit", "invalid")
		} else {
			limit = n
		}
	}
	if p.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		if err != nil || len(b) == 0 || len(b) > 200 {
			v.add("cursor", "invalid")
		} else {
			cursor = string(b)
		}
	}
	return limit, cursor
}

// encodeCursor makes an opaque cursor of its parts.
func encodeCursor(parts ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(parts, "|")))
}

// pageOf makes a page from up to limit+1 rows (the extra row only tells that a next page
// exists), with the cursor of the last row kept.
func pageOf[T any](rows []T, limit int, cursor func(T) string) Page[T] {
	if rows == nil {
		rows = []T{}
	}
	if len(rows) <= limit {
		return Page[T]{Items: rows}
	}
	rows = rows[:limit]
	return Page[T]{Items: rows, Next: cursor(rows[limit-1])}
}

// intParam reads an optional integer parameter within [lo, hi] (def when empty).
func intParam(name, s string, lo, hi, def int, v *fieldErrors) int {
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

// boolParam reads an optional true|false parameter.
func boolParam(name, s string, v *fieldErrors) bool {
	switch s {
	case "", "false":
		return false
	case "true":
		return true
	}
	v.add(name, "invalid")
	return false
}
