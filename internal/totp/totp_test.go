package totp

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// rfcSecret is RFC 6238's SHA-1 test key "12345678901234567890" in base32.
const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

// TestRFC6238Vectors: the codes of RFC 6238's appendix B (SHA-1), in their last 6 digits.
func TestRFC6238Vectors(t *testing.T) {
	for _, v := range []struct {
		unix int64
		code string
	}{{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"}, {1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"}} {
		got, err := Code(rfcSecret, time.Unix(v.unix, 0))
		if err != nil || got != v.code {
			t.Errorf("T=%d: %q, %v; want %q", v.unix, got, err, v.code)
		}
	}
}

// TestMatch: the current step and one either side match; two steps away, a code of a
// step already used, and malformed codes do not.
func TestMatch(t *testing.T) {
	now := time.Unix(1111111111, 0)
	cur := Step(now)
	at := func(step int64) string {
		c, err := Code(rfcSecret, time.Unix(step*30, 0))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for d := int64(-1); d <= 1; d++ {
		if s, ok := Match(rfcSecret, at(cur+d), now, 0); !ok || s != cur+d {
			t.Errorf("step %+d: %d %v", d, s, ok)
		}
	}
	for _, d := range []int64{-2, 2} {
		if _, ok := Match(rfcSecret, at(cur+d), now, 0); ok {
			t.Errorf("step %+d matched", d)
		}
	}
	if _, ok := Match(rfcSecret, at(cur), now, cur); ok {
		t.Error("a used step matched again")
	}
	if s, ok := Match(rfcSecret, at(cur+1), now, cur); !ok || s != cur+1 {
		t.Error("the next step after a used one did not match")
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if _, ok := Match(rfcSecret, bad, now, 0); ok {
			t.Errorf("%q matched", bad)
		}
	}
}

func TestSecretAndURI(t *testing.T) {
	s, err := NewSecret()
	if err != nil || len(s) != 32 || !ValidSecret(s) {
		t.Fatalf("secret %q %v", s, err)
	}
	if ValidSecret("GEZDGNBV") || ValidSecret("not base32!") {
		t.Error("a short or malformed secret is valid")
	}
	uri := URI(s, "mfa@demo.oc.local")
	for _, want := range []string{"otpauth://totp/OC%20Connect:mfa@demo.oc.local?", "secret=" + s, "issuer=OC+Connect", "digits=6", "period=30", "algorithm=SHA1"} {
		if !strings.Contains(uri, want) {
			t.Errorf("%s lacks %s", uri, want)
		}
	}
	png, err := QRPNG(uri, 200)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("QR: %v", err)
	}
}

func TestRecoveryCodes(t *testing.T) {
	codes, hashes, err := NewRecoveryCodes(RecoveryCodes)
	if err != nil || len(codes) != 10 || len(hashes) != 10 {
		t.Fatalf("%d codes, %v", len(codes), err)
	}
	seen := map[string]bool{}
	for i, c := range codes {
		if len(c) != 11 || c[5] != '-' || !IsRecoveryCode(c) || seen[c] {
			t.Errorf("code %q", c)
		}
		seen[c] = true
		typed := strings.ToUpper(strings.ReplaceAll(c, "-", " "))
		if !bytes.Equal(RecoveryHash(typed), hashes[i]) {
			t.Errorf("%q typed as %q hashes differently", c, typed)
		}
	}
	if IsRecoveryCode("123456") || IsRecoveryCode("abcde-fghi1") {
		t.Error("a TOTP or a malformed code passes for a recovery code")
	}
}
