package web

import (
	"net/http"
	"net/netip"
)

// securityHeaders are set on every answer of the API, problem documents, 404 and 405
// included, before the handler runs. A subtree that needs other values (an HTML page, a
// cached document) sets its own in its handler: the last Set wins.
var securityHeaders = [][2]string{
	{"X-Content-Type-Options", "nosniff"},
	{"Cache-Control", "no-store"},
	{"Referrer-Policy", "no-referrer"},
	{"X-Frame-Options", "DENY"},
	{"Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"},
}

// hsts is sent only to clients that came over TLS (see BehindTLS): over plain HTTP a
// browser ignores it.
const hsts = "max-age=63072000; includeSubDomains"

func setSecurityHeaders(h http.Header, r *http.Request, trusted []netip.Prefix) {
	for _, kv := range securityHeaders {
		h.Set(kv[0], kv[1])
	}
	if BehindTLS(r, trusted) {
		h.Set("Strict-Transport-Security", hsts)
	}
}

// What a browser on a listed origin may send and read. No credentials: the API's
// sessions are bearer tokens, never cookies.
const (
	corsAllowMethods  = "GET, POST, PUT, PATCH, DELETE"
	corsAllowHeaders  = "Authorization, Content-Type, Idempotency-Key, Accept-Language, X-Request-ID"
	corsExposeHeaders = "Retry-After, X-Request-ID, Content-Language, Idempotent-Replayed"
	corsMaxAge        = "600"
)

// corsOrigins are the origins listed in OCC_API_CORS_ORIGINS.
type corsOrigins map[string]bool

func newCORS(origins []string) corsOrigins {
	c := corsOrigins{}
	for _, o := range origins {
		c[o] = true
	}
	return c
}

// handle adds the CORS headers for a listed Origin (compared exactly) and answers its
// preflight requests itself (204), returning true. Without a listed origin it adds none
// and returns false: the request goes on to the router, so an unlisted preflight gets the
// route's ordinary answer (405 or 404), and the browser keeps the answer from the page.
func (c corsOrigins) handle(w http.ResponseWriter, r *http.Request) bool {
	if len(c) == 0 {
		return false
	}
	h := w.Header()
	h.Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	if !c[origin] {
		return false
	}
	h.Set("Access-Control-Allow-Origin", origin)
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		h.Add("Vary", "Access-Control-Request-Method")
		h.Add("Vary", "Access-Control-Request-Headers")
		h.Set("Access-Control-Allow-Methods", corsAllowMethods)
		h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
		h.Set("Access-Control-Max-Age", corsMaxAge)
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
	return false
}
