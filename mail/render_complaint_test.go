package mail

import (
	"errors"
	"html"
	"reflect"
	"strings"
	"testing"
	"time"
)

const testComplaintRef = "REC-2026-000123"

var testResolutionDue = time.Date(2026, 12, 30, 13, 5, 0, 0, time.UTC) // 30/12/2026 14:05 in Casablanca

func complaintData(lang string) ComplaintMailData {
	return ComplaintMailData{
		FirstName:        "Amina",
		LastName:         "El Idrissi",
		Language:         lang,
		Reference:        testComplaintRef,
		Subject:          "Attente excessive au point de change",
		Category:         ComplaintCategoryExchangePointService,
		Text:             "Merci de préciser la date de votre passage.\nEt le nom du point de change.",
		FirstResponseDue: testExpiry, // 02/12/2026 14:05 in Casablanca
		ResolutionDue:    testResolutionDue,
		CloseAt:          testCloseAt,
	}
}

// testCloseAt: 21/12/2026 10:00 in Casablanca (the closing the citizen reminder announces).
var testCloseAt = time.Date(2026, 12, 21, 9, 0, 0, 0, time.UTC)

type complaintRenderFunc func(ComplaintMailData) (Message, error)

var complaintRenderers = map[string]complaintRenderFunc{
	"acknowledged":   RenderComplaintAcknowledged,
	"info_requested": RenderComplaintInfoRequested,
	"resolved":       RenderComplaintResolved,
	"rejected":       RenderComplaintRejected,
	"reopened":       RenderComplaintReopened,
	// The request for information left unanswered.
	"citizen_reminder":  RenderComplaintCitizenReminder,
	"closed_unanswered": RenderComplaintClosedUnanswered,
}

// Renderers that quote the officer's text (and require it).
var complaintTextRenderers = []string{"info_requested", "resolved", "rejected"}

var complaintSubjects = map[string][2]string{
	"acknowledged":   {"OC Connect : réclamation REC-2026-000123 reçue", "OC Connect: تم استلام الشكاية REC-2026-000123"},
	"info_requested": {"OC Connect : réclamation REC-2026-000123, complément d'information demandé", "OC Connect: الشكاية REC-2026-000123، مطلوب معلومات إضافية"},
	"resolved":       {"OC Connect : réponse à votre réclamation REC-2026-000123", "OC Connect: الرد على شكايتكم REC-2026-000123"},
	"rejected":       {"OC Connect : réclamation REC-2026-000123 non retenue", "OC Connect: عدم قبول الشكاية REC-2026-000123"},
	"reopened":       {"OC Connect : réclamation REC-2026-000123 rouverte", "OC Connect: إعادة فتح الشكاية REC-2026-000123"},
	"citizen_reminder": {"OC Connect : réclamation REC-2026-000123, votre réponse est attendue",
		"OC Connect: الشكاية REC-2026-000123، في انتظار جوابكم"},
	"closed_unanswered": {"OC Connect : réclamation REC-2026-000123 clôturée faute de réponse",
		"OC Connect: إغلاق الشكاية REC-2026-000123 لعدم الجواب"},
}

func mustRenderComplaint(t *testing.T, f complaintRenderFunc, d ComplaintMailData) Message {
	t.Helper()
	m, err := f(d)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	return m
}

// checkComplaintHTML runs the structural HTML check with the recourse portal
// URL, the only absolute URL a citizen complaint email may carry, masked.
func checkComplaintHTML(t *testing.T, h string) {
	t.Helper()
	checkHTMLDocument(t, strings.ReplaceAll(h, ComplaintRecourseURL, "RECOURSE"))
}

// frAR returns the French and the Arabic text sections whatever their order.
func frAR(t *testing.T, text, lang string) (fr, ar string) {
	t.Helper()
	first, second := textSections(t, text)
	if normalizeLanguage(lang) == LangAR {
		return second, first
	}
	return first, second
}

func TestComplaintLanguageOrderAndSubjects(t *testing.T) {
	for name, f := range complaintRenderers {
		for _, c := range languageCases {
			t.Run(name+"/"+c.lang, func(t *testing.T) {
				m := mustRenderComplaint(t, f, complaintData(c.lang))
				checkLanguageOrder(t, m, c.wantFR, c.htmlTag, complaintSubjects[name])
				if !strings.Contains(m.HTML, "<title>"+html.EscapeString(m.Subject)+"</title>") {
					t.Errorf("title should be the subject")
				}
				if strings.Count(m.HTML, `dir="rtl" lang="ar" style="padding:24px;text-align:right;`) != 1 ||
					strings.Count(m.HTML, `dir="ltr" lang="fr" style="padding:24px;text-align:left;`) != 1 {
					t.Errorf("expected exactly one Arabic and one French section")
				}
				if strings.Contains(m.Text, "<no value>") || strings.Contains(m.HTML, "<no value>") {
					t.Errorf("template artefacts")
				}
				checkComplaintHTML(t, m.HTML)
			})
		}
	}
}

func TestComplaintReferenceEverywhere(t *testing.T) {
	for name, f := range complaintRenderers {
		for _, lang := range []string{"fr", "ar"} {
			t.Run(name+"/"+lang, func(t *testing.T) {
				m := mustRenderComplaint(t, f, complaintData(lang))
				for _, s := range strings.Split(m.Subject, " / ") {
					if !strings.Contains(s, testComplaintRef) {
						t.Errorf("subject half %q lacks the reference", s)
					}
				}
				fr, ar := frAR(t, m.Text, lang)
				if !hasLine(fr, "Référence de la réclamation : "+testComplaintRef) {
					t.Errorf("French text lacks the reference line:\n%s", fr)
				}
				if !hasLine(ar, "مرجع الشكاية: "+testComplaintRef) {
					t.Errorf("Arabic text lacks the reference line:\n%s", ar)
				}
				frHTML, arHTML := htmlSections(t, m.HTML)
				if !strings.Contains(frHTML, `<td dir="ltr" style="padding:2px 0;"><strong>`+testComplaintRef+`</strong></td>`) {
					t.Errorf("French HTML lacks the reference")
				}
				if !strings.Contains(arHTML, `<td dir="ltr" style="padding:2px 0;text-align:right;"><strong>`+testComplaintRef+`</strong></td>`) {
					t.Errorf("Arabic HTML lacks the reference (isolated LTR)")
				}
			})
		}
	}
}

func TestComplaintTextEscapedAndKept(t *testing.T) {
	const text = "Votre dossier <script>alert(\"x\")</script> & co.\nMerci de joindre l'original.\n\nصورة الوثيقة غير واضحة."
	const escaped = "Votre dossier &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co.<br>Merci de joindre l&#39;original.<br><br>صورة الوثيقة غير واضحة."
	for _, name := range complaintTextRenderers {
		for _, lang := range []string{"fr", "ar"} {
			t.Run(name+"/"+lang, func(t *testing.T) {
				d := complaintData(lang)
				d.Text = "\r\n  \n" + strings.ReplaceAll(text, "\n", "\r\n") + "  \r\n\r\n"
				m := mustRenderComplaint(t, complaintRenderers[name], d)

				// Text: verbatim with its newlines, quoted, once per language section.
				if n := strings.Count(m.Text, text); n != 2 {
					t.Errorf("text carries the officer's text %d times, want 2:\n%s", n, m.Text)
				}
				if !strings.Contains(m.Text, "« "+text+" »") || !strings.Contains(m.Text, "«"+text+"»") {
					t.Errorf("officer's text not quoted in both sections:\n%s", m.Text)
				}
				if strings.Contains(m.Text, "\r") {
					t.Errorf("CR left in text")
				}

				// HTML: escaped, newlines become <br>, in a dir=auto block.
				if strings.Contains(m.HTML, "<script") || strings.Contains(m.HTML, "</script") {
					t.Fatalf("unescaped <script> in HTML")
				}
				if n := strings.Count(m.HTML, escaped); n != 2 {
					t.Errorf("HTML carries the escaped text %d times, want 2", n)
				}
				if strings.Count(m.HTML, `<div dir="auto"`) != 2 {
					t.Errorf("officer's text blocks should be dir=auto")
				}
				checkComplaintHTML(t, m.HTML)
			})
		}
	}
	// The acknowledgement, the reopening and the unanswered request's e-mails never show a text.
	for _, name := range []string{"acknowledged", "reopened", "citizen_reminder", "closed_unanswered"} {
		d := complaintData("fr")
		d.Text = "NOTE-INTERNE-42"
		m := mustRenderComplaint(t, complaintRenderers[name], d)
		if strings.Contains(m.Text, "NOTE-INTERNE-42") || strings.Contains(m.HTML, "NOTE-INTERNE-42") || strings.Contains(m.HTML, `<div dir="auto"`) {
			t.Errorf("%s shows the text", name)
		}
	}
}

func TestComplaintDeadlinesInCasablanca(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	summer := time.Date(2026, 7, 1, 23, 30, 0, 0, time.UTC) // 02/07/2026 00:30 in Casablanca
	for _, lang := range []string{"fr", "ar"} {
		for _, loc := range []*time.Location{time.UTC, ny} {
			d := complaintData(lang)
			d.FirstResponseDue = time.Date(2026, 6, 25, 9, 0, 0, 0, time.UTC).In(loc) // 25/06/2026 10:00
			d.ResolutionDue = summer.In(loc)
			m := mustRenderComplaint(t, RenderComplaintAcknowledged, d)
			fr, ar := frAR(t, m.Text, lang)
			for _, want := range []string{
				"Première réponse : au plus tard le 25/06/2026 10:00 (heure de Casablanca)",
				"Résolution : au plus tard le 02/07/2026 00:30 (heure de Casablanca)",
			} {
				if !hasLine(fr, want) {
					t.Errorf("%s/%s: French text lacks %q:\n%s", lang, loc, want, fr)
				}
			}
			for _, want := range []string{
				"الرد الأولي: في أجل أقصاه 25/06/2026 10:00 (بتوقيت الدار البيضاء)",
				"معالجة الشكاية: في أجل أقصاه 02/07/2026 00:30 (بتوقيت الدار البيضاء)",
			} {
				if !hasLine(ar, want) {
					t.Errorf("%s/%s: Arabic text lacks %q:\n%s", lang, loc, want, ar)
				}
			}
			frHTML, arHTML := htmlSections(t, m.HTML)
			for _, want := range []string{"<strong>25/06/2026 10:00</strong> (heure de Casablanca)", "<strong>02/07/2026 00:30</strong> (heure de Casablanca)"} {
				if !strings.Contains(frHTML, want) {
					t.Errorf("French HTML lacks %q", want)
				}
			}
			for _, want := range []string{
				`<strong><span dir="ltr">25/06/2026 10:00</span></strong> (بتوقيت الدار البيضاء)`,
				`<strong><span dir="ltr">02/07/2026 00:30</span></strong> (بتوقيت الدار البيضاء)`,
			} {
				if !strings.Contains(arHTML, want) {
					t.Errorf("Arabic HTML lacks %q", want)
				}
			}
		}
	}

	// Only the acknowledgement and the reopening show deadlines.
	for _, name := range complaintTextRenderers {
		m := mustRenderComplaint(t, complaintRenderers[name], complaintData("fr"))
		if strings.Contains(m.Text, "02/12/2026") || strings.Contains(m.HTML, "02/12/2026") || strings.Contains(m.Text, "au plus tard") {
			t.Errorf("%s shows deadlines", name)
		}
	}
	m := mustRenderComplaint(t, RenderComplaintReopened, complaintData("fr"))
	if !hasLine(m.Text, "Première réponse : au plus tard le 02/12/2026 14:05 (heure de Casablanca)") ||
		!hasLine(m.Text, "Résolution : au plus tard le 30/12/2026 14:05 (heure de Casablanca)") ||
		!strings.Contains(m.Text, "Les délais ci-dessus s'appliquent à ce nouveau traitement.") {
		t.Errorf("reopening lacks its new deadlines:\n%s", m.Text)
	}
	d := complaintData("ar")
	d.FirstResponseDue, d.ResolutionDue = time.Time{}, time.Time{}
	m = mustRenderComplaint(t, RenderComplaintReopened, d)
	if strings.Contains(m.Text, "au plus tard") || strings.Contains(m.Text, "في أجل أقصاه") || strings.Contains(m.HTML, "heure de Casablanca") {
		t.Errorf("reopening without deadlines shows deadline lines:\n%s", m.Text)
	}
	if !strings.Contains(m.Text, "dans les délais applicables au traitement des réclamations") || !strings.Contains(m.Text, "داخل الآجال المعمول بها") {
		t.Errorf("reopening without deadlines lacks the generic sentence:\n%s", m.Text)
	}
	checkComplaintHTML(t, m.HTML)
}

func TestComplaintCategoryLabel(t *testing.T) {
	cases := []struct{ code, fr, ar string }{
		{"exchange_point_service", "Service d'un point de change", "خدمة نقطة الصرف"},
		{"allowance_balance", "Solde des dotations", "رصيد المخصصات"},
		{"dts", "Dotation touristique supplémentaire (DTS)", "المخصص السياحي الإضافي"},
		{"app_access", "Accès à l'application", "الولوج إلى التطبيق"},
		{"other", "Autre", "أخرى"},
		{" DTS ", "Dotation touristique supplémentaire (DTS)", "المخصص السياحي الإضافي"},
		{"unknown_code", "unknown_code", "unknown_code"},
		{"", "", ""},
	}
	for _, c := range cases {
		for _, lang := range []string{"fr", "", "en"} {
			if got := ComplaintCategoryLabel(c.code, lang); got != c.fr {
				t.Errorf("ComplaintCategoryLabel(%q, %q) = %q, want %q", c.code, lang, got, c.fr)
			}
		}
		for _, lang := range []string{"ar", "AR", "ar-MA"} {
			if got := ComplaintCategoryLabel(c.code, lang); got != c.ar {
				t.Errorf("ComplaintCategoryLabel(%q, %q) = %q, want %q", c.code, lang, got, c.ar)
			}
		}
	}

	// In the emails: both labels, one per section.
	for name, f := range complaintRenderers {
		d := complaintData("ar")
		d.Category = "allowance_balance"
		m := mustRenderComplaint(t, f, d)
		fr, ar := frAR(t, m.Text, d.Language)
		if !hasLine(fr, "Catégorie : Solde des dotations") || !hasLine(ar, "الفئة: رصيد المخصصات") {
			t.Errorf("%s: category lines wrong:\n%s", name, m.Text)
		}
		frHTML, arHTML := htmlSections(t, m.HTML)
		if !strings.Contains(frHTML, "Solde des dotations") || !strings.Contains(arHTML, "رصيد المخصصات") {
			t.Errorf("%s: HTML category labels wrong", name)
		}
		// Unknown code: shown as is; no category: no line.
		d.Category = "guichet_x"
		m = mustRenderComplaint(t, f, d)
		if !strings.Contains(m.Text, "Catégorie : guichet_x") || !strings.Contains(m.Text, "الفئة: guichet_x") {
			t.Errorf("%s: unknown category not shown as its code", name)
		}
		d.Category, d.Subject = "  ", ""
		m = mustRenderComplaint(t, f, d)
		for _, bad := range []string{"Catégorie", "الفئة", "Objet", "الموضوع:"} {
			if strings.Contains(m.Text, bad) || strings.Contains(m.HTML, bad) {
				t.Errorf("%s: %q present without category/subject", name, bad)
			}
		}
		checkComplaintHTML(t, m.HTML)
	}
}

func TestComplaintContent(t *testing.T) {
	want := map[string][]string{
		"acknowledged": {
			"Nous accusons réception de votre réclamation, enregistrée sous la référence " + testComplaintRef,
			"نؤكد لكم توصلنا بشكايتكم، وقد سُجلت تحت المرجع " + testComplaintRef,
			"Vous pouvez suivre à tout moment l'état de votre réclamation dans l'application OC Connect.",
			"يمكنكم تتبع وضعية شكايتكم في أي وقت عبر تطبيق OC Connect.",
			"Objet : Attente excessive au point de change", "الموضوع: Attente excessive au point de change",
			"Catégorie : Service d'un point de change", "الفئة: خدمة نقطة الصرف",
		},
		"info_requested": {
			"Question de l'agent :", "سؤال الموظف:",
			"Merci d'y répondre directement dans l'application OC Connect, depuis le suivi de la réclamation " + testComplaintRef,
			"يُرجى الإجابة مباشرة عبر تطبيق OC Connect",
			"Le délai de traitement de votre réclamation est suspendu jusqu'à la réception de votre réponse",
			"يتم توقيف احتساب أجل معالجة شكايتكم إلى حين توصلنا بجوابكم",
		},
		"resolved": {
			"Réponse :", "الرد:",
			"vous pouvez rouvrir la réclamation depuis l'application OC Connect dans un délai de 14 jours",
			"يمكنكم إعادة فتح الشكاية عبر تطبيق OC Connect داخل أجل 14 يومًا",
			"par une note de 1 à 5", "بنقطة من 1 إلى 5",
		},
		"rejected": {
			"votre réclamation n'a pas été retenue", "لم يتم قبولها",
			"Motif indiqué par l'agent chargé de votre réclamation :", "السبب الذي أورده الموظف المكلف بشكايتكم:",
			"vous pouvez saisir le portail national des réclamations chikaya.ma : https://www.chikaya.ma",
			"يمكنكم اللجوء إلى البوابة الوطنية للشكايات chikaya.ma: https://www.chikaya.ma",
		},
		"reopened": {
			"Nous accusons réception de la réouverture de votre réclamation.", "نؤكد لكم توصلنا بطلب إعادة فتح شكايتكم",
			"Elle fait l'objet d'un nouveau traitement par nos services.",
			"Vous pouvez suivre à tout moment l'état de votre réclamation dans l'application OC Connect.",
		},
		"citizen_reminder": {
			"nous n'avons pas encore reçu votre réponse", "ولم نتوصل بعد بجوابكم",
			"votre réclamation sera clôturée pour absence de réponse le 21/12/2026 10:00 (heure de Casablanca).",
			"سيتم إغلاق شكايتكم لعدم الجواب بتاريخ 21/12/2026 10:00 (بتوقيت الدار البيضاء).",
			"répondez à la question de l'agent dans l'application OC Connect, depuis le suivi de la réclamation " + testComplaintRef,
		},
		"closed_unanswered": {
			"Faute de réponse de votre part dans le délai indiqué, votre réclamation a été clôturée.",
			"تم إغلاق شكايتكم",
			"vous pouvez déposer une nouvelle réclamation dans l'application OC Connect, en y joignant les informations demandées et en rappelant la référence " + testComplaintRef,
			"يمكنكم تقديم شكاية جديدة عبر تطبيق OC Connect",
		},
	}
	for name, f := range complaintRenderers {
		t.Run(name, func(t *testing.T) {
			m := mustRenderComplaint(t, f, complaintData("fr"))
			for _, w := range want[name] {
				if !strings.Contains(m.Text, w) {
					t.Errorf("text lacks %q", w)
				}
			}
			for _, w := range []string{"Bonjour Amina El Idrissi,", "مرحبًا Amina El Idrissi،", "occonnect@oc.gov.ma / 05 37 26 63 63", "L'Office des Changes", "مكتب الصرف"} {
				if !strings.Contains(m.Text, w) {
					t.Errorf("text lacks %q", w)
				}
			}
			// Things that belong to one email only.
			if got := strings.Contains(m.Text, "chikaya") || strings.Contains(m.HTML, "chikaya"); got != (name == "rejected") {
				t.Errorf("recourse portal present = %v", got)
			}
			if got := strings.Contains(m.Text, "14 jours"); got != (name == "resolved") {
				t.Errorf("reopening window present = %v", got)
			}
			if got := strings.Contains(m.Text, "suspendu"); got != (name == "info_requested") {
				t.Errorf("paused clock present = %v", got)
			}
			if got := strings.Contains(m.Text, "21/12/2026") || strings.Contains(m.HTML, "21/12/2026"); got != (name == "citizen_reminder") {
				t.Errorf("closing date present = %v", got)
			}
			if name == "rejected" {
				if n := strings.Count(m.HTML, `<a href="https://www.chikaya.ma" dir="ltr" style="color:#0b4f6c;">https://www.chikaya.ma</a>`); n != 2 {
					t.Errorf("HTML has %d recourse links, want 2", n)
				}
			}
			checkComplaintHTML(t, m.HTML)

			// Anonymous: greeting without a dangling space.
			d := complaintData("ar")
			d.FirstName, d.LastName = "", " "
			m = mustRenderComplaint(t, f, d)
			if !hasLine(m.Text, "Bonjour,") || !hasLine(m.Text, "مرحبًا،") {
				t.Errorf("anonymous greetings wrong:\n%s", m.Text)
			}
		})
	}
}

func TestComplaintFieldsCannotInjectLines(t *testing.T) {
	d := complaintData("fr")
	d.FirstName = "Amina\nRéférence de la réclamation : REC-2026-999999"
	d.Subject = "Retard\r\nRéférence de la réclamation : REC-2026-888888\u202e <b>gras</b>\t!"
	d.Category = "x\nCatégorie : Autre"
	for name, f := range complaintRenderers {
		m := mustRenderComplaint(t, f, d)
		if n := countLinesWithPrefix(m.Text, "Référence de la réclamation"); n != 1 {
			t.Errorf("%s: %d lines start with the reference label, want 1:\n%s", name, n, m.Text)
		}
		if n := countLinesWithPrefix(m.Text, "Catégorie"); n != 1 {
			t.Errorf("%s: %d category lines, want 1", name, n)
		}
		if !hasLine(m.Text, "Objet : Retard Référence de la réclamation : REC-2026-888888 <b>gras</b> !") {
			t.Errorf("%s: subject not flattened:\n%s", name, m.Text)
		}
		if strings.ContainsRune(m.Text, '\u202e') || strings.ContainsRune(m.HTML, '\u202e') {
			t.Errorf("%s: bidi override kept", name)
		}
		if strings.Contains(m.HTML, "<b>gras") || !strings.Contains(m.HTML, "&lt;b&gt;gras&lt;/b&gt;") {
			t.Errorf("%s: subject not escaped in HTML", name)
		}
		if strings.Contains(m.Subject, "888888") || strings.Contains(m.Subject, "Amina") {
			t.Errorf("%s: email subject carries citizen input: %q", name, m.Subject)
		}
	}
}

func TestComplaintValidation(t *testing.T) {
	for name, f := range complaintRenderers {
		t.Run(name, func(t *testing.T) {
			for _, ref := range []string{"", "  ", "\n"} {
				d := complaintData("fr")
				d.Reference = ref
				if _, err := f(d); !errors.Is(err, ErrMissingComplaintReference) {
					t.Errorf("reference %q: err = %v", ref, err)
				}
			}
			for _, ref := range []string{"REC-26-000123", "rec-2026-000123", "REC-2026-00012", "REC-2026-000123\nX", "REC 2026 000123", "DTS-2026-000123", "REC-2026-00012a"} {
				d := complaintData("fr")
				d.Reference = ref
				if _, err := f(d); !errors.Is(err, ErrInvalidComplaintReference) {
					t.Errorf("reference %q: err = %v", ref, err)
				}
			}
			d := complaintData("fr")
			d.Reference = " REC-2026-000123\n"
			m, err := f(d)
			if err != nil {
				t.Fatalf("reference with surrounding whitespace: err = %v", err)
			}
			if !hasLine(m.Text, "Référence de la réclamation : "+testComplaintRef) || strings.Count(m.Subject, " "+testComplaintRef) != 2 {
				t.Errorf("reference not trimmed: %q", m.Subject)
			}
		})
	}
	for _, name := range complaintTextRenderers {
		for _, text := range []string{"", "   ", "\n\r\n\t", "\x00\u202e"} {
			d := complaintData("fr")
			d.Text = text
			if _, err := complaintRenderers[name](d); !errors.Is(err, ErrMissingComplaintText) {
				t.Errorf("%s: text %q: err = %v", name, text, err)
			}
		}
	}
	for _, name := range []string{"acknowledged", "reopened", "citizen_reminder", "closed_unanswered"} {
		d := complaintData("fr")
		d.Text = ""
		if _, err := complaintRenderers[name](d); err != nil {
			t.Errorf("%s must not need a text: %v", name, err)
		}
	}

	// Acknowledgement: both deadlines required, in order.
	d := complaintData("fr")
	d.FirstResponseDue = time.Time{}
	if _, err := RenderComplaintAcknowledged(d); !errors.Is(err, ErrMissingComplaintDeadline) {
		t.Errorf("no first-response deadline: err = %v", err)
	}
	d = complaintData("fr")
	d.ResolutionDue = time.Time{}
	if _, err := RenderComplaintAcknowledged(d); !errors.Is(err, ErrMissingComplaintDeadline) {
		t.Errorf("no resolution deadline: err = %v", err)
	}
	d = complaintData("fr")
	d.FirstResponseDue, d.ResolutionDue = d.ResolutionDue, d.FirstResponseDue
	if _, err := RenderComplaintAcknowledged(d); !errors.Is(err, ErrInvalidComplaintDeadlines) {
		t.Errorf("inverted deadlines: err = %v", err)
	}
	if _, err := RenderComplaintReopened(d); !errors.Is(err, ErrInvalidComplaintDeadlines) {
		t.Errorf("reopened, inverted deadlines: err = %v", err)
	}
	d = complaintData("fr")
	d.ResolutionDue = d.FirstResponseDue
	if _, err := RenderComplaintAcknowledged(d); err != nil {
		t.Errorf("equal deadlines: err = %v", err)
	}
	// The citizen reminder announces its closing date: required.
	d = complaintData("ar")
	d.CloseAt = time.Time{}
	if _, err := RenderComplaintCitizenReminder(d); !errors.Is(err, ErrMissingComplaintDeadline) {
		t.Errorf("citizen reminder without its closing date: err = %v", err)
	}
	if _, err := RenderComplaintClosedUnanswered(d); err != nil {
		t.Errorf("closed unanswered must not need a date: %v", err)
	}
	// Deadlines are not needed (and not checked) by the other emails.
	for _, name := range complaintTextRenderers {
		d := complaintData("fr")
		d.FirstResponseDue, d.ResolutionDue = d.ResolutionDue, time.Time{}
		if _, err := complaintRenderers[name](d); err != nil {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// ----- staff notices -----

func staffNotice(kind, target string, level int) ComplaintStaffMailData {
	return ComplaintStaffMailData{Reference: testComplaintRef, Kind: kind, Target: target, DueAt: testExpiry, Level: level}
}

func TestComplaintStaffNotice(t *testing.T) {
	cases := []struct {
		d              ComplaintStaffMailData
		subjFR, subjAR string
		fr, ar         string
		levelFR        string
		levelAR        string
	}{
		{staffNotice("reminder", "first_response", 0),
			"OC Connect : rappel d'échéance, réclamation REC-2026-000123", "OC Connect: تذكير بأجل الشكاية REC-2026-000123",
			"Rappel : la réponse initiale de la réclamation REC-2026-000123 est due le 02/12/2026 14:05 (heure de Casablanca).",
			"تذكير: يجب تقديم الرد الأولي على الشكاية REC-2026-000123 في أجل أقصاه 02/12/2026 14:05 (بتوقيت الدار البيضاء).",
			"agent", "الموظف"},
		{staffNotice("reminder", "resolution", 1),
			"OC Connect : rappel d'échéance, réclamation REC-2026-000123", "OC Connect: تذكير بأجل الشكاية REC-2026-000123",
			"Rappel : la résolution de la réclamation REC-2026-000123 est due le 02/12/2026 14:05 (heure de Casablanca).",
			"تذكير: يجب البت في الشكاية REC-2026-000123 في أجل أقصاه 02/12/2026 14:05 (بتوقيت الدار البيضاء).",
			"superviseur", "المشرف"},
		{staffNotice(" Reminder ", "RESOLUTION", 2),
			"OC Connect : rappel d'échéance, réclamation REC-2026-000123", "OC Connect: تذكير بأجل الشكاية REC-2026-000123",
			"Rappel : la résolution de la réclamation REC-2026-000123 est due le 02/12/2026 14:05 (heure de Casablanca).",
			"تذكير: يجب البت في الشكاية REC-2026-000123 في أجل أقصاه 02/12/2026 14:05 (بتوقيت الدار البيضاء).",
			"chef d'unité", "رئيس الوحدة"},
		{staffNotice("escalation", "first_response", 1),
			"OC Connect : réclamation REC-2026-000123 transférée au niveau superviseur", "OC Connect: إحالة الشكاية REC-2026-000123 إلى مستوى المشرف",
			"L'objectif de réponse initiale de la réclamation REC-2026-000123 a été dépassé le 02/12/2026 14:05 (heure de Casablanca) ; la réclamation passe au niveau superviseur.",
			"تم تجاوز أجل الرد الأولي على الشكاية REC-2026-000123 بتاريخ 02/12/2026 14:05 (بتوقيت الدار البيضاء)؛ وقد أُحيلت الشكاية إلى مستوى المشرف.",
			"superviseur", "المشرف"},
		{staffNotice("escalation", "resolution", 2),
			"OC Connect : réclamation REC-2026-000123 transférée au niveau chef d'unité", "OC Connect: إحالة الشكاية REC-2026-000123 إلى مستوى رئيس الوحدة",
			"L'objectif de résolution de la réclamation REC-2026-000123 a été dépassé le 02/12/2026 14:05 (heure de Casablanca) ; la réclamation passe au niveau chef d'unité.",
			"تم تجاوز أجل البت في الشكاية REC-2026-000123 بتاريخ 02/12/2026 14:05 (بتوقيت الدار البيضاء)؛ وقد أُحيلت الشكاية إلى مستوى رئيس الوحدة.",
			"chef d'unité", "رئيس الوحدة"},
	}
	for _, c := range cases {
		t.Run(c.d.Kind+"/"+c.d.Target, func(t *testing.T) {
			m, err := RenderComplaintStaffNotice(c.d)
			if err != nil {
				t.Fatal(err)
			}
			if want := c.subjFR + " / " + c.subjAR; m.Subject != want {
				t.Errorf("subject = %q, want %q", m.Subject, want)
			}
			// Always French first.
			if !frFirst(t, m.Text) || !frFirst(t, m.HTML) || !strings.Contains(m.HTML, `<html lang="fr" dir="ltr">`) {
				t.Errorf("staff notice must be French first")
			}
			first, second := textSections(t, m.Text)
			if !strings.HasPrefix(first, "Bonjour,") || !strings.HasPrefix(second, "مرحبًا،") {
				t.Errorf("unexpected greetings (no name expected):\n%s", m.Text)
			}
			for _, want := range []string{c.fr, "Référence : " + testComplaintRef, "Échéance : 02/12/2026 14:05 (heure de Casablanca)", "Niveau de traitement : " + c.levelFR} {
				if !hasLine(first, want) {
					t.Errorf("French text lacks line %q:\n%s", want, first)
				}
			}
			for _, want := range []string{c.ar, "المرجع: " + testComplaintRef, "الأجل المحدد: 02/12/2026 14:05 (بتوقيت الدار البيضاء)", "مستوى المعالجة: " + c.levelAR} {
				if !hasLine(second, want) {
					t.Errorf("Arabic text lacks line %q:\n%s", want, second)
				}
			}
			frHTML, arHTML := htmlSections(t, m.HTML)
			if !strings.Contains(frHTML, `<strong dir="ltr">`+testComplaintRef+`</strong>`) || !strings.Contains(arHTML, `<strong dir="ltr">`+testComplaintRef+`</strong>`) {
				t.Errorf("HTML lacks the reference")
			}
			if !strings.Contains(frHTML, "02/12/2026 14:05 (heure de Casablanca)") || !strings.Contains(arHTML, `<span dir="ltr">02/12/2026 14:05</span> (بتوقيت الدار البيضاء)`) {
				t.Errorf("HTML lacks the deadline")
			}
			if !strings.Contains(frHTML, c.levelFR) || !strings.Contains(arHTML, c.levelAR) {
				t.Errorf("HTML lacks the level")
			}
			if strings.Contains(m.HTML, "<a ") || strings.Contains(m.Text, "Accéder au back-office") {
				t.Errorf("console link present without ConsoleURL")
			}
			checkHTMLDocument(t, m.HTML)
		})
	}
}

func TestComplaintStaffNoticeDueInCasablanca(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	d := staffNotice("reminder", "first_response", 0)
	d.DueAt = time.Date(2026, 7, 1, 23, 30, 0, 0, time.UTC).In(ny)
	m, err := RenderComplaintStaffNotice(d)
	if err != nil {
		t.Fatal(err)
	}
	if !hasLine(m.Text, "Échéance : 02/07/2026 00:30 (heure de Casablanca)") || !hasLine(m.Text, "الأجل المحدد: 02/07/2026 00:30 (بتوقيت الدار البيضاء)") {
		t.Errorf("due time not in Casablanca time:\n%s", m.Text)
	}
}

func TestComplaintStaffNoticeConsoleURL(t *testing.T) {
	d := staffNotice("escalation", "resolution", 1)
	d.ConsoleURL = "https://backoffice.oc.gov.ma/complaints/REC-2026-000123?tab=history&x=1"
	m, err := RenderComplaintStaffNotice(d)
	if err != nil {
		t.Fatal(err)
	}
	if !hasLine(m.Text, "Accéder au back-office : "+d.ConsoleURL) || !hasLine(m.Text, "الولوج إلى واجهة الإدارة: "+d.ConsoleURL) {
		t.Errorf("text lacks the console link lines:\n%s", m.Text)
	}
	const escapedURL = "https://backoffice.oc.gov.ma/complaints/REC-2026-000123?tab=history&amp;x=1"
	if n := strings.Count(m.HTML, `<a href="`+escapedURL+`" dir="ltr"`); n != 2 {
		t.Errorf("HTML has %d console links, want 2", n)
	}
	checkHTMLDocument(t, strings.ReplaceAll(m.HTML, escapedURL, "URL"))

	for _, bad := range []string{"javascript:alert(1)", "/complaints/1", "ftp://x.ma/", "https://bo.oc.gov.ma/\nFake: line", "https://user:pw@bo.oc.gov.ma/"} {
		d.ConsoleURL = bad
		if _, err := RenderComplaintStaffNotice(d); !errors.Is(err, ErrInvalidConsoleURL) {
			t.Errorf("ConsoleURL %q: err = %v", bad, err)
		}
	}
}

// TestComplaintStaffNoticeNoPersonalData: the input type has no room for
// personal data, and the output carries nothing but the passed values and
// fixed wording.
func TestComplaintStaffNoticeNoPersonalData(t *testing.T) {
	var fields []string
	typ := reflect.TypeFor[ComplaintStaffMailData]()
	for i := range typ.NumField() {
		fields = append(fields, typ.Field(i).Name)
	}
	if want := []string{"Reference", "Kind", "Target", "DueAt", "Level", "ConsoleURL"}; !reflect.DeepEqual(fields, want) {
		t.Fatalf("ComplaintStaffMailData fields = %v, want %v: review the staff notice for personal data", fields, want)
	}

	for _, kind := range []string{"reminder", "escalation"} {
		a := ComplaintStaffMailData{Reference: "REC-2026-000111", Kind: kind, Target: "resolution", DueAt: testExpiry, Level: 1, ConsoleURL: "https://a.oc.gov.ma/x"}
		b := ComplaintStaffMailData{Reference: "REC-2027-000222", Kind: kind, Target: "resolution", DueAt: testExpiry.Add(49 * time.Hour), Level: 1, ConsoleURL: "https://a.oc.gov.ma/y"}
		mask := func(m Message, d ComplaintStaffMailData) string {
			return strings.NewReplacer(d.Reference, "{REF}", FormatCasablanca(d.DueAt), "{DUE}", d.ConsoleURL, "{URL}").
				Replace(m.Subject + "\n" + m.Text + "\n" + m.HTML)
		}
		ma, err := RenderComplaintStaffNotice(a)
		if err != nil {
			t.Fatal(err)
		}
		mb, err := RenderComplaintStaffNotice(b)
		if err != nil {
			t.Fatal(err)
		}
		if mask(ma, a) != mask(mb, b) {
			t.Errorf("%s: staff notice depends on something else than the passed values", kind)
		}
		for _, bad := range []string{"CIN", "Bonjour ", "مرحبًا ", "@", "MAD", "درهم", "05 37", "Objet", "الموضوع", "Catégorie"} {
			if strings.Contains(ma.Text, bad) || strings.Contains(ma.HTML, bad) {
				t.Errorf("%s: staff notice contains %q", kind, bad)
			}
		}
	}
}

func TestComplaintStaffNoticeValidation(t *testing.T) {
	check := func(d ComplaintStaffMailData, want error) {
		t.Helper()
		if _, err := RenderComplaintStaffNotice(d); !errors.Is(err, want) {
			t.Errorf("%+v: err = %v, want %v", d, err, want)
		}
	}
	for _, k := range []string{"", "remind", "escalate", "rappel"} {
		check(staffNotice(k, "resolution", 1), ErrUnknownNoticeKind)
	}
	for _, target := range []string{"", "first", "first-response", "résolution"} {
		check(staffNotice("reminder", target, 1), ErrUnknownNoticeTarget)
	}
	for _, l := range []int{-1, 3, 10} {
		check(staffNotice("reminder", "resolution", l), ErrInvalidLevel)
		check(staffNotice("escalation", "resolution", l), ErrInvalidLevel)
	}
	check(staffNotice("escalation", "first_response", 0), ErrInvalidLevel) // an escalation moves up
	d := staffNotice("reminder", "resolution", 0)
	d.DueAt = time.Time{}
	check(d, ErrMissingDueAt)
	d = staffNotice("reminder", "resolution", 0)
	d.Reference = ""
	check(d, ErrMissingComplaintReference)
	d.Reference = "REC-2026-1\nÉchéance : 01/01/2000 00:00"
	check(d, ErrInvalidComplaintReference)
	for _, l := range []int{0, 1, 2} {
		if _, err := RenderComplaintStaffNotice(staffNotice("reminder", "first_response", l)); err != nil {
			t.Errorf("reminder at level %d: %v", l, err)
		}
	}
}
