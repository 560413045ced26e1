package mail

import (
	"errors"
	"fmt"
	"net/url"
	"occonnect/domain"
	"occonnect/internal/i18n"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// DTSDecisionData feeds RenderDTSApproved and RenderDTSRejected.
type DTSDecisionData struct {
	FirstName, LastName string
	Language            string // "fr" or "ar"; anything else falls back to "fr"
	Year                int    // the year the supplement is for
	FiscalYear          int    // the income-tax year the supplement is indexed on
	SupplementMAD       int64  // integer dirhams; >= 0 (shown when > 0 in the rejection)
	Reason              string // officer's reason, rejection only; newlines are kept
	Reference           string // short request reference shown to the citizen; optional
}

// TaskEscalatedData feeds RenderTaskEscalated. It deliberately has no room for
// citizen personal data: supervisors open the task in the back-office.
type TaskEscalatedData struct {
	Kind       domain.TaskKind
	TaskID     string    // required
	Reference  string    // optional
	DueAt      time.Time // required; shown in Casablanca time
	ConsoleURL string    // optional absolute http(s) URL of the back-office
}

// Errors returned by the DTS and escalation renderers for unusable input.
var (
	ErrInvalidYear       = errors.New("mail: year must be positive")
	ErrInvalidFiscalYear = errors.New("mail: fiscal year must be positive")
	ErrNegativeAmount    = errors.New("mail: amount must not be negative")
	ErrMissingReason     = errors.New("mail: rejection reason is empty")
	ErrUnknownTaskKind   = errors.New("mail: unknown task kind")
	ErrMissingTaskID     = errors.New("mail: task ID is empty")
	ErrMissingDueAt      = errors.New("mail: task due time is required")
	ErrInvalidConsoleURL = errors.New("mail: console URL must be an absolute http(s) URL")
)

// Number formatting. Digits are grouped by three with U+202F NARROW NO-BREAK
// SPACE (the French thin grouping space) and the unit is attached with U+00A0
// NO-BREAK SPACE. Both have the bidi class CS, so "200 000" stays one number
// inside Arabic (right-to-left) text, unlike U+0020 or U+2009 which would make
// it display as "000 200".
const (
	groupSeparator = "\u202f"
	unitSeparator  = "\u00a0"
)

// FormatMAD formats an integer amount of dirhams for the given language:
// "200 000 MAD" in French, "200 000 درهم" in Arabic (the spaces are
// U+202F between digit groups and U+00A0 before the unit).
func FormatMAD(amount int64, lang string) string {
	return groupDigits(amount) + unitSeparator + i18n.Mail.Text(normalizeLanguage(lang), "currency.mad")
}

func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	var b strings.Builder
	b.WriteString(sign)
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(groupSeparator)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// dtsView is what the dts_approved / dts_rejected templates see.
type dtsView struct {
	FullName     string
	Year         int
	FiscalYear   int
	HasAmount    bool
	AmountFR     string // FormatMAD(..., "fr")
	AmountAR     string // FormatMAD(..., "ar")
	Reference    string
	Reason       string   // normalised, lines joined with "\n" (text part)
	ReasonLines  []string // same lines, joined with <br> by the HTML templates
	AppName      string
	SupportEmail string
	SupportPhone string
}

// taskView is what the task_escalated templates see: nothing but the task.
type taskView struct {
	IsDTS      bool
	TaskID     string
	Reference  string
	DueAt      string // Casablanca wall time, expiryLayout
	ConsoleURL string
	AppName    string
}

// RenderDTSApproved renders the email telling a citizen that the
// supplementary tourist allowance (DTS) of d.SupplementMAD was credited for d.Year.
func RenderDTSApproved(d DTSDecisionData) (Message, error) {
	v, err := newDTSView(d)
	if err != nil {
		return Message{}, err
	}
	return render("dts_approved", normalizeLanguage(d.Language), DefaultAppName, v)
}

// RenderDTSRejected renders the email telling a citizen that the DTS request
// was not approved, quoting d.Reason (required) and listing the next steps.
func RenderDTSRejected(d DTSDecisionData) (Message, error) {
	v, err := newDTSView(d)
	if err != nil {
		return Message{}, err
	}
	v.ReasonLines = reasonLines(d.Reason)
	if len(v.ReasonLines) == 0 {
		return Message{}, ErrMissingReason
	}
	v.Reason = strings.Join(v.ReasonLines, "\n")
	return render("dts_rejected", normalizeLanguage(d.Language), DefaultAppName, v)
}

func newDTSView(d DTSDecisionData) (dtsView, error) {
	if d.Year <= 0 {
		return dtsView{}, ErrInvalidYear
	}
	if d.FiscalYear <= 0 {
		return dtsView{}, ErrInvalidFiscalYear
	}
	if d.SupplementMAD < 0 {
		return dtsView{}, ErrNegativeAmount
	}
	return dtsView{
		FullName:     fullName(d.FirstName, d.LastName),
		Year:         d.Year,
		FiscalYear:   d.FiscalYear,
		HasAmount:    d.SupplementMAD > 0,
		AmountFR:     FormatMAD(d.SupplementMAD, LangFR),
		AmountAR:     FormatMAD(d.SupplementMAD, LangAR),
		Reference:    oneLine(d.Reference),
		AppName:      DefaultAppName,
		SupportEmail: contact().SupportEmail,
		SupportPhone: contact().SupportPhone,
	}, nil
}

// RenderTaskEscalated renders the email sent to supervisors when a back-office
// task missed its deadline and moved to their queue. French comes first. The
// email carries only the task kind, ID, reference, deadline and console link.
func RenderTaskEscalated(d TaskEscalatedData) (Message, error) {
	var isDTS bool
	switch domain.TaskKind(strings.ToLower(strings.TrimSpace(string(d.Kind)))) {
	case domain.TaskDTS:
		isDTS = true
	case domain.TaskComplaint:
	default:
		return Message{}, fmt.Errorf("%w: %q", ErrUnknownTaskKind, d.Kind)
	}
	taskID := oneLine(d.TaskID)
	if taskID == "" {
		return Message{}, ErrMissingTaskID
	}
	if d.DueAt.IsZero() {
		return Message{}, ErrMissingDueAt
	}
	consoleURL, err := checkConsoleURL(d.ConsoleURL)
	if err != nil {
		return Message{}, err
	}
	v := taskView{
		IsDTS:      isDTS,
		TaskID:     taskID,
		Reference:  oneLine(d.Reference),
		DueAt:      FormatCasablanca(d.DueAt),
		ConsoleURL: consoleURL,
		AppName:    DefaultAppName,
	}
	return render("task_escalated", LangFR, DefaultAppName, v)
}

// checkConsoleURL accepts "" or an absolute http(s) URL without whitespace or
// control characters (so it cannot add lines to the text part).
func checkConsoleURL(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", nil
	}
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return "", ErrInvalidConsoleURL
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return "", ErrInvalidConsoleURL
	}
	return s, nil
}

// reasonLines normalises an officer's free-text reason while keeping its line
// structure: CR LF / CR / NEL / U+2028 / U+2029 become line breaks, tabs and
// other spacing controls become spaces, remaining control characters and bidi
// embedding/override/isolate controls are dropped, trailing spaces are trimmed,
// leading/trailing blank lines removed and runs of blank lines collapsed to one.
func reasonLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\u0085' || r == '\u2028' || r == '\u2029':
			b.WriteByte('\n')
		case r == '\t' || r == '\v' || r == '\f':
			b.WriteByte(' ')
		case unicode.IsControl(r), isBidiControl(r):
			// dropped
		default:
			b.WriteRune(r)
		}
	}
	var out []string
	blank := false
	for _, l := range strings.Split(b.String(), "\n") {
		l = strings.TrimRightFunc(l, unicode.IsSpace)
		if strings.TrimSpace(l) == "" {
			blank = len(out) > 0
			continue
		}
		if blank {
			out = append(out, "")
			blank = false
		}
		out = append(out, l)
	}
	return out
}

func isBidiControl(r rune) bool {
	return (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}
