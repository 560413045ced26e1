package api

import (
	"net/http"
	"strconv"
	"time"

	"occonnect/internal/web"
	"occonnect/service"
	"occonnect/store"
)

// faqHandlers: the public FAQ and its administration.
type faqHandlers struct{ svc *service.FAQ }

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

// search: GET /faq?lang=fr|ar&q=&category= (public): the active entries in one language,
// those matching q (see service.FAQ.Search).
func (h faqHandlers) search(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	res, err := h.svc.Search(r.Context(), service.FAQQuery{Lang: q.Get("lang"), Category: q.Get("category"), Q: q.Get("q")}, web.Lang(r))
	if err != nil {
		return err
	}
	out := faqJSON{Lang: res.Lang, Items: make([]faqItemJSON, 0, len(res.Items))}
	for _, it := range res.Items {
		out.Items = append(out.Items, faqItemJSON{ID: it.ID, Category: it.Category, CategoryLabel: it.CategoryLabel, Question: it.Question, Answer: it.Answer})
	}
	w.Header().Set("Content-Language", res.Lang)
	w.Header().Add("Vary", "Accept-Language")
	writeJSON(w, http.StatusOK, out)
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

// all: GET /admin/faq (admin): every entry, active or not, in both languages.
func (h faqHandlers) all(w http.ResponseWriter, r *http.Request) error {
	entries, err := h.svc.All(r.Context())
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

func decodeFAQ(r *http.Request) (service.FAQEntry, error) {
	var b faqBody
	if err := decodeJSON(r, &b); err != nil {
		return service.FAQEntry{}, err
	}
	return service.FAQEntry{Category: b.Category, QuestionFR: b.QuestionFR, AnswerFR: b.AnswerFR, QuestionAR: b.QuestionAR,
		AnswerAR: b.AnswerAR, Position: b.Position, Active: b.Active}, nil
}

// faqID reads {id}; anything but a positive integer is an entry that cannot exist (404).
func faqID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(pathVar(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, problem(http.StatusNotFound, "not_found")
	}
	return id, nil
}

// create: POST /admin/faq (admin): 201 with the entry.
func (h faqHandlers) create(w http.ResponseWriter, r *http.Request) error {
	in, err := decodeFAQ(r)
	if err != nil {
		return err
	}
	e, err := h.svc.Create(r.Context(), adminActor(r), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, faqAdmin(e))
	return nil
}

// update: PUT /admin/faq/{id} (admin): 200 with the entry, 404 for an unknown id.
func (h faqHandlers) update(w http.ResponseWriter, r *http.Request) error {
	id, err := faqID(r)
	if err != nil {
		return err
	}
	in, err := decodeFAQ(r)
	if err != nil {
		return err
	}
	e, err := h.svc.Update(r.Context(), adminActor(r), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, faqAdmin(e))
	return nil
}

// delete: DELETE /admin/faq/{id} (admin): 204; 404 for an unknown id.
func (h faqHandlers) delete(w http.ResponseWriter, r *http.Request) error {
	id, err := faqID(r)
	if err != nil {
		return err
	}
	if err := h.svc.Delete(r.Context(), adminActor(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
