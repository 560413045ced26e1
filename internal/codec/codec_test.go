package codec

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

func keyring(t *testing.T, ids ...string) (*Keyring, string) {
	t.Helper()
	var parts []string
	for _, id := range ids {
		k, err := NewKey(id)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, k)
	}
	s := strings.Join(parts, ",")
	k, err := ParseKeys(s)
	if err != nil {
		t.Fatal(err)
	}
	return k, s
}

func TestRoundTripAndRotation(t *testing.T) {
	old, oldSpec := keyring(t, "k1")
	payload, err := converter.GetDefaultDataConverter().ToPayload(map[string]string{"EnrollmentID": "01ABC", "secret": "AB123456"})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := New(old).Encode([]*commonpb.Payload{payload})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(enc[0].Data, []byte("AB123456")) || string(enc[0].Metadata[MetadataKeyID]) != "k1" {
		t.Fatalf("not encrypted: %v", enc[0])
	}
	// Rotation: k2 is now current, k1 still decodes.
	newKey, err := NewKey("k2")
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := ParseKeys(newKey + "," + oldSpec)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := New(rotated).Decode(enc)
	if err != nil || !bytes.Equal(dec[0].Data, payload.Data) {
		t.Fatalf("decode after rotation: %v", err)
	}
	enc2, _ := New(rotated).Encode([]*commonpb.Payload{payload})
	if string(enc2[0].Metadata[MetadataKeyID]) != "k2" {
		t.Fatal("new payloads must use the newest key")
	}
	// A process without k2 cannot read them; tampering is detected.
	if _, err := New(old).Decode(enc2); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("unknown key: %v", err)
	}
	enc2[0].Data[len(enc2[0].Data)-1] ^= 1
	if _, err := New(rotated).Decode(enc2); err == nil {
		t.Fatal("a tampered payload decoded")
	}
	// Plain payloads (older histories) pass through.
	if dec, err := New(rotated).Decode([]*commonpb.Payload{payload}); err != nil || dec[0] != payload {
		t.Fatal("plain payload not passed through")
	}
}

func TestParseKeys(t *testing.T) {
	for _, bad := range []string{"k1", ":AAAA", "k1:notbase64!", "k1:" + strings.Repeat("A", 8)} {
		if _, err := ParseKeys(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if k, err := ParseKeys(""); k != nil || err != nil {
		t.Fatal("empty must mean no encryption")
	}
}

func TestHandler(t *testing.T) {
	k, _ := keyring(t, "k1")
	srv := httptest.NewServer(Handler(New(k), "http://127.0.0.1:8233", "s3cret"))
	defer srv.Close()
	payload, _ := converter.GetDefaultDataConverter().ToPayload("hello")
	enc, _ := New(k).Encode([]*commonpb.Payload{payload})
	body, _ := json.Marshal(map[string]any{"payloads": []any{map[string]any{"metadata": map[string][]byte{
		MetadataEncoding: enc[0].Metadata[MetadataEncoding], MetadataKeyID: enc[0].Metadata[MetadataKeyID]}, "data": enc[0].Data}}})
	post := func(token string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/decode", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	if resp := post(""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no token: %d", resp.StatusCode)
	}
	resp := post("s3cret")
	defer resp.Body.Close()
	var out struct {
		Payloads []struct{ Data []byte } `json:"payloads"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 || len(out.Payloads) != 1 || string(out.Payloads[0].Data) != `"hello"` {
		t.Fatalf("decode via HTTP: %d %v %+v", resp.StatusCode, err, out)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "http://127.0.0.1:8233" {
		t.Fatal("no CORS header")
	}
	req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/decode", nil)
	pre, _ := http.DefaultClient.Do(req)
	if pre.StatusCode != http.StatusNoContent {
		t.Fatalf("preflight: %d", pre.StatusCode)
	}
}
