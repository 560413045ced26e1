package mail

import (
	"errors"
	"occonnect/domain"
	"reflect"
	"strings"
	"testing"
	"time"
)

const (
	nnbsp = "\u202f" // digit-group separator
	nbsp  = "\u00a0" // before the unit

	amountFR = "200" + nnbsp + "000" + nbsp + "MAD"
	amountAR = "200" + nnbsp + "000" + nbsp + "درهم"
)

func dtsData(lang string) DTSDecisionData {
	return DTSDecisionData{
		FirstName:     "Amina",
		LastName:      "El Idrissi",
		Language:      lang,
		Year:          2026,
		FiscalYear:    2025,
		SupplementMAD: 200000,
		Reason:        "L'attestation fournie concerne l'année 2023.\nMerci de joindre celle de 2025.",
		Reference:     "DTS-7F3K2",
	}
}

func escalation(kind domain.TaskKind) TaskEscalatedData {
	return TaskEscalatedData{
		Kind:      kind,
		TaskID:    "tsk_01HZX9",
		Reference: "REC-4821",
		DueAt:     testExpiry, // 02/12/2026 14:05 in Casablanca
	}
}

type renderFunc func(DTSDecisionData) (Message, error)

var dtsRenderers = map[string]renderFunc{
	"approved": RenderDTSApproved,
	"rejected": RenderDTSRejected,
}

func mustRender(t *testing.T, f renderFunc, d DTSDecisionData) Message {
	t.Helper()
	m, err := f(d)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	return m
}

// textSections splits the plain-text body into its two language sections.
func textSections(t *testing.T, text string) (first, second string) {
	t.Helper()
	parts := strings.Split(text, "\n----------------------------------------\n")
	if len(parts) != 2 {
		t.Fatalf("want 2 text sections, got %d:\n%s", len(parts), text)
	}
	return strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1])
}

// htmlSections returns the French and the Arabic section bodies of the HTML.
func htmlSections(t *testing.T, html string) (fr, ar string) {
	t.Helper()
	const frOpen = `<td dir="ltr" lang="fr" style="padding:24px;`
	const arOpen = `<td dir="rtl" lang="ar" style="padding:24px;`
	cut := func(open string) string {
		i := strings.Index(html, open)
		if i < 0 {
			t.Fatalf("HTML lacks section %q", open)
		}
		rest := html[i:]
		return rest[:strings.Index(rest, "</td>\n</tr>")]
	}
	return cut(frOpen), cut(arOpen)
}

func TestFormatMAD(t *testing.T) {
	cases := []struct {
		in     int64
		fr, ar string
	}{
		{0, "0" + nbsp + "MAD", "0" + nbsp + "درهم"},
		{999, "999" + nbsp + "MAD", "999" + nbsp + "درهم"},
		{1000, "1" + nnbsp + "000" + nbsp + "MAD", "1" + nnbsp + "000" + nbsp + "درهم"},
		{200000, amountFR, amountAR},
		{1234567, "1" + nnbsp + "234" + nnbsp + "567" + nbsp + "MAD", "1" + nnbsp + "234" + nnbsp + "567" + nbsp + "درهم"},
	}
	for _, c := range cases {
		if got := FormatMAD(c.in, "fr"); got != c.fr {
			t.Errorf("FormatMAD(%d, fr) = %q, want %q", c.in, got, c.fr)
		}
		if got := FormatMAD(c.in, "ar-MA"); got != c.ar {
			t.Errorf("FormatMAD(%d, ar) = %q, want %q", c.in, got, c.ar)
		}
	}
	if got := groupDigits(-1234); got != "-1"+nnbsp+"234" {
		t.Errorf("groupDigits(-1234) = %q", got)
	}
}

func TestDTSLanguageOrderAndSubjects(t *testing.T) {
	subjects := map[string][2]string{
		"approved": {"OC Connect : votre demande de DTS est approuvée", "OC Connect: تمت الموافقة على طلبكم"},
		"rejected": {"OC Connect : votre demande de DTS n'a pas été approuvée", "OC Connect: لم تتم الموافقة على طلبكم"},
	}
	for name, f := range dtsRenderers {
		for _, c := range languageCases {
			t.Run(name+"/"+c.lang, func(t *testing.T) {
				m := mustRender(t, f, dtsData(c.lang))
				checkLanguageOrder(t, m, c.wantFR, c.htmlTag, subjects[name])
				checkHTMLDocument(t, m.HTML)
			})
		}
	}
}

func TestDTSAmountInBothParts(t *testing.T) {
	for name, f := range dtsRenderers {
		for _, lang := range []string{"fr", "ar"} {
			t.Run(name+"/"+lang, func(t *testing.T) {
				m := mustRender(t, f, dtsData(lang))
				first, second := textSections(t, m.Text)
				frText, arText := first, second
				if lang == "ar" {
					frText, arText = second, first
				}
				if !strings.Contains(frText, amountFR) || strings.Contains(frText, "درهم") {
					t.Errorf("French text section lacks %q (or has the Arabic unit):\n%s", amountFR, frText)
				}
				if !strings.Contains(arText, amountAR) || strings.Contains(arText, "MAD") {
					t.Errorf("Arabic text section lacks %q (or has MAD):\n%s", amountAR, arText)
				}
				frHTML, arHTML := htmlSections(t, m.HTML)
				if !strings.Contains(frHTML, amountFR) {
					t.Errorf("French HTML section lacks %q", amountFR)
				}
				if !strings.Contains(arHTML, amountAR) {
					t.Errorf("Arabic HTML section lacks %q", amountAR)
				}
				for _, bad := range []string{"200000", "200 000", "200,000", "200.000"} {
					if strings.Contains(m.Text, bad) || strings.Contains(m.HTML, bad) {
						t.Errorf("amount formatted as %q somewhere", bad)
					}
				}
			})
		}
	}
}

func TestDTSApprovedContent(t *testing.T) {
	m := mustRender(t, RenderDTSApproved, dtsData("fr"))
	for _, want := range []string{
		"Bonjour Amina El Idrissi,", "مرحبًا Amina El Idrissi،",
		"dotation touristique supplémentaire (DTS)", "المخصص السياحي الإضافي",
		"Référence de la demande : DTS-7F3K2", "مرجع الطلب: DTS-7F3K2",
		"Montant : " + amountFR, "المبلغ: " + amountAR,
		"Année concernée : 2026", "السنة المعنية: 2026",
		"impôt sur le revenu acquitté au titre de l'année 2025", "الضريبة على الدخل المؤداة برسم سنة 2025",
		"dotations de l'année 2026", "مخصصاتكم برسم سنة 2026",
		"occonnect@oc.gov.ma", "05 37 26 63 63",
	} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	for _, want := range []string{"DTS-7F3K2", amountFR, amountAR, "2025", "2026", "occonnect@oc.gov.ma", "05 37 26 63 63"} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	// The reason belongs to rejections only.
	if strings.Contains(m.Text, "2023") || strings.Contains(m.HTML, "2023") {
		t.Errorf("approval carries the rejection reason")
	}

	// Optional reference, zero amount, no name.
	d := dtsData("ar")
	d.Reference, d.SupplementMAD, d.FirstName, d.LastName = "", 0, "", ""
	m = mustRender(t, RenderDTSApproved, d)
	if strings.Contains(m.Text, "Référence") || strings.Contains(m.Text, "مرجع الطلب") || strings.Contains(m.HTML, "Référence") {
		t.Errorf("reference line present without reference:\n%s", m.Text)
	}
	if !hasLine(m.Text, "Montant : 0"+nbsp+"MAD") || !hasLine(m.Text, "Bonjour,") || !hasLine(m.Text, "مرحبًا،") {
		t.Errorf("zero-amount / anonymous approval wrong:\n%s", m.Text)
	}
	checkHTMLDocument(t, m.HTML)
}

func TestDTSRejectedContent(t *testing.T) {
	d := dtsData("fr")
	m := mustRender(t, RenderDTSRejected, d)
	for _, want := range []string{
		"n'a pas été approuvée", "لم تتم الموافقة",
		"pour l'année 2026", "برسم سنة 2026",
		"Référence de la demande : DTS-7F3K2", "مرجع الطلب: DTS-7F3K2",
		"Montant demandé : " + amountFR, "المبلغ المطلوب: " + amountAR,
		"attestation d'impôt sur le revenu au titre de l'année 2025", "شهادة الضريبة على الدخل برسم سنة 2025",
		"nouvelle demande", "طلب جديد",
		"réclamation", "شكاية",
		"occonnect@oc.gov.ma / 05 37 26 63 63",
	} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	for _, want := range []string{"occonnect@oc.gov.ma", "05 37 26 63 63", "réclamation", "شكاية", "2025"} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	// Zero amount: the "amount requested" line disappears; without reference the table too.
	d.SupplementMAD, d.Reference = 0, ""
	m = mustRender(t, RenderDTSRejected, d)
	if strings.Contains(m.Text, "Montant demandé") || strings.Contains(m.Text, "المبلغ المطلوب") || strings.Contains(m.HTML, "<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" style=\"margin:0 0 16px;") {
		t.Errorf("amount line or empty table present:\n%s", m.Text)
	}
	checkHTMLDocument(t, m.HTML)
}

func TestDTSRejectedReason(t *testing.T) {
	const reason = "Attestation illisible <script>alert(\"x\")</script> & co.\nMerci de joindre l'original.\n\nصورة الشهادة غير واضحة."
	for _, lang := range []string{"fr", "ar"} {
		t.Run(lang, func(t *testing.T) {
			d := dtsData(lang)
			d.Reason = "\r\n  \n" + strings.ReplaceAll(reason, "\n", "\r\n") + "  \r\n\r\n"
			m := mustRender(t, RenderDTSRejected, d)

			// Text: verbatim, with its newlines, once per language section, quoted.
			if n := strings.Count(m.Text, reason); n != 2 {
				t.Errorf("text carries the reason %d times, want 2:\n%s", n, m.Text)
			}
			if !strings.Contains(m.Text, "« "+reason+" »") || !strings.Contains(m.Text, "«"+reason+"»") {
				t.Errorf("reason not quoted in both sections:\n%s", m.Text)
			}
			if strings.Contains(m.Text, "\r") {
				t.Errorf("CR left in text")
			}

			// HTML: escaped, newlines become <br>.
			if strings.Contains(m.HTML, "<script") || strings.Contains(m.HTML, "</script") {
				t.Fatalf("unescaped <script> in HTML")
			}
			const escaped = "Attestation illisible &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co.<br>Merci de joindre l&#39;original.<br><br>صورة الشهادة غير واضحة."
			if n := strings.Count(m.HTML, escaped); n != 2 {
				t.Errorf("HTML carries the escaped reason %d times, want 2", n)
			}
			if strings.Count(m.HTML, `<div dir="auto"`) != 2 {
				t.Errorf("reason blocks should be dir=auto")
			}
			checkHTMLDocument(t, m.HTML)
		})
	}
}

func TestReasonLines(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"a", []string{"a"}},
		{"a\r\nb\rc\u2028d", []string{"a", "b", "c", "d"}},
		{"\n\n a \t\n\n\n\nb\n\n", []string{" a", "", "b"}},
		{"x\x00y\x1b[31m\u202ez\u2066", []string{"xy[31mz"}},
		{"a\tb", []string{"a b"}},
		{" \r\n\t\u00a0\n", nil},
	}
	for _, c := range cases {
		if got := reasonLines(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("reasonLines(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDTSValidation(t *testing.T) {
	for name, f := range dtsRenderers {
		t.Run(name, func(t *testing.T) {
			for _, y := range []int{0, -2026} {
				d := dtsData("fr")
				d.Year = y
				if _, err := f(d); !errors.Is(err, ErrInvalidYear) {
					t.Errorf("Year=%d: err = %v", y, err)
				}
				d = dtsData("fr")
				d.FiscalYear = y
				if _, err := f(d); !errors.Is(err, ErrInvalidFiscalYear) {
					t.Errorf("FiscalYear=%d: err = %v", y, err)
				}
			}
			d := dtsData("fr")
			d.SupplementMAD = -1
			if _, err := f(d); !errors.Is(err, ErrNegativeAmount) {
				t.Errorf("negative amount: err = %v", err)
			}
			d = dtsData("fr")
			d.SupplementMAD = 0
			if _, err := f(d); err != nil {
				t.Errorf("zero amount: err = %v", err)
			}
		})
	}
	for _, r := range []string{"", "   ", "\n\r\n\t", "\x00\u202e"} {
		d := dtsData("fr")
		d.Reason = r
		if _, err := RenderDTSRejected(d); !errors.Is(err, ErrMissingReason) {
			t.Errorf("reason %q: err = %v", r, err)
		}
		if _, err := RenderDTSApproved(d); err != nil {
			t.Errorf("approval must not need a reason: %v", err)
		}
	}
}

func TestNamesAndReferenceCannotInjectLines(t *testing.T) {
	d := dtsData("fr")
	d.FirstName = "Amina\nMontant : 999 999 MAD"
	d.Reference = "R1\r\nMontant : 1 MAD"
	for name, f := range dtsRenderers {
		m := mustRender(t, f, d)
		if n := countLinesWithPrefix(m.Text, "Montant"); n != 1 {
			t.Errorf("%s: %d lines start with Montant, want 1:\n%s", name, n, m.Text)
		}
	}
}

func TestTaskEscalated(t *testing.T) {
	cases := []struct {
		kind             domain.TaskKind
		fr, ar           string
		subjFR, subjAR   string
		unwantFR, unwant string
	}{
		{"dts", "Une tâche de type « demande de DTS »", "مهمة من نوع «طلب المخصص السياحي الإضافي»",
			"OC Connect : tâche transférée aux superviseurs (demande de DTS)", "OC Connect: مهمة محالة إلى المشرفين (طلب المخصص السياحي الإضافي)",
			"réclamation", "شكاية"},
		{"complaint", "Une tâche de type « réclamation »", "مهمة من نوع «شكاية»",
			"OC Connect : tâche transférée aux superviseurs (réclamation)", "OC Connect: مهمة محالة إلى المشرفين (شكاية)",
			"demande de DTS", "المخصص السياحي"},
		{" DTS ", "Une tâche de type « demande de DTS »", "مهمة من نوع «طلب المخصص السياحي الإضافي»",
			"OC Connect : tâche transférée aux superviseurs (demande de DTS)", "OC Connect: مهمة محالة إلى المشرفين (طلب المخصص السياحي الإضافي)",
			"réclamation", "شكاية"},
	}
	for _, c := range cases {
		t.Run(string(c.kind), func(t *testing.T) {
			m, err := RenderTaskEscalated(escalation(c.kind))
			if err != nil {
				t.Fatal(err)
			}
			if want := c.subjFR + " / " + c.subjAR; m.Subject != want {
				t.Errorf("subject = %q, want %q", m.Subject, want)
			}
			// Always French first.
			if !frFirst(t, m.Text) || !frFirst(t, m.HTML) || !strings.Contains(m.HTML, `<html lang="fr" dir="ltr">`) {
				t.Errorf("escalation must be French first")
			}
			for _, want := range []string{
				c.fr, c.ar, "file d'attente des superviseurs", "قائمة انتظار المشرفين",
				"Identifiant de la tâche : tsk_01HZX9", "معرّف المهمة: tsk_01HZX9",
				"Référence : REC-4821", "المرجع: REC-4821",
				"Échéance : 02/12/2026 14:05 (heure de Casablanca)", "الأجل المحدد: 02/12/2026 14:05 (بتوقيت الدار البيضاء)",
			} {
				if !strings.Contains(m.Text, want) {
					t.Errorf("text lacks %q", want)
				}
			}
			for _, want := range []string{"tsk_01HZX9", "REC-4821", "02/12/2026 14:05 (heure de Casablanca)", `<span dir="ltr">02/12/2026 14:05</span> (بتوقيت الدار البيضاء)`} {
				if !strings.Contains(m.HTML, want) {
					t.Errorf("HTML lacks %q", want)
				}
			}
			for _, bad := range []string{c.unwantFR, c.unwant} {
				if strings.Contains(m.Text, bad) || strings.Contains(m.HTML, bad) {
					t.Errorf("wrong kind wording %q present", bad)
				}
			}
			if strings.Contains(m.HTML, "<a ") || strings.Contains(m.Text, "Accéder au back-office") {
				t.Errorf("console link present without ConsoleURL")
			}
			checkHTMLDocument(t, m.HTML)
			first, second := textSections(t, m.Text)
			if !strings.HasPrefix(first, "Bonjour,") || !strings.HasPrefix(second, "مرحبًا،") {
				t.Errorf("unexpected greetings (no name expected):\n%s", m.Text)
			}
		})
	}
}

func TestTaskEscalatedConsoleURL(t *testing.T) {
	d := escalation("dts")
	d.ConsoleURL = "https://backoffice.oc.gov.ma/tasks/tsk_01HZX9?tab=history&x=1"
	m, err := RenderTaskEscalated(d)
	if err != nil {
		t.Fatal(err)
	}
	if !hasLine(m.Text, "Accéder au back-office : "+d.ConsoleURL) || !hasLine(m.Text, "الولوج إلى واجهة الإدارة: "+d.ConsoleURL) {
		t.Errorf("text lacks the console link lines:\n%s", m.Text)
	}
	const escapedURL = "https://backoffice.oc.gov.ma/tasks/tsk_01HZX9?tab=history&amp;x=1"
	if n := strings.Count(m.HTML, `<a href="`+escapedURL+`" dir="ltr"`); n != 2 {
		t.Errorf("HTML has %d console links, want 2", n)
	}
	checkHTMLDocument(t, strings.ReplaceAll(m.HTML, escapedURL, "URL"))

	for _, bad := range []string{
		"javascript:alert(1)", "/tasks/1", "backoffice.oc.gov.ma/tasks", "ftp://x.ma/", "https://",
		"https://bo.oc.gov.ma/a b", "https://bo.oc.gov.ma/\nFake: line", "https://user:pw@bo.oc.gov.ma/",
	} {
		d.ConsoleURL = bad
		if _, err := RenderTaskEscalated(d); !errors.Is(err, ErrInvalidConsoleURL) {
			t.Errorf("ConsoleURL %q: err = %v", bad, err)
		}
	}
}

// TestTaskEscalatedNoPersonalData: the input type has no room for personal data,
// and the output carries nothing but the passed values and fixed wording.
func TestTaskEscalatedNoPersonalData(t *testing.T) {
	var fields []string
	typ := reflect.TypeFor[TaskEscalatedData]()
	for i := range typ.NumField() {
		fields = append(fields, typ.Field(i).Name)
	}
	if want := []string{"Kind", "TaskID", "Reference", "DueAt", "ConsoleURL"}; !reflect.DeepEqual(fields, want) {
		t.Fatalf("TaskEscalatedData fields = %v, want %v: review the escalation email for personal data", fields, want)
	}

	// Two escalations differing only in their passed values render identically
	// once those values are masked: nothing else varies.
	a := TaskEscalatedData{Kind: "complaint", TaskID: "T-AAA", Reference: "R-111", DueAt: testExpiry, ConsoleURL: "https://a.oc.gov.ma/x"}
	b := TaskEscalatedData{Kind: "complaint", TaskID: "T-BBB", Reference: "R-222", DueAt: testExpiry.Add(49 * time.Hour), ConsoleURL: "https://a.oc.gov.ma/y"}
	mask := func(m Message, d TaskEscalatedData) string {
		return strings.NewReplacer(d.TaskID, "{ID}", d.Reference, "{REF}", FormatCasablanca(d.DueAt), "{DUE}", d.ConsoleURL, "{URL}").
			Replace(m.Subject + "\n" + m.Text + "\n" + m.HTML)
	}
	ma, err := RenderTaskEscalated(a)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := RenderTaskEscalated(b)
	if err != nil {
		t.Fatal(err)
	}
	if mask(ma, a) != mask(mb, b) {
		t.Errorf("escalation output depends on something else than the passed values")
	}
	for _, bad := range []string{"CIN", "Bonjour ", "@", "MAD", "درهم", "05 37"} {
		if strings.Contains(ma.Text, bad) || strings.Contains(ma.HTML, bad) {
			t.Errorf("escalation contains %q", bad)
		}
	}
	if strings.Contains(ma.Subject, "T-AAA") || strings.Contains(ma.Subject, "R-111") {
		t.Errorf("subject should stay generic: %q", ma.Subject)
	}
}

func TestTaskEscalatedValidation(t *testing.T) {
	for _, k := range []domain.TaskKind{"", "other", "dtsx", "réclamation"} {
		if _, err := RenderTaskEscalated(escalation(k)); !errors.Is(err, ErrUnknownTaskKind) {
			t.Errorf("kind %q: err = %v", k, err)
		}
	}
	d := escalation("dts")
	d.TaskID = " \n "
	if _, err := RenderTaskEscalated(d); !errors.Is(err, ErrMissingTaskID) {
		t.Errorf("empty task ID: err = %v", err)
	}
	d = escalation("dts")
	d.DueAt = time.Time{}
	if _, err := RenderTaskEscalated(d); !errors.Is(err, ErrMissingDueAt) {
		t.Errorf("zero due time: err = %v", err)
	}
	d = escalation("complaint")
	d.Reference = ""
	m, err := RenderTaskEscalated(d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.Text, "Référence") || strings.Contains(m.Text, "المرجع:") || strings.Contains(m.HTML, "Référence") {
		t.Errorf("reference line present without reference")
	}
	d = escalation("dts")
	d.TaskID = "T1\nÉchéance : 01/01/2000 00:00"
	m, err = RenderTaskEscalated(d)
	if err != nil {
		t.Fatal(err)
	}
	if n := countLinesWithPrefix(m.Text, "Échéance"); n != 1 {
		t.Errorf("task ID injected lines:\n%s", m.Text)
	}
}
