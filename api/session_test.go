package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"occonnect/domain"
	"occonnect/internal/passhash"
	"occonnect/internal/testenv"
	"occonnect/store"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestSessionLifetimes: 30 minutes idle, 12 hours absolute, 15 minutes for a restricted
// token, and a disabled staff account loses its sessions; against real MariaDB.
func TestSessionLifetimes(t *testing.T) {
	ctx := context.Background()
	st := store.New(testenv.MySQL(t))
	clock := &fakeClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	hasher, err := passhash.NewHasher(passhash.DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Deps{Store: st, Hasher: hasher, Now: clock.Now})
	h := s.Handler()

	agentID, err := st.CreateStaff(ctx, store.Staff{Email: "agent@t.local", Role: "agent", PasswordHash: "x", CreatedAt: clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.Enroll(ctx, store.NewEnrollment{ID: newID(), CIN: "AB12345", FirstName: "Omar", LastName: "Tazi",
		Email: "omar@example.ma", BirthDate: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), Language: "fr", AgentStaffID: agentID, Now: clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	e, err := st.EnrollmentByID(ctx, res.EnrollmentID)
	if err != nil {
		t.Fatal(err)
	}
	get := func(token, path string) int {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code
	}
	// The citizen's routes: /me reads the session, then the citizen; the polled ones read
	// both in one query (polled). All must answer alike.
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
	session := func(kind domain.SubjectKind, id int64, scope domain.SessionScope) string {
		tok, err := s.newSession(ctx, kind, id, scope)
		if err != nil {
			t.Fatal(err)
		}
		return tok.Token
	}

	// Idle: each use moves the deadline; 31 minutes without one ends it.
	tok := session(domain.SubjectCitizen, e.CitizenID, domain.ScopeFull)
	for i := 0; i < 3; i++ {
		clock.advance(29 * time.Minute)
		if code := getMe(tok); code != http.StatusOK {
			t.Fatalf("use %d after 29 min: %d", i, code)
		}
	}
	clock.advance(31 * time.Minute)
	if code := getMe(tok); code != http.StatusUnauthorized {
		t.Fatalf("after 31 idle minutes: %d, want 401", code)
	}

	// Absolute: used every 20 minutes, the session still ends after 12 hours.
	tok = session(domain.SubjectCitizen, e.CitizenID, domain.ScopeFull)
	for elapsed := 20 * time.Minute; elapsed < 12*time.Hour; elapsed += 20 * time.Minute {
		clock.advance(20 * time.Minute)
		if code := getMe(tok); code != http.StatusOK {
			t.Fatalf("after %s: %d", elapsed, code)
		}
	}
	clock.advance(20 * time.Minute)
	if code := getMe(tok); code != http.StatusUnauthorized {
		t.Fatalf("after 12 h: %d, want 401", code)
	}

	// Restricted: only the password change, and 15 minutes.
	tok = session(domain.SubjectCitizen, e.CitizenID, domain.ScopePasswordChange)
	if code := getMe(tok); code != http.StatusForbidden {
		t.Fatalf("restricted token on /me: %d, want 403", code)
	}
	clock.advance(16 * time.Minute)
	if code := getMe(tok); code != http.StatusUnauthorized {
		t.Fatalf("restricted token after 16 min: %d, want 401", code)
	}

	// Roles and disabled staff.
	tok = session(domain.SubjectStaff, agentID, domain.ScopeFull)
	if code := getMe(tok); code != http.StatusForbidden {
		t.Fatalf("staff on a citizen route: %d, want 403", code)
	}
	if code := get(tok, "/api/v1/enrollments/"+e.ID); code != http.StatusNotFound { // not the agent's exchange point
		t.Fatalf("agent of another exchange point: %d, want 404", code)
	}
	if _, err := st.DB().ExecContext(ctx, `UPDATE staff SET disabled = TRUE WHERE id = ?`, agentID); err != nil {
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
