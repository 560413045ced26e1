package codec

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
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
}

// TestPlaintextRefused: a keyring made strict (RefusePlaintext, the api's and the worker's
// unless OCC_ALLOW_PLAINTEXT_PAYLOADS=true) refuses an unencrypted payload, with an error
// naming the variables, and still decrypts the others; by default unencrypted payloads
// (histories recorded before the keys) pass through.
func TestPlaintextRefused(t *testing.T) {
	k, _ := keyring(t, "k1")
	plain, err := converter.GetDefaultDataConverter().ToPayload(map[string]string{"EnrollmentID": "01ABC"})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := New(k).Encode([]*commonpb.Payload{plain})
	if err != nil {
		t.Fatal(err)
	}
	strict := k.RefusePlaintext()
	_, err = New(strict).Decode([]*commonpb.Payload{enc[0], plain})
	if !errors.Is(err, ErrPlaintext) || !strings.Contains(err.Error(), "OCC_ALLOW_PLAINTEXT_PAYLOADS") ||
		!strings.Contains(err.Error(), "OCC_PAYLOAD_KEYS") {
		t.Fatalf("unencrypted payload: %v, want ErrPlaintext naming the variables", err)
	}
	if dec, err := New(strict).Decode(enc); err != nil || !bytes.Equal(dec[0].Data, plain.Data) {
		t.Fatalf("strict keyring, encrypted payload: %v", err)
	}
	// Through the SDK's data converter, as a worker reads an input.
	dc, _ := Converters(strict)
	var v map[string]string
	if err := dc.FromPayload(plain, &v); !errors.Is(err, ErrPlaintext) {
		t.Fatalf("data converter with an unencrypted payload: %v, want ErrPlaintext", err)
	}
	dec, err := New(k).Decode([]*commonpb.Payload{enc[0], plain})
	if err != nil || dec[1] != plain || !bytes.Equal(dec[0].Data, plain.Data) {
		t.Fatalf("default keyring: %v", err)
	}
	if again, _ := New(strict).Encode([]*commonpb.Payload{plain}); string(again[0].Metadata[MetadataEncoding]) != EncodingAESGCM {
		t.Fatal("RefusePlaintext must not stop encryption")
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

// TestHandlerBodyLimit: a body over MaxRequestBytes is refused 413, whether it announces
// its length or not (chunked); one under the limit decodes.
func TestHandlerBodyLimit(t *testing.T) {
	k, _ := keyring(t, "k1")
	srv := httptest.NewServer(Handler(New(k), "", "s3cret"))
	defer srv.Close()
	post := func(body io.Reader, length int64) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/decode", body)
		req.ContentLength = length
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer s3cret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	big := bytes.Repeat([]byte(" "), MaxRequestBytes+1)
	if got := post(bytes.NewReader(big), int64(len(big))); got != http.StatusRequestEntityTooLarge {
		t.Errorf("%d bytes with Content-Length: %d, want 413", len(big), got)
	}
	// -1: unknown length, sent chunked; io.MultiReader hides the size from net/http.
	if got := post(io.MultiReader(bytes.NewReader(big)), -1); got != http.StatusRequestEntityTooLarge {
		t.Errorf("%d bytes chunked: %d, want 413", len(big), got)
	}
	payload, _ := converter.GetDefaultDataConverter().ToPayload("hello")
	enc, _ := New(k).Encode([]*commonpb.Payload{payload})
	body, _ := json.Marshal(map[string]any{"payloads": []any{map[string]any{"metadata": map[string][]byte{
		MetadataEncoding: enc[0].Metadata[MetadataEncoding], MetadataKeyID: enc[0].Metadata[MetadataKeyID]}, "data": enc[0].Data}}})
	padded := append(body, bytes.Repeat([]byte(" "), MaxRequestBytes-len(body))...)
	if got := post(io.MultiReader(bytes.NewReader(padded)), -1); got != http.StatusOK {
		t.Errorf("a body of exactly MaxRequestBytes: %d, want 200", got)
	}
}

// TestCheckExposure: no token is allowed on loopback only, and the refusal names the
// variables without printing a token.
func TestCheckExposure(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:8081", "[::1]:8081", "localhost:8081", "127.0.0.2:8081"} {
		if err := CheckExposure(addr, ""); err != nil {
			t.Errorf("%s without a token: %v, want allowed (loopback)", addr, err)
		}
	}
	for _, addr := range []string{"0.0.0.0:8081", ":8081", "[::]:8081", "10.1.2.3:8081", "codec-server:8081"} {
		err := CheckExposure(addr, "")
		if err == nil || !strings.Contains(err.Error(), "OCC_CODEC_TOKEN") || !strings.Contains(err.Error(), "OCC_CODEC_ADDR") {
			t.Errorf("%s without a token: %v, want a refusal naming OCC_CODEC_TOKEN and OCC_CODEC_ADDR", addr, err)
		}
		if err := CheckExposure(addr, "a-token"); err != nil {
			t.Errorf("%s with a token: %v", addr, err)
		}
	}
}

func TestNewServerTimeouts(t *testing.T) {
	s := NewServer("127.0.0.1:0", http.NotFoundHandler())
	if s.ReadHeaderTimeout <= 0 || s.ReadTimeout <= 0 || s.WriteTimeout <= 0 || s.IdleTimeout <= 0 || s.MaxHeaderBytes <= 0 {
		t.Fatalf("codec server without a timeout or header limit: %+v", s)
	}
}

// TestSealOpen: a sealed text reads back with the ring (an older key included), hides its
// content, is refused with another ring, and a text stored before sealing passes only a
// lenient ring.
func TestSealOpen(t *testing.T) {
	k1, _ := NewKey("k1")
	k2, _ := NewKey("k2")
	old, err := ParseKeys(k1)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := ParseKeys(k2 + "," + k1)
	if err != nil {
		t.Fatal(err)
	}
	const secret = "Mot de passe provisoire : Xq7-rT9m-Lp2w"
	sealed, err := old.Seal(secret)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "Xq7") || !strings.HasPrefix(sealed, "occ-sealed:v1:k1:") {
		t.Fatalf("sealed text %q", sealed)
	}
	if got, err := ring.Open(sealed); err != nil || got != secret {
		t.Fatalf("Open with the newer ring = %q, %v", got, err)
	}
	other, _ := NewKey("k1")
	stranger, _ := ParseKeys(other)
	if _, err := stranger.Open(sealed); err == nil {
		t.Fatal("another key with the same id opened the text")
	}
	if got, err := ring.Open("plain body"); err != nil || got != "plain body" {
		t.Fatalf("a text stored in clear = %q, %v", got, err)
	}
	if _, err := ring.RefusePlaintext().Open("plain body"); !errors.Is(err, ErrPlaintext) {
		t.Fatalf("a strict ring opened a clear text: %v", err)
	}
	// Purposes: a TOTP secret opens as one, not as an e-mail body, and the other way round.
	totp := ring.For("occonnect/staff-totp")
	s2, err := totp.Seal("JBSWY3DPEHPK3PXP")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := totp.Open(s2); err != nil || got != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("Open for the purpose = %q, %v", got, err)
	}
	if _, err := ring.Open(s2); err == nil {
		t.Fatal("a TOTP secret opened as an e-mail body")
	}
	if _, err := totp.Open(sealed); err == nil {
		t.Fatal("an e-mail body opened as a TOTP secret")
	}
}
