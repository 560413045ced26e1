package service

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/client"

	"occonnect/domain"
	"occonnect/internal/scrub"
	"occonnect/store"
	"occonnect/workflows"
)

// Enrollments enrols citizens at exchange points and follows their enrollments to the
// active account.
type Enrollments struct {
	store         *store.Store
	clock         clock
	wf            workflowClient
	auth          *Auth
	reissueWindow time.Duration
	log           *slog.Logger
	background    *sync.WaitGroup
	audit         *Audit
}

// NewEnrollment is what an agent types at the counter.
type NewEnrollment struct {
	CIN, FirstName, LastName, Email, Phone, BirthDate, Language string
}

func (n NewEnrollment) validate(now time.Time) (store.NewEnrollment, error) {
	var v fieldErrors
	out := store.NewEnrollment{
		FirstName: strings.TrimSpace(n.FirstName), LastName: strings.TrimSpace(n.LastName),
		Email: strings.ToLower(strings.TrimSpace(n.Email)), Phone: strings.TrimSpace(n.Phone),
		Language: n.Language, Now: now,
	}
	var err error
	if strings.TrimSpace(n.CIN) == "" {
		v.add("cin", "required")
	} else if out.CIN, err = domain.NormalizeCIN(n.CIN); err != nil {
		v.add("cin", "invalid_format")
	}
	for _, f := range []struct{ field, value string }{{"first_name", out.FirstName}, {"last_name", out.LastName}} {
		if f.value == "" {
			v.add(f.field, "required")
		} else if !domain.ValidName(f.value) {
			v.add(f.field, "invalid_format")
		}
	}
	if out.Email == "" {
		v.add("email", "required")
	} else if !domain.ValidEmail(out.Email) {
		v.add("email", "invalid_format")
	}
	if out.Phone != "" && !domain.ValidPhone(out.Phone) {
		v.add("phone", "invalid_format")
	}
	if n.BirthDate == "" {
		v.add("birth_date", "required")
	} else if out.BirthDate, err = time.Parse(time.DateOnly, n.BirthDate); err != nil || out.BirthDate.After(now) || out.BirthDate.Year() < 1900 {
		v.add("birth_date", "invalid_format")
	} else if !domain.IsAdult(out.BirthDate, now) {
		v.add("birth_date", "underage")
	}
	if n.Language == "" {
		v.add("language", "required")
	} else if _, ok := domain.ParseLanguage(n.Language); !ok {
		v.add("language", "invalid")
	}
	return out, v.err()
}

// Enrolled is the enrollment a request maps to; Created is false when the CIN already had
// an open one (that one is returned).
type Enrolled struct {
	EnrollmentID string
	Status       domain.EnrollmentStatus
	Created      bool
}

// Enroll records a citizen enrolled by an agent at the agent's exchange point and starts
// the enrollment workflow (initial credentials by e-mail). The same pending CIN gives the
// open enrollment; an active account is a Conflict (account_active). A retry after a
// failure between the row and the workflow starts the missing workflow.
func (e *Enrollments) Enroll(ctx context.Context, agent *Principal, n NewEnrollment) (Enrolled, error) {
	in, err := n.validate(e.clock.now())
	if err != nil {
		return Enrolled{}, err
	}
	if err := agentAtOpenPoint(ctx, e.store, agent); err != nil {
		return Enrolled{}, err // an agent enrols at an exchange point that is open
	}
	in.ID, in.AgentStaffID, in.ExchangePointCode = newID(), agent.ID, agent.Staff.ExchangePointCode.String
	res, err := e.store.Enroll(ctx, in)
	if errors.Is(err, store.ErrAccountActive) {
		return Enrolled{}, conflict("account_active")
	}
	if err != nil {
		return Enrolled{}, err
	}
	err = e.wf.start(ctx, client.StartWorkflowOptions{
		ID: workflows.EnrollmentWorkflowID(res.EnrollmentID),
		// Shown in the Temporal Web UI; no personal data (the citizen is in MySQL only).
		StaticSummary: "Enrollment at " + in.ExchangePointCode,
		StaticDetails: "Initial credentials by e-mail, activation in the app, forced password change. " +
			"Read model: GET /api/v1/enrollments/" + res.EnrollmentID + ".",
	}, workflows.Enrollment, workflows.EnrollmentInput{EnrollmentID: res.EnrollmentID, ReissueWindow: e.reissueWindow}, nil)
	if err != nil {
		return Enrolled{}, err
	}
	return Enrolled{EnrollmentID: res.EnrollmentID, Status: res.Status, Created: res.Created}, nil
}

// Enrollment is an enrollment with its timeline.
type Enrollment struct {
	store.Enrollment
	// Steps are the steps that happened, then those still ahead (At zero).
	Steps []Step
}

// Step is one step of an enrollment's timeline: done (At set) or pending.
type Step struct {
	Name string
	Done bool
	At   time.Time
}

// enrollmentView is the enrollment with its done and pending steps.
func enrollmentView(e store.Enrollment, steps []store.Step) Enrollment {
	out := Enrollment{Enrollment: e, Steps: []Step{}}
	done := map[string]bool{}
	for _, st := range steps {
		out.Steps = append(out.Steps, Step{Name: st.Name, Done: true, At: st.At})
		done[st.Name] = true
	}
	if !e.Status.Final() {
		for _, name := range []string{domain.StepCredentialsEmailed, domain.StepActivated, domain.StepPasswordChanged} {
			if !done[name] || (name != domain.StepCredentialsEmailed && e.Status == domain.EnrollmentCredentialsExpired) {
				out.Steps = append(out.Steps, Step{Name: name})
			}
		}
	}
	return out
}

// agentAtOpenPoint refuses an agent without an exchange point, or whose exchange point was
// deactivated (Forbidden, exchange_point_inactive): a closed point neither enrols nor
// sells currency, whatever its agents' sessions.
func agentAtOpenPoint(ctx context.Context, st *store.Store, agent *Principal) error {
	if !agent.Staff.ExchangePointCode.Valid {
		return refuse(Forbidden)
	}
	open, err := st.ExchangePointExists(ctx, agent.Staff.ExchangePointCode.String)
	if err != nil {
		return err
	}
	if !open {
		return &Refusal{Reason: Forbidden, Detail: "exchange_point_inactive"}
	}
	return nil
}

// visible reads an enrollment the staff member may see: admins all, agents those of their
// exchange point (NotFound otherwise).
func (e *Enrollments) visible(ctx context.Context, p *Principal, id string) (store.Enrollment, error) {
	en, err := e.store.EnrollmentByID(ctx, id)
	if err != nil {
		return en, err
	}
	if p.Staff.Role == domain.RoleAgent && (!p.Staff.ExchangePointCode.Valid || en.ExchangePointCode != p.Staff.ExchangePointCode) {
		return en, refuse(NotFound)
	}
	return en, nil
}

// Get reads an enrollment with its timeline, for an agent of its exchange point or an
// admin.
func (e *Enrollments) Get(ctx context.Context, p *Principal, id string) (Enrollment, error) {
	en, err := e.visible(ctx, p, id)
	if err != nil {
		return Enrollment{}, err
	}
	if err := e.audit.read(ctx, p, auditEnrollment, en.ID); err != nil {
		return Enrollment{}, err
	}
	steps, err := e.store.EnrollmentSteps(ctx, en.ID)
	if err != nil {
		return Enrollment{}, err
	}
	return enrollmentView(en, steps), nil
}

// Mine is the calling citizen's latest enrollment, polled by the app: the session and the
// data are read in one query (one MySQL round trip a poll), and the session gets the
// checks of Auth.Authenticate for a citizen's full session.
func (e *Enrollments) Mine(ctx context.Context, token string) (Enrollment, error) {
	hash, err := TokenHash(token)
	if err != nil {
		return Enrollment{}, err
	}
	se, en, steps, err := e.store.SessionLatestEnrollment(ctx, hash)
	if err := e.auth.admitPolled(ctx, hash, se, err, CitizensOnly()); err != nil {
		return Enrollment{}, err
	}
	if en.ID == "" {
		return Enrollment{}, refuse(NotFound)
	}
	return enrollmentView(en, steps), nil
}

// Resend issues new credentials for a pending enrollment (an agent of its exchange
// point): the old password stops working. Conflict once the enrollment is over.
func (e *Enrollments) Resend(ctx context.Context, agent *Principal, id string) (Enrolled, error) {
	en, err := e.visible(ctx, agent, id)
	if err != nil {
		return Enrolled{}, err
	}
	if en.Status.Final() {
		return Enrolled{}, refuse(Conflict)
	}
	state, err := e.updateEnrollment(ctx, en.ID, workflows.UpdateResendCredentials, workflows.ResendRequest{By: "agent"})
	if err != nil {
		return Enrolled{}, err
	}
	return Enrolled{EnrollmentID: en.ID, Status: state.Status}, nil
}

// CorrectEmail corrects the e-mail of a pending enrollment's citizen (typed wrong at the
// counter), for an agent of its exchange point or an admin: the current password fails at
// once, new credentials go to the new address through the enrollment workflow (a
// re-issue), and the correction is audited. Conflict once the password was used
// (password_change_required), the account is active or the enrollment over; Conflict too
// when the credentials were issued the maximum number of times (nothing changed then).
func (e *Enrollments) CorrectEmail(ctx context.Context, p *Principal, by store.AdminActor, id, email string) (Enrolled, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	var v fieldErrors
	switch {
	case email == "":
		v.add("email", "required")
	case !domain.ValidEmail(email):
		v.add("email", "invalid_format")
	}
	if err := v.err(); err != nil {
		return Enrolled{}, err
	}
	en, err := e.visible(ctx, p, id)
	if err != nil {
		return Enrolled{}, err
	}
	switch {
	case en.Status.Final() || en.Status == domain.EnrollmentPasswordChangeRequired:
		return Enrolled{}, conflict("enrollment_not_pending")
	case en.CredentialsIssued >= workflows.DefaultMaxIssues:
		return Enrolled{}, conflict("too_many_issues")
	}
	if err := e.store.CorrectEnrollmentEmail(ctx, en.ID, en.CitizenID, email, e.clock.now(), by); errors.Is(err, store.ErrNotPending) {
		return Enrolled{}, conflict("enrollment_not_pending")
	} else if err != nil {
		return Enrolled{}, err
	}
	state, err := e.updateEnrollment(ctx, en.ID, workflows.UpdateResendCredentials, workflows.ResendRequest{By: "correction"})
	if Explain(err) != nil && Explain(err).Reason == Conflict {
		// A re-issue already under way issues to the corrected address (the activity reads
		// it when it runs): the correction stands.
		return Enrolled{EnrollmentID: en.ID, Status: en.Status}, nil
	}
	if err != nil {
		return Enrolled{}, err
	}
	return Enrolled{EnrollmentID: en.ID, Status: state.Status}, nil
}

// ResendCooldown: a citizen may ask for new credentials once in this period.
const ResendCooldown = 5 * time.Minute

// CitizenResend is a citizen's request for new credentials, by CIN and e-mail. Whether the
// pair matches a pending enrollment is decided in the background, so that neither the
// answer nor its timing tells: the only refusals are about the request itself (invalid
// fields, the per-account rate limit). requestID goes into the log line of a request that
// was not done.
func (e *Enrollments) CitizenResend(ctx context.Context, cin, email, requestID string) error {
	var v fieldErrors
	cin, err := domain.NormalizeCIN(cin)
	if err != nil {
		v.add("cin", "invalid_format")
	}
	email = strings.ToLower(strings.TrimSpace(email))
	if !domain.ValidEmail(email) {
		v.add("email", "invalid_format")
	}
	if err := v.err(); err != nil {
		return err
	}
	if err := e.auth.limitAccount(ctx, e.auth.guardFor(ctx, domain.SubjectCitizen, cin)); err != nil {
		return err
	}
	e.background.Add(1)
	go func() {
		defer e.background.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := e.citizenResend(ctx, cin, email); err != nil {
			e.log.Warn("activation resend not done", "request_id", requestID, "reason", scrub.Message(err))
		}
	}()
	return nil
}

var errNoMatch = errors.New("no pending enrollment matches")

func (e *Enrollments) citizenResend(ctx context.Context, cin, email string) error {
	c, err := e.store.CitizenByCIN(ctx, cin)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (c.Status == domain.CitizenActive || !strings.EqualFold(c.Email, email))) {
		return errNoMatch
	}
	if err != nil {
		return err
	}
	en, err := e.store.OpenEnrollment(ctx, c.ID)
	if err != nil {
		return err
	}
	if cred, err := e.store.CurrentCredential(ctx, c.ID); err == nil && e.clock.now().Sub(cred.CreatedAt) < ResendCooldown {
		return errors.New("credentials issued less than 5 minutes ago")
	}
	_, err = e.updateEnrollment(ctx, en.ID, workflows.UpdateResendCredentials, workflows.ResendRequest{By: "citizen"})
	return err
}

// updateEnrollment sends an Update to an enrollment workflow. A refusal by the workflow's
// validator (wrong state) is a Conflict.
func (e *Enrollments) updateEnrollment(ctx context.Context, enrollmentID, name string, args ...any) (workflows.EnrollmentState, error) {
	var state workflows.EnrollmentState
	err := e.wf.update(ctx, workflows.EnrollmentWorkflowID(enrollmentID), "", name, &state, args...)
	if isWorkflowRefusal(err) {
		return state, &Refusal{Reason: Conflict, cause: err}
	}
	return state, err
}
