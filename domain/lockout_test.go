package domain

import (
	"math"
	"testing"
	"time"
)

func TestLockDuration(t *testing.T) {
	tests := []struct {
		lock int
		want time.Duration
	}{
		{math.MinInt, 15 * time.Minute},
		{-1, 15 * time.Minute},
		{0, 15 * time.Minute},
		{1, 15 * time.Minute},
		{2, 30 * time.Minute},
		{3, time.Hour},
		{4, time.Hour},
		{100, time.Hour},
		{math.MaxInt, time.Hour},
	}
	for _, tt := range tests {
		if got := LockDuration(tt.lock); got != tt.want {
			t.Errorf("LockDuration(%d) = %v, want %v", tt.lock, got, tt.want)
		}
		if got := AddressLock.Duration(tt.lock); got != tt.want {
			t.Errorf("AddressLock.Duration(%d) = %v, want %v", tt.lock, got, tt.want)
		}
	}
}

func TestMaxConsecutiveFailures(t *testing.T) {
	if MaxConsecutiveFailures != 5 || SourceLock.MaxFailures != MaxConsecutiveFailures {
		t.Errorf("MaxConsecutiveFailures = %d (SourceLock %d), want 5", MaxConsecutiveFailures, SourceLock.MaxFailures)
	}
}
