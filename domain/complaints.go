package domain

import (
	"slices"
	"time"
)

// Complaint categories (the app's choices).
const (
	CategoryExchangePointService = "exchange_point_service"
	CategoryAllowanceBalance     = "allowance_balance"
	CategoryDTS                  = "dts"
	CategoryAppAccess            = "app_access"
	CategoryOther                = "other"
)

// ComplaintCategories lists the categories in display order.
var ComplaintCategories = []string{CategoryExchangePointService, CategoryAllowanceBalance, CategoryDTS, CategoryAppAccess, CategoryOther}

// ValidComplaintCategory reports whether c is a category.
func ValidComplaintCategory(c string) bool { return slices.Contains(ComplaintCategories, c) }

// categoryLabels names the complaint categories in French and Arabic, as the app, the
// console and the e-mails show them.
var categoryLabels = map[string]label{
	CategoryExchangePointService: {"Service d'un point de change", "خدمة نقطة الصرف"},
	CategoryAllowanceBalance:     {"Solde des dotations", "رصيد المخصصات"},
	CategoryDTS:                  {"Dotation touristique supplémentaire (DTS)", "المخصص السياحي الإضافي"},
	CategoryAppAccess:            {"Accès à l'application", "الولوج إلى التطبيق"},
	CategoryOther:                {"Autre", "أخرى"},
}

// CategoryLabel names a complaint category in lang: Arabic for "ar", French for any other
// language. An unknown category is returned as it is.
func CategoryLabel(category, lang string) string {
	l, ok := categoryLabels[category]
	if !ok {
		return category
	}
	return l.in(lang)
}

// ComplaintStatus is where a complaint stands: submitted → in_queue → claimed →
// waiting_for_citizen ⇄ claimed → resolved → closed, or rejected.
type ComplaintStatus string

// Complaint statuses.
const (
	ComplaintSubmitted         ComplaintStatus = "submitted"
	ComplaintInQueue           ComplaintStatus = "in_queue"
	ComplaintClaimed           ComplaintStatus = "claimed"
	ComplaintWaitingForCitizen ComplaintStatus = "waiting_for_citizen"
	ComplaintResolved          ComplaintStatus = "resolved"
	ComplaintClosed            ComplaintStatus = "closed"
	ComplaintRejected          ComplaintStatus = "rejected"
)

// ComplaintStatuses lists the statuses in the order of the process.
var ComplaintStatuses = []ComplaintStatus{ComplaintSubmitted, ComplaintInQueue, ComplaintClaimed,
	ComplaintWaitingForCitizen, ComplaintResolved, ComplaintClosed, ComplaintRejected}

// ValidComplaintStatus reports whether s is a complaint status.
func ValidComplaintStatus(s string) bool {
	return slices.Contains(ComplaintStatuses, ComplaintStatus(s))
}

// ComplaintSnapshot is the complaint workflow's view of a complaint, written whole to the
// read model at each transition (Version: a late retried write of an older transition is
// ignored). It travels in the workflow's activity inputs: opaque ids, statuses and times
// only, never a text or a personal datum.
type ComplaintSnapshot struct {
	Reference            string
	Version              int
	Status               ComplaintStatus
	EscalationLevel      int
	Cycle                int
	TaskID               string
	FirstResponseDueAt   time.Time
	ResolutionDueAt      time.Time
	FirstResponseAt      time.Time
	PausedAt             time.Time
	FirstResponseOverdue bool
	ResolutionOverdue    bool
	ResolvedAt           time.Time
	ClosedAt             time.Time
	ReopenCount          int
}
