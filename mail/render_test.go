package mail

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

const testPassword = "Xk7#pQ2v-Lm9"

var testExpiry = time.Date(2026, 12, 2, 13, 5, 0, 0, time.UTC) // 14:05 in Casablanca (UTC+1)

func credentials(lang string) CredentialsData {
	return CredentialsData{
		FirstName: "Amina",
		LastName:  "El Idrissi",
		Password:  testPassword,
		ExpiresAt: testExpiry,
		Language:  lang,
	}
}

func lines(s string) []string { return strings.Split(s, "\n") }

func hasLine(s, want string) bool {
	for _, l := range lines(s) {
		if l == want {
			return true
		}
	}
	return false
}

func countLinesWithPrefix(s, prefix string) int {
	n := 0
	for _, l := range lines(s) {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

func mustRenderCredentials(t *testing.T, d CredentialsData) Message {
	t.Helper()
	m, err := RenderCitizenCredentials(d)
	if err != nil {
		t.Fatalf("RenderCitizenCredentials: %v", err)
	}
	return m
}

func TestCitizenCredentialsPasswordLines(t *testing.T) {
	for _, lang := range []string{"fr", "ar"} {
		t.Run(lang, func(t *testing.T) {
			m := mustRenderCredentials(t, credentials(lang))
			if !hasLine(m.Text, "Mot de passe provisoire : "+testPassword) {
				t.Errorf("text lacks the exact French password line:\n%s", m.Text)
			}
			if !hasLine(m.Text, "كلمة المرور المؤقتة: "+testPassword) {
				t.Errorf("text lacks the Arabic password line:\n%s", m.Text)
			}
			if n := countLinesWithPrefix(m.Text, "Mot de passe provisoire : "); n != 1 {
				t.Errorf("French password line appears %d times, want 1", n)
			}
			for _, want := range []string{`dir="rtl"`, `lang="ar"`, `dir="ltr" lang="fr"`, `dir="rtl" lang="ar"`, "text-align:right", testPassword, "monospace"} {
				if !strings.Contains(m.HTML, want) {
					t.Errorf("HTML lacks %q", want)
				}
			}
			for _, want := range []string{"occonnect@oc.gov.ma", "05 37 26 63 63", "CIN"} {
				if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, want) {
					t.Errorf("text or HTML lacks %q", want)
				}
			}
		})
	}
}

func TestCitizenCredentialsSubject(t *testing.T) {
	m := mustRenderCredentials(t, credentials("fr"))
	const wantFR = "OC Connect : vos identifiants provisoires / OC Connect: بيانات الدخول المؤقتة"
	if m.Subject != wantFR {
		t.Errorf("fr subject = %q, want %q", m.Subject, wantFR)
	}
	m = mustRenderCredentials(t, credentials("ar"))
	const wantAR = "OC Connect: بيانات الدخول المؤقتة / OC Connect : vos identifiants provisoires"
	if m.Subject != wantAR {
		t.Errorf("ar subject = %q, want %q", m.Subject, wantAR)
	}
	d := credentials("fr")
	d.AppName = "OC Connect Pro"
	if m := mustRenderCredentials(t, d); !strings.HasPrefix(m.Subject, "OC Connect Pro : ") {
		t.Errorf("AppName not used in subject: %q", m.Subject)
	}
}

// frFirst reports whether the French greeting comes before the Arabic one.
func frFirst(t *testing.T, s string) bool {
	t.Helper()
	fr, ar := strings.Index(s, "Bonjour"), strings.Index(s, "مرحبًا")
	if fr < 0 || ar < 0 {
		t.Fatalf("missing a language (fr=%d ar=%d) in:\n%s", fr, ar, s)
	}
	return fr < ar
}

// languageCases are the languages an e-mail may be asked in: whether its French section
// comes first, and the html tag it must then have.
var languageCases = []struct {
	lang    string
	wantFR  bool
	htmlTag string
}{
	{"fr", true, `<html lang="fr" dir="ltr">`},
	{"", true, `<html lang="fr" dir="ltr">`},
	{"en", true, `<html lang="fr" dir="ltr">`},
	{"ar", false, `<html lang="ar" dir="rtl">`},
	{"AR", false, `<html lang="ar" dir="rtl">`},
	{"ar-MA", false, `<html lang="ar" dir="rtl">`},
}

// checkLanguageOrder checks that m's text and HTML put French first exactly when wantFR,
// that the HTML has htmlTag, and, when subject is given, that the subject joins its French
// and Arabic halves in the same order.
func checkLanguageOrder(t *testing.T, m Message, wantFR bool, htmlTag string, subject [2]string) {
	t.Helper()
	if got := frFirst(t, m.Text); got != wantFR {
		t.Errorf("text: French first = %v, want %v", got, wantFR)
	}
	if got := frFirst(t, m.HTML); got != wantFR {
		t.Errorf("html: French first = %v, want %v", got, wantFR)
	}
	if !strings.Contains(m.HTML, htmlTag) {
		t.Errorf("HTML lacks %s", htmlTag)
	}
	if subject == [2]string{} {
		return
	}
	want := subject[0] + " / " + subject[1]
	if !wantFR {
		want = subject[1] + " / " + subject[0]
	}
	if m.Subject != want {
		t.Errorf("subject = %q, want %q", m.Subject, want)
	}
}

func TestLanguageOrder(t *testing.T) {
	for _, c := range languageCases {
		t.Run("credentials/"+c.lang, func(t *testing.T) {
			m := mustRenderCredentials(t, credentials(c.lang))
			checkLanguageOrder(t, m, c.wantFR, c.htmlTag, [2]string{})
			if got := strings.HasPrefix(m.Subject, "OC Connect : "); got != c.wantFR {
				t.Errorf("subject %q: French first = %v, want %v", m.Subject, got, c.wantFR)
			}
			// The password lines follow the section order too.
			frLine := strings.Index(m.Text, "Mot de passe provisoire : ")
			arLine := strings.Index(m.Text, "كلمة المرور المؤقتة: ")
			if (frLine < arLine) != c.wantFR {
				t.Errorf("password lines in wrong order")
			}
		})
		t.Run("welcome/"+c.lang, func(t *testing.T) {
			m, err := RenderCitizenWelcome(WelcomeData{FirstName: "Amina", LastName: "El Idrissi", Language: c.lang})
			if err != nil {
				t.Fatal(err)
			}
			checkLanguageOrder(t, m, c.wantFR, c.htmlTag, [2]string{})
		})
	}
}

func TestHTMLEscapesNames(t *testing.T) {
	const evil = `<script>alert("x")</script>`
	m := mustRenderCredentials(t, CredentialsData{
		FirstName: evil, LastName: `O'Brien & <b>Co</b>`, Password: testPassword, ExpiresAt: testExpiry, Language: "ar",
	})
	w, err := RenderCitizenWelcome(WelcomeData{FirstName: evil, Language: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	for name, html := range map[string]string{"credentials": m.HTML, "welcome": w.HTML} {
		if strings.Contains(html, "<script") || strings.Contains(html, "<b>Co") {
			t.Errorf("%s: unescaped markup in HTML", name)
		}
		if !strings.Contains(html, "&lt;script&gt;") {
			t.Errorf("%s: escaped name not found", name)
		}
	}
	// Plain text is not HTML: the name is kept verbatim there.
	if !strings.Contains(m.Text, evil) {
		t.Errorf("text should carry the raw name")
	}
}

func TestNamesCannotInjectLines(t *testing.T) {
	d := credentials("fr")
	d.FirstName = "Amina\nMot de passe provisoire : hacked\r\n"
	m := mustRenderCredentials(t, d)
	if n := countLinesWithPrefix(m.Text, "Mot de passe provisoire : "); n != 1 {
		t.Fatalf("French password line appears %d times, want 1:\n%s", n, m.Text)
	}
	if !hasLine(m.Text, "Mot de passe provisoire : "+testPassword) {
		t.Fatalf("real password line missing")
	}
}

func TestExpiryInCasablancaTime(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{testExpiry, testExpiry.In(ny)} {
		d := credentials("fr")
		d.ExpiresAt = at
		m := mustRenderCredentials(t, d)
		const fr = "02/12/2026 14:05 (heure de Casablanca)"
		if !strings.Contains(m.Text, fr) || !strings.Contains(m.HTML, fr) {
			t.Errorf("expiry %v: %q not found", at, fr)
		}
		const ar = "02/12/2026 14:05 (بتوقيت الدار البيضاء)"
		if !strings.Contains(m.Text, ar) {
			t.Errorf("expiry %v: %q not found in text", at, ar)
		}
		if !strings.Contains(m.HTML, `<span dir="ltr">02/12/2026 14:05</span> (بتوقيت الدار البيضاء)`) {
			t.Errorf("expiry %v: Arabic HTML expiry not found", at)
		}
	}
	if got := FormatCasablanca(time.Date(2026, 7, 1, 23, 30, 0, 0, time.UTC)); got != "02/07/2026 00:30" {
		t.Errorf("FormatCasablanca = %q", got)
	}
}

func TestRenderValidation(t *testing.T) {
	d := credentials("fr")
	d.Password = ""
	if _, err := RenderCitizenCredentials(d); !errors.Is(err, ErrEmptyPassword) {
		t.Errorf("empty password: err = %v", err)
	}
	d = credentials("fr")
	d.Password = "abc\ndef"
	if _, err := RenderCitizenCredentials(d); !errors.Is(err, ErrInvalidPassword) {
		t.Errorf("password with newline: err = %v", err)
	}
	d = credentials("fr")
	d.ExpiresAt = time.Time{}
	if _, err := RenderCitizenCredentials(d); !errors.Is(err, ErrMissingExpiry) {
		t.Errorf("zero expiry: err = %v", err)
	}
	if _, err := RenderStaffCredentials(StaffCredentialsData{Email: "a@oc.gov.ma", Role: "agent"}); !errors.Is(err, ErrEmptyPassword) {
		t.Errorf("staff empty password: err = %v", err)
	}
}

func TestCitizenWelcome(t *testing.T) {
	m, err := RenderCitizenWelcome(WelcomeData{FirstName: "Youssef", LastName: "Benali", Language: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "OC Connect : votre compte est activé / OC Connect: تم تفعيل حسابكم" {
		t.Errorf("subject = %q", m.Subject)
	}
	for _, want := range []string{"Youssef Benali", "DTS", "FAQ", "réclamation", "point de change", "شكاية", "أقرب نقطة صرف", "occonnect@oc.gov.ma", "05 37 26 63 63"} {
		if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, want) {
			t.Errorf("welcome lacks %q", want)
		}
	}
	if strings.Contains(m.Text, "Mot de passe provisoire") {
		t.Errorf("welcome must not carry a password line")
	}
	// No name: greeting without a dangling space.
	m, err = RenderCitizenWelcome(WelcomeData{Language: "ar"})
	if err != nil {
		t.Fatal(err)
	}
	if !hasLine(m.Text, "Bonjour,") || !hasLine(m.Text, "مرحبًا،") {
		t.Errorf("anonymous greetings wrong:\n%s", m.Text)
	}
}

func TestStaffCredentials(t *testing.T) {
	m, err := RenderStaffCredentials(StaffCredentialsData{
		Email: "k.alaoui@oc.gov.ma", Role: "superviseur", Password: testPassword, ExpiresAt: testExpiry,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m.Subject, "OC Connect : ") || !strings.Contains(m.Subject, " / OC Connect: ") {
		t.Errorf("subject = %q", m.Subject)
	}
	if !hasLine(m.Text, "Mot de passe provisoire : "+testPassword) {
		t.Errorf("text lacks the exact password line:\n%s", m.Text)
	}
	if !hasLine(m.Text, "كلمة المرور المؤقتة: "+testPassword) {
		t.Errorf("text lacks the Arabic password line")
	}
	if !hasLine(m.Text, "Rôle : superviseur") || !hasLine(m.Text, "Identifiant : k.alaoui@oc.gov.ma") {
		t.Errorf("text lacks role/login lines:\n%s", m.Text)
	}
	if !frFirst(t, m.Text) || !frFirst(t, m.HTML) {
		t.Errorf("staff email must be French first")
	}
	for _, want := range []string{`<html lang="fr" dir="ltr">`, `dir="rtl" lang="ar"`, testPassword, "02/12/2026 14:05 (heure de Casablanca)", "première connexion"} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	// Without expiry the validity clause disappears.
	m, err = RenderStaffCredentials(StaffCredentialsData{Email: "x@oc.gov.ma", Role: "admin", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.Text, "jusqu'au") || strings.Contains(m.Text, "إلى غاية") {
		t.Errorf("expiry clause present without expiry:\n%s", m.Text)
	}
}

var tagRE = regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*>`)

var voidElements = map[string]bool{"meta": true, "br": true, "hr": true, "img": true, "link": true, "input": true}

// checkHTMLDocument is a small structural check: self-contained document,
// balanced tags, inline styles only, no external resources.
func checkHTMLDocument(t *testing.T, html string) {
	t.Helper()
	if !strings.HasPrefix(html, "<!DOCTYPE html>\n<html lang=") || !strings.HasSuffix(strings.TrimSpace(html), "</html>") {
		t.Errorf("not a complete HTML document")
	}
	for _, bad := range []string{"http://", "https://", "<style", "<link", "<script", "<img", "src=", "ZgotmplZ", "{{", "}}", "class="} {
		if strings.Contains(html, bad) {
			t.Errorf("HTML contains %q", bad)
		}
	}
	if !strings.Contains(html, `<meta charset="UTF-8">`) {
		t.Errorf("HTML lacks charset")
	}
	var stack []string
	for _, m := range tagRE.FindAllStringSubmatch(html, -1) {
		name := strings.ToLower(m[2])
		if voidElements[name] {
			continue
		}
		if m[1] == "" {
			stack = append(stack, name)
			continue
		}
		if len(stack) == 0 || stack[len(stack)-1] != name {
			t.Fatalf("unbalanced </%s>, open: %v", name, stack)
		}
		stack = stack[:len(stack)-1]
	}
	if len(stack) != 0 {
		t.Errorf("unclosed tags: %v", stack)
	}
}

func TestHTMLDocuments(t *testing.T) {
	for _, lang := range []string{"fr", "ar"} {
		c := mustRenderCredentials(t, credentials(lang))
		w, err := RenderCitizenWelcome(WelcomeData{FirstName: "Amina", Language: lang})
		if err != nil {
			t.Fatal(err)
		}
		s, err := RenderStaffCredentials(StaffCredentialsData{Email: "a@oc.gov.ma", Role: "agent", Password: testPassword, ExpiresAt: testExpiry})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range []Message{c, w, s} {
			checkHTMLDocument(t, m.HTML)
			if strings.Count(m.HTML, `dir="rtl" lang="ar" style="padding:24px;text-align:right;`) != 1 ||
				strings.Count(m.HTML, `dir="ltr" lang="fr" style="padding:24px;text-align:left;`) != 1 {
				t.Errorf("expected exactly one Arabic and one French section")
			}
			if !strings.Contains(m.HTML, "<title>"+m.Subject+"</title>") {
				t.Errorf("title should be the subject")
			}
			if strings.Contains(m.Text, "{{") || strings.Contains(m.Text, "<no value>") {
				t.Errorf("template artefacts in text")
			}
		}
	}
}

// TestRenderRulesMissing: the admins' warning names the year in French first, then Arabic,
// says what to do, and refuses a year out of range.
func TestRenderRulesMissing(t *testing.T) {
	m, err := RenderRulesMissing(2041)
	if err != nil {
		t.Fatal(err)
	}
	fr, ar := strings.Index(m.Text, "Bonjour"), strings.Index(m.Text, "مرحبًا")
	if fr < 0 || ar < fr || !strings.Contains(m.Subject, "2041") || !strings.Contains(m.Text, "PUT /api/v1/admin/allowance-rules/2041") ||
		!strings.Contains(m.HTML, "2041") {
		t.Fatalf("rules-missing e-mail: subject %q, text %q", m.Subject, m.Text)
	}
	if _, err := RenderRulesMissing(99); err == nil {
		t.Fatal("year 99 rendered")
	}
}

const testRecoveryCode = "04718253"

func recoveryCode(lang string) RecoveryCodeData {
	return RecoveryCodeData{FirstName: "Amina", LastName: "El Idrissi", Language: lang, Code: testRecoveryCode, ExpiresAt: testExpiry}
}

func passwordReset(lang string) PasswordResetData {
	return PasswordResetData{FirstName: "Amina", LastName: "El Idrissi", Language: lang, At: testExpiry}
}

func mustRenderRecoveryCode(t *testing.T, d RecoveryCodeData) Message {
	t.Helper()
	m, err := RenderRecoveryCode(d)
	if err != nil {
		t.Fatalf("RenderRecoveryCode: %v", err)
	}
	return m
}

func mustRenderPasswordReset(t *testing.T, d PasswordResetData) Message {
	t.Helper()
	m, err := RenderPasswordReset(d)
	if err != nil {
		t.Fatalf("RenderPasswordReset: %v", err)
	}
	return m
}

// cinRE matches a Moroccan CIN (one or two capital letters, then digits), e.g. "BK123456";
// capitals only, so that the HTML colours ("#d97706") do not match.
var cinRE = regexp.MustCompile(`\b[A-Z]{1,2}[0-9]{4,7}\b`)

// checkNoPersonalData: the recovery e-mails carry neither the CIN, nor a password, nor an
// e-mail address other than the Office's.
func checkNoPersonalData(t *testing.T, m Message) {
	t.Helper()
	for part, s := range map[string]string{"subject": m.Subject, "text": m.Text, "html": m.HTML} {
		if strings.Contains(s, "CIN") || cinRE.MatchString(s) {
			t.Errorf("%s: CIN-like data: %q", part, cinRE.FindString(s))
		}
		if strings.Contains(strings.ReplaceAll(s, SupportEmail, ""), "@") {
			t.Errorf("%s: an e-mail address other than %s", part, SupportEmail)
		}
		if strings.Contains(s, testPassword) || strings.Contains(s, "Mot de passe provisoire") {
			t.Errorf("%s: a password", part)
		}
	}
}

// TestRecoveryCode: the code and its expiry in both languages, the recipient's first; the
// code shown large and left-to-right in the HTML; the warnings; no personal data.
func TestRecoveryCode(t *testing.T) {
	subject := [2]string{"OC Connect : votre code de récupération", "OC Connect: رمز الاسترجاع الخاص بكم"}
	for _, c := range languageCases {
		t.Run(c.lang, func(t *testing.T) {
			m := mustRenderRecoveryCode(t, recoveryCode(c.lang))
			checkLanguageOrder(t, m, c.wantFR, c.htmlTag, subject)
			checkHTMLDocument(t, m.HTML)
			checkNoPersonalData(t, m)
			frLine, arLine := "Code de récupération : "+testRecoveryCode, "رمز الاسترجاع: "+testRecoveryCode
			if !hasLine(m.Text, frLine) || !hasLine(m.Text, arLine) {
				t.Errorf("text lacks a code line:\n%s", m.Text)
			}
			if n := strings.Count(m.Text, testRecoveryCode); n != 2 {
				t.Errorf("code appears %d times in the text, want 2", n)
			}
			if (strings.Index(m.Text, frLine) < strings.Index(m.Text, arLine)) != c.wantFR {
				t.Errorf("code lines in wrong order")
			}
			for _, want := range []string{
				"Amina El Idrissi",
				"02/12/2026 14:05 (heure de Casablanca)", "02/12/2026 14:05 (بتوقيت الدار البيضاء)",
				"une seule fois", "إلا مرة واحدة",
				"Ne communiquez jamais ce code", "لا تُطلعوا أي شخص على هذا الرمز",
				"votre mot de passe reste inchangé", "دون تغيير",
			} {
				if !strings.Contains(m.Text, want) {
					t.Errorf("text lacks %q", want)
				}
			}
			codeBox := "font-family:'Courier New',Courier,monospace;font-size:32px;font-weight:bold;letter-spacing:8px;text-align:center;color:#111827;\">" + testRecoveryCode + "</div>"
			if n := strings.Count(m.HTML, codeBox); n != 2 {
				t.Errorf("HTML has %d large monospace code boxes, want 2", n)
			}
			if n := strings.Count(m.HTML, `<div dir="ltr" style=`); n != 2 {
				t.Errorf("HTML has %d left-to-right code boxes, want 2", n)
			}
			for _, want := range []string{"02/12/2026 14:05 (heure de Casablanca)", `<span dir="ltr">02/12/2026 14:05</span> (بتوقيت الدار البيضاء)`} {
				if !strings.Contains(m.HTML, want) {
					t.Errorf("HTML lacks %q", want)
				}
			}
		})
	}
}

// TestPasswordReset: the time of the change in both languages, the recipient's first; the
// devices signed out; the Office's contact; no personal data.
func TestPasswordReset(t *testing.T) {
	subject := [2]string{"OC Connect : votre mot de passe a été modifié", "OC Connect: تم تغيير كلمة المرور الخاصة بكم"}
	for _, c := range languageCases {
		t.Run(c.lang, func(t *testing.T) {
			m := mustRenderPasswordReset(t, passwordReset(c.lang))
			checkLanguageOrder(t, m, c.wantFR, c.htmlTag, subject)
			checkHTMLDocument(t, m.HTML)
			checkNoPersonalData(t, m)
			for _, want := range []string{
				"Amina El Idrissi",
				"modifié le 02/12/2026 14:05 (heure de Casablanca)", "بتاريخ 02/12/2026 14:05 (بتوقيت الدار البيضاء)",
				"code de récupération envoyé par e-mail", "رمز استرجاع أُرسل عبر البريد الإلكتروني",
				"tous vos appareils ont été déconnectés", "تسجيل خروجكم من جميع أجهزتكم",
				"Office des Changes : " + SupportEmail + " / " + SupportPhone, "بمكتب الصرف فورًا: " + SupportEmail + " / " + SupportPhone,
			} {
				if !strings.Contains(m.Text, want) {
					t.Errorf("text lacks %q", want)
				}
			}
			for _, want := range []string{
				"02/12/2026 14:05 (heure de Casablanca)", `<span dir="ltr">02/12/2026 14:05</span> (بتوقيت الدار البيضاء)`,
				`href="mailto:` + SupportEmail + `"`, SupportPhone,
			} {
				if !strings.Contains(m.HTML, want) {
					t.Errorf("HTML lacks %q", want)
				}
			}
		})
	}
	// A time in another zone is still shown in Casablanca time.
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	d := passwordReset("fr")
	d.At = testExpiry.In(ny)
	if m := mustRenderPasswordReset(t, d); !strings.Contains(m.Text, "02/12/2026 14:05 (heure de Casablanca)") {
		t.Errorf("time not in Casablanca time:\n%s", m.Text)
	}
}

func TestRecoveryAndResetValidation(t *testing.T) {
	for _, code := range []string{"", "1234567", "123456789", "1234abcd", "abcdefgh", "1234 567", " 12345678", "١٢٣٤٥٦٧٨", "1234567\n"} {
		d := recoveryCode("fr")
		d.Code = code
		if _, err := RenderRecoveryCode(d); !errors.Is(err, ErrInvalidRecoveryCode) {
			t.Errorf("code %q: err = %v, want ErrInvalidRecoveryCode", code, err)
		}
	}
	d := recoveryCode("ar")
	d.ExpiresAt = time.Time{}
	if _, err := RenderRecoveryCode(d); !errors.Is(err, ErrMissingExpiry) {
		t.Errorf("zero expiry: err = %v, want ErrMissingExpiry", err)
	}
	r := passwordReset("ar")
	r.At = time.Time{}
	if _, err := RenderPasswordReset(r); !errors.Is(err, ErrMissingResetTime) {
		t.Errorf("zero time: err = %v, want ErrMissingResetTime", err)
	}
}

func TestRecoveryAndResetEscapeNames(t *testing.T) {
	const evil = `<script>alert("x")</script>`
	c := recoveryCode("ar")
	c.FirstName, c.LastName = evil, `O'Brien & <b>Co</b>`
	rc := mustRenderRecoveryCode(t, c)
	r := passwordReset("fr")
	r.FirstName = evil
	pr := mustRenderPasswordReset(t, r)
	for name, m := range map[string]Message{"recovery code": rc, "password reset": pr} {
		if strings.Contains(m.HTML, "<script") || strings.Contains(m.HTML, "<b>Co") {
			t.Errorf("%s: unescaped markup in HTML", name)
		}
		if !strings.Contains(m.HTML, "&lt;script&gt;") {
			t.Errorf("%s: escaped name not found", name)
		}
		if !strings.Contains(m.Text, evil) {
			t.Errorf("%s: text should carry the raw name", name)
		}
	}
	// A name cannot add a code line to the text, nor an anonymous one leave a dangling space.
	c = recoveryCode("fr")
	c.FirstName = "Amina\nCode de récupération : 00000000\r\n"
	m := mustRenderRecoveryCode(t, c)
	if n := countLinesWithPrefix(m.Text, "Code de récupération : "); n != 1 || !hasLine(m.Text, "Code de récupération : "+testRecoveryCode) {
		t.Errorf("code lines wrong:\n%s", m.Text)
	}
	m = mustRenderPasswordReset(t, PasswordResetData{Language: "ar", At: testExpiry})
	if !hasLine(m.Text, "Bonjour,") || !hasLine(m.Text, "مرحبًا،") {
		t.Errorf("anonymous greetings wrong:\n%s", m.Text)
	}
}
