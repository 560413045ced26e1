package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"occonnect/domain"
	"occonnect/internal/apitest"
	"occonnect/internal/passhash"
	"occonnect/store"
)

// TestSessionLifetimes: 30 minutes idle, 12 hours absolute, 15 minutes for a restricted
// token, and a disabled staff account loses its sessions; against real MariaDB.
func TestSessionLifetimes(t *testing.T) {
	t.Parallel()
	s := apitest.New(t, apitest.Options{})
	agent := s.NewStaff(t, domain.RoleAgent, "agent@t.local")
	e := s.Enroll(t, store.NewEnrollment{CIN: "AB12345", FirstName: "Omar", LastName: "Tazi", Email: "omar@example.ma",
		BirthDate: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), Language: "fr", AgentStaffID: agent.ID})
	get := func(token, path string) int { return s.Call(token, http.MethodGet, path, "").Code }
	// The citizen's routes: /me reads the session, then the citizen; the polled ones read
	// both in one query. All must answer alike.
	getMe := func(token string) int {
		t.Helper()
		code := get(token, "/api/v1/me")
		for _, path := range []string{"/api/v1/me/enrollment", "/api/v1/me/allowances"} {
			if c := get(token, path); c != code {
				t.Fatalf("%s answered %d, /api/v1/me %d", path, c, code)
			}
		}
		return code
	}

	// usedEvery uses a new full session every `every` for `uses` times (each use accepted),
	// then once more after `then`, and returns that last answer.
	usedEvery := func(every time.Duration, uses int, then time.Duration) int {
		t.Helper()
		tok := s.Session(t, domain.SubjectCitizen, e.CitizenID, domain.ScopeFull)
		for i := 1; i <= uses; i++ {
			s.Clock.Advance(every)
			if code := getMe(tok); code != http.StatusOK {
				t.Fatalf("use %d, %s after the last: %d", i, every, code)
			}
		}
		s.Clock.Advance(then)
		return getMe(tok)
	}
	// Idle: each use moves the deadline; 31 minutes without one ends it.
	if code := usedEvery(29*time.Minute, 3, 31*time.Minute); code != http.StatusUnauthorized {
		t.Fatalf("after 31 idle minutes: %d, want 401", code)
	}
	// Absolute: used every 20 minutes, the session still ends after 12 hours.
	if code := usedEvery(20*time.Minute, 35, 20*time.Minute); code != http.StatusUnauthorized {
		t.Fatalf("after 12 h: %d, want 401", code)
	}

	// Restricted: only the password change, and 15 minutes.
	tok := s.Session(t, domain.SubjectCitizen, e.CitizenID, domain.ScopePasswordChange)
	if code := getMe(tok); code != http.StatusForbidden {
		t.Fatalf("restricted token on /me: %d, want 403", code)
	}
	s.Clock.Advance(16 * time.Minute)
	if code := getMe(tok); code != http.StatusUnauthorized {
		t.Fatalf("restricted token after 16 min: %d, want 401", code)
	}

	// Roles and disabled staff.
	tok = s.Session(t, domain.SubjectStaff, agent.ID, domain.ScopeFull)
	if code := getMe(tok); code != http.StatusForbidden {
		t.Fatalf("staff on a citizen route: %d, want 403", code)
	}
	if code := get(tok, "/api/v1/enrollments/"+e.ID); code != http.StatusNotFound { // not the agent's exchange point
		t.Fatalf("agent of another exchange point: %d, want 404", code)
	}
	if _, err := s.DB.ExecContext(context.Background(), `UPDATE staff SET disabled = TRUE WHERE id = ?`, agent.ID); err != nil {
		t.Fatal(err)
	}
	if code := get(tok, "/api/v1/enrollments/"+e.ID); code != http.StatusUnauthorized {
		t.Fatalf("disabled staff: %d, want 401", code)
	}
	if code := getMe(tok); code != http.StatusUnauthorized {
		t.Fatalf("disabled staff on the citizen routes: %d, want 401", code)
	}
	if code := getMe("not-a-token"); code != http.StatusUnauthorized {
		t.Fatalf("unknown token: %d", code)
	}
}

// TestHashUpgradedAtSignIn: a staff password hashed with older (here other) Argon2id
// parameters is hashed again with the current ones at the next successful sign-in, and
// still signs in; a failed sign-in changes nothing.
func TestHashUpgradedAtSignIn(t *testing.T) {
	t.Parallel()
	s := apitest.New(t, apitest.Options{})
	ctx := context.Background()
	older := s.Hasher.Params
	older.Iterations++
	oldHash, err := passhash.Hash(apitest.Password, older)
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.Store.CreateStaff(ctx, store.Staff{Email: "officer@t.local", Role: domain.RoleOfficer, PasswordHash: oldHash, CreatedAt: s.Clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	hash := func() string {
		st, err := s.Store.StaffByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return st.PasswordHash
	}
	login := func(password string) int {
		return s.Call("", http.MethodPost, "/api/v1/staff/login", `{"email":"officer@t.local","password":"`+password+`"}`).Code
	}
	if code := login("not the password"); code != http.StatusUnauthorized || hash() != oldHash {
		t.Fatalf("a failed sign-in: %d, hash changed %v", code, hash() != oldHash)
	}
	if code := login(apitest.Password); code != http.StatusOK {
		t.Fatalf("sign-in: %d", code)
	}
	if h := hash(); h == oldHash || passhash.NeedsRehash(h, s.Hasher.Params) {
		t.Fatalf("the hash was not upgraded to the current parameters: %.30s…", h)
	}
	if code := login(apitest.Password); code != http.StatusOK {
		t.Fatalf("sign-in with the upgraded hash: %d", code)
	}
}
