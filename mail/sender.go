package mail

import (
	"context"
	"errors"
	"fmt"
	netmail "net/mail"
	"regexp"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"occonnect/internal/loopback"
)

// Sender delivers a rendered Message to one recipient. messageID, when not
// empty, becomes the Message-ID "<messageID@occonnect>" so that a resend of the
// same outbox row carries the same Message-ID.
type Sender interface {
	Send(ctx context.Context, to string, msg Message, messageID string) error
}

// TLS modes accepted in SMTPConfig.TLS.
const (
	TLSNone          = "none"          // plain SMTP (Mailpit, local relays)
	TLSOpportunistic = "opportunistic" // STARTTLS when the server offers it
	TLSMandatory     = "mandatory"     // STARTTLS required
	TLSImplicit      = "implicit"      // SMTPS, TLS from the first byte (usually port 465)
)

// DefaultTimeout is used when SMTPConfig.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// MessageIDDomain is the right-hand side of the Message-IDs set by Send.
const MessageIDDomain = "occonnect"

// SMTPConfig configures an SMTPSender.
type SMTPConfig struct {
	Host string
	// Port defaults to 465 for TLS "implicit", 587 for "mandatory", 25 otherwise.
	Port int
	// From is the RFC 5322 sender, e.g. "OC Connect <no-reply@oc.gov.ma>".
	From string
	// Username and Password are optional; when Username is empty no SMTP AUTH is
	// performed. The mechanism is discovered from the server (PLAIN/LOGIN only
	// over an encrypted connection).
	Username, Password string
	// TLS is one of "none" (default), "opportunistic", "mandatory", "implicit". "none"
	// and "opportunistic" (which sends in clear when STARTTLS is missing or stripped) are
	// refused with ErrPlaintext unless Host is loopback or AllowPlaintext is set.
	TLS string
	// AllowPlaintext lets "none" and "opportunistic" reach a host that is not loopback (a
	// relay on a private network, such as the bundled Mailpit of docker compose).
	AllowPlaintext bool
	// Timeout bounds the whole SMTP conversation (default 10s). A context
	// deadline that is sooner wins.
	Timeout time.Duration
}

// SMTPSender sends messages through an SMTP server with go-mail. It opens one
// connection per Send and is safe for concurrent use.
type SMTPSender struct {
	host     string
	port     int
	from     *netmail.Address
	username string
	password string
	tls      string
	timeout  time.Duration
}

var _ Sender = (*SMTPSender)(nil)

// Errors usable with errors.Is on the error returned by Send (they are
// wrapped in a *DeliveryError).
var (
	ErrInvalidRecipient = errors.New("mail: invalid recipient address")
	ErrInvalidMessageID = errors.New("mail: invalid message id")
	ErrEmptyMessage     = errors.New("mail: message has no subject or no body")
	// ErrPlaintext: NewSMTPSender refuses a TLS mode that may send in clear to a host
	// that is not loopback.
	ErrPlaintext = errors.New("mail: smtp config: e-mails (one-time passwords among them) would cross the network in clear")
)

// NewSMTPSender validates cfg and returns a sender. It does not connect.
func NewSMTPSender(cfg SMTPConfig) (*SMTPSender, error) {
	s := &SMTPSender{
		host:     strings.TrimSpace(cfg.Host),
		port:     cfg.Port,
		username: cfg.Username,
		password: cfg.Password,
		tls:      strings.ToLower(strings.TrimSpace(cfg.TLS)),
		timeout:  cfg.Timeout,
	}
	if s.host == "" {
		return nil, errors.New("mail: smtp config: host is required")
	}
	switch s.tls {
	case "":
		s.tls = TLSNone
	case TLSNone, TLSOpportunistic, TLSMandatory, TLSImplicit:
	default:
		return nil, fmt.Errorf("mail: smtp config: unknown TLS mode %q (want none, opportunistic, mandatory or implicit)", cfg.TLS)
	}
	if (s.tls == TLSNone || s.tls == TLSOpportunistic) && !cfg.AllowPlaintext && !loopback.Host(s.host) {
		return nil, fmt.Errorf("%w: TLS %q towards %q, which is not loopback (want mandatory or implicit)", ErrPlaintext, s.tls, s.host)
	}
	if s.port == 0 {
		switch s.tls {
		case TLSImplicit:
			s.port = gomail.DefaultPortSSL
		case TLSMandatory:
			s.port = gomail.DefaultPortTLS
		default:
			s.port = gomail.DefaultPort
		}
	}
	if s.port < 1 || s.port > 65535 {
		return nil, fmt.Errorf("mail: smtp config: invalid port %d", cfg.Port)
	}
	if s.timeout == 0 {
		s.timeout = DefaultTimeout
	}
	if s.timeout < 0 {
		return nil, errors.New("mail: smtp config: timeout must be positive")
	}
	if s.username == "" && s.password != "" {
		return nil, errors.New("mail: smtp config: password set without username")
	}
	from, err := netmail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("mail: smtp config: invalid From %q: %w", cfg.From, err)
	}
	s.from = from
	// Building a client validates the options without connecting.
	if _, err := s.newClient(s.timeout); err != nil {
		return nil, fmt.Errorf("mail: smtp config: %w", err)
	}
	return s, nil
}

func (s *SMTPSender) newClient(timeout time.Duration) (*gomail.Client, error) {
	opts := []gomail.Option{
		gomail.WithPort(s.port),
		gomail.WithTimeout(timeout),
	}
	switch s.tls {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSMandatory:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSOpportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.username != "" {
		opts = append(opts,
			gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.username),
			gomail.WithPassword(s.password),
		)
	}
	return gomail.NewClient(s.host, opts...)
}

var messageIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+=-]{0,199}$`)

// Send delivers msg to a single recipient as multipart/alternative (text +
// HTML, UTF-8). Errors are *DeliveryError values; their text never contains
// the recipient address nor the message content. Use IsPermanent to decide
// whether a retry can succeed.
func (s *SMTPSender) Send(ctx context.Context, to string, msg Message, messageID string) error {
	rcpt, err := netmail.ParseAddress(strings.TrimSpace(to))
	if err != nil {
		return &DeliveryError{Stage: "recipient", Permanent: true, detail: "invalid recipient address", cause: ErrInvalidRecipient}
	}
	if messageID != "" && !messageIDPattern.MatchString(messageID) {
		return &DeliveryError{Stage: "message", Permanent: true, detail: "invalid message id", cause: ErrInvalidMessageID}
	}
	subject := oneLine(msg.Subject)
	if subject == "" || (msg.Text == "" && msg.HTML == "") {
		return &DeliveryError{Stage: "message", Permanent: true, detail: "empty subject or body", cause: ErrEmptyMessage}
	}
	if err := ctx.Err(); err != nil {
		return &DeliveryError{Stage: "connect", cause: err}
	}

	m := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithNoDefaultUserAgent())
	m.FromMailAddress(s.from)
	m.ToMailAddress(rcpt)
	m.Subject(subject)
	m.SetDate()
	if messageID != "" {
		m.SetMessageIDWithValue(messageID + "@" + MessageIDDomain)
	} else {
		m.SetMessageID()
	}
	// RFC 3834: discourage auto-replies (vacation notices) to a no-reply sender.
	m.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	switch {
	case msg.Text != "" && msg.HTML != "":
		m.SetBodyString(gomail.TypeTextPlain, msg.Text)
		m.AddAlternativeString(gomail.TypeTextHTML, msg.HTML)
	case msg.Text != "":
		m.SetBodyString(gomail.TypeTextPlain, msg.Text)
	default:
		m.SetBodyString(gomail.TypeTextHTML, msg.HTML)
	}

	timeout := s.timeout
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		if left <= 0 {
			return &DeliveryError{Stage: "connect", cause: context.DeadlineExceeded}
		}
		timeout = min(timeout, left)
	}
	client, err := s.newClient(timeout)
	if err != nil {
		return &DeliveryError{Stage: "config", detail: redact(err.Error()), cause: err}
	}

	sendErr := client.DialAndSendWithContext(ctx, m)
	if m.IsDelivered() {
		// The server accepted the message; a failing RSET/QUIT afterwards must
		// not trigger a resend.
		return nil
	}
	if sendErr == nil {
		// Should not happen: go-mail reports success only after delivery.
		return &DeliveryError{Stage: "DATA", detail: "message not marked as delivered"}
	}
	return classify(ctx, sendErr)
}

// DeliveryError is the error returned by SMTPSender.Send. Its Error() text
// never contains the recipient address or the message body: addresses found in
// server replies are redacted.
type DeliveryError struct {
	// Stage is where it failed: "recipient", "message", "config", "connect"
	// (dial, greeting, EHLO, STARTTLS, AUTH), "MAIL FROM", "RCPT TO", "DATA".
	Stage string
	// Code is the SMTP reply code (e.g. 550, 451) when the server answered, else 0.
	Code int
	// EnhancedCode is the RFC 3463 status (e.g. "5.1.1") when the server sent one.
	EnhancedCode string
	// Permanent reports that retrying the same message cannot succeed.
	Permanent bool

	detail string // redacted, may be empty
	cause  error  // never an error whose text contains the recipient
}

func (e *DeliveryError) Error() string {
	var b strings.Builder
	b.WriteString("mail: smtp delivery failed")
	if e.Stage != "" {
		b.WriteString(" at ")
		b.WriteString(e.Stage)
	}
	if e.Code != 0 {
		fmt.Fprintf(&b, " (smtp %d", e.Code)
		if e.EnhancedCode != "" {
			b.WriteString(" " + e.EnhancedCode)
		}
		b.WriteString(")")
	}
	switch {
	case e.detail != "":
		b.WriteString(": " + e.detail)
	case e.cause != nil:
		b.WriteString(": " + redact(e.cause.Error()))
	}
	if e.Permanent {
		b.WriteString(" [permanent]")
	} else {
		b.WriteString(" [temporary]")
	}
	return b.String()
}

// Unwrap exposes context errors, ErrInvalidRecipient & co, or connection-phase
// errors. go-mail's *SendError is deliberately not exposed: its text lists the
// recipients.
func (e *DeliveryError) Unwrap() error { return e.cause }

// Temporary reports whether a retry may succeed.
func (e *DeliveryError) Temporary() bool { return !e.Permanent }

// IsPermanent reports whether err means that retrying the same message to the
// same recipient cannot succeed: an invalid recipient address or message, or a
// 5xx SMTP reply to RCPT TO / DATA (unknown mailbox, rejected content...).
// Connection errors, timeouts, 4xx replies and failures while connecting
// (greeting, STARTTLS, AUTH — configuration or server problems, not the
// message's fault) are not permanent; nor is a 5xx to MAIL FROM, which rejects
// our sender for every message alike.
func IsPermanent(err error) bool {
	if err == nil {
		return false
	}
	var de *DeliveryError
	if errors.As(err, &de) {
		return de.Permanent
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		return permanentSendError(se)
	}
	return errors.Is(err, ErrInvalidRecipient) || errors.Is(err, ErrInvalidMessageID) || errors.Is(err, ErrEmptyMessage)
}

func permanentSendError(se *gomail.SendError) bool {
	code := se.ErrorCode()
	if code < 500 || code > 599 {
		return false
	}
	switch se.Reason {
	case gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose:
		return true
	}
	return false
}

// classify turns a go-mail error into a *DeliveryError.
func classify(ctx context.Context, err error) *DeliveryError {
	var se *gomail.SendError
	if !errors.As(err, &se) {
		// Dial / greeting / STARTTLS / AUTH: no recipient involved yet.
		return &DeliveryError{Stage: "connect", cause: err}
	}
	de := &DeliveryError{
		Stage:        stageOf(se.Reason),
		Code:         se.ErrorCode(),
		EnhancedCode: se.EnhancedStatusCode(),
		Permanent:    permanentSendError(se),
		detail:       redact(se.Error()),
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		de.cause = ctxErr
	}
	return de
}

func stageOf(r gomail.SendErrReason) string {
	switch r {
	case gomail.ErrSMTPMailFrom, gomail.ErrGetSender:
		return "MAIL FROM"
	case gomail.ErrSMTPRcptTo, gomail.ErrGetRcpts:
		return "RCPT TO"
	case gomail.ErrSMTPData, gomail.ErrSMTPDataClose, gomail.ErrWriteContent, gomail.ErrNoUnencoded:
		return "DATA"
	case gomail.ErrConnCheck:
		return "connect"
	case gomail.ErrSMTPReset:
		return "RSET"
	}
	return "send"
}

// addressPattern matches anything that looks like an email address.
var addressPattern = regexp.MustCompile(`[^\s<>()\[\],;:"'@]+@[^\s<>()\[\],;:"'@]+`)

// redact removes e-mail addresses from s (our own Message-IDs are kept) and
// flattens it to one line.
func redact(s string) string {
	s = addressPattern.ReplaceAllStringFunc(s, func(match string) string {
		if strings.HasSuffix(match, "@"+MessageIDDomain) {
			return match
		}
		return "[redacted]"
	})
	return oneLine(s)
}
