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
		{4, 2 * time.Hour},
		{5, 4 * time.Hour},
		{6, 8 * time.Hour},
		{7, 16 * time.Hour},
		{8, 24 * time.Hour},
		{9, 24 * time.Hour},
		{100, 24 * time.Hour},
		{math.MaxInt, 24 * time.Hour},
	}
	for _, tt := range tests {
		if got := LockDuration(tt.lock); got != tt.want {
			t.Errorf("LockDuration(%d) = %v, want %v", tt.lock, got, tt.want)
		}
	}
}

func TestMaxConsecutiveFailures(t *testing.T) {
	if MaxConsecutiveFailures != 5 {
		t.Errorf("MaxConsecutiveFailures = %d, want 5", MaxConsecutiveFailures)
	}
}
