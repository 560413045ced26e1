package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Client calls the API over HTTP as the mobile app and the exchange-point agents do.
type Client struct {
	BaseURL string // http://host:port
	HTTP    *http.Client
}

// NewClient returns a client of the API at baseURL that keeps up to conns connections open.
func NewClient(baseURL string, conns int) *Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost, tr.MaxConnsPerHost = conns, conns, conns
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), HTTP: &http.Client{Transport: tr, Timeout: time.Minute}}
}

// StatusError is an answer other than the one expected. It carries the problem code, never
// the body (which may quote what was sent).
type StatusError struct {
	Method, Path string
	Status       int
	Code         string
	Fields       []string      // the invalid fields, "field code" (validation_failed)
	RetryAfter   time.Duration // the answer's Retry-After (0: none)
}

// RetryAfter reads a Retry-After header given in seconds (0 when absent or a date).
func RetryAfter(h http.Header) time.Duration {
	secs, err := strconv.Atoi(h.Get("Retry-After"))
	if err != nil || secs < 0 {
		return 0
	}
	return time.Duration(secs) * time.Second
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, e.Code)
	if len(e.Fields) > 0 {
		msg += " (" + strings.Join(e.Fields, ", ") + ")"
	}
	return msg
}

// Response is an answer of the API.
type Response struct {
	Status int
	Header http.Header
	Raw    []byte // the body as it came
}

// RawBody is a request body sent as it is, with its Content-Type (none when empty): for
// bodies that are not JSON, or not valid JSON on purpose.
type RawBody struct {
	ContentType string
	Bytes       []byte
}

// Call sends a request and returns the answer, whatever its status. body is nil (no body),
// a RawBody, or a value sent as JSON; headers are name, value pairs.
func (c *Client) Call(ctx context.Context, method, path, token string, body any, headers ...string) (Response, error) {
	var rd io.Reader
	contentType := ""
	switch b := body.(type) {
	case nil:
	case RawBody:
		rd, contentType = bytes.NewReader(b.Bytes), b.ContentType
	default:
		js, err := json.Marshal(body)
		if err != nil {
			return Response{}, err
		}
		rd, contentType = bytes.NewReader(js), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, rd)
	if err != nil {
		return Response{}, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return Response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}, err
}

// Expect sends a request and decodes the answer into out (when not nil) if its status is
// want; any other status is a *StatusError.
func (c *Client) Expect(ctx context.Context, want int, out any, method, path, token string, body any, headers ...string) error {
	r, err := c.Call(ctx, method, path, token, body, headers...)
	if err != nil {
		return err
	}
	if r.Status != want {
		var p struct {
			Code   string `json:"code"`
			Errors []struct {
				Field string `json:"field"`
				Code  string `json:"code"`
			} `json:"errors"`
		}
		_ = json.Unmarshal(r.Raw, &p)
		se := &StatusError{Method: method, Path: path, Status: r.Status, Code: p.Code, RetryAfter: RetryAfter(r.Header)}
		for _, f := range p.Errors {
			se.Fields = append(se.Fields, f.Field+" "+f.Code)
		}
		return se
	}
	if out != nil {
		return json.Unmarshal(r.Raw, out)
	}
	return nil
}

// StaffLogin signs a staff member in and returns the session token.
func (c *Client) StaffLogin(ctx context.Context, email, password string) (string, error) {
	var tok struct {
		Token string `json:"token"`
	}
	err := c.Expect(ctx, http.StatusOK, &tok, http.MethodPost, "/api/v1/staff/login", "", map[string]string{"email": email, "password": password})
	return tok.Token, err
}

// Citizen is a person taken through enrolment by a run.
type Citizen struct {
	CIN, FirstName, LastName, Email string
	Password                        string // the password the citizen chooses at activation
	EnrollmentID                    string // set by Enrol
	Token                           string // a full session, set once the account is active
}

// NewCitizen makes citizen number n of a run: CIN <prefix><n, 6 digits> (prefix: one or
// two upper-case letters), an address unique to the run at example.ma.
func NewCitizen(prefix, run string, n int) *Citizen {
	return &Citizen{
		CIN:       fmt.Sprintf("%s%06d", prefix, n%1000000),
		FirstName: "Yasmine",
		LastName:  fmt.Sprintf("Bench%c", 'A'+rune(n%26)),
		Email:     fmt.Sprintf("bench.%s.%d@example.ma", run, n),
		Password:  fmt.Sprintf("Un thé à la menthe sur la terrasse %s-%d", run, n),
	}
}

// EnrollmentBody is what the agent sends to enrol the citizen (POST /enrollments).
func (cit *Citizen) EnrollmentBody() map[string]string {
	return map[string]string{"cin": cit.CIN, "first_name": cit.FirstName, "last_name": cit.LastName, "email": cit.Email,
		"birth_date": "1988-03-14", "language": "fr"}
}

// Enrol records the citizen at the agent's exchange point (POST /enrollments, 202).
func (c *Client) Enrol(ctx context.Context, agentToken string, cit *Citizen) error {
	var ref struct {
		EnrollmentID string `json:"enrollment_id"`
	}
	err := c.Expect(ctx, http.StatusAccepted, &ref, http.MethodPost, "/api/v1/enrollments", agentToken, cit.EnrollmentBody(),
		"Idempotency-Key", "enrol-"+cit.CIN)
	cit.EnrollmentID = ref.EnrollmentID
	return err
}

// CredentialsSubject is a word of the subject of the credentials e-mail.
const CredentialsSubject = "identifiants"

var passwordLine = regexp.MustCompile(`Mot de passe provisoire : (\S+)`)

// InitialPassword waits for the credentials e-mail to the citizen and reads the password
// from its text part.
func InitialPassword(ctx context.Context, mb *Mailbox, cit *Citizen) (string, error) {
	list, err := mb.Wait(ctx, cit.Email, CredentialsSubject, 1)
	if err != nil {
		return "", fmt.Errorf("credentials e-mail: %w", err)
	}
	msg, err := mb.Read(ctx, list[len(list)-1].ID)
	if err != nil {
		return "", err
	}
	return PasswordIn(msg.Text)
}

// PasswordIn reads the initial password from the text part of a credentials e-mail.
func PasswordIn(text string) (string, error) {
	m := passwordLine.FindStringSubmatch(text)
	if m == nil {
		return "", errors.New("no password line in the credentials e-mail")
	}
	return m[1], nil
}

// Activate signs in with the initial password (POST /activation) and returns the
// restricted token.
func (c *Client) Activate(ctx context.Context, cit *Citizen, initialPassword string) (string, error) {
	var tok struct {
		Token string `json:"token"`
	}
	err := c.Expect(ctx, http.StatusOK, &tok, http.MethodPost, "/api/v1/activation", "",
		map[string]string{"cin": cit.CIN, "password": initialPassword})
	return tok.Token, err
}

// ChangePassword sets a new password (PUT /me/password, 204); the session becomes a full one.
func (c *Client) ChangePassword(ctx context.Context, token, current, next string) error {
	return c.Expect(ctx, http.StatusNoContent, nil, http.MethodPut, "/api/v1/me/password", token,
		map[string]string{"current_password": current, "new_password": next})
}

// EnrollmentStatus reads the status of the citizen's enrollment (GET /me/enrollment).
func (c *Client) EnrollmentStatus(ctx context.Context, token string) (string, error) {
	var e struct {
		Status string `json:"status"`
	}
	err := c.Expect(ctx, http.StatusOK, &e, http.MethodGet, "/api/v1/me/enrollment", token, nil)
	return e.Status, err
}

// EnrolToActive takes a citizen from the agent's enrolment to an active account, as the
// walk-through (docs/walkthrough.md) does: enrol, read the initial password from the e-mail, activate,
// choose a password, and poll GET /me/enrollment until it says active.
func (c *Client) EnrolToActive(ctx context.Context, agentToken string, mb *Mailbox, cit *Citizen) error {
	if err := c.Enrol(ctx, agentToken, cit); err != nil {
		return err
	}
	initial, err := InitialPassword(ctx, mb, cit)
	if err != nil {
		return err
	}
	token, err := c.Activate(ctx, cit, initial)
	if err != nil {
		return err
	}
	if err := c.ChangePassword(ctx, token, initial, cit.Password); err != nil {
		return err
	}
	cit.Token = token
	for {
		status, err := c.EnrollmentStatus(ctx, token)
		if err != nil {
			return err
		}
		if status == "active" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("enrollment %s: %w", status, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Allowance is one line of GET /me/allowances.
type Allowance struct {
	Type           string `json:"type"`
	Label          string `json:"label"` // in French: the client sends no Accept-Language
	EntitlementMAD int64  `json:"entitlement_mad"`
	UsedMAD        int64  `json:"used_mad"`
	RemainingMAD   int64  `json:"remaining_mad"`
}

// Allowance reads one allowance of the current year from GET /me/allowances.
func (c *Client) Allowance(ctx context.Context, token, typ string) (Allowance, error) {
	var res struct {
		Allowances []Allowance `json:"allowances"`
	}
	if err := c.Expect(ctx, http.StatusOK, &res, http.MethodGet, "/api/v1/me/allowances", token, nil); err != nil {
		return Allowance{}, err
	}
	for _, a := range res.Allowances {
		if a.Type == typ {
			return a, nil
		}
	}
	return Allowance{}, fmt.Errorf("no allowance %q", typ)
}

// Debit is a sale at an exchange point against an allowance.
type Debit struct {
	CIN       string
	Type      string
	AmountMAD int64
	Reference string
}

// ErrInsufficient is the answer 409 insufficient_allowance.
var ErrInsufficient = errors.New("insufficient allowance")

// RecordDebit posts a debit (POST /allowance-operations) with its Idempotency-Key and
// returns the operation id; a refusal for lack of allowance is ErrInsufficient.
func (c *Client) RecordDebit(ctx context.Context, agentToken, key string, d Debit) (int64, error) {
	var res struct {
		OperationID int64 `json:"operation_id"`
	}
	err := c.Expect(ctx, http.StatusCreated, &res, http.MethodPost, "/api/v1/allowance-operations", agentToken,
		map[string]any{"cin": d.CIN, "type": d.Type, "amount_mad": d.AmountMAD, "currency": "EUR",
			"foreign_amount": json.Number("10.00"), "reference": d.Reference},
		"Idempotency-Key", key)
	var se *StatusError
	if errors.As(err, &se) && se.Status == http.StatusConflict && se.Code == "insufficient_allowance" {
		return 0, ErrInsufficient
	}
	return res.OperationID, err
}
