package codec

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"go.temporal.io/sdk/converter"

	"occonnect/internal/loopback"
)

// MaxRequestBytes bounds the body of a request to the codec server (413 beyond): a
// Temporal payload is at most 2 MB, base64 in JSON makes it a third larger.
const MaxRequestBytes = 4 << 20

// CheckExposure refuses a codec server without a token unless it listens on loopback
// only: whoever reaches it could decrypt every payload.
func CheckExposure(addr, token string) error {
	if token != "" || loopback.Addr(addr) {
		return nil
	}
	return fmt.Errorf("OCC_CODEC_TOKEN is empty and OCC_CODEC_ADDR %q is not a loopback address: anyone who reaches "+
		"the codec server could decrypt every payload; set OCC_CODEC_TOKEN (openssl rand -hex 32) or listen on 127.0.0.1", addr)
}

// NewServer is the codec server on addr, with the timeouts of a server facing a network.
func NewServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
	}
}

// Handler serves /encode and /decode for the Temporal Web UI (the remote codec protocol):
// CORS for the UI's origin, a bearer token check (constant time) when a token is set, and
// bodies of at most MaxRequestBytes.
func Handler(c *Codec, origin, token string) http.Handler {
	codec := converter.NewPayloadCodecHTTPHandler(c)
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin != "" {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Access-Control-Allow-Headers", "Content-Type, X-Namespace, Authorization")
			h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
			h.Set("Vary", "Origin")
		}
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if token != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if r.ContentLength > MaxRequestBytes {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBytes))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "cannot read the request body", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		codec.ServeHTTP(w, r)
	})
}
