// Package totp is the staff's second factor: time-based one-time passwords (RFC 6238:
// HMAC-SHA-1, 6 digits, 30-second steps, one step of skew either way) with
// github.com/pquerna/otp, the QR code an authenticator app scans (rendered here, on the
// server), and one-time recovery codes.
package totp

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"image/png"
	"net/url"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"occonnect/internal/passhash"
)

// The parameters every authenticator app supports (RFC 6238's defaults).
const (
	Period = 30 * time.Second
	Digits = 6
	// Skew is the steps accepted before and after the current one (a phone's clock
	// a little off, a code typed as it changes).
	Skew = 1
	// Issuer names the account in the authenticator app.
	Issuer = "OC Connect"
	// RecoveryCodes is how many one-time recovery codes an enrolment gives.
	RecoveryCodes = 10
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSecret makes a secret of 160 random bits (RFC 4226's recommendation), in base32.
func NewSecret() (string, error) {
	raw := make([]byte, 20)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	return b32.EncodeToString(raw), nil
}

// ValidSecret says whether s is a base32 secret of at least 128 bits.
func ValidSecret(s string) bool {
	raw, err := b32.DecodeString(strings.ToUpper(s))
	return err == nil && len(raw) >= 16
}

// URI is the otpauth:// URI of the secret for account (what the QR code holds).
func URI(secret, account string) string {
	v := url.Values{}
	v.Set("secret", secret)
	v.Set("issuer", Issuer)
	v.Set("algorithm", "SHA1")
	v.Set("digits", fmt.Sprint(Digits))
	v.Set("period", fmt.Sprint(int(Period/time.Second)))
	return "otpauth://totp/" + url.PathEscape(Issuer+":"+account) + "?" + v.Encode()
}

// QRPNG renders the URI's QR code as a PNG of size×size pixels.
func QRPNG(uri string, size int) ([]byte, error) {
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		return nil, err
	}
	img, err := key.Image(size, size)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

var opts = totp.ValidateOpts{Period: uint(Period / time.Second), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// Step is the time step of t (RFC 6238's T).
func Step(t time.Time) int64 { return t.Unix() / int64(Period/time.Second) }

// Code is the code of secret at time t.
func Code(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, opts)
}

// Match finds the step within Skew of now whose code is code, later than after (the last
// step used: a code is good once). ok is false for any other code.
func Match(secret, code string, now time.Time, after int64) (step int64, ok bool) {
	code = strings.TrimSpace(code)
	if len(code) != Digits {
		return 0, false
	}
	cur := Step(now)
	for s := cur - Skew; s <= cur+Skew; s++ {
		if s <= after {
			continue
		}
		want, err := Code(secret, time.Unix(s*int64(Period/time.Second), 0))
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return s, true
		}
	}
	return 0, false
}

// NewRecoveryCodes makes n recovery codes, "xxxxx-xxxxx" (50 random bits each, base32
// in lower case), and the hashes under which they are stored.
func NewRecoveryCodes(n int) (codes []string, hashes [][]byte, err error) {
	for range n {
		raw := make([]byte, 7)
		if _, err := rand.Read(raw); err != nil {
			return nil, nil, err
		}
		s := strings.ToLower(b32.EncodeToString(raw))[:10]
		code := s[:5] + "-" + s[5:]
		codes = append(codes, code)
		hashes = append(hashes, RecoveryHash(code))
	}
	return codes, hashes, nil
}

// IsRecoveryCode says whether s has the shape of a recovery code (ten base32 characters,
// with or without the dash and spaces), not of a TOTP.
func IsRecoveryCode(s string) bool {
	n := normalizeRecovery(s)
	return len(n) == 10 && strings.Trim(n, "abcdefghijklmnopqrstuvwxyz234567") == ""
}

// RecoveryHash is the stored hash of a recovery code, however it was typed.
func RecoveryHash(code string) []byte {
	return passhash.HashToken("occ-recovery:" + normalizeRecovery(code))
}

func normalizeRecovery(s string) string {
	return strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(s)))
}
