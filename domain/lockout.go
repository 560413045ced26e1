package domain

import "time"

// LockPolicy is how failed sign-ins lock what they are counted against: MaxFailures
// failures in a row lock it for First, each following lock twice as long up to Max. The
// count decays: a failure more than Quiet after the previous one starts a new count, and
// the number of locks is forgotten after Forget without a failure. Every lock is bounded
// (Max), so that nobody can keep a door shut for ever.
type LockPolicy struct {
	MaxFailures   int
	First, Max    time.Duration
	Quiet, Forget time.Duration
}

// Duration is how long the lockNumber-th lock (1-based; below 1 counts as 1) lasts.
func (p LockPolicy) Duration(lockNumber int) time.Duration {
	d := p.First
	for i := 1; i < lockNumber; i++ {
		d *= 2
		if d >= p.Max {
			return p.Max
		}
	}
	return min(d, p.Max)
}

// The two locks of the sign-ins (service.Auth):
//
//   - SourceLock: an account's failures from one source (a client address: IPv4, or an
//     IPv6 /64) lock the account for that source only, 5 in a row for 15 min, then 30 min,
//     then 1 h at most. Failures from an attacker's address never keep the owner out
//     from another address.
//   - AddressLock: every failure from one address, whatever the account, counts towards
//     that address's budget: 100 in a row (no quiet hour between them) shut the address out
//     of the sign-ins for 15 min, up to 1 h. Sized for carrier-grade NAT (README,
//     "Security"): thousands of phones behind one address fail far less than that, while
//     one guesser is held to about 100 passwords an hour whatever the accounts.
var (
	SourceLock  = LockPolicy{MaxFailures: 5, First: 15 * time.Minute, Max: time.Hour, Quiet: 15 * time.Minute, Forget: 24 * time.Hour}
	AddressLock = LockPolicy{MaxFailures: 100, First: 15 * time.Minute, Max: time.Hour, Quiet: time.Hour, Forget: 24 * time.Hour}
)

// MaxConsecutiveFailures is SourceLock's number of failures in a row that lock.
const MaxConsecutiveFailures = 5

// LockDuration is SourceLock's Duration: 15 min, 30 min, then 1 h.
func LockDuration(lockNumber int) time.Duration { return SourceLock.Duration(lockNumber) }
