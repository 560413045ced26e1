package mail

import (
	"errors"
	"fmt"
	"occonnect/domain"
	"regexp"
	"strings"
	"time"
)

// Complaint category codes, as stored by the API (the domain's).
const (
	ComplaintCategoryExchangePointService = domain.CategoryExchangePointService
	ComplaintCategoryAllowanceBalance     = domain.CategoryAllowanceBalance
	ComplaintCategoryDTS                  = domain.CategoryDTS
	ComplaintCategoryAppAccess            = domain.CategoryAppAccess
	ComplaintCategoryOther                = domain.CategoryOther
)

// ComplaintCategoryLabel is domain.CategoryLabel for codes and languages as they come:
// lang "ar", "ar-MA"... for Arabic, anything else for French; the code is matched
// case-insensitively after trimming, and an unknown code is returned as is.
func ComplaintCategoryLabel(code, lang string) string {
	c := strings.ToLower(strings.TrimSpace(code))
	if !domain.ValidComplaintCategory(c) {
		return code
	}
	return domain.CategoryLabel(c, normalizeLanguage(lang))
}

// ComplaintReopenWindowDays is how long after a resolution the citizen may
// reopen the complaint from the app.
const ComplaintReopenWindowDays = 14

// ComplaintRecourseURL is the national complaints portal, quoted as recourse
// in the rejection email.
const ComplaintRecourseURL = "https://www.chikaya.ma"

// ComplaintMailData feeds the citizen complaint emails (RenderComplaint*).
type ComplaintMailData struct {
	FirstName, LastName string
	Language            string // "fr" or "ar"; anything else falls back to "fr"
	Reference           string // REC-YYYY-NNNNNN; required
	Subject             string // the complaint's subject line as the citizen wrote it; optional
	Category            string // category code (ComplaintCategory*); optional, unknown codes are shown as is
	// Text is the officer's question (info requested), response (resolved) or
	// reason (rejected), required for those three and ignored by the
	// acknowledgement and reopening emails. Its line structure is kept.
	Text string
	// FirstResponseDue and ResolutionDue are the deadlines of the handling
	// cycle, shown in Casablanca time. Required by RenderComplaintAcknowledged;
	// optional for RenderComplaintReopened (shown when set); ignored otherwise.
	FirstResponseDue time.Time
	ResolutionDue    time.Time
	// CloseAt is when a complaint waiting for the citizen's answer closes unanswered,
	// shown in Casablanca time. Required by RenderComplaintCitizenReminder; ignored
	// otherwise.
	CloseAt time.Time
}

// Staff notice kinds, targets and handling levels (ComplaintStaffMailData).
const (
	ComplaintNoticeReminder   = "reminder"
	ComplaintNoticeEscalation = "escalation"

	ComplaintTargetFirstResponse = "first_response"
	ComplaintTargetResolution    = "resolution"

	ComplaintLevelOfficer    = 0
	ComplaintLevelSupervisor = 1
	ComplaintLevelHeadOfUnit = 2
)

// ComplaintStaffMailData feeds RenderComplaintStaffNotice. It deliberately has
// no room for citizen personal data: staff open the complaint in the back-office.
type ComplaintStaffMailData struct {
	Reference string    // REC-YYYY-NNNNNN; required
	Kind      string    // ComplaintNoticeReminder or ComplaintNoticeEscalation
	Target    string    // ComplaintTargetFirstResponse or ComplaintTargetResolution
	DueAt     time.Time // the target's deadline (reminder: due; escalation: missed); required
	// Level is the handling level the complaint is at when the notice is sent,
	// i.e. the recipients' level: 0 officer, 1 supervisor, 2 head of unit. For
	// an escalation it is the level the complaint moved to (1 or 2).
	Level      int
	ConsoleURL string // optional absolute http(s) URL of the back-office
}

// Errors returned by the complaint renderers for unusable input.
var (
	ErrMissingComplaintReference = errors.New("mail: complaint reference is empty")
	ErrInvalidComplaintReference = errors.New("mail: complaint reference must look like REC-YYYY-NNNNNN")
	ErrMissingComplaintText      = errors.New("mail: complaint text (question, response or reason) is empty")
	ErrMissingComplaintDeadline  = errors.New("mail: complaint deadlines are required")
	ErrInvalidComplaintDeadlines = errors.New("mail: complaint resolution deadline is before the first-response deadline")
	ErrUnknownNoticeKind         = errors.New("mail: unknown complaint notice kind")
	ErrUnknownNoticeTarget       = errors.New("mail: unknown complaint notice target")
	ErrInvalidLevel              = errors.New("mail: invalid complaint handling level")
)

// complaintReferenceRE: "REC-", a four-digit year, "-", at least six digits.
var complaintReferenceRE = regexp.MustCompile(`^REC-[0-9]{4}-[0-9]{6,}$`)

// complaintView is what the complaint_* citizen templates see. All strings are
// normalised; Text/TextLines follow the DTS reason conventions.
type complaintView struct {
	FullName         string
	Reference        string
	Subject          string
	CategoryFR       string
	CategoryAR       string
	Text             string   // lines joined with "\n" (text part)
	TextLines        []string // same lines, joined with <br> by the HTML templates
	FirstResponseDue string   // Casablanca wall time, expiryLayout; may be empty (reopened)
	ResolutionDue    string   // idem
	CloseAt          string   // idem; citizen reminder only
	ReopenDays       int
	RecourseURL      string
	AppName          string
	SupportEmail     string
	SupportPhone     string
}

// complaintStaffView is what the complaint_staff_notice templates see: nothing
// but the complaint reference, the deadline, the level and the console link.
type complaintStaffView struct {
	IsEscalation bool
	IsResolution bool
	Reference    string
	DueAt        string // Casablanca wall time, expiryLayout
	Level        int
	ConsoleURL   string
	AppName      string
}

// RenderComplaintAcknowledged renders the acknowledgement sent as soon as a
// complaint is filed (ISO 10002): reference, subject, category, the
// first-response and resolution deadlines (both required) and a reminder that
// the status can be followed in the app.
func RenderComplaintAcknowledged(d ComplaintMailData) (Message, error) {
	v, err := newComplaintView(d)
	if err != nil {
		return Message{}, err
	}
	if d.FirstResponseDue.IsZero() || d.ResolutionDue.IsZero() {
		return Message{}, ErrMissingComplaintDeadline
	}
	if d.ResolutionDue.Before(d.FirstResponseDue) {
		return Message{}, ErrInvalidComplaintDeadlines
	}
	v.FirstResponseDue = FormatCasablanca(d.FirstResponseDue)
	v.ResolutionDue = FormatCasablanca(d.ResolutionDue)
	return render("complaint_acknowledged", normalizeLanguage(d.Language), DefaultAppName, v)
}

// RenderComplaintInfoRequested renders the officer's request for more
// information (d.Text, required): the citizen answers in the app, and the
// handling deadlines are suspended until they do.
func RenderComplaintInfoRequested(d ComplaintMailData) (Message, error) {
	return renderComplaintWithText("complaint_info_requested", d)
}

// RenderComplaintResolved renders the officer's response (d.Text, required),
// telling the citizen they may reopen the complaint in the app within
// ComplaintReopenWindowDays days and rate its handling from 1 to 5.
func RenderComplaintResolved(d ComplaintMailData) (Message, error) {
	return renderComplaintWithText("complaint_resolved", d)
}

// RenderComplaintRejected renders the rejection of a complaint with its reason
// (d.Text, required) and the recourse to the national complaints portal
// (ComplaintRecourseURL).
func RenderComplaintRejected(d ComplaintMailData) (Message, error) {
	return renderComplaintWithText("complaint_rejected", d)
}

// RenderComplaintReopened acknowledges the reopening of a complaint, which
// starts a new handling cycle. The deadlines are shown when set (both or
// either); d.Text is ignored.
func RenderComplaintReopened(d ComplaintMailData) (Message, error) {
	v, err := newComplaintView(d)
	if err != nil {
		return Message{}, err
	}
	if !d.FirstResponseDue.IsZero() && !d.ResolutionDue.IsZero() && d.ResolutionDue.Before(d.FirstResponseDue) {
		return Message{}, ErrInvalidComplaintDeadlines
	}
	if !d.FirstResponseDue.IsZero() {
		v.FirstResponseDue = FormatCasablanca(d.FirstResponseDue)
	}
	if !d.ResolutionDue.IsZero() {
		v.ResolutionDue = FormatCasablanca(d.ResolutionDue)
	}
	return render("complaint_reopened", normalizeLanguage(d.Language), DefaultAppName, v)
}

// RenderComplaintCitizenReminder reminds the citizen that the officer's request for
// information is still unanswered: without an answer in the app, the complaint closes as
// unanswered on d.CloseAt (required).
func RenderComplaintCitizenReminder(d ComplaintMailData) (Message, error) {
	v, err := newComplaintView(d)
	if err != nil {
		return Message{}, err
	}
	if d.CloseAt.IsZero() {
		return Message{}, ErrMissingComplaintDeadline
	}
	v.CloseAt = FormatCasablanca(d.CloseAt)
	return render("complaint_citizen_reminder", normalizeLanguage(d.Language), DefaultAppName, v)
}

// RenderComplaintClosedUnanswered tells the citizen that the complaint was closed because
// the requested information never came, and how to file a new one. d.Text is ignored.
func RenderComplaintClosedUnanswered(d ComplaintMailData) (Message, error) {
	v, err := newComplaintView(d)
	if err != nil {
		return Message{}, err
	}
	return render("complaint_closed_unanswered", normalizeLanguage(d.Language), DefaultAppName, v)
}

func renderComplaintWithText(name string, d ComplaintMailData) (Message, error) {
	v, err := newComplaintView(d)
	if err != nil {
		return Message{}, err
	}
	v.TextLines = reasonLines(d.Text)
	if len(v.TextLines) == 0 {
		return Message{}, ErrMissingComplaintText
	}
	v.Text = strings.Join(v.TextLines, "\n")
	return render(name, normalizeLanguage(d.Language), DefaultAppName, v)
}

func newComplaintView(d ComplaintMailData) (complaintView, error) {
	ref, err := checkComplaintReference(d.Reference)
	if err != nil {
		return complaintView{}, err
	}
	v := complaintView{
		FullName:     fullName(d.FirstName, d.LastName),
		Reference:    ref,
		Subject:      cleanLine(d.Subject),
		ReopenDays:   ComplaintReopenWindowDays,
		RecourseURL:  ComplaintRecourseURL,
		AppName:      DefaultAppName,
		SupportEmail: contact().SupportEmail,
		SupportPhone: contact().SupportPhone,
	}
	if strings.TrimSpace(d.Category) != "" {
		v.CategoryFR = cleanLine(ComplaintCategoryLabel(d.Category, LangFR))
		v.CategoryAR = cleanLine(ComplaintCategoryLabel(d.Category, LangAR))
	}
	return v, nil
}

// RenderComplaintStaffNotice renders a deadline reminder or an escalation
// notice about a complaint for back-office staff. French comes first. The
// email carries only the reference, the target, its deadline, the handling
// level and the console link.
func RenderComplaintStaffNotice(d ComplaintStaffMailData) (Message, error) {
	ref, err := checkComplaintReference(d.Reference)
	if err != nil {
		return Message{}, err
	}
	v := complaintStaffView{Reference: ref, Level: d.Level, AppName: DefaultAppName}
	switch strings.ToLower(strings.TrimSpace(d.Kind)) {
	case ComplaintNoticeReminder:
	case ComplaintNoticeEscalation:
		v.IsEscalation = true
	default:
		return Message{}, fmt.Errorf("%w: %q", ErrUnknownNoticeKind, d.Kind)
	}
	switch strings.ToLower(strings.TrimSpace(d.Target)) {
	case ComplaintTargetFirstResponse:
	case ComplaintTargetResolution:
		v.IsResolution = true
	default:
		return Message{}, fmt.Errorf("%w: %q", ErrUnknownNoticeTarget, d.Target)
	}
	minLevel := ComplaintLevelOfficer
	if v.IsEscalation {
		minLevel = ComplaintLevelSupervisor // an escalation always moves up
	}
	if d.Level < minLevel || d.Level > ComplaintLevelHeadOfUnit {
		return Message{}, fmt.Errorf("%w: %d", ErrInvalidLevel, d.Level)
	}
	if d.DueAt.IsZero() {
		return Message{}, ErrMissingDueAt
	}
	v.DueAt = FormatCasablanca(d.DueAt)
	if v.ConsoleURL, err = checkConsoleURL(d.ConsoleURL); err != nil {
		return Message{}, err
	}
	return render("complaint_staff_notice", LangFR, DefaultAppName, v)
}

func checkComplaintReference(raw string) (string, error) {
	ref := strings.TrimSpace(raw)
	if ref == "" {
		return "", ErrMissingComplaintReference
	}
	if !complaintReferenceRE.MatchString(ref) {
		return "", ErrInvalidComplaintReference
	}
	return ref, nil
}

// cleanLine flattens citizen-supplied free text to one line: control and bidi
// embedding/override/isolate characters are dropped (see reasonLines) and
// whitespace runs collapse to a single space.
func cleanLine(s string) string {
	return oneLine(strings.Join(reasonLines(s), " "))
}
