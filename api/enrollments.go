package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	enumspb "go.temporal.io/api/enums/v1"

	"occonnect/domain"
	"occonnect/internal/scrub"
	"occonnect/store"
	"occonnect/workflows"
)

type enrollRequest struct {
	CIN       string `json:"cin"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Email     string `json:"email"`
	Phone     string `json:"phone,omitempty"`
	BirthDate string `json:"birth_date"`
	Language  string `json:"language"`
}

func (req *enrollRequest) validate(now time.Time) (store.NewEnrollment, error) {
	var v validation
	n := store.NewEnrollment{
		FirstName: strings.TrimSpace(req.FirstName), LastName: strings.TrimSpace(req.LastName),
		Email: strings.ToLower(strings.TrimSpace(req.Email)), Phone: strings.TrimSpace(req.Phone),
		Language: req.Language, Now: now,
	}
	var err error
	if strings.TrimSpace(req.CIN) == "" {
		v.add("cin", "required")
	} else if n.CIN, err = domain.NormalizeCIN(req.CIN); err != nil {
		v.add("cin", "invalid_format")
	}
	for _, f := range []struct{ field, value string }{{"first_name", n.FirstName}, {"last_name", n.LastName}} {
		if f.value == "" {
			v.add(f.field, "required")
		} else if !domain.ValidName(f.value) {
			v.add(f.field, "invalid_format")
		}
	}
	if n.Email == "" {
		v.add("email", "required")
	} else if !domain.ValidEmail(n.Email) {
		v.add("email", "invalid_format")
	}
	if n.Phone != "" && !domain.ValidPhone(n.Phone) {
		v.add("phone", "invalid_format")
	}
	if req.BirthDate == "" {
		v.add("birth_date", "required")
	} else if n.BirthDate, err = time.Parse(time.DateOnly, req.BirthDate); err != nil || n.BirthDate.After(now) || n.BirthDate.Year() < 1900 {
		v.add("birth_date", "invalid_format")
	} else if !domain.IsAdult(n.BirthDate, now) {
		v.add("birth_date", "underage")
	}
	if req.Language == "" {
		v.add("language", "required")
	} else if _, ok := domain.ParseLanguage(req.Language); !ok {
		v.add("language", "invalid")
	}
	return n, v.err()
}


type enrollmentRef struct {
	EnrollmentID string                  `json:"enrollment_id"`
	Status       domain.EnrollmentStatus `json:"status"`
}

// createEnrollment: POST /enrollments (agent). The same pending CIN answers 200 with the
// open enrollment; an active account 409. The workflow is started with a conflict policy
// that keeps the running one, so a retry after a crash between the insert and the start
// repairs the gap and never starts a second one.
func (s *Server) createEnrollment(w http.ResponseWriter, r *http.Request) error {
	var req enrollRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	n, err := req.validate(s.clock())
	if err != nil {
		return err
	}
	p := principalFrom(r.Context())
	if !p.staff.ExchangePointCode.Valid {
		return problem(http.StatusForbidden, "forbidden") // an agent enrols at an exchange point
	}
	n.ID, n.AgentStaffID, n.ExchangePointCode = newID(), p.id, p.staff.ExchangePointCode.String
	res, err := s.store.Enroll(r.Context(), n)
	if errors.Is(err, store.ErrAccountActive) {
		return &apiError{status: http.StatusConflict, code: "conflict", detailKey: "account_active"}
	}
	if err != nil {
		return err
	}
	if err := s.startEnrollment(r.Context(), res.EnrollmentID, n.ExchangePointCode); err != nil {
		return err
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusAccepted
	}
	writeJSON(w, status, enrollmentRef{EnrollmentID: res.EnrollmentID, Status: res.Status})
	return nil
}

func (s *Server) startEnrollment(ctx context.Context, enrollmentID, exchangePoint string) error {
	_, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.EnrollmentWorkflowID(enrollmentID),
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		// Shown in the Temporal Web UI; no personal data (the citizen is in MySQL only).
		StaticSummary: "Enrollment at " + exchangePoint,
		StaticDetails: "Initial credentials by e-mail, activation in the app, forced password change. " +
			"Read model: GET /api/v1/enrollments/" + enrollmentID + ".",
	}, workflows.Enrollment, workflows.EnrollmentInput{EnrollmentID: enrollmentID, ReissueWindow: s.reissueWindow})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil // it ran already (and closed): nothing to repair
	}
	return err
}

// enrollmentFor reads an enrollment the caller may see: admins all, agents those of their
// exchange point.
func (s *Server) enrollmentFor(r *http.Request) (store.Enrollment, error) {
	e, err := s.store.EnrollmentByID(r.Context(), mux.Vars(r)["enrollment_id"])
	if err != nil {
		return e, err
	}
	p := principalFrom(r.Context())
	if p.staff.Role == domain.RoleAgent && (!p.staff.ExchangePointCode.Valid || e.ExchangePointCode != p.staff.ExchangePointCode) {
		return e, store.ErrNotFound
	}
	return e, nil
}

// getEnrollment: GET /enrollments/{id} (agent, admin).
func (s *Server) getEnrollment(w http.ResponseWriter, r *http.Request) error {
	e, err := s.enrollmentFor(r)
	if err != nil {
		return err
	}
	out, err := s.enrollmentJSON(r, e)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// resendEnrollment: POST /enrollments/{id}/resend (agent): new credentials, the old ones
// invalid.
func (s *Server) resendEnrollment(w http.ResponseWriter, r *http.Request) error {
	e, err := s.enrollmentFor(r)
	if err != nil {
		return err
	}
	if e.Status.Final() {
		return problem(http.StatusConflict, "conflict")
	}
	state, err := s.updateEnrollment(r.Context(), e.ID, workflows.UpdateResendCredentials, workflows.ResendRequest{By: "agent"})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, enrollmentRef{EnrollmentID: e.ID, Status: state.Status})
	return nil
}

type activationResendRequest struct {
	CIN   string `json:"cin"`
	Email string `json:"email"`
}

// resendCooldown: the citizen may ask for new credentials once in this period.
const resendCooldown = 5 * time.Minute

// activationResend: POST /activation/resend {cin, email}. Always 202: whether the pair
// matches a pending enrollment is decided in the background, so neither the answer nor its
// timing tells.
func (s *Server) activationResend(w http.ResponseWriter, r *http.Request) error {
	var req activationResendRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	var v validation
	cin, err := domain.NormalizeCIN(req.CIN)
	if err != nil {
		v.add("cin", "invalid_format")
	}
	email := strings.ToLower(strings.TrimSpace(req.Email))
	if !domain.ValidEmail(email) {
		v.add("email", "invalid_format")
	}
	if err := v.err(); err != nil {
		return err
	}
	if err := s.limitAccount(r.Context(), loginKey(domain.SubjectCitizen, cin)); err != nil {
		return err
	}
	reqID := requestID(r.Context())
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.citizenResend(ctx, cin, email); err != nil {
			s.log.Warn("activation resend not done", "request_id", reqID, "reason", scrub.Message(err))
		}
	}()
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "accepted"})
	return nil
}

var errNoMatch = errors.New("no pending enrollment matches")

func (s *Server) citizenResend(ctx context.Context, cin, email string) error {
	c, err := s.store.CitizenByCIN(ctx, cin)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (c.Status == domain.CitizenActive || !strings.EqualFold(c.Email, email))) {
		return errNoMatch
	}
	if err != nil {
		return err
	}
	e, err := s.store.OpenEnrollment(ctx, c.ID)
	if err != nil {
		return err
	}
	if cred, err := s.store.CurrentCredential(ctx, c.ID); err == nil && s.clock().Sub(cred.CreatedAt) < resendCooldown {
		return errors.New("credentials issued less than 5 minutes ago")
	}
	_, err = s.updateEnrollment(ctx, e.ID, workflows.UpdateResendCredentials, workflows.ResendRequest{By: "citizen"})
	return err
}

// updateEnrollment sends an Update to an enrollment workflow. A refusal by the workflow's
// validator (wrong state) is a 409.
func (s *Server) updateEnrollment(ctx context.Context, enrollmentID, name string, args ...any) (workflows.EnrollmentState, error) {
	return s.updateEnrollmentID(ctx, enrollmentID, "", name, args...)
}

// updateEnrollmentID is updateEnrollment with a chosen Update ID (see updateWorkflowID).
func (s *Server) updateEnrollmentID(ctx context.Context, enrollmentID, updateID, name string, args ...any) (workflows.EnrollmentState, error) {
	var state workflows.EnrollmentState
	err := s.updateWorkflowID(ctx, workflows.EnrollmentWorkflowID(enrollmentID), updateID, name, &state, args...)
	var appErr *temporal.ApplicationError
	var notFound *serviceerror.NotFound
	if errors.As(err, &appErr) || errors.As(err, &notFound) {
		return state, &apiError{status: http.StatusConflict, code: "conflict", cause: err}
	}
	return state, err
}

// notifyActivation tells the workflow that the initial password of cred was verified.
//
// The Update ID is the same for every request that activates one credentials issue, so a
// double tap, or the app's retry after a 503 while the first activation is still being
// confirmed (a worker restarted mid-step), joins that activation and gets its outcome
// rather than a refusal. If the workflow refuses because the activation already completed
// and the enrollment moved on, the activation stands.
func (s *Server) notifyActivation(ctx context.Context, cred *store.Credential) error {
	_, err := s.updateEnrollmentID(ctx, cred.EnrollmentID, workflows.ActivateUpdateID(cred.IssueNo),
		workflows.UpdateActivate, workflows.ActivateRequest{IssueNo: cred.IssueNo})
	var ae *apiError
	if errors.As(err, &ae) && ae.code == "conflict" {
		now, rerr := s.store.CredentialByIssue(ctx, cred.EnrollmentID, cred.IssueNo)
		if rerr == nil && now.ActivatedAt.Valid && !now.RevokedAt.Valid {
			return nil
		}
		return problem(http.StatusUnauthorized, "credentials_expired")
	}
	return err
}

// notifyPasswordChanged asks the workflow to make the pending password the account's. A
// refusal because a concurrent request (a double tap) completed it first is a success.
func (s *Server) notifyPasswordChanged(ctx context.Context, citizenID int64, enrollmentID string) error {
	_, err := s.updateEnrollment(ctx, enrollmentID, workflows.UpdatePasswordChanged)
	var ae *apiError
	if errors.As(err, &ae) && ae.code == "conflict" {
		if c, rerr := s.store.CitizenByID(ctx, citizenID); rerr == nil && c.Status == domain.CitizenActive {
			return nil
		}
	}
	return err
}
