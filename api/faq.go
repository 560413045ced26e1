package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gorilla/mux"

	"occonnect/domain"
	"occonnect/store"
)

// Limits of the FAQ, in characters (runes).
const (
	maxFAQQuestionLen = 300
	maxFAQAnswerLen   = 5000
	maxFAQQueryLen    = 200
	maxFAQPosition    = 1_000_000
)

// faqCategoryLabels names the FAQ categories (store.FAQCategories) in French and Arabic.
var faqCategoryLabels = map[string][2]string{
	store.FAQAccount:        {"Compte et activation", "الحساب والتفعيل"},
	store.FAQAllowances:     {"Dotations", "المخصصات"},
	store.FAQDTS:            {"Dotation touristique supplémentaire (DTS)", "المخصص السياحي الإضافي"},
	store.FAQComplaints:     {"Réclamations", "الشكايات"},
	store.FAQExchangePoints: {"Points de change", "نقاط الصرف"},
	store.FAQApp:            {"Application et données personnelles", "التطبيق والمعطيات الشخصية"},
}

func faqCategoryLabel(category, lang string) string {
	l, ok := faqCategoryLabels[category]
	if !ok {
		return category
	}
	if lang == string(domain.LangAR) {
		return l[1]
	}
	return l[0]
}

// faqItemJSON is one entry of the public FAQ, in one language.
type faqItemJSON struct {
	ID            int64  `json:"id"`
	Category      string `json:"category"`
	CategoryLabel string `json:"category_label"`
	Question      string `json:"question"`
	Answer        string `json:"answer"`
}

type faqJSON struct {
	Lang  string        `json:"lang"`
	Items []faqItemJSON `json:"items"`
}

// faq: GET /faq?lang=fr|ar&q=&category= (public). The active entries in one language: lang
// when given, else Arabic when Accept-Language prefers it, else French. category keeps one
// category. q keeps the entries whose question and answer (in that language) hold every
// word of q of 2 characters or more, compared by domain.NormalizeSearch (case, accents,
// tashkeel, alef forms… ignored; a word also matches the start or the middle of a longer
// one; an Arabic word with the article matches without it): those that match in the
// question alone come first. Otherwise, and within each group, the display order
// (category, then position). 400 validation_failed: lang or category invalid, q over 200
// characters (too_long).
func (s *Server) faq(w http.ResponseWriter, r *http.Request) error {
	query := r.URL.Query()
	var v validation
	l := query.Get("lang")
	switch {
	case l == "" && lang(r) == string(domain.LangAR):
		l = string(domain.LangAR)
	case l == "":
		l = string(domain.LangFR)
	default:
		if _, ok := domain.ParseLanguage(l); !ok {
			v.add("lang", "invalid")
		}
	}
	category := query.Get("category")
	if category != "" && !store.ValidFAQCategory(category) {
		v.add("category", "invalid")
	}
	q := query.Get("q")
	if utf8.RuneCountInString(q) > maxFAQQueryLen {
		v.add("q", "too_long")
	}
	if err := v.err(); err != nil {
		return err
	}
	entries, err := s.store.FAQEntries(r.Context(), category, true)
	if err != nil {
		return err
	}
	tokens := domain.SearchTokens(q)
	inQuestion, inAnswer := []faqItemJSON{}, []faqItemJSON{}
	for _, e := range entries {
		item := faqItemJSON{ID: e.ID, Category: e.Category, CategoryLabel: faqCategoryLabel(e.Category, l), Question: e.QuestionFR, Answer: e.AnswerFR}
		if l == string(domain.LangAR) {
			item.Question, item.Answer = e.QuestionAR, e.AnswerAR
		}
		if len(tokens) == 0 {
			inQuestion = append(inQuestion, item)
			continue
		}
		// Tokens hold no space: each is found in "question answer" iff it is found in
		// one of them (same as domain.MatchAll on question + answer).
		question := domain.NormalizeSearch(item.Question)
		switch {
		case domain.ContainsAll(question, tokens):
			inQuestion = append(inQuestion, item)
		case domain.ContainsAll(question+" "+domain.NormalizeSearch(item.Answer), tokens):
			inAnswer = append(inAnswer, item)
		}
	}
	w.Header().Set("Content-Language", l)
	w.Header().Add("Vary", "Accept-Language")
	writeJSON(w, http.StatusOK, faqJSON{Lang: l, Items: append(inQuestion, inAnswer...)})
	return nil
}

// faqAdminJSON is an entry as admins see it: both languages, position, active flag.
type faqAdminJSON struct {
	ID               int64     `json:"id"`
	Category         string    `json:"category"`
	Position         int       `json:"position"`
	Active           bool      `json:"active"`
	QuestionFR       string    `json:"question_fr"`
	AnswerFR         string    `json:"answer_fr"`
	QuestionAR       string    `json:"question_ar"`
	AnswerAR         string    `json:"answer_ar"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
	UpdatedByStaffID *int64    `json:"updated_by_staff_id"`
}

func faqAdmin(e store.FAQEntry) faqAdminJSON {
	return faqAdminJSON{ID: e.ID, Category: e.Category, Position: e.Position, Active: e.Active, QuestionFR: e.QuestionFR,
		AnswerFR: e.AnswerFR, QuestionAR: e.QuestionAR, AnswerAR: e.AnswerAR, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt,
		UpdatedByStaffID: int64Ptr(e.UpdatedByStaffID)}
}

// adminListFAQ: GET /admin/faq (admin). Every entry, active or not, in both languages, in
// display order.
func (s *Server) adminListFAQ(w http.ResponseWriter, r *http.Request) error {
	entries, err := s.store.FAQEntries(r.Context(), "", false)
	if err != nil {
		return err
	}
	items := make([]faqAdminJSON, len(entries))
	for i, e := range entries {
		items[i] = faqAdmin(e)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

// faqBody is the body of POST /admin/faq and PUT /admin/faq/{id}.
type faqBody struct {
	Category   string `json:"category"`
	QuestionFR string `json:"question_fr"`
	AnswerFR   string `json:"answer_fr"`
	QuestionAR string `json:"question_ar"`
	AnswerAR   string `json:"answer_ar"`
	Position   *int   `json:"position"`
	Active     *bool  `json:"active"`
}

// decodeFAQBody decodes and validates a FAQ body: category required and one of the
// categories; the four texts required (trimmed), questions up to 300 characters, answers
// up to 5000 (too_long); position 0 to 1,000,000 when given (invalid).
func decodeFAQBody(r *http.Request) (store.FAQInput, error) {
	var b faqBody
	if err := decodeJSON(r, &b); err != nil {
		return store.FAQInput{}, err
	}
	var v validation
	switch {
	case b.Category == "":
		v.add("category", "required")
	case !store.ValidFAQCategory(b.Category):
		v.add("category", "invalid")
	}
	in := store.FAQInput{Category: b.Category, Position: b.Position, Active: b.Active}
	for _, f := range []struct {
		name  string
		value string
		limit int
		dst   *string
	}{
		{"question_fr", b.QuestionFR, maxFAQQuestionLen, &in.QuestionFR},
		{"answer_fr", b.AnswerFR, maxFAQAnswerLen, &in.AnswerFR},
		{"question_ar", b.QuestionAR, maxFAQQuestionLen, &in.QuestionAR},
		{"answer_ar", b.AnswerAR, maxFAQAnswerLen, &in.AnswerAR},
	} {
		*f.dst = strings.TrimSpace(f.value)
		switch n := utf8.RuneCountInString(*f.dst); {
		case n == 0:
			v.add(f.name, "required")
		case n > f.limit:
			v.add(f.name, "too_long")
		}
	}
	if b.Position != nil && (*b.Position < 0 || *b.Position > maxFAQPosition) {
		v.add("position", "invalid")
	}
	return in, v.err()
}

// faqID reads the {id} of the path; anything but a positive integer is an entry that
// cannot exist (404 not_found).
func faqID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(mux.Vars(r)["id"], 10, 64)
	if err != nil || id <= 0 {
		return 0, problem(http.StatusNotFound, "not_found")
	}
	return id, nil
}

// adminCreateFAQ: POST /admin/faq (admin): 201 with the entry. Without position, the entry
// goes last in its category; without active, it is active. Audited (faq.create).
func (s *Server) adminCreateFAQ(w http.ResponseWriter, r *http.Request) error {
	in, err := decodeFAQBody(r)
	if err != nil {
		return err
	}
	e, err := s.store.CreateFAQEntry(r.Context(), in, principalFrom(r.Context()).id, requestID(r.Context()), s.clock())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, faqAdmin(e))
	return nil
}

// adminUpdateFAQ: PUT /admin/faq/{id} (admin): sets the category and the four texts, and
// position and active when given (kept when omitted); 200 with the entry, 404 for an
// unknown id. Audited (faq.update, the fields that changed); a PUT that changes nothing is
// not.
func (s *Server) adminUpdateFAQ(w http.ResponseWriter, r *http.Request) error {
	id, err := faqID(r)
	if err != nil {
		return err
	}
	in, err := decodeFAQBody(r)
	if err != nil {
		return err
	}
	e, err := s.store.UpdateFAQEntry(r.Context(), id, in, principalFrom(r.Context()).id, requestID(r.Context()), s.clock())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, faqAdmin(e))
	return nil
}

// adminDeleteFAQ: DELETE /admin/faq/{id} (admin): removes the entry for good (204; 404 for
// an unknown id). The audit row (faq.delete) keeps what it said, texts cut at 200
// characters. To hide an entry and keep it, PUT it with "active": false.
func (s *Server) adminDeleteFAQ(w http.ResponseWriter, r *http.Request) error {
	id, err := faqID(r)
	if err != nil {
		return err
	}
	if err := s.store.DeleteFAQEntry(r.Context(), id, principalFrom(r.Context()).id, requestID(r.Context()), s.clock()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
