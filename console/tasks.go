package console

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"occonnect/domain"
	"occonnect/service"
	"occonnect/store"
)

// SLA states of a task at a glance.
const (
	slaOnTime  = "on_time"
	slaDueSoon = "due_soon"
	slaOverdue = "overdue"
	slaPaused  = "paused"
	slaClosed  = "closed"
)

// slaState: overdue past the deadline, due soon in the last quarter of the time it gave
// (when the complaint reminders go out), paused while a complaint waits for the citizen.
func slaState(now, start, due time.Time, open, paused bool) string {
	switch {
	case !open:
		return slaClosed
	case paused:
		return slaPaused
	case !now.Before(due):
		return slaOverdue
	case due.Sub(now) <= due.Sub(start)/4:
		return slaDueSoon
	}
	return slaOnTime
}

// taskRow is a task as the console shows it, with its subject in a few words.
type taskRow struct {
	store.Task
	Title         string // the complaint's subject, or the DTS request in figures
	CategoryLabel string
	SubjectStatus string
	SLA           string
	Due           time.Time // the deadline that counts now (the store moves a complaint's to its resolution once answered)
	Assignee      string    // "" none, else an e-mail
	Mine          bool
}

// staffEmail names a staff member among those who work tasks.
func staffEmail(staff []service.Worker, id int64) string {
	for _, m := range staff {
		if m.ID == id {
			return m.Email
		}
	}
	return "#" + strconv.FormatInt(id, 10)
}

// row makes the list's (and the detail's) row of a task, with its subject from subj.
func (c *Console) row(v *view, t store.Task, staff []service.Worker, subj service.Subjects) (taskRow, error) {
	row := taskRow{Task: t, Due: t.DueAt, Mine: t.AssigneeStaffID.Valid && t.AssigneeStaffID.Int64 == v.principal.ID}
	if t.AssigneeStaffID.Valid {
		row.Assignee = staffEmail(staff, t.AssigneeStaffID.Int64)
	}
	paused := false
	switch t.Kind {
	case domain.TaskComplaint:
		x, ok := subj.Complaints[t.SubjectID]
		if !ok {
			return row, fmt.Errorf("task %s: complaint: %w", t.ID, store.ErrNotFound)
		}
		row.Title, row.CategoryLabel = x.Subject, domain.CategoryLabel(x.Category, v.Lang)
		row.SubjectStatus = v.T("complaint." + string(x.Status))
		paused = x.PausedAt.Valid
	case domain.TaskDTS:
		d, ok := subj.DTS[t.SubjectID]
		if !ok {
			return row, fmt.Errorf("task %s: DTS request: %w", t.ID, store.ErrNotFound)
		}
		row.Title = fmt.Sprintf(v.T("dts.title"), d.Year, v.MAD(d.IRAmountMAD))
		row.CategoryLabel = v.T("kind.dts")
		row.SubjectStatus = v.T("dts." + string(d.Status))
	}
	row.SLA = slaState(c.now(), t.CreatedAt, row.Due, t.State.Open(), paused)
	return row, nil
}

type tab struct {
	Key, Href string
	Active    bool
}

type option struct {
	Value, Label string
	Selected     bool
}

type tasksData struct {
	Tabs       []tab
	Hidden     map[string]string // the tab's own parameters, kept by the filter form
	Kinds      []option
	Categories []option
	Levels     []option
	Overdue    bool
	Done       bool
	Rows       []taskRow
	Next       string
}

// taskList: GET /console/tasks with the parameters of GET /api/v1/tasks (the same use
// case): the tabs set state, assignee or queue; the filter form kind, category,
// escalation_level and overdue.
func (c *Console) taskList(w http.ResponseWriter, r *http.Request, v *view) error {
	q := r.URL.Query()
	limit := q.Get("limit")
	if limit == "" {
		limit = "50"
	}
	ctx := r.Context()
	tasks, err := c.tasks.List(ctx, v.principal, service.TaskQuery{State: q.Get("state"), Kind: q.Get("kind"),
		Category: q.Get("category"), EscalationLevel: q.Get("escalation_level"), Queue: q.Get("queue"),
		Assignee: q.Get("assignee"), Overdue: q.Get("overdue"), Page: service.PageRequest{Limit: limit, Cursor: q.Get("cursor")}})
	if err != nil {
		return err
	}
	staff, err := c.tasks.Workers(ctx)
	if err != nil {
		return err
	}
	subj, err := c.tasks.Subjects(ctx, tasks.Items)
	if err != nil {
		return err
	}
	d := tasksData{Hidden: map[string]string{}, Overdue: q.Get("overdue") == "true", Done: q.Get("state") == "done"}
	for _, t := range tasks.Items {
		row, err := c.row(v, t, staff, subj)
		if err != nil {
			return err
		}
		if d.Overdue && row.SLA != slaOverdue {
			continue // a complaint waiting for the citizen: its clock is stopped
		}
		d.Rows = append(d.Rows, row)
	}
	if tasks.Next != "" {
		nq := url.Values{}
		for k, vals := range q {
			nq[k] = vals
		}
		nq.Set("cursor", tasks.Next)
		d.Next = "/console/tasks?" + nq.Encode()
	}

	current := "open"
	tabParams := map[string][2]string{"mine": {"assignee", "me"}, "done": {"state", "done"}, "escalated": {"queue", "escalated"}}
	for key, kv := range tabParams {
		if q.Get(kv[0]) == kv[1] {
			current, d.Hidden[kv[0]] = key, kv[1]
		}
	}
	tabs := []string{"open", "mine", "done"}
	if v.Staff.Role != domain.RoleOfficer {
		tabs = append(tabs, "escalated")
	}
	for _, key := range tabs {
		href := "/console/tasks"
		if kv, ok := tabParams[key]; ok {
			href += "?" + kv[0] + "=" + kv[1]
		}
		d.Tabs = append(d.Tabs, tab{Key: key, Href: href, Active: key == current})
	}
	opt := func(value, label, selected string) option {
		return option{Value: value, Label: label, Selected: value == selected}
	}
	d.Kinds = []option{opt("", v.T("all"), q.Get("kind")), opt("complaint", v.T("kind.complaint"), q.Get("kind")),
		opt("dts", v.T("kind.dts"), q.Get("kind"))}
	d.Categories = []option{opt("", v.T("all"), q.Get("category"))}
	for _, cat := range domain.ComplaintCategories {
		d.Categories = append(d.Categories, opt(cat, domain.CategoryLabel(cat, v.Lang), q.Get("category")))
	}
	d.Levels = []option{opt("", v.T("all"), q.Get("escalation_level"))}
	for level := range 3 {
		l := strconv.Itoa(level)
		d.Levels = append(d.Levels, opt(l, v.T("level."+l), q.Get("escalation_level")))
	}
	v.Data = d
	c.render(w, r, http.StatusOK, "tasks", v)
	return nil
}

type event struct {
	Action, Who, Detail string
	At                  time.Time
}

// message is a message of a complaint's conversation.
type message struct {
	Author, Kind, Body string
	CreatedAt          time.Time
}

// complaintView is a complaint as the task page shows it.
type complaintView struct {
	CitizenName, CINMasked, CategoryLabel string
	ExchangePointCode                     *string
	CreatedAt                             time.Time
	FirstResponseDueAt, ResolutionDueAt   *time.Time
	Paused                                bool
	Messages                              []message
}

// dtsView is a DTS request as the task page shows it, with its figures and, once
// decided, its decision.
type dtsView struct {
	CitizenName, CINMasked              string
	FiscalYear, Year                    int
	IRAmountMAD                         int64
	AttestationReference                string
	CreatedAt                           time.Time
	SupplementMAD, BaseMAD, CapTotalMAD *int64
	TotalMAD                            int64
	RatePercent                         string
	Decision                            *dtsDecision
}

// dtsDecision is how a DTS request was decided (approved, rejected, cancelled).
type dtsDecision struct {
	Outcome   string
	Comment   *string
	DecidedAt time.Time
}

type taskData struct {
	Task        taskRow
	Complaint   *complaintView
	DTS         *dtsView
	Events      []event
	CanClaim    bool
	CanRelease  bool
	CanComplete bool
	CanReassign bool
	Waiting     bool
	Outcomes    []string
	Staff       []service.Worker
	IdemKey     string
}

func nullable[T any](v T, ok bool) *T {
	if !ok {
		return nil
	}
	return &v
}

func newComplaintView(x *service.Complaint, lang string) *complaintView {
	cv := &complaintView{CitizenName: x.Citizen.FirstName + " " + x.Citizen.LastName, CINMasked: domain.MaskCIN(x.Citizen.CIN),
		CategoryLabel: domain.CategoryLabel(x.Category, lang), ExchangePointCode: nullable(x.ExchangePointCode.String, x.ExchangePointCode.Valid),
		CreatedAt: x.CreatedAt, ResolutionDueAt: nullable(x.ResolutionDueAt.Time, x.ResolutionDueAt.Valid), Paused: x.PausedAt.Valid}
	if !x.FirstResponseAt.Valid && !x.PausedAt.Valid { // met or paused: no deadline to show
		cv.FirstResponseDueAt = nullable(x.FirstResponseDueAt.Time, x.FirstResponseDueAt.Valid)
	}
	for _, m := range x.Messages {
		cv.Messages = append(cv.Messages, message{Author: m.Author, Kind: m.Kind, Body: m.Body, CreatedAt: m.CreatedAt})
	}
	return cv
}

func newDTSView(d *store.DTSRequest, c *store.Citizen) *dtsView {
	dv := &dtsView{CitizenName: c.FirstName + " " + c.LastName, CINMasked: domain.MaskCIN(c.CIN), FiscalYear: d.FiscalYear,
		Year: d.Year, IRAmountMAD: d.IRAmountMAD, AttestationReference: d.AttestationReference, CreatedAt: d.CreatedAt,
		SupplementMAD: nullable(d.SupplementMAD.Int64, d.SupplementMAD.Valid), BaseMAD: nullable(d.BaseMAD.Int64, d.BaseMAD.Valid),
		CapTotalMAD: nullable(d.CapTotalMAD.Int64, d.CapTotalMAD.Valid)}
	if d.BaseMAD.Valid && d.SupplementMAD.Valid {
		dv.TotalMAD = d.BaseMAD.Int64 + d.SupplementMAD.Int64
	}
	if d.RateBP.Valid {
		dv.RatePercent = strconv.FormatFloat(float64(d.RateBP.Int64)/100, 'f', -1, 64) + "\u00a0%"
	}
	if d.Decision.Valid && d.DecidedAt.Valid {
		dv.Decision = &dtsDecision{Outcome: d.Decision.String, Comment: nullable(d.DecisionComment.String, d.DecisionComment.Valid),
			DecidedAt: d.DecidedAt.Time}
	}
	return dv
}

// task: GET /console/tasks/{id}: the task, its subject (the complaint and its
// conversation, or the DTS request with its figures), its history and the actions.
func (c *Console) task(w http.ResponseWriter, r *http.Request, v *view) error {
	if done := r.URL.Query().Get("done"); done != "" {
		v.Notice = v.T("done." + done)
	}
	return c.renderTask(w, r, v, http.StatusOK)
}

func (c *Console) renderTask(w http.ResponseWriter, r *http.Request, v *view, status int) error {
	ctx := r.Context()
	p := v.principal
	t, err := c.tasks.Get(ctx, p, mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	staff, err := c.tasks.Workers(ctx)
	if err != nil {
		return err
	}
	subj := service.Subjects{Complaints: map[string]store.Complaint{}, DTS: map[string]store.DTSRequest{}}
	switch {
	case t.Complaint != nil:
		subj.Complaints[t.SubjectID] = t.Complaint.Complaint
	case t.DTS != nil:
		subj.DTS[t.SubjectID] = *t.DTS
	}
	row, err := c.row(v, t.Task, staff, subj)
	if err != nil {
		return err
	}
	d := taskData{Task: row, Staff: staff}
	switch {
	case t.Complaint != nil:
		d.Complaint = newComplaintView(t.Complaint, v.Lang)
		d.Waiting = t.Complaint.Status == domain.ComplaintWaitingForCitizen
		d.Outcomes = []string{domain.OutcomeRequestInfo, domain.OutcomeResolve, domain.OutcomeReject}
	case t.DTS != nil:
		d.DTS = newDTSView(t.DTS, t.Citizen)
		d.Outcomes = []string{domain.OutcomeApprove, domain.OutcomeReject}
	}
	for _, e := range t.Events {
		who := v.T("system")
		if e.StaffID.Valid {
			who = staffEmail(staff, e.StaffID.Int64)
		}
		d.Events = append(d.Events, event{Action: e.Action, Who: who, Detail: e.Detail.String, At: e.At})
	}
	d.CanClaim = t.State == domain.TaskOpen && slices.Contains(p.Role().Queues(), t.Queue)
	d.CanRelease = t.State == domain.TaskClaimed && row.Mine && !d.Waiting
	d.CanComplete = d.CanRelease
	d.CanReassign = t.State.Open() && p.Role().Reassigns()
	var key [12]byte
	_, _ = rand.Read(key[:])
	d.IdemKey = hex.EncodeToString(key[:])
	v.Data = d
	c.render(w, r, status, "task", v)
	return nil
}

// taskAction: POST /console/tasks/{id}/claim|release|complete|reassign: the task use
// cases of POST /api/v1/tasks/{id}/…; then back to the task, or the task again with the
// errors next to the fields.
func (c *Console) taskAction(w http.ResponseWriter, r *http.Request, v *view) error {
	ctx, p, vars := r.Context(), v.principal, mux.Vars(r)
	id, action := vars["id"], vars["action"]
	var err error
	done := action
	switch action {
	case "claim":
		_, err = c.tasks.Claim(ctx, p, id, "")
	case "release":
		_, err = c.tasks.Release(ctx, p, id, "")
	case "complete":
		in := service.Completion{Outcome: r.PostForm.Get("outcome"), Comment: r.PostForm.Get("comment"), IdempotencyKey: r.PostForm.Get("idem")}
		_, err = c.tasks.Complete(ctx, p, id, in)
		done = in.Outcome
	case "reassign":
		raw := strings.TrimSpace(r.PostForm.Get("assignee_staff_id"))
		to, perr := strconv.ParseInt(raw, 10, 64)
		if perr != nil && raw != "" {
			err = &service.Refusal{Reason: service.Invalid, Fields: []service.FieldError{{Field: "assignee_staff_id", Code: "invalid"}}}
			break
		}
		_, err = c.tasks.Reassign(ctx, p, id, to, "")
	}
	if err != nil {
		status := c.message(r, v, err)
		if status == http.StatusNotFound || status == http.StatusUnauthorized {
			return err
		}
		return c.renderTask(w, r, v, status)
	}
	http.Redirect(w, r, "/console/tasks/"+url.PathEscape(id)+"?done="+url.QueryEscape(done), http.StatusSeeOther)
	return nil
}
