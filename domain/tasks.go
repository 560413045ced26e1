package domain

import "slices"

// TaskKind is what an officer task is about.
type TaskKind string

// Task kinds.
const (
	TaskComplaint TaskKind = "complaint" // subject: a complaint reference
	TaskDTS       TaskKind = "dts"       // subject: a DTS request id
)

// TaskState is where an officer task stands: open → claimed ⇄ open → done, or cancelled.
type TaskState string

// Task states.
const (
	TaskOpen      TaskState = "open"
	TaskClaimed   TaskState = "claimed"
	TaskDone      TaskState = "done"
	TaskCancelled TaskState = "cancelled"
)

// Open reports whether work on the task is still to be done (open or claimed).
func (s TaskState) Open() bool { return s == TaskOpen || s == TaskClaimed }

// Queue is a task queue: one per escalation level.
type Queue string

// Task queues, by escalation level.
const (
	QueueOfficers    Queue = "officers"
	QueueSupervisors Queue = "supervisors"
	QueueHeadOfUnit  Queue = "head_of_unit"
)

// Queues lists the queues, lowest level first.
var Queues = []Queue{QueueOfficers, QueueSupervisors, QueueHeadOfUnit}

// level is the queue's rank: 1 officers, 2 supervisors, 3 head of unit; 0 for none.
func (q Queue) level() int { return slices.Index(Queues, q) + 1 }

// QueueForLevel is the queue of an escalation level: 0 officers, 1 supervisors, 2 and
// above the head of unit.
func QueueForLevel(level int) Queue {
	return Queues[min(max(level, 0), len(Queues)-1)]
}

// Task outcomes: a complaint is resolved, answered with a request for information or
// rejected; a DTS request approved or rejected.
const (
	OutcomeResolve     = "resolve"
	OutcomeRequestInfo = "request_info"
	OutcomeReject      = "reject"
	OutcomeApprove     = "approve"
)
