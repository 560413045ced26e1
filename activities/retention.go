package activities

import (
	"context"
	"errors"

	"occonnect/activities/contract"
	"occonnect/domain"
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
		case rerr != nil:
			return res, rerr
		}
	}
	a.Metrics.RulesMissing(missing)
	return res, nil
}
