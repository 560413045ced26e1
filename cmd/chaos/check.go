package main

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	enumspb "go.temporal.io/api/enums/v1"

	"occonnect/internal/stack"
	"occonnect/internal/testenv"
	"occonnect/mail"
	"occonnect/workflows"
)

// What the scenarios observe after the fault, from the system's own records: the citizens
// and enrollments in MySQL, the workflows in Temporal, the outbox in MySQL and the copies
// that reached Mailpit (matched to outbox rows by their Message-ID, outbox-<id>@occonnect).

// enrolCheck is the state of a batch of enrolments once it has settled.
type enrolCheck struct {
	n           int
	inDB        int            // citizens recorded
	active      int            // citizens active in MySQL
	completed   int            // enrollment workflows completed in Temporal
	notDone     map[string]int // the others, by status (not_started: no enrollment recorded)
	stuck       []string       // what the open ones wait on (pending activity and its attempt)
	rows, sent  int            // outbox rows of the citizens, and those marked sent
	failedTries int            // SMTP attempts that failed (attempts beyond one per sent row)
	copies      int            // Mailpit messages of those rows
	lost        int            // rows with no copy in Mailpit
	duplicated  int            // rows with more than one copy
	extra       int            // copies beyond the first
	different   int            // duplicated rows whose copies differ (text, hence password)
	credsOne    int            // citizens with exactly one credentials e-mail (one row, one copy)
	credsIssues int            // citizens with more than one credentials row (should be 0)
	stray       int            // messages to the citizens that match none of their rows
	lastMail    time.Time      // when Mailpit received the last copy
	mails       []mailCopy     // every copy, for timing figures
}

// mailCopy is one message Mailpit holds for an outbox row.
type mailCopy struct {
	row      int64
	kind     string
	received time.Time
}

type outboxRow struct {
	ID       int64  `db:"id"`
	Kind     string `db:"kind"`
	To       string `db:"to_addr"`
	Sent     bool   `db:"sent"`
	Attempts int    `db:"attempts"`
}

// settle waits for a batch's clients, then for the system to be at rest, and measures both.
func (h *harness) settle(ctx context.Context, l *load, cits []*stack.Citizen) (flowSummary, enrolCheck, error) {
	l.wait()
	c, err := h.checkEnrolments(ctx, cits, l.failed(), h.cfg.stepTimeout)
	return l.summary(), c, err
}

// checkEnrolments waits (up to wait) until the batch is at rest — every enrollment workflow
// closed, or waiting for a citizen whose client gave up (in failed), and every outbox row
// sent and seen in Mailpit — then takes its measures.
func (h *harness) checkEnrolments(ctx context.Context, cits []*stack.Citizen, failed map[string]bool, wait time.Duration) (enrolCheck, error) {
	c := enrolCheck{n: len(cits), notDone: map[string]int{}}
	deadline := time.Now().Add(wait)
	cins := make([]string, len(cits))
	emails := make([]string, len(cits))
	for i, cit := range cits {
		cins[i], emails[i] = cit.CIN, cit.Email
	}

	// Workflows: each enrollment's, until all closed or the deadline.
	type row struct {
		CIN       string `db:"cin"`
		Status    string `db:"status"`
		EnrollID  string `db:"enrollment_id"`
		EnrStatus string `db:"enrollment_status"`
	}
	var rows []row
	q, args, err := sqlx.In(`SELECT c.cin, c.status, COALESCE(e.id, '') AS enrollment_id, COALESCE(e.status, '') AS enrollment_status
		FROM citizens c LEFT JOIN enrollments e ON e.citizen_id = c.id WHERE c.cin IN (?)`, cins)
	if err != nil {
		return c, err
	}
	open := map[string]bool{}
	for {
		rows = rows[:0]
		if err := h.db.SelectContext(ctx, &rows, h.db.Rebind(q), args...); err != nil {
			return c, fmt.Errorf("read citizens: %w", err)
		}
		clear(open)
		c.completed, c.stuck = 0, nil
		clear(c.notDone)
		for _, r := range rows {
			if r.EnrollID == "" {
				continue
			}
			desc, err := h.tc.DescribeWorkflow(ctx, workflows.EnrollmentWorkflowID(r.EnrollID), "")
			if err != nil {
				c.notDone["describe failed"]++
				open[r.EnrollID] = true
				continue
			}
			d := desc.RawResponse
			status := d.GetWorkflowExecutionInfo().GetStatus()
			if status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
				c.completed++
				continue
			}
			c.notDone[strings.ToLower(strings.TrimPrefix(status.String(), "WORKFLOW_EXECUTION_STATUS_"))]++
			if status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
				if !failed[r.CIN] || len(d.GetPendingActivities()) > 0 {
					open[r.EnrollID] = true
				}
				for _, pa := range d.GetPendingActivities() {
					c.stuck = append(c.stuck, fmt.Sprintf("%s attempt %d", pa.GetActivityType().GetName(), pa.GetAttempt()))
				}
				if len(d.GetPendingActivities()) == 0 {
					c.stuck = append(c.stuck, "no pending activity (waiting for the app)")
				}
			}
		}
		if len(open) == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		sleep(ctx, time.Second)
	}
	c.inDB = len(rows)
	for _, r := range rows {
		if r.Status == "active" {
			c.active++
		}
	}
	if missing := len(cits) - len(rows); missing > 0 {
		c.notDone["not_started"] += missing
	}

	// The outbox, until every row is sent (or the deadline).
	q, args, err = sqlx.In(`SELECT id, kind, to_addr, sent_at IS NOT NULL AS sent, attempts FROM email_outbox WHERE to_addr IN (?)`, emails)
	if err != nil {
		return c, err
	}
	var outbox []outboxRow
	for {
		outbox = outbox[:0]
		if err := h.db.SelectContext(ctx, &outbox, h.db.Rebind(q), args...); err != nil {
			return c, fmt.Errorf("read outbox: %w", err)
		}
		unsent := 0
		for _, o := range outbox {
			if !o.Sent {
				unsent++
			}
		}
		if unsent == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		sleep(ctx, time.Second)
	}

	// Mailpit: every sent row's copy seen (the watcher polls), then two more polls for late
	// duplicates.
	byRow := func() (map[int64][]testenv.MailSummary, int) {
		m, stray := map[int64][]testenv.MailSummary{}, 0
		rowsOf := map[string]map[int64]bool{}
		for _, o := range outbox {
			if rowsOf[strings.ToLower(o.To)] == nil {
				rowsOf[strings.ToLower(o.To)] = map[int64]bool{}
			}
			rowsOf[strings.ToLower(o.To)][o.ID] = true
		}
		for _, addr := range emails {
			for _, s := range h.mail.Messages(addr, "") {
				id, ok := outboxID(s.MessageID)
				if !ok || !rowsOf[strings.ToLower(addr)][id] {
					stray++
					continue
				}
				m[id] = append(m[id], s)
			}
		}
		return m, stray
	}
	for {
		m, _ := byRow()
		seen := 0
		for _, o := range outbox {
			if o.Sent && len(m[o.ID]) > 0 {
				seen++
			}
		}
		sent := 0
		for _, o := range outbox {
			if o.Sent {
				sent++
			}
		}
		if seen == sent || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		sleep(ctx, 250*time.Millisecond)
	}
	sleep(ctx, 600*time.Millisecond)
	copies, stray := byRow()
	c.stray = stray

	credRows := map[string]int{}
	credCopies := map[string]int{}
	for _, o := range outbox {
		c.rows++
		if o.Sent {
			c.sent++
			c.failedTries += max(o.Attempts-1, 0)
		} else {
			c.failedTries += o.Attempts
		}
		list := copies[o.ID]
		c.copies += len(list)
		for _, s := range list {
			c.mails = append(c.mails, mailCopy{row: o.ID, kind: o.Kind, received: s.Created})
			if s.Created.After(c.lastMail) {
				c.lastMail = s.Created
			}
		}
		switch {
		case len(list) == 0:
			c.lost++
		case len(list) > 1:
			c.duplicated++
			c.extra += len(list) - 1
			same, err := h.sameCopies(ctx, list)
			if err != nil {
				return c, err
			}
			if !same {
				c.different++
			}
		}
		if o.Kind == "citizen_credentials" {
			credRows[strings.ToLower(o.To)]++
			credCopies[strings.ToLower(o.To)] += len(list)
		}
	}
	for _, addr := range emails {
		a := strings.ToLower(addr)
		if credRows[a] == 1 && credCopies[a] == 1 {
			c.credsOne++
		}
		if credRows[a] > 1 {
			c.credsIssues++
		}
	}
	return c, nil
}

var passwordLine = regexp.MustCompile(`Mot de passe provisoire : (\S+)`)

// sameCopies reads the copies of one outbox row and tells whether they are the same e-mail:
// same subject and text (for credentials, the same password).
func (h *harness) sameCopies(ctx context.Context, list []testenv.MailSummary) (bool, error) {
	var first testenv.Mail
	for i, s := range list {
		m, err := h.mail.Read(ctx, s.ID)
		if err != nil {
			return false, err
		}
		if i == 0 {
			first = m
			continue
		}
		p1, p2 := passwordLine.FindStringSubmatch(first.Text), passwordLine.FindStringSubmatch(m.Text)
		if m.Subject != first.Subject || m.Text != first.Text || (p1 == nil) != (p2 == nil) || (p1 != nil && p1[1] != p2[1]) {
			return false, nil
		}
	}
	return true, nil
}

// outboxID reads the outbox row id from a Message-ID set by mail.SMTPSender.
func outboxID(messageID string) (int64, bool) {
	id := strings.Trim(messageID, "<>")
	local, domain, ok := strings.Cut(id, "@")
	if !ok || domain != mail.MessageIDDomain || !strings.HasPrefix(local, "outbox-") {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(local, "outbox-"), 10, 64)
	return n, err == nil
}

// allDone tells whether every citizen is active and every workflow completed.
func (c enrolCheck) allDone() bool { return c.active == c.n && c.completed == c.n }

// mailsIntact: every outbox row sent and in Mailpit, nothing stray, copies identical.
func (c enrolCheck) mailsIntact() bool {
	return c.sent == c.rows && c.lost == 0 && c.different == 0 && c.stray == 0 && c.credsIssues == 0
}

// figures adds the common figures to a result.
func (c enrolCheck) figures(res *Result) {
	res.figure("citizens", float64(c.n), "")
	res.figure("active in MySQL", float64(c.active), "")
	res.figure("workflows completed", float64(c.completed), "")
	res.figure("outbox e-mails", float64(c.rows), "")
	res.figure("outbox e-mails sent", float64(c.sent), "")
	res.figure("failed SMTP attempts (retried)", float64(c.failedTries), "")
	res.figure("copies in Mailpit", float64(c.copies), "")
	res.figure("e-mails lost", float64(c.lost), "")
	res.figure("e-mails duplicated", float64(c.duplicated), "")
	res.figure("duplicate copies", float64(c.extra), "")
	res.figure("duplicates that differ", float64(c.different), "")
	res.figure("citizens with exactly one credentials e-mail", float64(c.credsOne), "")
	if len(c.notDone) > 0 {
		var parts []string
		for k, v := range c.notDone {
			parts = append(parts, fmt.Sprintf("%d %s", v, k))
		}
		sort.Strings(parts)
		res.note("workflows not completed: %s", strings.Join(parts, ", "))
	}
	if len(c.stuck) > 0 {
		res.note("open workflows wait on: %s", strings.Join(tally(c.stuck), ", "))
	}
	if c.stray > 0 {
		res.note("%d messages to the citizens match none of their outbox rows", c.stray)
	}
	if c.credsIssues > 0 {
		res.note("%d citizens got more than one credentials issue", c.credsIssues)
	}
}

// text is the common part of a summary.
func (c enrolCheck) text() string {
	s := fmt.Sprintf("%d/%d active, %d/%d workflows completed; %d/%d e-mails sent, %d lost",
		c.active, c.n, c.completed, c.n, c.sent, c.rows, c.lost)
	if c.duplicated > 0 {
		s += fmt.Sprintf(", %d duplicated (%d extra copies, %d differing)", c.duplicated, c.extra, c.different)
	} else {
		s += ", none duplicated"
	}
	return s
}
