package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"occonnect/api"
	"occonnect/domain"
	"occonnect/internal/apitest"
	"occonnect/store"
)

type (
	faqJSON      = api.FAQJSON
	faqItemJSON  = api.FAQItemJSON
	faqAdminJSON = api.FAQAdminJSON
)

// faqTestEnv is the admin routes' server, with the FAQ the migrations seed.
type faqTestEnv struct{ *adminEnv }

func newFAQTestEnv(t *testing.T) faqTestEnv { return faqTestEnv{newAdminEnv(t, apitest.Options{})} }

// faq GETs the public FAQ with these query parameters (and Accept-Language) and decodes it.
func (e faqTestEnv) faq(t *testing.T, params url.Values, acceptLanguage string) (faqJSON, string) {
	t.Helper()
	w := e.Call("", http.MethodGet, "/api/v1/faq?"+params.Encode(), "", "Accept-Language", acceptLanguage)
	if w.Code != http.StatusOK {
		t.Fatalf("GET /faq?%s: %d %s", params.Encode(), w.Code, w.Body)
	}
	out := apitest.Decode[faqJSON](t, w)
	if out.Items == nil {
		t.Fatalf("GET /faq?%s: items is not a list: %s", params.Encode(), w.Body)
	}
	if got := w.Header().Get("Content-Language"); got != out.Lang {
		t.Errorf("GET /faq?%s: Content-Language %q, lang %q", params.Encode(), got, out.Lang)
	}
	return out, w.Body.String()
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
	seeded, err := e.Store.FAQEntries(ctx, "", true)
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
		want := faqItemJSON{ID: s.ID, Category: s.Category, CategoryLabel: domain.FAQCategoryLabel(s.Category, "fr"), Question: s.QuestionFR, Answer: s.AnswerFR}
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
	for _, c := range domain.FAQCategories {
		got, _ := e.faq(t, url.Values{"category": {c}}, "")
		if ids := faqIDs(got.Items); len(ids) == 0 || !slices.Equal(ids, byCategory(c)) {
			t.Errorf("category=%s: %v, want %v", c, ids, byCategory(c))
		}
	}

	// French search: case and accents ignored, question matches first.
	tourism, _ := e.faq(t, url.Values{"q": {"dotation touristique"}}, "")
	if len(tourism.Items) < 2 || tourism.Items[0].Category != domain.FAQAllowances ||
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
	if len(complaints.Items) == 0 || complaints.Items[0].Category != domain.FAQComplaints {
		t.Fatalf("q=reclamation: %+v", complaints.Items)
	}
	for _, it := range complaints.Items {
		if !strings.Contains(strings.ToLower(it.Question+it.Answer), "réclamation") {
			t.Errorf("q=reclamation found %d without « réclamation »: %q", it.ID, it.Question)
		}
	}
	for _, id := range byCategory(domain.FAQComplaints) {
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
		if len(got.Items) == 0 || got.Items[0].Category != domain.FAQComplaints {
			t.Errorf("q=%q: %v", q, faqIDs(got.Items))
		}
	}
	if got, _ := e.faq(t, url.Values{"q": {"100 000"}}, ""); len(got.Items) == 0 || !slices.Contains(faqIDs(got.Items), byCategory(domain.FAQAllowances)[0]) {
		t.Errorf("q=100 000: %v", faqIDs(got.Items))
	}
	if got, _ := e.faq(t, url.Values{"q": {"dotation touristique"}, "category": {domain.FAQDTS}}, ""); len(got.Items) == 0 {
		t.Error("q with category=dts: nothing")
	} else {
		for _, it := range got.Items {
			if it.Category != domain.FAQDTS {
				t.Errorf("q with category=dts found %s", it.Category)
			}
		}
	}
	none, raw := e.faq(t, url.Values{"q": {"cryptomonnaie"}}, "")
	if len(none.Items) != 0 || !strings.Contains(raw, `"items":[]`) {
		t.Errorf("q=cryptomonnaie: %s", raw)
	}
	// French words are not searched in the Arabic texts, nor the other way round.
	if got, _ := e.faq(t, url.Values{"q": {"réclamation"}, "lang": {"ar"}}, ""); len(got.Items) != 0 {
		t.Errorf("q=réclamation in Arabic: %v", faqIDs(got.Items))
	}

	// Arabic search: "كلمة المرور" finds the activation entries, with or without tashkeel.
	password, example := e.faq(t, url.Values{"lang": {"ar"}, "q": {"كلمة المرور"}}, "")
	if len(password.Items) < 2 || password.Items[0].Category != domain.FAQAccount {
		t.Fatalf("q=كلمة المرور: %+v", password.Items)
	}
	accountIDs := faqIDs(password.Items)
	for _, id := range byCategory(domain.FAQAccount) {
		if !slices.Contains(accountIDs, id) {
			t.Errorf("q=كلمة المرور: account entry %d missing", id)
		}
	}
	if n := len(byCategory(domain.FAQAccount)); len(accountIDs) < n || !sameIDs(accountIDs[:n], byCategory(domain.FAQAccount)) {
		t.Errorf("q=كلمة المرور: %v, want the account entries %v first", accountIDs, byCategory(domain.FAQAccount))
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
	if len(bare.Items) == 0 || bare.Items[0].Category != domain.FAQComplaints {
		t.Errorf("q=شكاية: %+v", bare.Items)
	}
	for _, id := range byCategory(domain.FAQComplaints) {
		if !slices.Contains(faqIDs(bare.Items), id) {
			t.Errorf("q=شكاية: complaint entry %d missing", id)
		}
	}
	checkQuestionMatchesFirst(t, "الشكاية", withArticle.Items)
	if got, _ := e.faq(t, url.Values{"lang": {"ar"}, "q": {"المخصص الإضافي"}, "category": {domain.FAQDTS}}, ""); !slices.Equal(faqIDs(got.Items), byCategory(domain.FAQDTS)) {
		t.Errorf("q=المخصص الإضافي in dts: %v, want %v", faqIDs(got.Items), byCategory(domain.FAQDTS))
	}
	if got, _ := e.faq(t, url.Values{"lang": {"ar"}, "q": {"إعادة فتح"}}, ""); len(got.Items) == 0 || got.Items[0].Category != domain.FAQComplaints {
		t.Errorf("q=إعادة فتح: %+v", got.Items)
	}

	// An example for the documentation (go test -v -run TestFAQPublic ./api/).
	locked, raw := e.faq(t, url.Values{"lang": {"ar"}, "q": {"أُغلق حسابي"}}, "")
	if len(locked.Items) != 1 || locked.Items[0].Category != domain.FAQAccount || !strings.Contains(locked.Items[0].Answer, "15 دقيقة") {
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
		w := e.Call("", http.MethodGet, "/api/v1/faq?"+c.query, "", "Accept-Language", "fr")
		if code, fields := problemFields(t, w); w.Code != http.StatusBadRequest || code != "validation_failed" || !reflect.DeepEqual(fields, c.fields) {
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
	admin := e.asAdmin
	auditCount := func() int {
		rows, err := e.Store.AdminAudit(ctx, "", "", 1000)
		if err != nil {
			t.Fatal(err)
		}
		return len(rows)
	}

	// The list: every entry, both languages.
	w := admin(http.MethodGet, "/api/v1/admin/faq", "")
	if w.Code != http.StatusOK {
		t.Fatalf("GET /admin/faq: %d %s", w.Code, w.Body)
	}
	list := apitest.Decode[struct {
		Items []faqAdminJSON `json:"items"`
	}](t, w)
	seeded, _ := e.Store.FAQEntries(ctx, "", false)
	if len(list.Items) != len(seeded) || list.Items[0].QuestionFR == "" || list.Items[0].AnswerAR == "" || list.Items[0].UpdatedByStaffID != nil {
		t.Fatalf("GET /admin/faq: %d items, want %d; first %+v", len(list.Items), len(seeded), list.Items[0])
	}

	// Officers, citizens' absence of token: refused, nothing written.
	before := auditCount()
	body := `{"category":"app","question_fr":"L’application est-elle gratuite ?","answer_fr":"Oui, elle est gratuite.",
		"question_ar":"هل التطبيق مجاني؟","answer_ar":"نعم، التطبيق مجاني."}`
	for _, c := range []struct{ method, path, body string }{
		{http.MethodGet, "/api/v1/admin/faq", ""},
		{http.MethodPost, "/api/v1/admin/faq", body},
		{http.MethodPut, "/api/v1/admin/faq/" + strconv.FormatInt(seeded[0].ID, 10), body},
		{http.MethodDelete, "/api/v1/admin/faq/" + strconv.FormatInt(seeded[0].ID, 10), ""},
	} {
		apitest.WantProblem(t, e.Call(e.officer.Token, c.method, c.path, c.body), http.StatusForbidden, "forbidden")
		apitest.WantProblem(t, e.Call("", c.method, c.path, c.body), http.StatusUnauthorized, "unauthorized")
	}
	if after := auditCount(); after != before {
		t.Errorf("refused calls wrote %d audit rows", after-before)
	}
	if got, _ := e.Store.FAQEntries(ctx, "", false); !reflect.DeepEqual(got, seeded) {
		t.Error("refused calls changed the FAQ")
	}

	// Create: 201, last of its category, active, audited with the request id.
	w = admin(http.MethodPost, "/api/v1/admin/faq", body, "X-Request-ID", "faq-test-create")
	if w.Code != http.StatusCreated {
		t.Fatalf("POST: %d %s", w.Code, w.Body)
	}
	created := apitest.Decode[faqAdminJSON](t, w)
	apps, _ := e.Store.FAQEntries(ctx, domain.FAQApp, false)
	if created.ID == 0 || created.Category != "app" || !created.Active || created.QuestionAR != "هل التطبيق مجاني؟" ||
		created.UpdatedByStaffID == nil || *created.UpdatedByStaffID != e.admin.ID || apps[len(apps)-1].ID != created.ID ||
		created.Position != apps[len(apps)-2].Position+10 {
		t.Errorf("created %+v", created)
	}
	path := "/api/v1/admin/faq/" + strconv.FormatInt(created.ID, 10)
	rows := faqAuditRows(t, e.Store, created.ID)
	if len(rows) != 1 || rows[0].Action != "faq.create" || rows[0].StaffID != e.admin.ID || rows[0].RequestID == nil || *rows[0].RequestID != "faq-test-create" {
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
	w = admin(http.MethodPut, path, upd, "X-Request-ID", "faq-test-update")
	if w.Code != http.StatusOK {
		t.Fatalf("PUT: %d %s", w.Code, w.Body)
	}
	if updated := apitest.Decode[faqAdminJSON](t, w); updated.QuestionFR != "L’application est-elle payante ?" || updated.Active || updated.Position != created.Position {
		t.Errorf("updated %+v", updated)
	}
	rows = faqAuditRows(t, e.Store, created.ID)
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
	if w = admin(http.MethodPut, path, upd); w.Code != http.StatusOK {
		t.Errorf("same PUT: %d %s", w.Code, w.Body)
	}
	if rows = faqAuditRows(t, e.Store, created.ID); len(rows) != 2 {
		t.Errorf("a PUT changing nothing was audited: %d rows", len(rows))
	}
	// Moved and shown again.
	if w = admin(http.MethodPut, path, strings.Replace(upd, `"active":false`, `"active":true,"position":0`, 1)); w.Code != http.StatusOK {
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
			w := admin(m.method, m.path, c.body)
			if code, fields := problemFields(t, w); w.Code != c.status || code != c.code || !reflect.DeepEqual(fields, c.fields) {
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
	if w := admin(http.MethodPut, path, limits); w.Code != http.StatusOK {
		t.Errorf("texts at their limits: %d %s", w.Code, w.Body)
	}
	rows = faqAuditRows(t, e.Store, created.ID)
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
			apitest.WantProblem(t, admin(m, p, body), http.StatusNotFound, "not_found")
		}
	}

	// Delete: 204, gone, audited; a second time 404.
	w = admin(http.MethodDelete, path, "", "X-Request-ID", "faq-test-delete")
	if w.Code != http.StatusNoContent || w.Body.Len() != 0 {
		t.Fatalf("DELETE: %d %s", w.Code, w.Body)
	}
	if _, err := e.Store.FAQEntryByID(ctx, created.ID); err == nil {
		t.Error("the entry is still there")
	}
	rows = faqAuditRows(t, e.Store, created.ID)
	if len(rows) != 5 || rows[0].Action != "faq.delete" || rows[0].StaffID != e.admin.ID || *rows[0].RequestID != "faq-test-delete" {
		t.Errorf("audit after DELETE: %+v", rows)
	}
	apitest.WantProblem(t, admin(http.MethodDelete, path, ""), http.StatusNotFound, "not_found")
	if got, _ := e.Store.FAQEntries(ctx, "", false); len(got) != len(seeded) {
		t.Errorf("%d entries after delete, want %d", len(got), len(seeded))
	}
}
