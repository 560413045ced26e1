package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHealthcheck(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/readyz":
			w.WriteHeader(http.StatusOK)
		case r.URL.Path == "/decode" && r.Method == http.MethodOptions:
			w.WriteHeader(http.StatusNoContent)
		case r.URL.Path == "/decode":
			w.WriteHeader(http.StatusUnauthorized)
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	if err := runHealthcheck(ctx, []string{srv.URL + "/readyz"}); err != nil {
		t.Errorf("200: %v", err)
	}
	if err := runHealthcheck(ctx, []string{"-method", "OPTIONS", srv.URL + "/decode"}); err != nil {
		t.Errorf("OPTIONS 204: %v", err)
	}
	for name, args := range map[string][]string{
		"503":         {srv.URL + "/notready"},
		"401":         {srv.URL + "/decode"},
		"unreachable": {"http://127.0.0.1:1/readyz"},
	} {
		if err := runHealthcheck(ctx, args); err == nil {
			t.Errorf("%s: healthy, want an error", name)
		}
	}
	var ue usageError
	if err := runHealthcheck(ctx, nil); !errors.As(err, &ue) {
		t.Errorf("no URL: %v, want a usage error", err)
	}
}
