package e2e

import (
	"fmt"
	"net/http"
	"net/netip"
	"testing"

	"occonnect/internal/stack"
)

// apiBehindProxy is a second API that believes the X-Forwarded-For of 127.0.0.1, as the
// production API believes its reverse proxy's: each request says which client address it
// comes from.
func apiBehindProxy(t *testing.T) *stack.Client {
	return secondAPI{trustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}.start(t)
}

// TestLockoutCannotBeTurnedAgainstTheOwner: 50 wrong passwords for a citizen's CIN from one
// address lock that address out of the account (423 after the fifth), and the owner signs
// in from another address at once; an admin lifts a staff member's locks (audited).
func TestLockoutCannotBeTurnedAgainstTheOwner(t *testing.T) {
	proxy := apiBehindProxy(t)
	c, _ := activeCitizen(t)
	from := func(address string) []string { return []string{"X-Forwarded-For", address} }
	wrong := map[string]string{"cin": c.CIN, "password": "not the password at all"}
	locked := 0
	for i := range 50 {
		r := callWith(t, proxy, "POST", "/api/v1/auth/login", "", wrong, from("203.0.113.7")...)
		switch {
		case i < 4:
			expect(t, r, http.StatusUnauthorized, "invalid_credentials")
		case r.Status == http.StatusLocked:
			locked++
		default:
			t.Fatalf("failure %d: %d %s, want 423", i+1, r.Status, r.Raw)
		}
	}
	if locked != 46 {
		t.Fatalf("%d of the attempts after the fifth were refused as locked, want 46", locked)
	}
	right := map[string]string{"cin": c.CIN, "password": c.Password}
	expect(t, callWith(t, proxy, "POST", "/api/v1/auth/login", "", right, from("198.51.100.9")...), http.StatusOK, "")
	// The attacker's address stays locked, even with the right password.
	expect(t, callWith(t, proxy, "POST", "/api/v1/auth/login", "", right, from("203.0.113.7")...), http.StatusLocked, "account_locked")

	// A staff member locked at their own address: an admin unlocks, and it is audited.
	admin := staffToken(t, "admin@e2e.oc.local")
	staff := call(t, "GET", "/api/v1/admin/staff?role=officer&limit=100", admin, nil)
	expect(t, staff, http.StatusOK, "")
	var id float64
	for _, it := range staff.Body["items"].([]any) {
		if m := it.(map[string]any); m["email"] == "officer2@e2e.oc.local" {
			id = m["id"].(float64)
		}
	}
	login := func(password string) response {
		return callWith(t, proxy, "POST", "/api/v1/staff/login", "", map[string]string{"email": "officer2@e2e.oc.local",
			"password": password}, from("192.0.2.44")...)
	}
	for range 5 {
		login("not the password")
	}
	expect(t, login(agentPassword), http.StatusLocked, "account_locked")
	r := call(t, "POST", fmt.Sprintf("/api/v1/admin/staff/%d/unlock", int64(id)), admin, nil)
	expect(t, r, http.StatusOK, "")
	if r.Body["sources_with_failures"] != 1.0 {
		t.Fatalf("unlock: %s", r.Raw)
	}
	expect(t, login(agentPassword), http.StatusOK, "")
	var n int
	must(t, env.store.DB().GetContext(t.Context(), &n, `SELECT COUNT(*) FROM admin_audit WHERE action = 'staff.unlock' AND entity_id = ?`,
		fmt.Sprint(int64(id))))
	if n != 1 {
		t.Fatalf("%d staff.unlock audit rows, want 1", n)
	}
}

// TestAddressFailureBudget: an address that fails 100 sign-ins in a row, whatever the
// accounts, is refused for a while (429 rate_limited with Retry-After), the owner of an
// account included; other addresses are not, and a successful sign-in of a guesser's own
// account does not earn attempts.
func TestAddressFailureBudget(t *testing.T) {
	proxy := apiBehindProxy(t)
	c, _ := activeCitizen(t)
	from := []string{"X-Forwarded-For", "203.0.113.99"}
	for i := range 100 {
		r := callWith(t, proxy, "POST", "/api/v1/auth/login", "", map[string]string{"cin": fmt.Sprintf("ZZ%06d", i),
			"password": "guessing a password"}, from...)
		if r.Status != http.StatusUnauthorized && r.Status != http.StatusLocked {
			t.Fatalf("guess %d: %d %s", i+1, r.Status, r.Raw)
		}
		if i == 49 { // halfway, the guesser signs in to an account of their own: no reprieve
			expect(t, callWith(t, proxy, "POST", "/api/v1/auth/login", "", map[string]string{"cin": c.CIN, "password": c.Password}, from...),
				http.StatusOK, "")
		}
	}
	r := callWith(t, proxy, "POST", "/api/v1/auth/login", "", map[string]string{"cin": c.CIN, "password": c.Password}, from...)
	expect(t, r, http.StatusTooManyRequests, "rate_limited")
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	expect(t, callWith(t, proxy, "POST", "/api/v1/auth/login", "", map[string]string{"cin": c.CIN, "password": c.Password},
		"X-Forwarded-For", "198.51.100.10"), http.StatusOK, "")
}
