package api

// For the external tests (package api_test): the router's operations ("METHOD
// /path/{var}") and the types of the answers they decode.
var RouterRoutes = routerRoutes

type (
	ExchangePointJSON   = exchangePointJSON
	FAQJSON             = faqJSON
	FAQItemJSON         = faqItemJSON
	FAQAdminJSON        = faqAdminJSON
	StaffJSON           = staffJSON
	HolidaysJSON        = holidaysJSON
	ListResponse[T any] = listResponse[T]
)
