package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"occonnect/domain"
	"occonnect/internal/passhash"
	"occonnect/internal/testenv"
	"occonnect/store"
)

// faqTestEnv is a Server on a fresh MariaDB database (with the seeded FAQ), its handler and
// a full session for an admin and an officer.
type faqTestEnv struct {
	st      *store.Store
	h       http.Handler
	tokens  map[domain.Role]string // role → bearer token
	staffID map[domain.Role]int64  // role → staff id
}

func newFAQTestEnv(t *testing.T) *faqTestEnv {
	t.Helper()
	ctx := context.Background()
	st := store.New(testenv.MySQL(t))
	clock := &fakeClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	hasher, err := passhash.NewHasher(passhash.DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Deps{Store: st, Hasher: hasher, Now: clock.Now, Logger: slog.New(slog.DiscardHandler)})

	// The whole router plus the FAQ routes registered as they are to be in Router(); once
	// Router() has them, these extra registrations are never reached (the first match wins).
	r := s.Router()
	v1 := r.PathPrefix("/api/v1").Subrouter()
	v1.Handle("/faq", s.serve(s.faq)).Methods(http.MethodGet)
	v1.Handle("/admin/faq", s.authed(staff("admin"), s.adminListFAQ)).Methods(http.MethodGet)
	v1.Handle("/admin/faq", s.authed(staff("admin"), s.adminCreateFAQ)).Methods(http.MethodPost)
	v1.Handle("/admin/faq/{id}", s.authed(staff("admin"), s.adminUpdateFAQ)).Methods(http.MethodPut)
	v1.Handle("/admin/faq/{id}", s.authed(staff("admin"), s.adminDeleteFAQ)).Methods(http.MethodDelete)

	env := &faqTestEnv{st: st, h: s.common(r), tokens: map[domain.Role]string{}, staffID: map[domain.Role]int64{}}
	for _, role := range []domain.Role{domain.RoleAdmin, domain.RoleOfficer} {
		id, err := st.CreateStaff(ctx, store.Staff{Email: string(role) + "@t.local", Role: role, PasswordHash: "x", CreatedAt: clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := s.newSession(ctx, domain.SubjectStaff, id, domain.ScopeFull)
		if err != nil {
			t.Fatal(err)
		}
		env.tokens[role], env.staffID[role] = tok.Token, id
	}
	return env
}

// faqCall is one request of the FAQ tests.
type faqCall struct {
	role                      domain.Role
	method, path, body        string
	acceptLanguage, requestID string
}

func (e *faqTestEnv) call(t *testing.T, c faqCall) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(c.method, c.path, nil)
	if c.body != "" {
		req = httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
		req.Header.Set("Content-Type", "application/json")
	}
	if c.role != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[c.role])
	}
	if c.acceptLanguage != "" {
		req.Header.Set("Accept-Language", c.acceptLanguage)
	}
	if c.requestID != "" {
		req.Header.Set("X-Request-ID", c.requestID)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return w
}

// faq GETs the public FAQ with these query parameters (and Accept-Language) and decodes it.
func (e *faqTestEnv) faq(t *testing.T, params url.Values, acceptLanguage string) (faqJSON, []byte) {
	t.Helper()
	w := e.call(t, faqCall{method: http.MethodGet, path: "/api/v1/faq?" + params.Encode(), acceptLanguage: acceptLanguage})
	if w.Code != http.StatusOK {
		t.Fatalf("GET /faq?%s: %d %s", params.Encode(), w.Code, w.Body)
	}
	var out faqJSON
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("GET /faq?%s: %v in %s", params.Encode(), err, w.Body)
	}
	if out.Items == nil {
		t.Fatalf("GET /faq?%s: items is not a list: %s", params.Encode(), w.Body)
	}
	if got := w.Header().Get("Content-Language"); got != out.Lang {
		t.Errorf("GET /faq?%s: Content-Language %q, lang %q", params.Encode(), got, out.Lang)
	}
	return out, w.Body.Bytes()
}

func faqProblem(t *testing.T, w *httptest.ResponseRecorder) (string, map[string]string) {
	t.Helper()
	var p Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem: %v in %s", err, w.Body)
	}
	fields := map[string]string{}
	for _, f := range p.Errors {
		fields[f.Field] = f.Code
	}
	return p.Code, fields
}

func sameIDs(a, b []int64) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

func faqIDs(items []faqItemJSON) []int64 {
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	return ids
}

// checkQuestionMatchesFirst: every item matches q in its question or answer, and those
// matching in the question come first.
func checkQuestionMatchesFirst(t *testing.T, q string, items []faqItemJSON) {
	t.Helper()
	inAnswers := false
	for _, it := range items {
		inQuestion := domain.MatchAll(it.Question, q)
		switch {
		case !inQuestion && !domain.MatchAll(it.Question+"\n"+it.Answer, q):
			t.Errorf("q=%q: item %d does not match: %q", q, it.ID, it.Question)
		case inQuestion && inAnswers:
			t.Errorf("q=%q: item %d matches in its question but comes after answer matches", q, it.ID)
		case !inQuestion:
			inAnswers = true
		}
	}
}

// TestFAQPublic: the language (parameter, Accept-Language, French by default), the
// category filter, and the search in French and Arabic over the seeded FAQ.
func TestFAQPublic(t *testing.T) {
	t.Parallel()
	e := newFAQTestEnv(t)
	ctx := context.Background()
	seeded, err := e.st.FAQEntries(ctx, "", true)
	if err != nil {
		t.Fatal(err)
	}
	byCategory := func(c string) []int64 {
		var ids []int64
		for _, s := range seeded {
			if s.Category == c {
				ids = append(ids, s.ID)
			}
		}
		return ids
	}

	// Everything, in display order; French unless Arabic is asked for.
	all, _ := e.faq(t, url.Values{}, "")
	if all.Lang != "fr" || len(all.Items) != len(seeded) {
		t.Fatalf("GET /faq: lang %s, %d items, want fr and %d", all.Lang, len(all.Items), len(seeded))
	}
	for i, it := range all.Items {
		s := seeded[i]
		want := faqItemJSON{ID: s.ID, Category: s.Category, CategoryLabel: faqCategoryLabels[s.Category][0], Question: s.QuestionFR, Answer: s.AnswerFR}
		if it != want {
			t.Errorf("item %d = %+v, want %+v", i, it, want)
		}
	}
	for _, c := range []struct {
		params         url.Values
		acceptLanguage string
		want           string
	}{
		{url.Values{}, "ar", "ar"},
		{url.Values{}, "ar-MA,ar;q=0.9,fr;q=0.8", "ar"},
		{url.Values{}, "fr-MA", "fr"},
		{url.Values{}, "en-US", "fr"},
		{url.Values{}, "zz", "fr"},
		{url.Values{"lang": {"fr"}}, "ar", "fr"},
		{url.Values{"lang": {"ar"}}, "fr", "ar"},
		{url.Values{"lang": {""}}, "ar", "ar"},
	} {
		got, _ := e.faq(t, c.params, c.acceptLanguage)
		if got.Lang != c.want || len(got.Items) != len(seeded) {
			t.Errorf("?%s with Accept-Language %q: lang %s (%d items), want %s", c.params.Encode(), c.acceptLanguage, got.Lang, len(got.Items), c.want)
			continue
		}
		if c.want == "ar" {
			first := got.Items[0]
			if first.Question != seeded[0].QuestionAR || first.Answer != seeded[0].AnswerAR || first.CategoryLabel != "الحساب والتفعيل" {
				t.Errorf("Arabic item = %+v", first)
			}
		}
	}

	// Category filter.
	for _, c := range store.FAQCategories {
		got, _ := e.faq(t, url.Values{"category": {c}}, "")
		if ids := faqIDs(got.Items); len(ids) == 0 || !slices.Equal(ids, byCategory(c)) {
			t.Errorf("category=%s: %v, want %v", c, ids, byCategory(c))
		}
	}

	// French search: case and accents ignored, question matches first.
	tourism, _ := e.faq(t, url.Values{"q": {"dotation touristique"}}, "")
	if len(tourism.Items) < 2 || tourism.Items[0].Category != store.FAQAllowances ||
		!strings.Contains(tourism.Items[0].Question, "dotation touristique") {
		t.Errorf("q=dotation touristique: %+v", tourism.Items)
	}
	checkQuestionMatchesFirst(t, "dotation touristique", tourism.Items)
	for _, q := range []string{"DOTATION Touristique", "Dotation  touristique !"} {
		if got, _ := e.faq(t, url.Values{"q": {q}}, ""); !slices.Equal(faqIDs(got.Items), faqIDs(tourism.Items)) {
			t.Errorf("q=%q: %v, want %v", q, faqIDs(got.Items), faqIDs(tourism.Items))
		}
	}
	complaints, _ := e.faq(t, url.Values{"q": {"reclamation"}}, "")
	if len(complaints.Items) == 0 || complaints.Items[0].Category != store.FAQComplaints {
		t.Fatalf("q=reclamation: %+v", complaints.Items)
	}
	for _, it := range complaints.Items {
		if !strings.Contains(strings.ToLower(it.Question+it.Answer), "réclamation") {
			t.Errorf("q=reclamation found %d without « réclamation »: %q", it.ID, it.Question)
		}
	}
	for _, id := range byCategory(store.FAQComplaints) {
		if !slices.Contains(faqIDs(complaints.Items), id) {
			t.Errorf("q=reclamation: complaint entry %d missing", id)
		}
	}
	checkQuestionMatchesFirst(t, "reclamation", complaints.Items)
	for _, q := range []string{"RÉCLAMATION", "Réclamations"} {
		got, _ := e.faq(t, url.Values{"q": {q}}, "")
		if q == "RÉCLAMATION" && !slices.Equal(faqIDs(got.Items), faqIDs(complaints.Items)) {
			t.Errorf("q=%q: %v, want %v", q, faqIDs(got.Items), faqIDs(complaints.Items))
		}
		if len(got.Items) == 0 || got.Items[0].Category != store.FAQComplaints {
			t.Errorf("q=%q: %v", q, faqIDs(got.Items))
		}
	}
	if got, _ := e.faq(t, url.Values{"q": {"100 000"}}, ""); len(got.Items) == 0 || !slices.Contains(faqIDs(got.Items), byCategory(store.FAQAllowances)[0]) {
		t.Errorf("q=100 000: %v", faqIDs(got.Items))
	}
	if got, _ := e.faq(t, url.Values{"q": {"dotation touristique"}, "category": {store.FAQDTS}}, ""); len(got.Items) == 0 {
		t.Error("q with category=dts: nothing")
	} else {
		for _, it := range got.Items {
			if it.Category != store.FAQDTS {
				t.Errorf("q with category=dts found %s", it.Category)
			}
		}
	}
	none, raw := e.faq(t, url.Values{"q": {"cryptomonnaie"}}, "")
	if len(none.Items) != 0 || !strings.Contains(string(raw), `"items":[]`) {
		t.Errorf("q=cryptomonnaie: %s", raw)
	}
	// French words are not searched in the Arabic texts, nor the other way round.
	if got, _ := e.faq(t, url.Values{"q": {"réclamation"}, "lang": {"ar"}}, ""); len(got.Items) != 0 {
		t.Errorf("q=réclamation in Arabic: %v", faqIDs(got.Items))
	}

	// Arabic search: "كلمة المرور" finds the activation entries, with or without tashkeel.
	password, example := e.faq(t, url.Values{"lang": {"ar"}, "q": {"كلمة المرور"}}, "")
	if len(password.Items) < 2 || password.Items[0].Category != store.FAQAccount {
		t.Fatalf("q=كلمة المرور: %+v", password.Items)
	}
	accountIDs := faqIDs(password.Items)
	for _, id := range byCategory(store.FAQAccount) {
		if !slices.Contains(accountIDs, id) {
			t.Errorf("q=كلمة المرور: account entry %d missing", id)
		}
	}
	if n := len(byCategory(store.FAQAccount)); len(accountIDs) < n || !sameIDs(accountIDs[:n], byCategory(store.FAQAccount)) {
		t.Errorf("q=كلمة المرور: %v, want the account entries %v first", accountIDs, byCategory(store.FAQAccount))
	}
	checkQuestionMatchesFirst(t, "كلمة المرور", password.Items)
	if got, _ := e.faq(t, url.Values{"lang": {"ar"}, "q": {"كَلِمَةُ المُرُورِ"}}, ""); !slices.Equal(faqIDs(got.Items), accountIDs) {
		t.Errorf("q with tashkeel: %v, want %v", faqIDs(got.Items), accountIDs)
	}
	if got, _ := e.faq(t, url.Values{"q": {"كلمة المرور"}}, "ar"); !slices.Equal(faqIDs(got.Items), accountIDs) || got.Lang != "ar" {
		t.Errorf("q via Accept-Language ar: %s %v, want %v", got.Lang, faqIDs(got.Items), accountIDs)
	}
	// "الشكاية" and "شكاية" (article or not) find the complaints entries, the same ones.
	withArticle, _ := e.faq(t, url.Values{"lang": {"ar"}, "q": {"الشكاية"}}, "")
	bare, _ := e.faq(t, url.Values{"lang": {"ar"}, "q": {"شكاية"}}, "")
	if !slices.Equal(faqIDs(withArticle.Items), faqIDs(bare.Items)) {
		t.Errorf("q=الشكاية %v, q=شكاية %v", faqIDs(withArticle.Items), faqIDs(bare.Items))
	}
	if len(bare.Items) == 0 || bare.Items[0].Category != store.FAQComplaints {
		t.Errorf("q=شكاية: %+v", bare.Items)
	}
	for _, id := range byCategory(store.FAQComplaints) {
		if !slices.Contains(faqIDs(bare.Items), id) {
			t.Errorf("q=شكاية: complaint entry %d missing", id)
		}
	}
	checkQuestionMatchesFirst(t, "الشكاية", withArticle.Items)
	if got, _ := e.faq(t, url.Values{"lang": {"ar"}, "q": {"المخصص الإضافي"}, "category": {store.FAQDTS}}, ""); !slices.Equal(faqIDs(got.Items), byCategory(store.FAQDTS)) {
		t.Errorf("q=المخصص الإضافي in dts: %v, want %v", faqIDs(got.Items), byCategory(store.FAQDTS))
	}
	if got, _ := e.faq(t, url.Values{"lang": {"ar"}, "q": {"إعادة فتح"}}, ""); len(got.Items) == 0 || got.Items[0].Category != store.FAQComplaints {
		t.Errorf("q=إعادة فتح: %+v", got.Items)
	}

	// An example for the documentation (go test -v -run TestFAQPublic ./api/).
	locked, raw := e.faq(t, url.Values{"lang": {"ar"}, "q": {"أُغلق حسابي"}}, "")
	if len(locked.Items) != 1 || locked.Items[0].Category != store.FAQAccount || !strings.Contains(locked.Items[0].Answer, "15 دقيقة") {
		t.Errorf("q=أُغلق حسابي: %+v", locked.Items)
	}
	t.Logf("GET /api/v1/faq?lang=ar&q=%s → %s", url.QueryEscape("أُغلق حسابي"), raw)
	t.Logf("GET /api/v1/faq?lang=ar&q=كلمة المرور → ids %v (%d bytes)", accountIDs, len(example))

	// Validation.
	q200 := strings.Repeat("ش", 200)
	if got, _ := e.faq(t, url.Values{"q": {q200}, "lang": {"ar"}}, ""); len(got.Items) != 0 {
		t.Errorf("q of 200 characters: %v", faqIDs(got.Items))
	}
	for _, c := range []struct {
		query  string
		fields map[string]string
	}{
		{"lang=en", map[string]string{"lang": "invalid"}},
		{"lang=AR", map[string]string{"lang": "invalid"}},
		{"lang=fr-MA", map[string]string{"lang": "invalid"}},
		{"category=other", map[string]string{"category": "invalid"}},
		{"category=DTS", map[string]string{"category": "invalid"}},
		{"q=" + url.QueryEscape(q200+"ش"), map[string]string{"q": "too_long"}},
		{"lang=de&category=x&q=" + strings.Repeat("a", 201), map[string]string{"lang": "invalid", "category": "invalid", "q": "too_long"}},
	} {
		w := e.call(t, faqCall{method: http.MethodGet, path: "/api/v1/faq?" + c.query, acceptLanguage: "fr"})
		code, fields := faqProblem(t, w)
		if w.Code != http.StatusBadRequest || code != "validation_failed" || !reflect.DeepEqual(fields, c.fields) {
			t.Errorf("?%s: %d %s %v, want 400 validation_failed %v", c.query, w.Code, code, fields, c.fields)
		}
		if w.Header().Get("Content-Language") != "fr" {
			t.Errorf("?%s: problem in %q, want fr", c.query, w.Header().Get("Content-Language"))
		}
	}
}

// faqAuditRows reads the audit rows of a FAQ entry, newest first.
func faqAuditRows(t *testing.T, st *store.Store, id int64) []store.AdminAuditEntry {
	t.Helper()
	rows, err := st.AdminAudit(context.Background(), store.FAQAuditEntity, strconv.FormatInt(id, 10), 100)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestFAQAdmin: admins list, create, update and delete entries through HTTP, each change
// audited; other roles get 403, no token 401; validation.
func TestFAQAdmin(t *testing.T) {
	t.Parallel()
	e := newFAQTestEnv(t)
	ctx := context.Background()
	admin := domain.RoleAdmin
	auditCount := func() int {
		rows, err := e.st.AdminAudit(ctx, "", "", 1000)
		if err != nil {
			t.Fatal(err)
		}
		return len(rows)
	}

	// The list: every entry, both languages.
	w := e.call(t, faqCall{role: admin, method: http.MethodGet, path: "/api/v1/admin/faq"})
	var list struct {
		Items []faqAdminJSON `json:"items"`
	}
	if w.Code != http.StatusOK {
		t.Fatalf("GET /admin/faq: %d %s", w.Code, w.Body)
	}
	if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil {
		t.Fatal(err)
	}
	seeded, _ := e.st.FAQEntries(ctx, "", false)
	if len(list.Items) != len(seeded) || list.Items[0].QuestionFR == "" || list.Items[0].AnswerAR == "" || list.Items[0].UpdatedByStaffID != nil {
		t.Fatalf("GET /admin/faq: %d items, want %d; first %+v", len(list.Items), len(seeded), list.Items[0])
	}

	// Officers, citizens' absence of token: refused, nothing written.
	before := auditCount()
	body := `{"category":"app","question_fr":"L’application est-elle gratuite ?","answer_fr":"Oui, elle est gratuite.",
		"question_ar":"هل التطبيق مجاني؟","answer_ar":"نعم، التطبيق مجاني."}`
	for _, c := range []faqCall{
		{method: http.MethodGet, path: "/api/v1/admin/faq"},
		{method: http.MethodPost, path: "/api/v1/admin/faq", body: body},
		{method: http.MethodPut, path: "/api/v1/admin/faq/" + strconv.FormatInt(seeded[0].ID, 10), body: body},
		{method: http.MethodDelete, path: "/api/v1/admin/faq/" + strconv.FormatInt(seeded[0].ID, 10)},
	} {
		for role, want := range map[domain.Role]int{domain.RoleOfficer: http.StatusForbidden, "": http.StatusUnauthorized} {
			c.role = role
			w := e.call(t, c)
			if code, _ := faqProblem(t, w); w.Code != want || code != map[int]string{403: "forbidden", 401: "unauthorized"}[want] {
				t.Errorf("%q %s %s: %d %s, want %d", role, c.method, c.path, w.Code, code, want)
			}
		}
	}
	if after := auditCount(); after != before {
		t.Errorf("refused calls wrote %d audit rows", after-before)
	}
	if got, _ := e.st.FAQEntries(ctx, "", false); !reflect.DeepEqual(got, seeded) {
		t.Error("refused calls changed the FAQ")
	}

	// Create: 201, last of its category, active, audited with the request id.
	w = e.call(t, faqCall{role: admin, method: http.MethodPost, path: "/api/v1/admin/faq", body: body, requestID: "faq-test-create"})
	if w.Code != http.StatusCreated {
		t.Fatalf("POST: %d %s", w.Code, w.Body)
	}
	var created faqAdminJSON
	if err := json.Unmarshal(w.Body.Bytes(), &created); err != nil {
		t.Fatal(err)
	}
	apps, _ := e.st.FAQEntries(ctx, store.FAQApp, false)
	if created.ID == 0 || created.Category != "app" || !created.Active || created.QuestionAR != "هل التطبيق مجاني؟" ||
		created.UpdatedByStaffID == nil || *created.UpdatedByStaffID != e.staffID[admin] || apps[len(apps)-1].ID != created.ID ||
		created.Position != apps[len(apps)-2].Position+10 {
		t.Errorf("created %+v", created)
	}
	path := "/api/v1/admin/faq/" + strconv.FormatInt(created.ID, 10)
	rows := faqAuditRows(t, e.st, created.ID)
	if len(rows) != 1 || rows[0].Action != "faq.create" || rows[0].StaffID != e.staffID[admin] || rows[0].RequestID == nil || *rows[0].RequestID != "faq-test-create" {
		t.Fatalf("audit after POST: %+v", rows)
	}
	var changes map[string]store.FAQFieldChange
	if err := json.Unmarshal(rows[0].Changes, &changes); err != nil || changes["question_fr"] != (store.FAQFieldChange{From: nil, To: "L’application est-elle gratuite ?"}) {
		t.Errorf("create audit changes: %s", rows[0].Changes)
	}
	pub, _ := e.faq(t, url.Values{"q": {"gratuite"}}, "")
	if len(pub.Items) != 1 || pub.Items[0].ID != created.ID || pub.Items[0].CategoryLabel != "Application et données personnelles" {
		t.Errorf("public search for the new entry: %+v", pub.Items)
	}

	// Update: texts trimmed, hidden from the app, audited with the changed fields only.
	upd := `{"category":"app","question_fr":"  L’application est-elle payante ?  ","answer_fr":"Non, elle est gratuite.",
		"question_ar":"هل التطبيق مجاني؟","answer_ar":"نعم، التطبيق مجاني.","active":false}`
	w = e.call(t, faqCall{role: admin, method: http.MethodPut, path: path, body: upd, requestID: "faq-test-update"})
	var updated faqAdminJSON
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &updated) != nil {
		t.Fatalf("PUT: %d %s", w.Code, w.Body)
	}
	if updated.QuestionFR != "L’application est-elle payante ?" || updated.Active || updated.Position != created.Position {
		t.Errorf("updated %+v", updated)
	}
	rows = faqAuditRows(t, e.st, created.ID)
	changes = nil
	if len(rows) != 2 || rows[0].Action != "faq.update" || json.Unmarshal(rows[0].Changes, &changes) != nil {
		t.Fatalf("audit after PUT: %+v", rows)
	}
	if want := map[string]store.FAQFieldChange{
		"question_fr": {From: "L’application est-elle gratuite ?", To: "L’application est-elle payante ?"},
		"answer_fr":   {From: "Oui, elle est gratuite.", To: "Non, elle est gratuite."},
		"active":      {From: true, To: false},
	}; !reflect.DeepEqual(changes, want) {
		t.Errorf("update audit changes = %v, want %v", changes, want)
	}
	if pub, _ := e.faq(t, url.Values{"q": {"gratuite"}}, ""); len(pub.Items) != 0 {
		t.Errorf("an inactive entry is public: %+v", pub.Items)
	}
	if pub, _ := e.faq(t, url.Values{"category": {"app"}}, ""); slices.Contains(faqIDs(pub.Items), created.ID) {
		t.Error("an inactive entry is listed in its category")
	}
	// The same PUT again: 200, no audit row.
	if w = e.call(t, faqCall{role: admin, method: http.MethodPut, path: path, body: upd}); w.Code != http.StatusOK {
		t.Errorf("same PUT: %d %s", w.Code, w.Body)
	}
	if rows = faqAuditRows(t, e.st, created.ID); len(rows) != 2 {
		t.Errorf("a PUT changing nothing was audited: %d rows", len(rows))
	}
	// Moved and shown again.
	w = e.call(t, faqCall{role: admin, method: http.MethodPut, path: path, body: strings.Replace(upd, `"active":false`, `"active":true,"position":0`, 1)})
	if w.Code != http.StatusOK {
		t.Fatalf("PUT position 0: %d %s", w.Code, w.Body)
	}
	if pub, _ := e.faq(t, url.Values{"category": {"app"}}, ""); len(pub.Items) == 0 || pub.Items[0].ID != created.ID {
		t.Errorf("position 0 is not first of app: %v", faqIDs(pub.Items))
	}

	// Validation (POST and PUT alike); nothing written.
	before = auditCount()
	long := func(n int) string { return strings.Repeat("é", n) }
	for _, c := range []struct {
		name, body string
		status     int
		code       string
		fields     map[string]string
	}{
		{"empty", `{}`, 400, "validation_failed", map[string]string{"category": "required", "question_fr": "required",
			"answer_fr": "required", "question_ar": "required", "answer_ar": "required"}},
		{"blank texts", `{"category":"dts","question_fr":"  ","answer_fr":"\n","question_ar":" ","answer_ar":"\t"}`, 400, "validation_failed",
			map[string]string{"question_fr": "required", "answer_fr": "required", "question_ar": "required", "answer_ar": "required"}},
		{"too long", `{"category":"faq","question_fr":"` + long(301) + `","answer_fr":"` + long(5001) + `","question_ar":"` +
			strings.Repeat("س", 301) + `","answer_ar":"` + strings.Repeat("ج", 5001) + `","position":-1}`, 400, "validation_failed",
			map[string]string{"category": "invalid", "question_fr": "too_long", "answer_fr": "too_long", "question_ar": "too_long",
				"answer_ar": "too_long", "position": "invalid"}},
		{"position too large", `{"category":"dts","question_fr":"q","answer_fr":"a","question_ar":"س","answer_ar":"ج","position":1000001}`,
			400, "validation_failed", map[string]string{"position": "invalid"}},
		{"wrong type", `{"category":"dts","question_fr":"q","answer_fr":"a","question_ar":"س","answer_ar":"ج","active":"yes"}`,
			400, "validation_failed", map[string]string{"active": "invalid"}},
		{"unknown field", `{"category":"dts","question_fr":"q","answer_fr":"a","question_ar":"س","answer_ar":"ج","question_en":"q"}`,
			400, "unknown_field", map[string]string{"question_en": "unknown"}},
		{"malformed", `{"category":`, 400, "malformed_json", map[string]string{}},
	} {
		for _, m := range []struct{ method, path string }{{http.MethodPost, "/api/v1/admin/faq"}, {http.MethodPut, path}} {
			w := e.call(t, faqCall{role: admin, method: m.method, path: m.path, body: c.body})
			code, fields := faqProblem(t, w)
			if w.Code != c.status || code != c.code || !reflect.DeepEqual(fields, c.fields) {
				t.Errorf("%s %s: %d %s %v, want %d %s %v", c.name, m.method, w.Code, code, fields, c.status, c.code, c.fields)
			}
		}
	}
	if after := auditCount(); after != before {
		t.Errorf("refused bodies wrote %d audit rows", after-before)
	}
	// At the limits: accepted.
	limits := `{"category":"dts","question_fr":"` + long(300) + `","answer_fr":"` + long(5000) + `","question_ar":"` +
		strings.Repeat("س", 300) + `","answer_ar":"` + strings.Repeat("ج", 5000) + `","position":1000000}`
	if w := e.call(t, faqCall{role: admin, method: http.MethodPut, path: path, body: limits}); w.Code != http.StatusOK {
		t.Errorf("texts at their limits: %d %s", w.Code, w.Body)
	}
	rows = faqAuditRows(t, e.st, created.ID)
	changes = nil
	if err := json.Unmarshal(rows[0].Changes, &changes); err != nil {
		t.Fatal(err)
	}
	if to, _ := changes["answer_ar"].To.(string); to != strings.Repeat("ج", 199)+"…" {
		t.Errorf("audited answer_ar not cut at 200 characters: %d characters", len([]rune(to)))
	}

	// Unknown ids.
	for _, p := range []string{"/api/v1/admin/faq/999999", "/api/v1/admin/faq/abc", "/api/v1/admin/faq/0", "/api/v1/admin/faq/-3"} {
		for _, m := range []string{http.MethodPut, http.MethodDelete} {
			w := e.call(t, faqCall{role: admin, method: m, path: p, body: body})
			if code, _ := faqProblem(t, w); w.Code != http.StatusNotFound || code != "not_found" {
				t.Errorf("%s %s: %d %s, want 404 not_found", m, p, w.Code, code)
			}
		}
	}

	// Delete: 204, gone, audited; a second time 404.
	w = e.call(t, faqCall{role: admin, method: http.MethodDelete, path: path, requestID: "faq-test-delete"})
	if w.Code != http.StatusNoContent || w.Body.Len() != 0 {
		t.Fatalf("DELETE: %d %s", w.Code, w.Body)
	}
	if _, err := e.st.FAQEntryByID(ctx, created.ID); err == nil {
		t.Error("the entry is still there")
	}
	rows = faqAuditRows(t, e.st, created.ID)
	if len(rows) != 5 || rows[0].Action != "faq.delete" || rows[0].StaffID != e.staffID[admin] || *rows[0].RequestID != "faq-test-delete" {
		t.Errorf("audit after DELETE: %+v", rows)
	}
	if w = e.call(t, faqCall{role: admin, method: http.MethodDelete, path: path}); w.Code != http.StatusNotFound {
		t.Errorf("second DELETE: %d", w.Code)
	}
	if got, _ := e.st.FAQEntries(ctx, "", false); len(got) != len(seeded) {
		t.Errorf("%d entries after delete, want %d", len(got), len(seeded))
	}
}
