package e2e

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"occonnect/internal/ratelimit"
	"occonnect/internal/stack"
)

// limitedAPI is a second API server over the same stack with its own limits: the main one
// has generous limits, since the tests sign in many times from 127.0.0.1.
func limitedAPI(t *testing.T, ipLimit, accountLimit ratelimit.Rate) *stack.Client {
	return secondAPI{addressLimit: ipLimit, nameLimit: accountLimit}.start(t)
}

// post posts a JSON body to another server, as call does to the main one.
func post(t *testing.T, c *stack.Client, path string, body any) response {
	t.Helper()
	return callWith(t, c, http.MethodPost, path, "", body)
}

// expectLimited checks a 429 rate_limited with Retry-After in whole seconds, and returns it.
func expectLimited(t *testing.T, r response) time.Duration {
	t.Helper()
	expect(t, r, http.StatusTooManyRequests, "rate_limited")
	secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || secs < 1 {
		t.Fatalf("Retry-After = %q, want whole seconds", r.Header.Get("Retry-After"))
	}
	if r.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("Content-Type = %q", r.Header.Get("Content-Type"))
	}
	return time.Duration(secs) * time.Second
}

// TestRateLimitPerAddress: past the per-address limit the staff login answers 429 with
// Retry-After, for any account; after Retry-After the right password signs in again.
func TestRateLimitPerAddress(t *testing.T) {
	limited := limitedAPI(t, ratelimit.Rate{Requests: 3, Per: 3 * time.Second}, ratelimit.Rate{})
	login := func(email string) response {
		return post(t, limited, "/api/v1/staff/login", map[string]string{"email": email, "password": agentPassword})
	}
	for range 3 {
		expect(t, login("agent@e2e.oc.local"), http.StatusOK, "")
	}
	wait := expectLimited(t, login("agent@e2e.oc.local"))
	expectLimited(t, login("officer@e2e.oc.local")) // the address is limited, not the account
	// The citizens' sign-in shares the address's attempts.
	expectLimited(t, post(t, limited, "/api/v1/auth/login", map[string]string{"cin": "ZZ999999", "password": "not this one"}))
	time.Sleep(wait)
	expect(t, login("officer@e2e.oc.local"), http.StatusOK, "")
}

// TestRateLimitSharedByProcesses: two API processes (here two servers, each with use cases
// and limiters of its own, on the same database) spend from one budget per address, so a
// load balancer in front of them does not double the limit.
func TestRateLimitSharedByProcesses(t *testing.T) {
	limit := ratelimit.Rate{Requests: 4, Per: 5 * time.Second}
	first, second := limitedAPI(t, limit, ratelimit.Rate{}), limitedAPI(t, limit, ratelimit.Rate{})
	login := func(c *stack.Client) response {
		return post(t, c, "/api/v1/staff/login", map[string]string{"email": "agent@e2e.oc.local", "password": agentPassword})
	}
	for i := range 4 {
		expect(t, login([]*stack.Client{first, second}[i%2]), http.StatusOK, "")
	}
	expectLimited(t, login(first))
	expectLimited(t, login(second))
}

// TestRateLimitPerAccount: past the per-account limit a CIN gets 429 on the login,
// activation and resend alike, from an address that is not limited; another CIN is not
// affected, and after Retry-After the CIN gets its ordinary answer (not a lockout).
func TestRateLimitPerAccount(t *testing.T) {
	limited := limitedAPI(t, ratelimit.Rate{}, ratelimit.Rate{Requests: 2, Per: 4 * time.Second})
	c, other := newCitizen(t), newCitizen(t)
	creds := func(c *stack.Citizen) map[string]string {
		return map[string]string{"cin": c.CIN, "password": "not the password"}
	}

	expect(t, post(t, limited, "/api/v1/auth/login", creds(c)), http.StatusUnauthorized, "invalid_credentials")
	expect(t, post(t, limited, "/api/v1/activation/resend", map[string]string{"cin": c.CIN, "email": c.Email}), http.StatusAccepted, "")
	wait := expectLimited(t, post(t, limited, "/api/v1/auth/login", creds(c)))
	for range 5 {
		expectLimited(t, post(t, limited, "/api/v1/activation", creds(c)))
	}
	expectLimited(t, post(t, limited, "/api/v1/activation/resend", map[string]string{"cin": c.CIN, "email": c.Email}))
	expect(t, post(t, limited, "/api/v1/auth/login", creds(other)), http.StatusUnauthorized, "invalid_credentials")

	time.Sleep(wait)
	// One failure was counted, not the seven limited attempts: the CIN is not locked (5).
	expect(t, post(t, limited, "/api/v1/auth/login", creds(c)), http.StatusUnauthorized, "invalid_credentials")
}
