package domain

import "testing"

func TestCategoryLabel(t *testing.T) {
	cases := []struct{ category, fr, ar string }{
		{CategoryExchangePointService, "Service d'un point de change", "خدمة نقطة الصرف"},
		{CategoryAllowanceBalance, "Solde des dotations", "رصيد المخصصات"},
		{CategoryDTS, "Dotation touristique supplémentaire (DTS)", "المخصص السياحي الإضافي"},
		{CategoryAppAccess, "Accès à l'application", "الولوج إلى التطبيق"},
		{CategoryOther, "Autre", "أخرى"},
		{"unknown_code", "unknown_code", "unknown_code"},
		{"", "", ""},
	}
	for _, c := range cases {
		for _, lang := range []string{"fr", "en", ""} {
			if got := CategoryLabel(c.category, lang); got != c.fr {
				t.Errorf("CategoryLabel(%q, %q) = %q, want %q", c.category, lang, got, c.fr)
			}
		}
		if got := CategoryLabel(c.category, "ar"); got != c.ar {
			t.Errorf("CategoryLabel(%q, ar) = %q, want %q", c.category, got, c.ar)
		}
	}
	for _, c := range ComplaintCategories {
		if CategoryLabel(c, "fr") == c || CategoryLabel(c, "ar") == c {
			t.Errorf("category %q has no label", c)
		}
	}
}
