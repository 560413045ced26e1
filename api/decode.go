package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"occonnect/internal/web"
	"reflect"
	"strings"
)

// decodeJSON reads one JSON object into dst: at most 64 KiB, no unknown field, nothing
// after it. Member names must match exactly and appear once (see strictMembers).
func decodeJSON(r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return problem(http.StatusUnsupportedMediaType, "unsupported_media_type")
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, web.MaxBody+1))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge) || len(body) > web.MaxBody:
		return problem(http.StatusRequestEntityTooLarge, "payload_too_large")
	case err != nil:
		return problem(http.StatusBadRequest, "malformed_json")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err = dec.Decode(dst)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			return problem(http.StatusBadRequest, "malformed_json")
		}
		return strictMembers(body, reflect.TypeOf(dst))
	}
	var typeErr *json.UnmarshalTypeError
	switch {
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return problem(http.StatusBadRequest, "unknown_field", fieldErr(name, "unknown"))
	case errors.As(err, &typeErr):
		return problem(http.StatusBadRequest, "validation_failed", fieldErr(typeErr.Field, "invalid"))
	default:
		return problem(http.StatusBadRequest, "malformed_json")
	}
}

// strictMembers refuses what encoding/json lets through and the OpenAPI document does not:
// a member whose name matches a field only case-insensitively ("CIN" for "cin": 400
// unknown_field) and a member given twice in an object (the last would win: 400
// validation_failed, duplicate). A proxy that validates bodies against the document then
// reads them as the API does. body has been decoded into a value of type t already.
func strictMembers(body []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	return walkMembers(dec, t, "")
}

// walkMembers reads one JSON value from dec, checking its members against t (nil: any).
func walkMembers(dec *json.Decoder, t reflect.Type, at string) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tok, err := dec.Token()
	if err != nil {
		return problem(http.StatusBadRequest, "malformed_json")
	}
	switch tok {
	case json.Delim('{'):
		var fields map[string]reflect.Type
		var elem reflect.Type // of a map's values
		switch {
		case t == nil:
		case t.Kind() == reflect.Struct:
			fields = jsonFields(t)
		case t.Kind() == reflect.Map:
			elem = t.Elem()
		}
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return problem(http.StatusBadRequest, "malformed_json")
			}
			name, _ := tok.(string)
			path := name
			if at != "" {
				path = at + "." + name
			}
			if seen[name] {
				return problem(http.StatusBadRequest, "validation_failed", fieldErr(path, "duplicate"))
			}
			seen[name] = true
			next := elem
			if fields != nil {
				ft, ok := fields[name]
				if !ok {
					return problem(http.StatusBadRequest, "unknown_field", fieldErr(path, "unknown"))
				}
				next = ft
			}
			if err := walkMembers(dec, next, path); err != nil {
				return err
			}
		}
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if err := walkMembers(dec, elem, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	default:
		return nil // a scalar
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return problem(http.StatusBadRequest, "malformed_json")
	}
	return nil
}

// jsonFields maps the JSON member names of a struct (embedded structs flattened) to their
// types, as encoding/json names them.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			for n, typ := range jsonFields(ft) {
				fields[n] = typ
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = f.Type
	}
	return fields
}
