package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"
)

// Problem is an RFC 9457 problem+json document.
type Problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Code      string       `json:"code"`
	Errors    []FieldError `json:"errors,omitempty"`
	RequestID string       `json:"request_id,omitempty"`
	// Token and ExpiresAt: the restricted token of a 403 password_change_required.
	Token     string     `json:"token,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// RemainingMAD: what remains of the allowance, with insufficient_allowance.
	RemainingMAD *int64 `json:"remaining_mad,omitempty"`
}

// FieldError is one invalid field.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// apiError is what handlers return; writeError turns it into a Problem.
type apiError struct {
	status     int
	code       string
	fields     []FieldError // Message filled from the catalog at write time
	retryAfter time.Duration
	detailKey  string // a more specific detail than the code's own
	token      *issuedToken
	cause      error // for the log only
	remaining  *int64
}

func (e *apiError) Error() string { return e.code }

func problem(status int, code string, fields ...FieldError) *apiError {
	return &apiError{status: status, code: code, fields: fields}
}

func fieldErr(field, code string) FieldError { return FieldError{Field: field, Code: code} }

// validation collects field errors.
type validation []FieldError

func (v *validation) add(field, code string) { *v = append(*v, fieldErr(field, code)) }

func (v validation) err() error {
	if len(v) == 0 {
		return nil
	}
	return problem(http.StatusBadRequest, "validation_failed", v...)
}

var supported = language.NewMatcher([]language.Tag{language.English, language.French, language.Arabic})

// lang picks fr, ar or en from Accept-Language.
func lang(r *http.Request) string {
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return "en"
	}
	_, idx, conf := supported.Match(tags...)
	if conf == language.No {
		return "en"
	}
	return [...]string{"en", "fr", "ar"}[idx]
}

func writeProblem(w http.ResponseWriter, r *http.Request, e *apiError) {
	l := lang(r)
	p := Problem{
		Type:      "https://occonnect.oc.gov.ma/problems/" + strings.ReplaceAll(e.code, "_", "-"),
		Title:     message(l, "title."+e.code),
		Status:    e.status,
		Detail:    message(l, "detail."+e.code),
		Code:      e.code,
		RequestID: requestID(r.Context()),
	}
	if e.detailKey != "" {
		p.Detail = message(l, "detail."+e.detailKey)
	}
	p.RemainingMAD = e.remaining
	if e.token != nil {
		p.Token, p.ExpiresAt = e.token.Token, &e.token.ExpiresAt
	}
	for _, f := range e.fields {
		if f.Message == "" {
			f.Message = message(l, "field."+f.Code)
		}
		p.Errors = append(p.Errors, f)
	}
	if e.retryAfter > 0 {
		secs := int(e.retryAfter.Round(time.Second) / time.Second)
		if secs < 1 {
			secs = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Content-Language", l)
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
