package api

import (
	"net/http"
	"time"

	"occonnect/domain"
	"occonnect/store"
)

type meResponse struct {
	CINMasked   string `json:"cin_masked"`
	FirstName   string `json:"first_name"`
	LastName    string `json:"last_name"`
	EmailMasked string `json:"email_masked"`
	Status      string `json:"status"`
	Language    string `json:"language"`
}

// me: GET /me, the citizen's own account.
func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	c, err := s.store.CitizenByID(r.Context(), principalFrom(r.Context()).id)
	if err != nil {
		return err
	}
	status := string(c.Status)
	if c.Status != domain.CitizenActive {
		e, err := s.store.LatestEnrollment(r.Context(), c.ID)
		if err != nil {
			return err
		}
		status = string(e.Status)
	}
	writeJSON(w, http.StatusOK, meResponse{
		CINMasked: domain.MaskCIN(c.CIN), FirstName: c.FirstName, LastName: c.LastName,
		EmailMasked: domain.MaskEmail(c.Email), Status: status, Language: c.Language,
	})
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

// enrollmentJSON renders the read model: the steps that happened, then the ones still
// ahead (status "pending", at null).
func (s *Server) enrollmentJSON(r *http.Request, e store.Enrollment) (enrollmentResponse, error) {
	steps, err := s.store.EnrollmentSteps(r.Context(), e.ID)
	if err != nil {
		return enrollmentResponse{}, err
	}
	return enrollmentView(e, steps), nil
}

// enrollmentView is the enrollment with its done and pending steps.
func enrollmentView(e store.Enrollment, steps []store.Step) enrollmentResponse {
	out := enrollmentResponse{EnrollmentID: e.ID, Status: e.Status, Steps: []stepJSON{},
		CredentialsIssued: e.CredentialsIssued, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
	if e.ExchangePointCode.Valid {
		out.ExchangePointCode = &e.ExchangePointCode.String
	}
	done := map[string]bool{}
	for _, st := range steps {
		at := st.At
		out.Steps = append(out.Steps, stepJSON{Name: st.Name, Status: "done", At: &at})
		done[st.Name] = true
	}
	if !e.Status.Final() {
		for _, name := range []string{domain.StepCredentialsEmailed, domain.StepActivated, domain.StepPasswordChanged} {
			if !done[name] || (name != domain.StepCredentialsEmailed && e.Status == domain.EnrollmentCredentialsExpired) {
				out.Steps = append(out.Steps, stepJSON{Name: name, Status: "pending"})
			}
		}
	}
	return out
}

// myEnrollment: GET /me/enrollment, the citizen's latest enrollment.
func (s *Server) myEnrollment(w http.ResponseWriter, r *http.Request, hash []byte) error {
	se, e, steps, err := s.store.SessionLatestEnrollment(r.Context(), hash)
	if err := s.checkSession(r, citizens(), hash, se, err); err != nil {
		return err
	}
	if e.ID == "" {
		return store.ErrNotFound
	}
	writeJSON(w, http.StatusOK, enrollmentView(e, steps))
	return nil
}
