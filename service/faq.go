package service

import (
	"context"
	"strings"
	"unicode/utf8"

	"occonnect/domain"
	"occonnect/store"
)

// FAQ is the app's questions and answers, in French and Arabic, searched by citizens and
// edited by admins.
type FAQ struct {
	store *store.Store
	clock clock
}

// Limits of the FAQ, in characters (runes).
const (
	maxFAQQuestionLen = 300
	maxFAQAnswerLen   = 5000
	maxFAQQueryLen    = 200
	maxFAQPosition    = 1_000_000
)

// FAQQuery is a search of the FAQ, as the caller sent it: Lang (fr, ar; "" for the
// caller's language), Category, and Q (words).
type FAQQuery struct {
	Lang, Category, Q string
}

// FAQItem is an entry in one language.
type FAQItem struct {
	ID                      int64
	Category, CategoryLabel string
	Question, Answer        string
}

// FAQAnswer is the FAQ in one language.
type FAQAnswer struct {
	Lang  string
	Items []FAQItem
}

// Search gives the active entries in one language: q.Lang when given, else Arabic when
// the caller prefers it (preferred, from Accept-Language), else French. Category keeps
// one category. Q keeps the entries whose question and answer (in that language) hold
// every word of Q of 2 characters or more, compared by domain.NormalizeSearch (case,
// accents, tashkeel, alef forms… ignored; a word also matches the start or the middle of
// a longer one; an Arabic word with the article matches without it): those that match in
// the question alone come first. Otherwise, and within each group, the display order
// (category, then position).
func (f *FAQ) Search(ctx context.Context, q FAQQuery, preferred string) (FAQAnswer, error) {
	var v fieldErrors
	l := q.Lang
	switch {
	case l == "" && preferred == string(domain.LangAR):
		l = string(domain.LangAR)
	case l == "":
		l = string(domain.LangFR)
	default:
		if _, ok := domain.ParseLanguage(l); !ok {
			v.add("lang", "invalid")
		}
	}
	if q.Category != "" && !domain.ValidFAQCategory(q.Category) {
		v.add("category", "invalid")
	}
	if utf8.RuneCountInString(q.Q) > maxFAQQueryLen {
		v.add("q", "too_long")
	}
	if err := v.err(); err != nil {
		return FAQAnswer{}, err
	}
	entries, err := f.store.FAQEntries(ctx, q.Category, true)
	if err != nil {
		return FAQAnswer{}, err
	}
	tokens := domain.SearchTokens(q.Q)
	inQuestion, inAnswer := []FAQItem{}, []FAQItem{}
	for _, e := range entries {
		item := FAQItem{ID: e.ID, Category: e.Category, CategoryLabel: domain.FAQCategoryLabel(e.Category, l), Question: e.QuestionFR, Answer: e.AnswerFR}
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
	return FAQAnswer{Lang: l, Items: append(inQuestion, inAnswer...)}, nil
}

// All lists every entry, active or not, in both languages, in display order (admins).
func (f *FAQ) All(ctx context.Context) ([]store.FAQEntry, error) {
	return f.store.FAQEntries(ctx, "", false)
}

// FAQEntry is an entry as an admin sent it.
type FAQEntry struct {
	Category, QuestionFR, AnswerFR, QuestionAR, AnswerAR string
	Position                                             *int
	Active                                               *bool
}

// validate checks an entry: category required and one of the categories; the four texts
// required (trimmed), questions up to 300 characters, answers up to 5000 (too_long);
// position 0 to 1,000,000 when given (invalid).
func (e FAQEntry) validate() (store.FAQInput, error) {
	var v fieldErrors
	switch {
	case e.Category == "":
		v.add("category", "required")
	case !domain.ValidFAQCategory(e.Category):
		v.add("category", "invalid")
	}
	in := store.FAQInput{Category: e.Category, Position: e.Position, Active: e.Active}
	for _, f := range []struct {
		name  string
		value string
		limit int
		dst   *string
	}{
		{"question_fr", e.QuestionFR, maxFAQQuestionLen, &in.QuestionFR},
		{"answer_fr", e.AnswerFR, maxFAQAnswerLen, &in.AnswerFR},
		{"question_ar", e.QuestionAR, maxFAQQuestionLen, &in.QuestionAR},
		{"answer_ar", e.AnswerAR, maxFAQAnswerLen, &in.AnswerAR},
	} {
		*f.dst = strings.TrimSpace(f.value)
		switch n := utf8.RuneCountInString(*f.dst); {
		case n == 0:
			v.add(f.name, "required")
		case n > f.limit:
			v.add(f.name, "too_long")
		}
	}
	if e.Position != nil && (*e.Position < 0 || *e.Position > maxFAQPosition) {
		v.add("position", "invalid")
	}
	return in, v.err()
}

// Create adds an entry: without position it goes last in its category, without active it
// is active. Audited (faq.create).
func (f *FAQ) Create(ctx context.Context, by store.AdminActor, e FAQEntry) (store.FAQEntry, error) {
	in, err := e.validate()
	if err != nil {
		return store.FAQEntry{}, err
	}
	return f.store.CreateFAQEntry(ctx, in, by.StaffID, by.RequestID, f.clock.now())
}

// Update sets an entry's category and four texts, and position and active when given
// (kept when omitted). Audited (faq.update, the fields that changed); an update that
// changes nothing is not.
func (f *FAQ) Update(ctx context.Context, by store.AdminActor, id int64, e FAQEntry) (store.FAQEntry, error) {
	in, err := e.validate()
	if err != nil {
		return store.FAQEntry{}, err
	}
	return f.store.UpdateFAQEntry(ctx, id, in, by.StaffID, by.RequestID, f.clock.now())
}

// Delete removes an entry for good. The audit row (faq.delete) keeps what it said, texts
// cut at 200 characters. To hide an entry and keep it, update it with active false.
func (f *FAQ) Delete(ctx context.Context, by store.AdminActor, id int64) error {
	return f.store.DeleteFAQEntry(ctx, id, by.StaffID, by.RequestID, f.clock.now())
}
