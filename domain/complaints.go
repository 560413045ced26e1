package domain

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
func ValidComplaintCategory(c string) bool {
	for _, k := range ComplaintCategories {
		if c == k {
			return true
		}
	}
	return false
}

// Complaint statuses: submitted → in_queue → claimed → waiting_for_citizen ⇄ claimed →
// resolved → closed, or rejected.
const (
	ComplaintSubmitted         = "submitted"
	ComplaintInQueue           = "in_queue"
	ComplaintClaimed           = "claimed"
	ComplaintWaitingForCitizen = "waiting_for_citizen"
	ComplaintResolved          = "resolved"
	ComplaintClosed            = "closed"
	ComplaintRejected          = "rejected"
)

// RoleHeadOfUnit is the third level of complaint escalation.
const RoleHeadOfUnit = "head_of_unit"

// EscalationRole is the role that works a complaint at an escalation level: 0 officers,
// 1 supervisors, 2 and above the head of unit.
func EscalationRole(level int) string {
	switch {
	case level <= 0:
		return RoleOfficer
	case level == 1:
		return RoleSupervisor
	}
	return RoleHeadOfUnit
}
