// Package passhash hashes and verifies passwords with Argon2id, stored in the
// PHC string format
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>
//
// where salt and key are base64 (standard alphabet, no padding). Because the
// parameters travel with each hash, hashes created with older parameters keep
// verifying after [DefaultParams] is raised; [NeedsRehash] tells when a
// stored hash should be replaced after a successful sign-in.
//
// The package also provides the random secrets of the account life cycle:
// initial passwords ([GenerateInitialPassword]) and opaque tokens stored only
// as their SHA-256 ([NewToken], [HashToken]).
//
// No error returned by this package contains a password, a hash or a token.
package passhash

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are the Argon2id cost parameters.
type Params struct {
	Memory      uint32 // memory cost in KiB
	Iterations  uint32 // number of passes over the memory (t)
	Parallelism uint8  // degree of parallelism, lanes (p)
	SaltLen     uint32 // salt length in bytes
	KeyLen      uint32 // derived key length in bytes
}

// DefaultParams is the OWASP Password Storage Cheat Sheet minimum for
// Argon2id: 19 MiB of memory, 2 iterations, 1 lane, with a 16-byte salt and a
// 32-byte key.
var DefaultParams = Params{Memory: 19456, Iterations: 2, Parallelism: 1, SaltLen: 16, KeyLen: 32}

// Bounds accepted for parameters, both when hashing and when parsing a stored
// hash. The upper bounds keep a corrupted or hostile hash string from making
// Verify allocate gigabytes or spin for minutes.
const (
	minSaltLen   = 8       // Argon2 specification minimum
	maxSaltLen   = 64      // bytes
	minKeyLen    = 16      // 128 bits
	maxKeyLen    = 64      // bytes
	maxMemoryKiB = 1 << 21 // 2 GiB
	maxIter      = 64
)

// Errors returned by Hash, Verify and NewHasher.
var (
	// ErrInvalidHash: the encoded string is not a well-formed argon2id PHC
	// string.
	ErrInvalidHash = errors.New("passhash: invalid encoded hash")
	// ErrIncompatibleVersion: the hash uses an Argon2 version other than 19.
	ErrIncompatibleVersion = errors.New("passhash: incompatible argon2 version")
	// ErrInvalidParams: the cost parameters are out of the accepted range.
	ErrInvalidParams = errors.New("passhash: invalid argon2id parameters")
)

// Validate reports whether p is usable: at least 1 iteration and 1 lane, at
// least 8 KiB of memory per lane, a salt of 8 to 64 bytes and a key of 16 to
// 64 bytes, and no more than 2 GiB of memory or 64 iterations.
func (p Params) Validate() error {
	switch {
	case p.Iterations < 1 || p.Iterations > maxIter,
		p.Parallelism < 1,
		p.Memory < 8*uint32(p.Parallelism) || p.Memory > maxMemoryKiB,
		p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen,
		p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return ErrInvalidParams
	}
	return nil
}

// Hash derives an Argon2id key from password with a fresh random salt and
// returns it as a PHC string.
func Hash(password string, p Params) (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("passhash: reading random salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLen)
	return encode(p, salt, key), nil
}

// encode formats a PHC string.
func encode(p Params, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Iterations, p.Parallelism,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Verify reports whether password matches the encoded PHC hash. The cost
// parameters, salt and key length are read from encoded, so hashes made with
// other parameters than the current ones still verify. The derived keys are
// compared in constant time.
//
// A malformed encoded string yields (false, err) with err wrapping
// ErrInvalidHash, ErrIncompatibleVersion or ErrInvalidParams.
func Verify(password, encoded string) (bool, error) {
	p, salt, key, err := decode(encoded)
	if err != nil {
		return false, err
	}
	other := argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLen)
	return subtle.ConstantTimeCompare(key, other) == 1, nil
}

// NeedsRehash reports whether encoded was not produced with exactly the
// parameters p (cost parameters, salt length, key length, Argon2 version), in
// which case the password should be hashed again with p after it has been
// verified. A malformed encoded string also needs rehashing.
func NeedsRehash(encoded string, p Params) bool {
	got, _, _, err := decode(encoded)
	return err != nil || got != p
}

// decode parses and validates a PHC argon2id string. The returned Params has
// SaltLen and KeyLen set to the lengths found in the string.
func decode(encoded string) (p Params, salt, key []byte, err error) {
	// "", "argon2id", "v=19", "m=…,t=…,p=…", salt, key
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return Params{}, nil, nil, ErrInvalidHash
	}

	v, ok := strings.CutPrefix(parts[2], "v=")
	if !ok {
		return Params{}, nil, nil, ErrInvalidHash
	}
	version, err := parseUint(v, 32)
	if err != nil {
		return Params{}, nil, nil, ErrInvalidHash
	}
	if version != argon2.Version {
		return Params{}, nil, nil, ErrIncompatibleVersion
	}

	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return Params{}, nil, nil, ErrInvalidHash
	}
	var m, t, par uint64
	for i, dst := range []struct {
		name string
		bits int
		val  *uint64
	}{{"m", 32, &m}, {"t", 32, &t}, {"p", 8, &par}} {
		s, ok := strings.CutPrefix(kv[i], dst.name+"=")
		if !ok {
			return Params{}, nil, nil, ErrInvalidHash
		}
		if *dst.val, err = parseUint(s, dst.bits); err != nil {
			return Params{}, nil, nil, ErrInvalidHash
		}
	}

	b64 := base64.RawStdEncoding.Strict()
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return Params{}, nil, nil, ErrInvalidHash
	}
	if key, err = b64.DecodeString(parts[5]); err != nil {
		return Params{}, nil, nil, ErrInvalidHash
	}

	p = Params{
		Memory:      uint32(m),
		Iterations:  uint32(t),
		Parallelism: uint8(par),
		SaltLen:     uint32(len(salt)),
		KeyLen:      uint32(len(key)),
	}
	if err := p.Validate(); err != nil {
		return Params{}, nil, nil, err
	}
	return p, salt, key, nil
}

// parseUint parses a canonical decimal number (no sign, no leading zero),
// as required by the PHC string format.
func parseUint(s string, bits int) (uint64, error) {
	if len(s) > 1 && s[0] == '0' {
		return 0, ErrInvalidHash
	}
	n, err := strconv.ParseUint(s, 10, bits)
	if err != nil || (s != "" && s[0] == '+') {
		return 0, ErrInvalidHash
	}
	return n, nil
}
