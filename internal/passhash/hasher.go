package passhash

import (
	"crypto/rand"
	"runtime"

	"golang.org/x/crypto/argon2"
)

// Hasher hashes and verifies passwords with fixed parameters, and makes the
// "unknown account" path of a sign-in cost the same as the "wrong password"
// path.
//
// Create it with [NewHasher]; Params must not be changed afterwards (the
// dummy hash is computed with the parameters given to NewHasher). A Hasher
// is safe for concurrent use: at most GOMAXPROCS computations run at once
// (each holds Params.Memory, 19 MiB by default), the others wait their turn,
// so a burst of sign-ins or of credentials to issue cannot exhaust memory.
type Hasher struct {
	Params Params
	dummy  string        // hash of a random, discarded password, made with Params
	slots  chan struct{} // one per computation allowed at once (nil: no limit)
}

// NewHasher validates p and returns a Hasher using it. It precomputes the
// hash of a random password, thrown away at once, which Verify checks
// against when there is no stored hash.
func NewHasher(p Params) (*Hasher, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	dummy, err := Hash(string(secret), p)
	if err != nil {
		return nil, err
	}
	return &Hasher{Params: p, dummy: dummy, slots: make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))}, nil
}

// acquire waits for a computation slot; the returned func gives it back.
func (h *Hasher) acquire() func() {
	if h.slots == nil {
		return func() {}
	}
	h.slots <- struct{}{}
	return func() { <-h.slots }
}

// Hash hashes password with h.Params (see the package-level [Hash]).
func (h *Hasher) Hash(password string) (string, error) {
	defer h.acquire()()
	return Hash(password, h.Params)
}

// Verify reports whether password matches encoded.
//
// An empty encoded means "no such account" (for instance no citizen with
// this CIN): Verify then still runs a full Argon2id computation against the
// dummy hash and returns false. That is what keeps an answer for an unknown
// CIN as slow as the answer for a known CIN with a wrong password, so
// response times do not reveal which CINs have an account. Callers must
// therefore call Verify on every sign-in attempt, including when the account
// lookup found nothing, and must not return early.
//
// A malformed encoded string is treated the same way (dummy work, false);
// use the package-level [Verify] to get the parsing error.
func (h *Hasher) Verify(password, encoded string) bool {
	defer h.acquire()()
	if encoded != "" {
		ok, err := Verify(password, encoded)
		if err == nil {
			return ok
		}
	}
	h.burn(password)
	return false
}

// burn spends the same time as verifying a password against a hash made
// with h.Params.
func (h *Hasher) burn(password string) {
	if h.dummy != "" {
		_, _ = Verify(password, h.dummy)
		return
	}
	// Zero Hasher (not made by NewHasher): still do comparable work.
	p := h.Params
	if p.Validate() != nil {
		p = DefaultParams
	}
	_ = argon2.IDKey([]byte(password), make([]byte, p.SaltLen), p.Iterations, p.Memory, p.Parallelism, p.KeyLen)
}
