package domain

import "slices"

// FAQ categories, in display order.
const (
	FAQAccount        = "account"         // account and activation
	FAQAllowances     = "allowances"      // the allowances and their balances
	FAQDTS            = "dts"             // the supplementary tourist allowance
	FAQComplaints     = "complaints"      // filing and following a complaint
	FAQExchangePoints = "exchange_points" // finding and using an exchange point
	FAQApp            = "app"             // the app, personal data, contacts
)

// FAQCategories lists the categories in display order: lists are sorted by it, then by
// position.
var FAQCategories = []string{FAQAccount, FAQAllowances, FAQDTS, FAQComplaints, FAQExchangePoints, FAQApp}

// ValidFAQCategory reports whether c is one of FAQCategories (exactly).
func ValidFAQCategory(c string) bool { return slices.Contains(FAQCategories, c) }

// faqCategoryLabels name the FAQ categories in French and Arabic.
var faqCategoryLabels = map[string]label{
	FAQAccount:        {"Compte et activation", "الحساب والتفعيل"},
	FAQAllowances:     {"Dotations", "المخصصات"},
	FAQDTS:            {"Dotation touristique supplémentaire (DTS)", "المخصص السياحي الإضافي"},
	FAQComplaints:     {"Réclamations", "الشكايات"},
	FAQExchangePoints: {"Points de change", "نقاط الصرف"},
	FAQApp:            {"Application et données personnelles", "التطبيق والمعطيات الشخصية"},
}

// FAQCategoryLabel names a FAQ category in a language: Arabic for "ar", French otherwise;
// an unknown category is its code.
func FAQCategoryLabel(category, lang string) string {
	l, ok := faqCategoryLabels[category]
	if !ok {
		return category
	}
	return l.in(lang)
}
