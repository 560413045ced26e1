package domain

import "slices"

// DTSStatus is where a request for the supplementary tourist allowance stands: pending
// until an officer decides (approved or rejected) or the citizen withdraws it (cancelled).
type DTSStatus string

// DTS request statuses.
const (
	DTSPending   DTSStatus = "pending"
	DTSApproved  DTSStatus = "approved"
	DTSRejected  DTSStatus = "rejected"
	DTSCancelled DTSStatus = "cancelled"
)

// DTSStatuses lists the statuses.
var DTSStatuses = []DTSStatus{DTSPending, DTSApproved, DTSRejected, DTSCancelled}

// ValidDTSStatus reports whether s is a DTS request status.
func ValidDTSStatus(s string) bool { return slices.Contains(DTSStatuses, DTSStatus(s)) }
