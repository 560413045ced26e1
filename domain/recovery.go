package domain

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"math/big"
	"time"
)

// Password recovery: a one-time code of RecoveryCodeDigits digits, e-mailed, valid
// RecoveryCodeTTL, burnt by RecoveryMaxAttempts wrong tries.
const (
	RecoveryCodeDigits  = 8
	RecoveryCodeTTL     = 15 * time.Minute
	RecoveryMaxAttempts = 5
)

// NewRecoveryCode draws a code, uniformly.
func NewRecoveryCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(100_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%0*d", RecoveryCodeDigits, n.Int64()), nil
}

// RecoveryCodeHash is the stored hash of a citizen's code, bound to the citizen (a code is
// only ever checked against one).
func RecoveryCodeHash(citizenID int64, code string) []byte {
	h := sha256.Sum256(fmt.Appendf(nil, "occ-citizen-recovery:%d:%s", citizenID, code))
	return h[:]
}
