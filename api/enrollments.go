package api

import (
	"net/http"
	"time"

	"occonnect/domain"
	"occonnect/internal/web"
	"occonnect/service"
)

// enrollmentHandlers: enrollment at the counter, its timeline, new credentials.
type enrollmentHandlers struct{ svc *service.Enrollments }

type enrollRequest struct {
	CIN       string `json:"cin"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Email     string `json:"email"`
	Phone     string `json:"phone,omitempty"`
	BirthDate string `json:"birth_date"`
	Language  string `json:"language"`
}

type enrollmentRef struct {
	EnrollmentID string                  `json:"enrollment_id"`
	Status       domain.EnrollmentStatus `json:"status"`
}

// create: POST /enrollments (agent). The same pending CIN answers 200 with the open
// enrollment; an active account 409.
func (h enrollmentHandlers) create(w http.ResponseWriter, r *http.Request) error {
	var req enrollRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	res, err := h.svc.Enroll(r.Context(), principalFrom(r.Context()), service.NewEnrollment{CIN: req.CIN, FirstName: req.FirstName,
		LastName: req.LastName, Email: req.Email, Phone: req.Phone, BirthDate: req.BirthDate, Language: req.Language})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusAccepted
	}
	writeJSON(w, status, enrollmentRef{EnrollmentID: res.EnrollmentID, Status: res.Status})
	return nil
}

type stepJSON struct {
	Name   string     `json:"name"`
	Status string     `json:"status"`
	At     *time.Time `json:"at"`
}

type enrollmentResponse struct {
	EnrollmentID      string                  `json:"enrollment_id"`
	Status            domain.EnrollmentStatus `json:"status"`
	Steps             []stepJSON              `json:"steps"`
	ExchangePointCode *string                 `json:"exchange_point_code,omitempty"`
	CredentialsIssued int                     `json:"credentials_issued"`
	CreatedAt         time.Time               `json:"created_at"`
	UpdatedAt         time.Time               `json:"updated_at"`
}

// enrollmentJSON: the steps that happened (done), then the ones still ahead (pending, at
// null).
func enrollmentJSON(e service.Enrollment) enrollmentResponse {
	out := enrollmentResponse{EnrollmentID: e.ID, Status: e.Status, Steps: make([]stepJSON, 0, len(e.Steps)),
		ExchangePointCode: optional(e.ExchangePointCode), CredentialsIssued: e.CredentialsIssued, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
	for _, st := range e.Steps {
		s := stepJSON{Name: st.Name, Status: "pending"}
		if st.Done {
			at := st.At
			s.Status, s.At = "done", &at
		}
		out.Steps = append(out.Steps, s)
	}
	return out
}

// get: GET /enrollments/{enrollment_id} (agents of its exchange point, admins).
func (h enrollmentHandlers) get(w http.ResponseWriter, r *http.Request) error {
	e, err := h.svc.Get(r.Context(), principalFrom(r.Context()), pathVar(r, "enrollment_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, enrollmentJSON(e))
	return nil
}

// mine: GET /me/enrollment, the citizen's latest enrollment (polled by the app).
func (h enrollmentHandlers) mine(w http.ResponseWriter, r *http.Request) error {
	token, err := bearer(r)
	if err != nil {
		return err
	}
	e, err := h.svc.Mine(r.Context(), token)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, enrollmentJSON(e))
	return nil
}

// resend: POST /enrollments/{enrollment_id}/resend (agent): new credentials, the old ones
// invalid.
func (h enrollmentHandlers) resend(w http.ResponseWriter, r *http.Request) error {
	res, err := h.svc.Resend(r.Context(), principalFrom(r.Context()), pathVar(r, "enrollment_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, enrollmentRef{EnrollmentID: res.EnrollmentID, Status: res.Status})
	return nil
}

type correctEmailRequest struct {
	Email string `json:"email"`
}

// correctEmail: PATCH /enrollments/{enrollment_id} {email} (an agent of the enrolling
// point, an admin): the address of a pending enrollment corrected, new credentials sent
// there, the old password void at once; 202 like a re-issue.
func (h enrollmentHandlers) correctEmail(w http.ResponseWriter, r *http.Request) error {
	var req correctEmailRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	res, err := h.svc.CorrectEmail(r.Context(), principalFrom(r.Context()), adminActor(r), pathVar(r, "enrollment_id"), req.Email)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, enrollmentRef{EnrollmentID: res.EnrollmentID, Status: res.Status})
	return nil
}

type activationResendRequest struct {
	CIN   string `json:"cin"`
	Email string `json:"email"`
}

// citizenResend: POST /activation/resend {cin, email}. Always 202: whether the pair
// matches a pending enrollment is decided in the background.
func (h enrollmentHandlers) citizenResend(w http.ResponseWriter, r *http.Request) error {
	var req activationResendRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.svc.CitizenResend(r.Context(), req.CIN, req.Email, web.RequestID(r.Context())); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "accepted"})
	return nil
}
