package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"occonnect/domain"
	"occonnect/internal/apitest"
	"occonnect/store"
)

type sessionItem struct {
	ID         string    `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	UserAgent  string    `json:"user_agent"`
	Current    bool      `json:"current"`
}

// TestMySessionsIdle: the list leaves out an idle session, which can no longer be ended
// by its id (404), and staff may not use the routes; with the server's clock.
func TestMySessionsIdle(t *testing.T) {
	t.Parallel()
	s := apitest.New(t, apitest.Options{})
	agent := s.NewStaff(t, domain.RoleAgent, "agent@t.local")
	e := s.Enroll(t, store.NewEnrollment{CIN: "AB12346", FirstName: "Omar", LastName: "Tazi", Email: "omar@example.ma",
		BirthDate: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), Language: "fr", AgentStaffID: agent.ID})
	list := func(token string) []sessionItem {
		t.Helper()
		w := s.Call(token, http.MethodGet, "/api/v1/me/sessions", "")
		if w.Code != http.StatusOK {
			t.Fatalf("GET /me/sessions: %d %s", w.Code, w.Body)
		}
		return apitest.Decode[struct{ Items []sessionItem }](t, w).Items
	}

	first := s.Session(t, domain.SubjectCitizen, e.CitizenID, domain.ScopeFull)
	s.Clock.Advance(time.Minute)
	second := s.Session(t, domain.SubjectCitizen, e.CitizenID, domain.ScopeFull)
	items := list(second)
	if len(items) != 2 || !items[0].Current || items[1].Current || !items[0].CreatedAt.After(items[1].CreatedAt) {
		t.Fatalf("two sessions, seen from the second: %+v", items)
	}
	firstID := items[1].ID
	if seen := list(first); len(seen) != 2 || seen[0].Current || !seen[1].Current || seen[1].ID != firstID {
		t.Fatalf("two sessions, seen from the first: %+v", seen)
	}

	// 31 minutes with the second session only: the first is idle.
	for range 2 {
		s.Clock.Advance(15*time.Minute + 30*time.Second)
		items = list(second)
	}
	if len(items) != 1 || !items[0].Current || items[0].ID == firstID {
		t.Fatalf("after 31 idle minutes of the first session: %+v", items)
	}
	apitest.WantProblem(t, s.Call(second, http.MethodDelete, "/api/v1/me/sessions/"+firstID, ""), http.StatusNotFound, "not_found")
	apitest.WantProblem(t, s.Call(first, http.MethodGet, "/api/v1/me", ""), http.StatusUnauthorized, "unauthorized")
	for _, junk := range []string{strings.ToLower(items[0].ID), "0", strings.Repeat("Z", 27), "%FF%FE"} {
		apitest.WantProblem(t, s.Call(second, http.MethodDelete, "/api/v1/me/sessions/"+junk, ""), http.StatusNotFound, "not_found")
	}

	staff := s.Session(t, domain.SubjectStaff, agent.ID, domain.ScopeFull)
	for _, c := range []struct{ method, path, body string }{
		{http.MethodGet, "/api/v1/me/sessions", ""}, {http.MethodDelete, "/api/v1/me/sessions", ""},
		{http.MethodDelete, "/api/v1/me/sessions/" + items[0].ID, ""}, {http.MethodPatch, "/api/v1/me", `{"language":"ar"}`},
	} {
		apitest.WantProblem(t, s.Call(staff, c.method, c.path, c.body), http.StatusForbidden, "forbidden")
	}
	if got := list(second); len(got) != 1 || got[0].ID != items[0].ID {
		t.Fatalf("a staff member's calls changed the citizen's sessions: %+v", got)
	}
}

// TestUpdateMeLanguage: PATCH /me takes fr or ar and answers the /me view; anything else
// is a field error.
func TestUpdateMeLanguage(t *testing.T) {
	t.Parallel()
	s := apitest.New(t, apitest.Options{})
	agent := s.NewStaff(t, domain.RoleAgent, "agent@t.local")
	e := s.Enroll(t, store.NewEnrollment{CIN: "AB12347", FirstName: "Omar", LastName: "Tazi", Email: "omar@example.ma",
		BirthDate: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), Language: "fr", AgentStaffID: agent.ID})
	token := s.Session(t, domain.SubjectCitizen, e.CitizenID, domain.ScopeFull)

	w := s.Call(token, http.MethodPatch, "/api/v1/me", `{"language":"ar"}`)
	if w.Code != http.StatusOK {
		t.Fatalf("PATCH /me ar: %d %s", w.Code, w.Body)
	}
	patched := apitest.Decode[map[string]any](t, w)
	got := apitest.Decode[map[string]any](t, s.Call(token, http.MethodGet, "/api/v1/me", ""))
	if patched["language"] != "ar" || got["language"] != "ar" || len(patched) != len(got) || patched["cin_masked"] != got["cin_masked"] {
		t.Fatalf("PATCH answered %v, GET %v", patched, got)
	}
	for body, want := range map[string]string{`{"language":"en"}`: "invalid", `{"language":"AR"}`: "invalid",
		`{"language":" fr"}`: "invalid", `{"language":7}`: "invalid", `{}`: "required", `{"language":""}`: "required"} {
		p := apitest.WantProblem(t, s.Call(token, http.MethodPatch, "/api/v1/me", body), http.StatusBadRequest, "validation_failed")
		if f := apitest.Fields(p); f["language"] != want || len(f) != 1 {
			t.Errorf("%s: field errors %v, want language: %s", body, f, want)
		}
	}
	if c, err := s.Store.CitizenByID(t.Context(), e.CitizenID); err != nil || c.Language != "ar" {
		t.Errorf("after the refused changes: %q, %v; want ar", c.Language, err)
	}
	w = s.Call(token, http.MethodPatch, "/api/v1/me", `{"language":"fr"}`)
	if w.Code != http.StatusOK || apitest.Decode[map[string]any](t, w)["language"] != "fr" {
		t.Fatalf("PATCH /me fr: %d %s", w.Code, w.Body)
	}
}
