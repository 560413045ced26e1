package passhash

import (
	"time"

	"errors"
	"regexp"
	"strings"
	"testing"
)

// cheap keeps the tests fast; the format and logic do not depend on the cost.
var cheap = Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

var phcPattern = regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestHashDefaultFormatAndRoundTrip(t *testing.T) {
	const pw = "tajine au citron 2024"
	enc, err := Hash(pw, DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	if !phcPattern.MatchString(enc) {
		t.Fatalf("Hash() = %q, not a default-params argon2id PHC string", enc)
	}
	ok, err := Verify(pw, enc)
	if err != nil || !ok {
		t.Fatalf("Verify(right password) = %v, %v; want true, nil", ok, err)
	}
	ok, err = Verify(pw+"!", enc)
	if err != nil || ok {
		t.Fatalf("Verify(wrong password) = %v, %v; want false, nil", ok, err)
	}
	if NeedsRehash(enc, DefaultParams) {
		t.Error("NeedsRehash(default hash, DefaultParams) = true")
	}
}

func TestHashSaltsAreRandom(t *testing.T) {
	a, err := Hash("same password", cheap)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Hash("same password", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Error("two hashes of the same password are identical")
	}
}

func TestVerify(t *testing.T) {
	const pw = "mot de passe très secret"
	enc, err := Hash(pw, cheap)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		pw   string
		want bool
	}{
		{"right", pw, true},
		{"wrong", "mot de passe très secreT", false},
		{"empty", "", false},
		{"prefix", pw[:10], false},
		{"trailing space", pw + " ", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Verify(tt.pw, enc)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Verify() = %v, want %v", got, tt.want)
			}
		})
	}
}

// Reference vectors from the Argon2 reference implementation
// (phc-winner-argon2, src/test.c): password "password", salt "somesalt".
func TestVerifyReferenceVectors(t *testing.T) {
	for _, enc := range []string{
		"$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
		"$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
	} {
		ok, err := Verify("password", enc)
		if err != nil || !ok {
			t.Errorf("Verify(reference %q) = %v, %v; want true, nil", enc, ok, err)
		}
		ok, err = Verify("passwore", enc)
		if err != nil || ok {
			t.Errorf("Verify(wrong, reference %q) = %v, %v; want false, nil", enc, ok, err)
		}
	}
}

// A hash made with other (older) parameters still verifies.
func TestVerifyOtherParams(t *testing.T) {
	old := Params{Memory: 256, Iterations: 3, Parallelism: 2, SaltLen: 8, KeyLen: 16}
	enc, err := Hash("ancien", old)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=256,t=3,p=2$") {
		t.Fatalf("Hash() = %q, unexpected parameter section", enc)
	}
	if ok, err := Verify("ancien", enc); err != nil || !ok {
		t.Fatalf("Verify() = %v, %v; want true, nil", ok, err)
	}
	if !NeedsRehash(enc, cheap) {
		t.Error("NeedsRehash(old hash, cheap) = false")
	}
}

func TestVerifyMalformed(t *testing.T) {
	const pw = "password"
	good, err := Hash(pw, cheap)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$")
	salt, key := parts[4], parts[5]
	with := func(i int, s string) string {
		p := append([]string(nil), parts...)
		p[i] = s
		return strings.Join(p, "$")
	}

	tests := []struct {
		name string
		enc  string
		want error
	}{
		{"empty", "", ErrInvalidHash},
		{"garbage", "not a hash", ErrInvalidHash},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", ErrInvalidHash},
		{"argon2i", with(1, "argon2i"), ErrInvalidHash},
		{"missing field", strings.Join(parts[:5], "$"), ErrInvalidHash},
		{"extra field", good + "$x", ErrInvalidHash},
		{"no leading dollar", strings.TrimPrefix(good, "$"), ErrInvalidHash},
		{"version 16", with(2, "v=16"), ErrIncompatibleVersion},
		{"version missing", with(2, "19"), ErrInvalidHash},
		{"version not a number", with(2, "v=x"), ErrInvalidHash},
		{"params out of order", with(3, "t=1,m=64,p=1"), ErrInvalidHash},
		{"params missing", with(3, "m=64,t=1"), ErrInvalidHash},
		{"params extra", with(3, "m=64,t=1,p=1,k=2"), ErrInvalidHash},
		{"params spaces", with(3, "m=64, t=1,p=1"), ErrInvalidHash},
		{"memory negative", with(3, "m=-64,t=1,p=1"), ErrInvalidHash},
		{"memory plus sign", with(3, "m=+64,t=1,p=1"), ErrInvalidHash},
		{"memory leading zero", with(3, "m=064,t=1,p=1"), ErrInvalidHash},
		{"memory overflow", with(3, "m=4294967296,t=1,p=1"), ErrInvalidHash},
		{"parallelism overflow", with(3, "m=64,t=1,p=256"), ErrInvalidHash},
		{"memory too large", with(3, "m=4294967295,t=1,p=1"), ErrInvalidParams},
		{"memory below 8 per lane", with(3, "m=8,t=1,p=2"), ErrInvalidParams},
		{"zero iterations", with(3, "m=64,t=0,p=1"), ErrInvalidParams},
		{"zero parallelism", with(3, "m=64,t=1,p=0"), ErrInvalidParams},
		{"too many iterations", with(3, "m=64,t=1000000,p=1"), ErrInvalidParams},
		{"salt padded", with(4, salt+"=="), ErrInvalidHash},
		{"salt bad char", with(4, "*"+salt[1:]), ErrInvalidHash},
		{"salt url alphabet", with(4, "-_"+salt[2:]), ErrInvalidHash},
		{"salt too short", with(4, "c2FsdA"), ErrInvalidParams},
		{"salt empty", with(4, ""), ErrInvalidParams},
		{"key truncated", with(5, key[:20]), ErrInvalidParams},
		{"key empty", with(5, ""), ErrInvalidParams},
		{"key non-canonical trailing bits", with(5, key[:42]+"B"), ErrInvalidHash},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := Verify(pw, tt.enc)
			if ok {
				t.Error("Verify() = true on a malformed hash")
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify() error = %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), pw) || strings.Contains(err.Error(), salt) || strings.Contains(err.Error(), key) {
				t.Errorf("error %q leaks a secret", err)
			}
			if !NeedsRehash(tt.enc, cheap) {
				t.Error("NeedsRehash(malformed) = false")
			}
		})
	}
}

// Changing the stored key or salt (while keeping the string well formed)
// makes the right password fail.
func TestVerifyTampered(t *testing.T) {
	const pw = "password"
	good, err := Hash(pw, cheap)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	parts := strings.Split(good, "$")
	for name, enc := range map[string]string{
		"key":        strings.Join(append(parts[:5:5], flip(parts[5], 0)), "$"),
		"salt":       strings.Join(append(parts[:4:4], flip(parts[4], 3), parts[5]), "$"),
		"iterations": strings.Replace(good, "t=1,", "t=2,", 1),
		"memory":     strings.Replace(good, "m=64,", "m=72,", 1),
	} {
		ok, err := Verify(pw, enc)
		if err != nil || ok {
			t.Errorf("%s tampered: Verify() = %v, %v; want false, nil", name, ok, err)
		}
	}
}

func TestDecodeParams(t *testing.T) {
	p, salt, key, err := decode("$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc")
	if err != nil {
		t.Fatal(err)
	}
	want := Params{Memory: 65536, Iterations: 2, Parallelism: 1, SaltLen: 8, KeyLen: 32}
	if p != want {
		t.Errorf("params = %+v, want %+v", p, want)
	}
	if string(salt) != "somesalt" || len(key) != 32 {
		t.Errorf("salt = %q, len(key) = %d", salt, len(key))
	}
}

func TestNeedsRehash(t *testing.T) {
	enc := encode(DefaultParams, make([]byte, 16), make([]byte, 32))
	tests := []struct {
		name string
		p    Params
		want bool
	}{
		{"same", DefaultParams, false},
		{"more memory", Params{Memory: 65536, Iterations: 2, Parallelism: 1, SaltLen: 16, KeyLen: 32}, true},
		{"more iterations", Params{Memory: 19456, Iterations: 3, Parallelism: 1, SaltLen: 16, KeyLen: 32}, true},
		{"more lanes", Params{Memory: 19456, Iterations: 2, Parallelism: 2, SaltLen: 16, KeyLen: 32}, true},
		{"longer salt", Params{Memory: 19456, Iterations: 2, Parallelism: 1, SaltLen: 32, KeyLen: 32}, true},
		{"longer key", Params{Memory: 19456, Iterations: 2, Parallelism: 1, SaltLen: 16, KeyLen: 64}, true},
	}
	for _, tt := range tests {
		if got := NeedsRehash(enc, tt.p); got != tt.want {
			t.Errorf("%s: NeedsRehash() = %v, want %v", tt.name, got, tt.want)
		}
	}
	if !NeedsRehash("", DefaultParams) {
		t.Error(`NeedsRehash("") = false`)
	}
}

func TestHashInvalidParams(t *testing.T) {
	for _, p := range []Params{
		{},
		{Memory: 64, Iterations: 0, Parallelism: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Iterations: 1, Parallelism: 0, SaltLen: 16, KeyLen: 32},
		{Memory: 15, Iterations: 1, Parallelism: 2, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 4, KeyLen: 32},
		{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 8},
	} {
		if _, err := Hash("pw", p); !errors.Is(err, ErrInvalidParams) {
			t.Errorf("Hash(%+v) error = %v, want ErrInvalidParams", p, err)
		}
		if _, err := NewHasher(p); !errors.Is(err, ErrInvalidParams) {
			t.Errorf("NewHasher(%+v) error = %v, want ErrInvalidParams", p, err)
		}
	}
	if err := DefaultParams.Validate(); err != nil {
		t.Errorf("DefaultParams.Validate() = %v", err)
	}
}

func TestHasher(t *testing.T) {
	h, err := NewHasher(cheap)
	if err != nil {
		t.Fatal(err)
	}
	if h.dummy == "" || NeedsRehash(h.dummy, cheap) {
		t.Fatalf("dummy hash not made with the hasher's params: %q", h.dummy)
	}
	const pw = "un mot de passe"
	enc, err := h.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		pw, enc string
		want    bool
	}{
		{"right password", pw, enc, true},
		{"wrong password", "autre chose", enc, false},
		{"no account", pw, "", false},
		{"no account, empty password", "", "", false},
		{"malformed stored hash", pw, "$argon2id$garbage", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := h.Verify(tt.pw, tt.enc); got != tt.want {
				t.Errorf("Verify() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestZeroHasherDoesNotPanic(t *testing.T) {
	h := &Hasher{Params: cheap}
	if h.Verify("x", "") {
		t.Error("zero Hasher Verify(no account) = true")
	}
}

func BenchmarkHashDefault(b *testing.B) {
	for b.Loop() {
		if _, err := Hash("tajine au citron 2024", DefaultParams); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHasherVerifyNoAccount(b *testing.B) {
	h, err := NewHasher(DefaultParams)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		h.Verify("tajine au citron 2024", "")
	}
}

// TestHasherBoundsConcurrency: with every slot taken, a hash waits for one to free up.
func TestHasherBoundsConcurrency(t *testing.T) {
	h, err := NewHasher(cheap)
	if err != nil {
		t.Fatal(err)
	}
	if cap(h.slots) < 2 {
		t.Fatalf("%d slots", cap(h.slots))
	}
	for range cap(h.slots) {
		h.slots <- struct{}{}
	}
	done := make(chan struct{})
	go func() {
		_, _ = h.Hash("a password")
		h.Verify("a password", "")
		close(done)
	}()
	select {
	case <-done:
		t.Fatal("hashed while every slot was taken")
	case <-time.After(100 * time.Millisecond):
	}
	<-h.slots
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("still waiting after a slot was freed")
	}
	if len(h.slots) != cap(h.slots)-1 {
		t.Fatalf("slots not given back: %d of %d taken", len(h.slots), cap(h.slots))
	}
}
