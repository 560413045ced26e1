package metrics

import (
	"occonnect/domain"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Activities counts what the activities did. Activities run again on retry, so each counter
// is incremented where the event really happened (an e-mail accepted by the SMTP server, a
// credential row inserted, an activity that completed), never per attempt. A nil
// *Activities counts nothing (workflow tests, commands).
type Activities struct {
	emailsSent         *prometheus.CounterVec
	emailsFailed       *prometheus.CounterVec
	escalations        *prometheus.CounterVec
	credentialsIssued  *prometheus.CounterVec
	complaintReminders *prometheus.CounterVec
	dtsCredits         prometheus.Counter
	dtsCreditedMAD     prometheus.Counter
	retained           *prometheus.CounterVec
	rulesMissing       prometheus.Gauge
}

// NewActivities registers the activities' counters.
func NewActivities(reg prometheus.Registerer) *Activities {
	m := &Activities{
		emailsSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "occ_emails_sent_total",
			Help: "E-mails accepted by the SMTP server, by template kind.",
		}, []string{"kind"}),
		emailsFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "occ_emails_failed_total",
			Help: "Failed SMTP attempts, by template kind; permanent=true for a refusal (5xx), not retried.",
		}, []string{"kind", "permanent"}),
		escalations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "occ_escalations_total",
			Help: "Tasks escalated after a missed deadline, by kind (dts, complaint) and new level.",
		}, []string{"kind", "level"}),
		credentialsIssued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "occ_credentials_issued_total",
			Help: "Initial credentials issued to citizens (issue=first or reissue).",
		}, []string{"issue"}),
		complaintReminders: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "occ_complaint_reminders_total",
			Help: "Complaint reminders sent to staff, by target (first_response, resolution).",
		}, []string{"target"}),
		dtsCredits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "occ_dts_credits_total",
			Help: "Approved DTS supplements credited to the ledger.",
		}),
		dtsCreditedMAD: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "occ_dts_credited_mad_total",
			Help: "Dirhams of DTS supplements credited to the ledger.",
		}),
		retained: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "occ_retention_rows_total",
			Help: "Rows deleted or erased by the nightly retention run, by kind.",
		}, []string{"kind"}),
		rulesMissing: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "occ_allowance_rules_missing",
			Help: "1 when, from 1 December, next year has no allowance rules yet (alert on it); 0 otherwise.",
		}),
	}
	reg.MustRegister(m.emailsSent, m.emailsFailed, m.escalations, m.credentialsIssued, m.complaintReminders,
		m.dtsCredits, m.dtsCreditedMAD, m.retained, m.rulesMissing)
	return m
}

// EmailSent counts an e-mail the SMTP server accepted.
func (m *Activities) EmailSent(kind string) {
	if m != nil {
		m.emailsSent.WithLabelValues(kind).Inc()
	}
}

// EmailFailed counts a failed SMTP attempt.
func (m *Activities) EmailFailed(kind string, permanent bool) {
	if m != nil {
		m.emailsFailed.WithLabelValues(kind, strconv.FormatBool(permanent)).Inc()
	}
}

// Escalated counts an escalation to level.
func (m *Activities) Escalated(kind domain.TaskKind, level int) {
	if m != nil {
		m.escalations.WithLabelValues(string(kind), strconv.Itoa(level)).Inc()
	}
}

// CredentialsIssued counts a newly issued initial password (issueNo 1 is the first).
func (m *Activities) CredentialsIssued(issueNo int) {
	if m == nil {
		return
	}
	issue := "first"
	if issueNo > 1 {
		issue = "reissue"
	}
	m.credentialsIssued.WithLabelValues(issue).Inc()
}

// ComplaintReminder counts a reminder to staff before a complaint's target.
func (m *Activities) ComplaintReminder(target string) {
	if m != nil {
		m.complaintReminders.WithLabelValues(target).Inc()
	}
}

// DTSCredited counts a supplement credited to the ledger.
func (m *Activities) DTSCredited(amountMAD int64) {
	if m != nil {
		m.dtsCredits.Inc()
		m.dtsCreditedMAD.Add(float64(amountMAD))
	}
}

// Retained counts rows of a kind deleted or erased by a retention run.
func (m *Activities) Retained(kind string, n int64) {
	if m == nil || n <= 0 {
		return
	}
	m.retained.WithLabelValues(kind).Add(float64(n))
}

// RulesMissing sets whether next year's allowance rules are missing (from 1 December).
func (m *Activities) RulesMissing(missing bool) {
	if m == nil {
		return
	}
	v := 0.0
	if missing {
		v = 1
	}
	m.rulesMissing.Set(v)
}
