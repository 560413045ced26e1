package domain

import "time"

// MaxConsecutiveFailures is the number of consecutive failed sign-in
// attempts after which an account is locked.
const MaxConsecutiveFailures = 5

// Lockout durations: the first lock lasts firstLockDuration, each following
// one twice as long as the previous one, up to maxLockDuration.
const (
	firstLockDuration = 15 * time.Minute
	maxLockDuration   = 24 * time.Hour
)

// LockDuration returns how long an account stays locked for its lockNumber-th
// lock (1-based): 15 min, 30 min, 1 h, 2 h, 4 h, 8 h, 16 h, then 24 h for the
// 8th lock and every later one. A lockNumber below 1 is treated as 1.
func LockDuration(lockNumber int) time.Duration {
	d := firstLockDuration
	for i := 1; i < lockNumber; i++ {
		d *= 2
		if d >= maxLockDuration {
			return maxLockDuration
		}
	}
	return d
}
