package domain

import (
	"reflect"
	"testing"
)

func TestNormalizeSearch(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		// French: case, accents, punctuation, spaces.
		{"DOTATION Touristique", "dotation touristique"},
		{"Réclamation", "reclamation"},
		{"  Où   déposer\tune\nréclamation ?  ", "ou deposer une reclamation"},
		{"Comment l’activer ? (compte, e-mail…)", "comment l activer compte e mail"},
		{"Ça a été créé à Noël, œuvre & cœur", "ca a ete cree a noel oeuvre coeur"},
		{"ÉLÈVE Àgé", "eleve age"},
		{"« Mes dotations »", "mes dotations"},
		{"30 % de l’IR", "30 de l ir"},
		{"REC-2026-000123", "rec 2026 000123"},
		{"occonnect@oc.gov.ma", "occonnect oc gov ma"},
		// Thousands separators: space, no-break spaces, dot, comma; years stay apart.
		{"100 000 MAD", "100000 mad"},
		{"100\u00a0000 MAD et 1\u202f500\u202f000 MAD", "100000 mad et 1500000 mad"},
		{"100.000 درهم", "100000 درهم"},
		{"1,500,000", "1500000"},
		{"en 2026 100 000 MAD", "en 2026 100000 mad"},
		{"05 37 26 63 63", "05 37 26 63 63"},
		{"2,5 %", "2 5"},
		// Arabic: tashkeel, tatweel, alef forms, alef maqsura, teh marbuta, hamza carriers.
		{"الْمُخَصَّصُ", "المخصص"},
		{"مـــخـصـص", "مخصص"},
		{"أإآٱا", "ااااا"},
		{"إعادة", "اعاده"},
		{"مستشفى", "مستشفي"},
		{"مسؤول", "مسوول"},
		{"رئيس", "رييس"},
		{"الشكايةُ، والمخصصات؟", "الشكايه والمخصصات"},
		{"قُرْآن", "قران"},
		{"كلمة المرور", "كلمه المرور"},
		{"\ufeff\ufefb", "لا"}, // BOM, then the lam-alef ligature (presentation form)
		// Digits.
		{"٢٠٢٦ و۱۲۳", "2026 و123"},
		{"١٠٠٬٠٠٠ درهم", "100000 درهم"},
		// Mixed and empty.
		{"OC Connect : تفعيل الحساب", "oc connect تفعيل الحساب"},
		{"", ""},
		{" ?! … ", ""},
	} {
		if got := NormalizeSearch(c.in); got != c.want {
			t.Errorf("NormalizeSearch(%q) = %q, want %q", c.in, got, c.want)
		}
		if again := NormalizeSearch(NormalizeSearch(c.in)); again != NormalizeSearch(c.in) {
			t.Errorf("NormalizeSearch is not stable on %q: %q then %q", c.in, NormalizeSearch(c.in), again)
		}
	}
}

func TestSearchTokens(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"à l’activation d’un compte", []string{"activation", "un", "compte"}},
		{"Compte COMPTE compte", []string{"compte"}},
		{"و ب كلمة", []string{"كلمه"}},
		{"a ?", nil},
		{"", nil},
	} {
		if got := SearchTokens(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("SearchTokens(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestMatchAll(t *testing.T) {
	const (
		tourismFR = "Qu’est-ce que la dotation touristique ? Elle s’élève à 100 000 MAD par personne."
		complaint = "Comment déposer une réclamation ? Vous recevez une référence REC-2026-000123."
		activate  = "Activer mon compte : saisissez votre CIN et le mot de passe provisoire."
		tourismAR = "ما هو المخصص السياحي؟ يبلغ 100.000 درهم للشخص الواحد في السنة الميلادية."
		reopenAR  = "يمكنك إعادة فتح الشكاية داخل أجل 14 يوما."
		passAR    = "اختر كلمة مرور جديدة، ثم أدخل كلمة المرور المؤقتة."
	)
	for _, c := range []struct {
		haystack, query string
		want            bool
	}{
		// French: case, accents (either side), order, prefixes, every word needed.
		{tourismFR, "DOTATION Touristique", true},
		{tourismFR, "dotation touristique", true},
		{tourismFR, "touristique dotation", true},
		{tourismFR, "dotation scolarité", false},
		{complaint, "reclamation", true},
		{complaint, "RÉCLAMATION", true},
		{"reclamation sans accent", "réclamation", true},
		{activate, "ACTIVER", true},
		{activate, "activ", true},
		{activate, "activé", true},      // "active" is the start of "activer"
		{activate, "activation", false}, // substring, not stemming
		{activate, "mot de passe", true},
		{activate, "mot-de-passe", true},
		{activate, "mot de passe oublié", false},
		{activate, "à l’", true}, // only short words: matches everything
		{activate, "", true},
		// Numbers, however the thousands are written.
		{tourismFR, "100000", true},
		{tourismFR, "100 000 MAD", true},
		{tourismFR, "100.000", true},
		{tourismFR, "500 000", false},
		{tourismAR, "100 000 درهم", true},
		{tourismAR, "١٠٠٠٠٠", true},
		{complaint, "REC-2026-000123", true},
		{complaint, "rec 2026", true},
		// Arabic: the article on either side, tashkeel, alef forms, teh marbuta.
		{tourismAR, "المخصص", true},
		{tourismAR, "مخصص", true},
		{"مخصص الدراسة", "المخصص", true},
		{"مخصص الدراسة", "بالمخصص", true},
		{"مخصص الدراسة", "للدراسة", true},
		{tourismAR, "الْمُخَصَّص", true},
		{tourismAR, "المخصص السياحي", true},
		{tourismAR, "السياحى", true}, // ى for ي
		{tourismAR, "المخصص الدراسي", false},
		{reopenAR, "إعادة", true},
		{reopenAR, "اعادة", true},
		{reopenAR, "اعاده فتح", true},
		{reopenAR, "الشكاية", true},
		{reopenAR, "شكاية", true},
		{"قدم شكاية جديدة", "الشكاية", true},
		{"قدم شكاية جديدة", "الشكايات", false},
		{passAR, "كلمة المرور", true},
		{passAR, "كَلِمَةُ المُرُورِ", true},
		{passAR, "مرور", true},
		{passAR, "البطاقة", false},
		{passAR, "ال", true}, // the article alone is an ordinary 2-rune word
		{passAR, "الجديدة", true},
		{passAR, "القديمة", false},
		// Mixed.
		{"تطبيق OC Connect", "oc connect", true},
		{"تطبيق OC Connect", "connect التطبيق", true},
	} {
		if got := MatchAll(c.haystack, c.query); got != c.want {
			t.Errorf("MatchAll(%q, %q) = %v, want %v", c.haystack, c.query, got, c.want)
		}
	}
}
