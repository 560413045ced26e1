package passhash

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

func TestInitialPasswordAlphabet(t *testing.T) {
	if len(initialPasswordAlphabet) != 55 {
		t.Errorf("alphabet has %d symbols, want 55", len(initialPasswordAlphabet))
	}
	if strings.ContainsAny(initialPasswordAlphabet, "0Oo1lIi") {
		t.Error("alphabet contains an ambiguous character")
	}
	seen := map[rune]bool{}
	for _, r := range initialPasswordAlphabet {
		if seen[r] {
			t.Errorf("duplicate symbol %q", r)
		}
		seen[r] = true
	}
}

func TestGenerateInitialPassword(t *testing.T) {
	const draws = 1000
	seen := make(map[string]bool, draws)
	for range draws {
		pw, err := GenerateInitialPassword()
		if err != nil {
			t.Fatal(err)
		}
		if len(pw) != InitialPasswordLen || InitialPasswordLen != 16 {
			t.Fatalf("len = %d, want 16", len(pw))
		}
		for _, r := range pw {
			if !strings.ContainsRune(initialPasswordAlphabet, r) {
				t.Fatalf("character %q outside the alphabet", r)
			}
		}
		if seen[pw] {
			t.Fatal("duplicate initial password")
		}
		seen[pw] = true
	}
}

// Every symbol must be reachable and none grossly favoured. With 32,000
// characters each symbol is expected ~582 times (σ ≈ 24); the bounds are more
// than 7σ away, so this test does not flake.
func TestGenerateInitialPasswordDistribution(t *testing.T) {
	counts := map[rune]int{}
	for range 2000 {
		pw, err := GenerateInitialPassword()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range pw {
			counts[r]++
		}
	}
	for _, r := range initialPasswordAlphabet {
		if c := counts[r]; c < 400 || c > 770 {
			t.Errorf("symbol %q drawn %d times, expected about 582", r, c)
		}
	}
}

func TestNewToken(t *testing.T) {
	tok, hash, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) != 32 || len(tok) != 43 {
		t.Fatalf("token is not 32 base64url bytes: len=%d err=%v", len(tok), err)
	}
	want := sha256.Sum256([]byte(tok))
	if !bytes.Equal(hash, want[:]) || !bytes.Equal(HashToken(tok), hash) {
		t.Error("hash is not SHA-256 of the token string")
	}
	tok2, hash2, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if tok2 == tok || bytes.Equal(hash2, hash) {
		t.Error("two tokens are equal")
	}
}

func TestHashToken(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	}
	for _, tt := range tests {
		if got := hex.EncodeToString(HashToken(tt.in)); got != tt.want {
			t.Errorf("HashToken(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
