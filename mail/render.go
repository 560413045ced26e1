// Package mail renders the bilingual (French + Arabic) transactional emails of
// OC Connect and delivers them over SMTP with github.com/wneessen/go-mail.
//
// Every rendered email contains both languages: the recipient's language first,
// the other one second. Templates are embedded in the binary and parsed once at
// package initialisation.
package mail

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"occonnect/domain"
	"occonnect/internal/i18n"
	"strings"
	"sync/atomic"
	texttemplate "text/template"
	"time"
	"unicode"

	_ "time/tzdata" // Africa/Casablanca must resolve even on hosts without zoneinfo.
)

// Message is a rendered email: a subject plus a plain-text and an HTML alternative.
type Message struct {
	Subject string
	Text    string
	HTML    string
}

// Supported languages.
const (
	LangFR = "fr"
	LangAR = "ar"
)

// DefaultAppName is used when CredentialsData.AppName is empty.
const DefaultAppName = "OC Connect"

// Contacts are the Office's contact details that the e-mails print (and GET
// /api/v1/app-config gives the app): configuration (OCC_SUPPORT_EMAIL, OCC_SUPPORT_PHONE,
// OCC_CONTACT_EMAIL, OCC_WEBSITE), set once when the process starts, before any e-mail
// is rendered.
type Contacts struct {
	SupportEmail, SupportPhone, ContactEmail, Website string
}

var contacts atomic.Pointer[Contacts]

// SetContacts sets the contact details of the e-mails.
func SetContacts(c Contacts) { contacts.Store(&c) }

// contact is the current contact details (empty before SetContacts).
func contact() Contacts {
	if c := contacts.Load(); c != nil {
		return *c
	}
	return Contacts{}
}

// expiryLayout formats expiry instants, e.g. "02/12/2026 14:05"; the templates
// append the zone label ({{t "fr" "time_zone.casablanca"}}: "heure de Casablanca").
const expiryLayout = "02/01/2006 15:04"

// CredentialsData feeds RenderCitizenCredentials.
type CredentialsData struct {
	FirstName, LastName string
	Password            string
	ExpiresAt           time.Time
	Language            string // "fr" or "ar"; anything else falls back to "fr"
	AppName             string // default "OC Connect"
}

// WelcomeData feeds RenderCitizenWelcome.
type WelcomeData struct {
	FirstName, LastName, Language string
}

// StaffCredentialsData feeds RenderStaffCredentials (always French first).
type StaffCredentialsData struct {
	Email, Password string
	Role            domain.Role
	ExpiresAt       time.Time // optional: the sentence about validity is omitted when zero
}

//go:embed templates/*
var templateFS embed.FS

var (
	casablanca = mustLoadLocation("Africa/Casablanca")

	htmlTemplates = htmltemplate.Must(htmltemplate.New("html").Funcs(templateFuncs).ParseFS(templateFS, "templates/*.html.tmpl"))
	textTemplates = texttemplate.Must(texttemplate.New("text").Funcs(templateFuncs).ParseFS(templateFS, "templates/*.txt.tmpl"))
)

// templateFuncs: {{t "fr" "time_zone.casablanca"}} is a short string of the e-mails'
// catalog (internal/i18n/catalog/mail), shared by the templates.
var templateFuncs = map[string]any{"t": func(lang, key string) string { return i18n.Mail.Text(lang, key) }}

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(fmt.Sprintf("mail: load time zone %s: %v", name, err))
	}
	return loc
}

// Errors returned by the Render functions for unusable input.
var (
	ErrEmptyPassword   = errors.New("mail: password is empty")
	ErrInvalidPassword = errors.New("mail: password contains whitespace or control characters")
	ErrMissingExpiry   = errors.New("mail: expiry time is required")
)

// credentialsView, welcomeView and staffView are what the templates see. All
// strings are already normalised (single-line, trimmed).
type credentialsView struct {
	FullName     string
	Password     string
	ExpiresAt    string // Casablanca wall time, expiryLayout
	AppName      string
	SupportEmail string
	SupportPhone string
}

type welcomeView struct {
	FullName     string
	AppName      string
	SupportEmail string
	SupportPhone string
}

type staffView struct {
	Email        string
	Role         string
	Password     string
	ExpiresAt    string // empty when no expiry was given
	AppName      string
	SupportEmail string
}

// RenderCitizenCredentials renders the email carrying a citizen's provisional
// password. The CIN is deliberately not part of the data.
func RenderCitizenCredentials(d CredentialsData) (Message, error) {
	if err := checkPassword(d.Password); err != nil {
		return Message{}, err
	}
	if d.ExpiresAt.IsZero() {
		return Message{}, ErrMissingExpiry
	}
	appName := oneLine(d.AppName)
	if appName == "" {
		appName = DefaultAppName
	}
	v := credentialsView{
		FullName:     fullName(d.FirstName, d.LastName),
		Password:     d.Password,
		ExpiresAt:    FormatCasablanca(d.ExpiresAt),
		AppName:      appName,
		SupportEmail: contact().SupportEmail,
		SupportPhone: contact().SupportPhone,
	}
	return render("citizen_credentials", normalizeLanguage(d.Language), appName, v)
}

// RenderCitizenWelcome renders the "your account is active" email.
func RenderCitizenWelcome(d WelcomeData) (Message, error) {
	v := welcomeView{
		FullName:     fullName(d.FirstName, d.LastName),
		AppName:      DefaultAppName,
		SupportEmail: contact().SupportEmail,
		SupportPhone: contact().SupportPhone,
	}
	return render("citizen_welcome", normalizeLanguage(d.Language), DefaultAppName, v)
}

// RenderStaffCredentials renders the email sent when a back-office account is
// created. French comes first.
func RenderStaffCredentials(d StaffCredentialsData) (Message, error) {
	if err := checkPassword(d.Password); err != nil {
		return Message{}, err
	}
	v := staffView{
		Email:        oneLine(d.Email),
		Role:         oneLine(string(d.Role)),
		Password:     d.Password,
		AppName:      DefaultAppName,
		SupportEmail: contact().SupportEmail,
	}
	if !d.ExpiresAt.IsZero() {
		v.ExpiresAt = FormatCasablanca(d.ExpiresAt)
	}
	return render("staff_credentials", LangFR, DefaultAppName, v)
}

// rulesMissingView is the data of templates/rules_missing.*.
type rulesMissingView struct {
	Year    int
	AppName string
}

// RenderRulesMissing renders the admins' warning that year has no allowance rules yet
// (the nightly retention run, from 1 December): French first, as the staff's e-mails.
func RenderRulesMissing(year int) (Message, error) {
	if year < 2000 || year > 2100 {
		return Message{}, fmt.Errorf("mail: allowance year %d out of range", year)
	}
	return render("rules_missing", LangFR, DefaultAppName, rulesMissingView{Year: year, AppName: DefaultAppName})
}

// FormatCasablanca formats t as Casablanca wall-clock time, e.g. "02/12/2026 14:05".
func FormatCasablanca(t time.Time) string {
	return t.In(casablanca).Format(expiryLayout)
}

// htmlSection / htmlLayout are the data of templates/layout.html.tmpl.
type htmlSection struct {
	Lang, Dir, Align, Font string
	Body                   htmltemplate.HTML
}

type htmlLayout struct {
	Lang, Dir, Title, AppName string
	Sections                  []htmlSection
}

type textLayout struct {
	Sections []string
}

// render executes the "<name>.<lang>" fragments (and "<name>.subject.<lang>")
// in the order given by first, then wraps them in the shared layouts.
func render(name, first, appName string, data any) (Message, error) {
	langs := [2]string{LangFR, LangAR}
	if first == LangAR {
		langs = [2]string{LangAR, LangFR}
	}

	subjects := make([]string, 0, 2)
	texts := make([]string, 0, 2)
	sections := make([]htmlSection, 0, 2)
	for _, lang := range langs {
		subj, err := execText(name+".subject."+lang, data)
		if err != nil {
			return Message{}, err
		}
		subjects = append(subjects, oneLine(subj))

		txt, err := execText(name+"."+lang, data)
		if err != nil {
			return Message{}, err
		}
		texts = append(texts, strings.TrimSpace(txt))

		var buf bytes.Buffer
		if err := htmlTemplates.ExecuteTemplate(&buf, name+"."+lang, data); err != nil {
			return Message{}, fmt.Errorf("mail: render %s.%s html: %w", name, lang, err)
		}
		sections = append(sections, newHTMLSection(lang, buf.String()))
	}

	subject := strings.Join(subjects, " / ")

	var text bytes.Buffer
	if err := textTemplates.ExecuteTemplate(&text, "layout.txt", textLayout{Sections: texts}); err != nil {
		return Message{}, fmt.Errorf("mail: render text layout: %w", err)
	}

	dir := "ltr"
	if first == LangAR {
		dir = "rtl"
	}
	var html bytes.Buffer
	err := htmlTemplates.ExecuteTemplate(&html, "layout.html", htmlLayout{
		Lang: first, Dir: dir, Title: subject, AppName: appName, Sections: sections,
	})
	if err != nil {
		return Message{}, fmt.Errorf("mail: render html layout: %w", err)
	}

	return Message{Subject: subject, Text: text.String(), HTML: html.String()}, nil
}

func execText(name string, data any) (string, error) {
	var buf bytes.Buffer
	if err := textTemplates.ExecuteTemplate(&buf, name, data); err != nil {
		return "", fmt.Errorf("mail: render %s text: %w", name, err)
	}
	return buf.String(), nil
}

func newHTMLSection(lang, body string) htmlSection {
	s := htmlSection{
		Lang: lang, Dir: "ltr", Align: "left", Font: "Arial, Helvetica, sans-serif",
		// The fragment was produced by html/template, so it is already escaped.
		Body: htmltemplate.HTML(strings.TrimSpace(body)), //nolint:gosec // output of html/template
	}
	if lang == LangAR {
		s.Dir, s.Align, s.Font = "rtl", "right", "Tahoma, Arial, sans-serif"
	}
	return s
}

// normalizeLanguage maps "ar", "AR", "ar-MA"... to "ar" and everything else
// (including "") to "fr", French being the default language of the service.
func normalizeLanguage(lang string) string {
	l := strings.ToLower(strings.TrimSpace(lang))
	if l == LangAR || strings.HasPrefix(l, LangAR+"-") || strings.HasPrefix(l, LangAR+"_") {
		return LangAR
	}
	return LangFR
}

// oneLine collapses every run of whitespace/control characters into a single
// space so that user-supplied values cannot add lines to the text part.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
}

func fullName(first, last string) string {
	return oneLine(first + " " + last)
}

func checkPassword(p string) error {
	if p == "" {
		return ErrEmptyPassword
	}
	for _, r := range p {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return ErrInvalidPassword
		}
	}
	return nil
}

// RecoveryCodeData feeds RenderRecoveryCode: the one-time code of a password recovery the
// citizen asked for in the app. The CIN, the e-mail address and the password are
// deliberately not part of the data.
type RecoveryCodeData struct {
	FirstName, LastName, Language string
	Code                          string    // exactly RecoveryCodeLength ASCII digits
	ExpiresAt                     time.Time // required; shown in Casablanca time
}

// PasswordResetData feeds RenderPasswordReset: the notice that the password was changed
// with a recovery code.
type PasswordResetData struct {
	FirstName, LastName, Language string
	At                            time.Time // when the password was changed; required
}

// RecoveryCodeLength is the number of digits of a password recovery code.
const RecoveryCodeLength = 8

// Errors returned by RenderRecoveryCode and RenderPasswordReset for unusable input (a
// zero ExpiresAt is ErrMissingExpiry).
var (
	ErrInvalidRecoveryCode = fmt.Errorf("mail: recovery code must be exactly %d ASCII digits", RecoveryCodeLength)
	ErrMissingResetTime    = errors.New("mail: password change time is required")
)

// recoveryCodeView and passwordResetView are what the templates see.
type recoveryCodeView struct {
	FullName  string
	Code      string
	ExpiresAt string // Casablanca wall time, expiryLayout
	AppName   string
}

type passwordResetView struct {
	FullName     string
	At           string // Casablanca wall time, expiryLayout
	AppName      string
	SupportEmail string
	SupportPhone string
}

// RenderRecoveryCode renders the e-mail carrying the one-time code of a password recovery
// the citizen started in the app: the code, until when it is good, never to give it to
// anyone, and that the password stays unchanged if the citizen did not ask.
func RenderRecoveryCode(d RecoveryCodeData) (Message, error) {
	if !isRecoveryCode(d.Code) {
		return Message{}, ErrInvalidRecoveryCode
	}
	if d.ExpiresAt.IsZero() {
		return Message{}, ErrMissingExpiry
	}
	v := recoveryCodeView{
		FullName:  fullName(d.FirstName, d.LastName),
		Code:      d.Code,
		ExpiresAt: FormatCasablanca(d.ExpiresAt),
		AppName:   DefaultAppName,
	}
	return render("recovery_code", normalizeLanguage(d.Language), DefaultAppName, v)
}

// RenderPasswordReset renders the notice sent once a recovery changed the password: when,
// that every device was signed out, and whom to call if it was not the citizen.
func RenderPasswordReset(d PasswordResetData) (Message, error) {
	if d.At.IsZero() {
		return Message{}, ErrMissingResetTime
	}
	v := passwordResetView{
		FullName:     fullName(d.FirstName, d.LastName),
		At:           FormatCasablanca(d.At),
		AppName:      DefaultAppName,
		SupportEmail: contact().SupportEmail,
		SupportPhone: contact().SupportPhone,
	}
	return render("password_reset", normalizeLanguage(d.Language), DefaultAppName, v)
}

// isRecoveryCode reports whether c is exactly RecoveryCodeLength ASCII digits (not
// unicode.IsDigit, which also takes Arabic-Indic digits).
func isRecoveryCode(c string) bool {
	if len(c) != RecoveryCodeLength {
		return false
	}
	for i := 0; i < len(c); i++ {
		if c[i] < '0' || c[i] > '9' {
			return false
		}
	}
	return true
}
