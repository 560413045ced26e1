package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"occonnect/domain"
	"occonnect/mail"
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

// consoleTaskRow is a task as the console shows it, with its subject in a few words.
type consoleTaskRow struct {
	store.Task
	Title         string // the complaint's subject, or the DTS request in figures
	CategoryLabel string
	SubjectStatus string
	SLA           string
	Due           time.Time // the deadline that counts now (the store moves a complaint's to its resolution once answered)
	Assignee      string    // "" none, else an e-mail
	Mine          bool
}

// staffMember is a staff member who works tasks (the reassignment list, the audit trail).
type staffMember struct {
	ID    int64
	Email string
	Role  domain.Role
}

// taskStaff lists the enabled officers, supervisors and head of unit.
func (s *Server) taskStaff(ctx context.Context) ([]staffMember, error) {
	var out []staffMember
	for _, role := range domain.TaskRoles {
		list, err := s.store.StaffByRole(ctx, role)
		if err != nil {
			return nil, err
		}
		for _, c := range list {
			out = append(out, staffMember{ID: c.ID, Email: c.Email, Role: role})
		}
	}
	return out, nil
}

func staffEmail(staff []staffMember, id int64) string {
	for _, m := range staff {
		if m.ID == id {
			return m.Email
		}
	}
	return "#" + strconv.FormatInt(id, 10)
}

// taskSubjects are the complaints and DTS requests a page of tasks is about, read in one
// query per kind (not one per task).
type taskSubjects struct {
	complaints map[string]store.Complaint
	dts        map[string]store.DTSRequest
}

func (s *Server) taskSubjects(ctx context.Context, tasks []store.Task) (taskSubjects, error) {
	var refs, ids []string
	for _, t := range tasks {
		switch t.Kind {
		case "complaint":
			refs = append(refs, t.SubjectID)
		case "dts":
			ids = append(ids, t.SubjectID)
		}
	}
	var subj taskSubjects
	var err error
	if subj.complaints, err = s.store.ComplaintsByReferences(ctx, refs); err != nil {
		return subj, err
	}
	subj.dts, err = s.store.DTSRequestsByIDs(ctx, ids)
	return subj, err
}

// taskRow makes the list's (and the detail's) row of a task, with its subject from subj.
func (s *Server) taskRow(v *consoleView, t store.Task, staff []staffMember, subj taskSubjects) (consoleTaskRow, error) {
	open := t.State == domain.TaskOpen || t.State == domain.TaskClaimed
	row := consoleTaskRow{Task: t, Due: t.DueAt, Mine: t.AssigneeStaffID.Valid && t.AssigneeStaffID.Int64 == v.principal.id}
	if t.AssigneeStaffID.Valid {
		row.Assignee = staffEmail(staff, t.AssigneeStaffID.Int64)
	}
	paused := false
	switch t.Kind {
	case "complaint":
		c, ok := subj.complaints[t.SubjectID]
		if !ok {
			return row, fmt.Errorf("task %s: complaint: %w", t.ID, store.ErrNotFound)
		}
		row.Title, row.CategoryLabel = c.Subject, mail.ComplaintCategoryLabel(c.Category, v.Lang)
		row.SubjectStatus = v.T("complaint." + string(c.Status))
		paused = c.PausedAt.Valid
	case "dts":
		d, ok := subj.dts[t.SubjectID]
		if !ok {
			return row, fmt.Errorf("task %s: DTS request: %w", t.ID, store.ErrNotFound)
		}
		row.Title = fmt.Sprintf(v.T("dts.title"), d.Year, v.MAD(d.IRAmountMAD))
		row.CategoryLabel = v.T("kind.dts")
		row.SubjectStatus = v.T("dts." + string(d.Status))
	}
	row.SLA = slaState(s.clock(), t.CreatedAt, row.Due, open, paused)
	return row, nil
}

type consoleTab struct {
	Key, Href string
	Active    bool
}

type consoleOption struct {
	Value, Label string
	Selected     bool
}

type consoleTasksData struct {
	Tabs       []consoleTab
	Hidden     map[string]string // the tab's own parameters, kept by the filter form
	Kinds      []consoleOption
	Categories []consoleOption
	Levels     []consoleOption
	Overdue    bool
	Done       bool
	Rows       []consoleTaskRow
	Next       string
}

// consoleTasks: GET /console/tasks with the parameters of GET /api/v1/tasks (the same
// service): the tabs set state, assignee or queue; the filter form kind, category,
// escalation_level and overdue.
func (s *Server) consoleTasks(w http.ResponseWriter, r *http.Request, v *consoleView) error {
	q := r.URL.Query()
	if q.Get("limit") == "" {
		q.Set("limit", "50")
	}
	lr := r.Clone(r.Context())
	lr.URL.RawQuery = q.Encode()
	tasks, limit, err := s.taskPage(lr, v.principal)
	if err != nil {
		return err
	}
	staff, err := s.taskStaff(r.Context())
	if err != nil {
		return err
	}
	d := consoleTasksData{Hidden: map[string]string{}, Overdue: q.Get("overdue") == "true", Done: q.Get("state") == "done"}
	page := pageItems(tasks, limit, taskCursor, func(t store.Task) store.Task { return t })
	subj, err := s.taskSubjects(r.Context(), page.Items)
	if err != nil {
		return err
	}
	for _, t := range page.Items {
		row, err := s.taskRow(v, t, staff, subj)
		if err != nil {
			return err
		}
		if d.Overdue && row.SLA != slaOverdue {
			continue // a complaint waiting for the citizen: its clock is stopped
		}
		d.Rows = append(d.Rows, row)
	}
	if page.NextCursor != nil {
		nq := url.Values{}
		for k, vals := range r.URL.Query() {
			nq[k] = vals
		}
		nq.Set("cursor", *page.NextCursor)
		d.Next = "/console/tasks?" + nq.Encode()
	}

	tab := "open"
	tabParams := map[string][2]string{"mine": {"assignee", "me"}, "done": {"state", "done"}, "escalated": {"queue", "escalated"}}
	for key, kv := range tabParams {
		if q.Get(kv[0]) == kv[1] {
			tab, d.Hidden[kv[0]] = key, kv[1]
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
		d.Tabs = append(d.Tabs, consoleTab{Key: key, Href: href, Active: key == tab})
	}
	opt := func(value, label, current string) consoleOption {
		return consoleOption{Value: value, Label: label, Selected: value == current}
	}
	d.Kinds = []consoleOption{opt("", v.T("all"), q.Get("kind")), opt("complaint", v.T("kind.complaint"), q.Get("kind")),
		opt("dts", v.T("kind.dts"), q.Get("kind"))}
	d.Categories = []consoleOption{opt("", v.T("all"), q.Get("category"))}
	for _, c := range domain.ComplaintCategories {
		d.Categories = append(d.Categories, opt(c, mail.ComplaintCategoryLabel(c, v.Lang), q.Get("category")))
	}
	d.Levels = []consoleOption{opt("", v.T("all"), q.Get("escalation_level"))}
	for level := range 3 {
		l := strconv.Itoa(level)
		d.Levels = append(d.Levels, opt(l, v.T("level."+l), q.Get("escalation_level")))
	}
	v.Data = d
	s.render(w, r, http.StatusOK, "tasks", v)
	return nil
}

type consoleEvent struct {
	Action, Who, Detail string
	At                  time.Time
}

type consoleDTS struct {
	dtsRequestJSON
	CitizenName, CINMasked string
	TotalMAD               int64
	RatePercent            string
}

type consoleTaskData struct {
	Task        consoleTaskRow
	Complaint   *complaintJSON
	DTS         *consoleDTS
	Events      []consoleEvent
	CanClaim    bool
	CanRelease  bool
	CanComplete bool
	CanReassign bool
	Waiting     bool
	Outcomes    []string
	Staff       []staffMember
	IdemKey     string
}

// consoleTask: GET /console/tasks/{id}: the task, its subject (the complaint and its
// conversation, or the DTS request with its figures), its history and the actions.
func (s *Server) consoleTask(w http.ResponseWriter, r *http.Request, v *consoleView) error {
	if done := r.URL.Query().Get("done"); done != "" {
		v.Notice = v.T("done." + done)
	}
	return s.renderTask(w, r, v, http.StatusOK)
}

func (s *Server) renderTask(w http.ResponseWriter, r *http.Request, v *consoleView, status int) error {
	ctx := r.Context()
	p := v.principal
	t, err := s.visibleTask(ctx, p, mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	staff, err := s.taskStaff(ctx)
	if err != nil {
		return err
	}
	subj, err := s.taskSubjects(ctx, []store.Task{t})
	if err != nil {
		return err
	}
	row, err := s.taskRow(v, t, staff, subj)
	if err != nil {
		return err
	}
	d := consoleTaskData{Task: row, Staff: staff}
	switch t.Kind {
	case "complaint":
		c := subj.complaints[t.SubjectID]
		cj, err := s.staffComplaintJSON(r, c)
		if err != nil {
			return err
		}
		cj.CategoryLabel = mail.ComplaintCategoryLabel(c.Category, v.Lang)
		d.Complaint = &cj
		d.Waiting = c.Status == domain.ComplaintWaitingForCitizen
		d.Outcomes = []string{domain.OutcomeRequestInfo, domain.OutcomeResolve, domain.OutcomeReject}
	case "dts":
		dr := subj.dts[t.SubjectID]
		c, err := s.store.CitizenByID(ctx, dr.CitizenID)
		if err != nil {
			return err
		}
		dj := &consoleDTS{dtsRequestJSON: dtsJSON(dr, true), CitizenName: c.FirstName + " " + c.LastName, CINMasked: domain.MaskCIN(c.CIN)}
		if dj.BaseMAD != nil && dj.SupplementMAD != nil {
			dj.TotalMAD = *dj.BaseMAD + *dj.SupplementMAD
		}
		if dj.Rate != nil {
			dj.RatePercent = strconv.FormatFloat(*dj.Rate*100, 'f', -1, 64) + "\u00a0%"
		}
		d.DTS = dj
		d.Outcomes = []string{domain.OutcomeApprove, domain.OutcomeReject}
	}
	events, err := s.store.TaskEvents(ctx, t.ID)
	if err != nil {
		return err
	}
	for _, e := range events {
		who := v.T("system")
		if e.StaffID.Valid {
			who = staffEmail(staff, e.StaffID.Int64)
		}
		d.Events = append(d.Events, consoleEvent{Action: e.Action, Who: who, Detail: e.Detail.String, At: e.At})
	}
	open := t.State == domain.TaskOpen || t.State == domain.TaskClaimed
	d.CanClaim = t.State == domain.TaskOpen && slices.Contains(p.staff.Role.Queues(), t.Queue)
	d.CanRelease = t.State == domain.TaskClaimed && row.Mine && !d.Waiting
	d.CanComplete = d.CanRelease
	d.CanReassign = open && p.staff.Role.Reassigns()
	var key [12]byte
	_, _ = rand.Read(key[:])
	d.IdemKey = hex.EncodeToString(key[:])
	v.Data = d
	s.render(w, r, status, "task", v)
	return nil
}

// consoleTaskAction: POST /console/tasks/{id}/claim|release|complete|reassign: the task
// service of POST /api/v1/tasks/{id}/…; then back to the task, or the task again with the
// errors next to the fields.
func (s *Server) consoleTaskAction(w http.ResponseWriter, r *http.Request, v *consoleView) error {
	ctx, p, vars := r.Context(), v.principal, mux.Vars(r)
	id, action := vars["id"], vars["action"]
	var err error
	done := action
	switch action {
	case "claim":
		_, err = s.claimTaskAs(ctx, p, id)
	case "release":
		_, err = s.releaseTaskAs(ctx, p, id)
	case "complete":
		in := taskCompletion{Outcome: r.PostForm.Get("outcome"), Comment: r.PostForm.Get("comment"), IdempotencyKey: r.PostForm.Get("idem")}
		_, err = s.completeTaskAs(ctx, p, id, in)
		done = in.Outcome
	case "reassign":
		if !p.staff.Role.Reassigns() {
			err = problem(http.StatusForbidden, "forbidden")
			break
		}
		to, perr := strconv.ParseInt(r.PostForm.Get("assignee_staff_id"), 10, 64)
		if perr != nil && r.PostForm.Get("assignee_staff_id") != "" {
			err = problem(http.StatusBadRequest, "validation_failed", fieldErr("assignee_staff_id", "invalid"))
			break
		}
		_, err = s.reassignTaskAs(ctx, p, id, to)
	}
	if err != nil {
		status := s.consoleMessage(r, v, err)
		if status == http.StatusNotFound || status == http.StatusUnauthorized {
			return err
		}
		return s.renderTask(w, r, v, status)
	}
	http.Redirect(w, r, "/console/tasks/"+url.PathEscape(id)+"?done="+url.QueryEscape(done), http.StatusSeeOther)
	return nil
}
