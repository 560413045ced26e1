package passhash

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
)

// InitialPasswordLen is the length of the passwords made by
// [GenerateInitialPassword].
const InitialPasswordLen = 16

// initialPasswordAlphabet has no visually ambiguous characters: the digits 0
// and 1 and the letters O, o, I, i and l are left out. 55 symbols, so a
// 16-character password carries about 92 bits of entropy.
const initialPasswordAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789"

// GenerateInitialPassword returns a random password of InitialPasswordLen
// characters drawn uniformly from an alphabet without ambiguous characters
// (no 0, O, o, 1, l, I, i), for credentials that are printed or e-mailed and
// typed by hand. Random bytes come from crypto/rand; bytes that would bias
// the draw are rejected instead of being reduced modulo the alphabet size.
func GenerateInitialPassword() (string, error) {
	const n = len(initialPasswordAlphabet)
	// Largest multiple of n that fits in a byte: bytes >= limit are rejected
	// so that every symbol has exactly the same probability.
	const limit = 256 - 256%n

	out := make([]byte, 0, InitialPasswordLen)
	buf := make([]byte, 2*InitialPasswordLen)
	for len(out) < InitialPasswordLen {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("passhash: reading random bytes: %w", err)
		}
		for _, b := range buf {
			if int(b) >= limit {
				continue
			}
			out = append(out, initialPasswordAlphabet[int(b)%n])
			if len(out) == InitialPasswordLen {
				break
			}
		}
	}
	return string(out), nil
}

// tokenBytes is the amount of randomness in a token (256 bits).
const tokenBytes = 32

// NewToken returns a random opaque token (32 bytes from crypto/rand,
// base64url without padding, 43 characters) for e-mail links, activation or
// password resets, together with its SHA-256 hash (see [HashToken]). Only the
// hash should be stored: a database leak then yields no usable token. Look a
// presented token up by HashToken(token).
func NewToken() (token string, hash []byte, err error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("passhash: reading random bytes: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token), nil
}

// HashToken returns the SHA-256 of the bytes of token (the base64url string
// itself, not the decoded bytes). A fast hash is enough here because tokens
// carry 256 bits of randomness and cannot be guessed.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}
