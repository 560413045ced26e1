package stack

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// echo answers with what it was sent: the method, path, Content-Type, Authorization,
// X-Test and the body, and a header of its own.
func echo(t *testing.T) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Echo", r.Method+" "+r.URL.RequestURI())
		w.Header().Set("X-Content-Type", r.Header.Get("Content-Type"))
		w.Header().Set("X-Authorization", r.Header.Get("Authorization"))
		w.Header().Set("X-Test", r.Header.Get("X-Test"))
		if r.URL.Path == "/refuse" {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusConflict)
			_, _ = w.Write([]byte(`{"status":409,"code":"insufficient_allowance"}`))
			return
		}
		w.WriteHeader(http.StatusTeapot)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return NewClient(srv.URL+"/", 2)
}

func TestCall(t *testing.T) {
	c, ctx := echo(t), context.Background()
	for _, tc := range []struct {
		name              string
		token             string
		body              any
		headers           []string
		wantType, wantRaw string
	}{
		{"JSON", "tok", map[string]any{"a": 1}, []string{"X-Test", "yes"}, "application/json", `{"a":1}`},
		{"no body", "", nil, nil, "", ""},
		{"raw", "", RawBody{ContentType: "text/plain", Bytes: []byte(`{"a":`)}, nil, "text/plain", `{"a":`},
		{"raw without a type", "", RawBody{Bytes: []byte("a=1")}, nil, "", "a=1"},
	} {
		r, err := c.Call(ctx, http.MethodPost, "/x?q=1", tc.token, tc.body, tc.headers...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		wantAuth, wantTest := "", ""
		if tc.token != "" {
			wantAuth = "Bearer " + tc.token
		}
		if len(tc.headers) > 0 {
			wantTest = tc.headers[1]
		}
		if r.Status != http.StatusTeapot || string(r.Raw) != tc.wantRaw || r.Header.Get("X-Echo") != "POST /x?q=1" ||
			r.Header.Get("X-Content-Type") != tc.wantType || r.Header.Get("X-Authorization") != wantAuth || r.Header.Get("X-Test") != wantTest {
			t.Errorf("%s: %d %q %v", tc.name, r.Status, r.Raw, r.Header)
		}
	}
}

func TestExpect(t *testing.T) {
	c, ctx := echo(t), context.Background()
	var out struct {
		A int `json:"a"`
	}
	if err := c.Expect(ctx, http.StatusTeapot, &out, http.MethodPut, "/x", "", map[string]int{"a": 7}); err != nil || out.A != 7 {
		t.Fatalf("Expect: %+v %v", out, err)
	}
	err := c.Expect(ctx, http.StatusCreated, nil, http.MethodPost, "/refuse", "", nil)
	var se *StatusError
	if !errors.As(err, &se) || se.Status != http.StatusConflict || se.Code != "insufficient_allowance" || se.Path != "/refuse" {
		t.Fatalf("Expect of a refusal: %v", err)
	}
}
