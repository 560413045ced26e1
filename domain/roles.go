package domain

import "slices"

// Role is a staff member's role. It decides the routes a staff member may call and the
// task queues they see and work.
type Role string

// Staff roles.
const (
	// RoleAgent works at an exchange point: enrols citizens and records currency sales.
	RoleAgent Role = "agent"
	// RoleOfficer handles complaints and DTS requests (first level).
	RoleOfficer Role = "officer"
	// RoleSupervisor supervises the officers (second level of escalation).
	RoleSupervisor Role = "supervisor"
	// RoleHeadOfUnit is the third level of complaint escalation.
	RoleHeadOfUnit Role = "head_of_unit"
	// RoleAdmin manages staff accounts, rules, holidays, exchange points and the FAQ.
	RoleAdmin Role = "admin"
)

// Roles lists every role.
var Roles = []Role{RoleAgent, RoleOfficer, RoleSupervisor, RoleHeadOfUnit, RoleAdmin}

// TaskRoles are the roles that work officer tasks, lowest level first.
var TaskRoles = []Role{RoleOfficer, RoleSupervisor, RoleHeadOfUnit}

// ValidRole reports whether r is one of the staff roles.
func ValidRole(r string) bool { return slices.Contains(Roles, Role(r)) }

// WorksTasks reports whether the role works officer tasks.
func (r Role) WorksTasks() bool { return slices.Contains(TaskRoles, r) }

// Reassigns reports whether the role may give a task to another staff member.
func (r Role) Reassigns() bool { return r == RoleSupervisor || r == RoleHeadOfUnit }

// level is the role's rank among the task roles: 1 officer, 2 supervisor, 3 head of
// unit; 0 for the roles that work no task.
func (r Role) level() int { return slices.Index(TaskRoles, r) + 1 }

// Queues are the task queues the role sees: those of its level and below (officers: the
// officers'; supervisors: the officers' and the supervisors'; head of unit: all).
func (r Role) Queues() []Queue {
	if n := r.level(); n > 0 {
		return slices.Clone(Queues[:n])
	}
	return nil
}

// MayWork reports whether the role may claim a task of queue q: a queue is open to its
// level and the levels above it.
func (r Role) MayWork(q Queue) bool {
	need := q.level()
	return need > 0 && r.level() >= need
}

// EscalationRole is the role that works a complaint at an escalation level: 0 officers,
// 1 supervisors, 2 and above the head of unit.
func EscalationRole(level int) Role {
	return TaskRoles[min(max(level, 0), len(TaskRoles)-1)]
}
