package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"

	"occonnect/activities/contract"
	"occonnect/domain"
	"occonnect/mail"
	"occonnect/store"
)

// ApplyRetention is the nightly retention run (the Retention workflow, on a Temporal
// Schedule): expired sessions, old Idempotency-Key answers, idle failure counts and rate
// buckets deleted; e-mail bodies erased; never-activated citizens whose enrollment lapsed
// anonymised, and the texts of long-closed complaints erased (the ledger is kept). It is
// idempotent and reports its counts in the result, the logs and the metrics. From 1
// December it also warns when next year has no allowance rules: no allowance could be
// shown or debited on 1 January.
func (a *Activities) ApplyRetention(ctx context.Context, in contract.RetentionInput) (contract.RetentionResult, error) {
	defer keepAlive(ctx, contract.ScheduledRunHeartbeat/4)()
	now := a.now()
	c, err := a.Store.ApplyRetention(ctx, store.RetentionPolicy{Sessions: in.Sessions, Idempotency: in.Idempotency,
		OutboxBodies: in.OutboxBodies, LapsedCitizens: in.LapsedCitizens, ClosedTexts: in.ClosedTexts}, now)
	res := contract.RetentionResult{Sessions: c.Sessions, IdempotencyKeys: c.IdempotencyKeys, AuthFailures: c.AuthFailures,
		RateLimitBuckets: c.RateLimitBuckets, OutboxBodies: c.OutboxBodies, LapsedCitizens: c.LapsedCitizens,
		ComplaintTexts: c.ComplaintTexts}
	for kind, n := range map[string]int64{"sessions": c.Sessions, "idempotency_keys": c.IdempotencyKeys,
		"auth_failures": c.AuthFailures, "rate_limit_buckets": c.RateLimitBuckets, "outbox_bodies": c.OutboxBodies,
		"lapsed_citizens": c.LapsedCitizens, "complaint_texts": c.ComplaintTexts} {
		a.Metrics.Retained(kind, n)
	}
	log := logger(ctx)
	log.Info("retention", "sessions", c.Sessions, "idempotency_keys", c.IdempotencyKeys, "auth_failures", c.AuthFailures,
		"rate_limit_buckets", c.RateLimitBuckets, "outbox_bodies", c.OutboxBodies, "lapsed_citizens", c.LapsedCitizens,
		"complaint_texts", c.ComplaintTexts)
	if err != nil {
		return res, err
	}
	local := now.In(domain.Casablanca)
	missing := false
	if local.Month() == 12 {
		_, rerr := a.Store.AllowanceRules(ctx, local.Year()+1)
		switch {
		case errors.Is(rerr, store.ErrNoRules):
			missing, res.RulesMissingYear = true, local.Year()+1
			log.Warn("next year has no allowance rules: enter them (PUT /api/v1/admin/allowance-rules/{year}) before 1 January",
				"year", local.Year()+1)
			if err := a.warnAdmins(ctx, local.Year()+1, local); err != nil {
				return res, err
			}
		case rerr != nil:
			return res, rerr
		}
	}
	a.Metrics.RulesMissing(missing)
	return res, nil
}

// warnAdmins e-mails every admin that year has no allowance rules, once a day (the outbox
// key names the day: a retried run sends nothing twice). An address the SMTP server
// refuses for good is skipped; the log and the metric still say it.
func (a *Activities) warnAdmins(ctx context.Context, year int, today time.Time) error {
	admins, err := a.Store.StaffByRole(ctx, domain.RoleAdmin)
	if err != nil {
		return err
	}
	msg, err := mail.RenderRulesMissing(year)
	if err != nil {
		return temporal.NewNonRetryableApplicationError("render rules-missing e-mail", "Template", err)
	}
	for _, s := range admins {
		queued, err := a.outboxMessage(fmt.Sprintf("rules-missing/%d/%s/%d", year, today.Format("2006-01-02"), s.ID),
			"rules_missing", s.Email, msg, a.now())
		if err != nil {
			return err
		}
		id, err := a.Store.Enqueue(ctx, queued)
		if err != nil {
			return err
		}
		var appErr *temporal.ApplicationError
		if err := a.SendEmail(ctx, contract.SendEmailInput{OutboxID: id}); err != nil &&
			!(errors.As(err, &appErr) && appErr.Type() == contract.ErrTypeEmailRejected) {
			return err
		}
	}
	return nil
}
