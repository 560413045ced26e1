package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"occonnect/internal/stack"
)

// b4: allowance debits (POST /allowance-operations) by concurrent agents, each on a
// citizen of its own and all on the same citizen, against a bare handler doing the least a
// serialized debit needs (lock the row, sum, insert) on the same pool. Target: never
// overdrawn — the ledger's used amount equals the accepted debits, on one citizen every
// debit that fits is accepted and none more, and a replayed request is not applied twice.
func (b *bench) b4(ctx context.Context) Result {
	agents, total := b.s.b4Agents, b.s.b4Debits
	res := Result{ID: "B4", Title: "allowance debits", Target: "no overdraw, no debit applied twice; rate against the bare locked insert"}
	cs, ids, err := b.activeCitizens(ctx, &res, agents+1)
	if err != nil {
		res.failed(err)
		return res
	}
	tokens := make([]string, agents)
	for i := range tokens {
		if tokens[i], err = b.api.StaffLogin(ctx, b.agents[i], b.agentPW); err != nil {
			res.failed(fmt.Errorf("agent login: %w", err))
			return res
		}
	}
	const typ = "tourism"
	before := map[*stack.Citizen]stack.Allowance{}
	for _, c := range cs {
		a, err := b.api.Allowance(ctx, c.Token, typ)
		if err != nil {
			res.failed(err)
			return res
		}
		before[c] = a
	}
	// Amounts: on distinct citizens every debit fits; on the same citizen the debits ask
	// for twice what remains, so that about half are refused.
	perAgent := max(total/agents, 1)
	amountDistinct := max(before[cs[0]].RemainingMAD/int64(2*perAgent), 1)
	remaining := before[cs[agents]].RemainingMAD
	amountSame := max(remaining*2/int64(total), 1)
	fits := remaining / amountSame
	bare := stack.NewClient(b.sys.bareURL, agents+8)

	type scenario struct {
		name    string
		citizen func(agent int) int // the index in cs of the agent's citizen
		amount  int64
	}
	ok := true
	mismatches, replays := 0, 0
	var summary []string
	for _, sc := range []scenario{
		{"distinct citizens", func(a int) int { return a }, amountDistinct},
		{"same citizen", func(int) int { return agents }, amountSame},
	} {
		// Baseline.
		var base recorder
		elapsed := b.jobs(ctx, total, agents, &base, func(ctx context.Context, i int) error {
			k := sc.citizen(i % agents)
			r, err := bare.Call(ctx, http.MethodPost, fmt.Sprintf("/bare/debits?citizen=%d&amount=%d&limit=%d&key=%s",
				ids[k], sc.amount, before[cs[k]].RemainingMAD, b.debitKey(sc.name, i)), "", nil)
			if err == nil && r.Status != http.StatusCreated && r.Status != http.StatusConflict {
				err = fmt.Errorf("bare debit: %d", r.Status)
			}
			return err // a refusal (409) is an answered attempt, as below
		})
		baseRow := base.row("baseline, "+sc.name+": bare locked insert", "attempts", elapsed)

		// The system.
		var rec recorder
		var accepted, refused atomic.Int64
		var acceptedMu sync.Mutex
		acceptedKeys := map[*stack.Citizen][]int{}
		b.profile(&res, "b4-"+sc.name[:4], func() {
			elapsed = b.jobs(ctx, total, agents, &rec, func(ctx context.Context, i int) error {
				agent := i % agents
				c := cs[sc.citizen(agent)]
				_, err := b.api.RecordDebit(ctx, tokens[agent], b.debitKey(sc.name, i), stack.Debit{CIN: c.CIN, Type: typ,
					AmountMAD: sc.amount, Reference: fmt.Sprintf("BENCH-%s-%d", b.run, i)})
				switch {
				case errors.Is(err, stack.ErrInsufficient):
					refused.Add(1)
					return nil
				case err != nil:
					return err
				}
				accepted.Add(1)
				acceptedMu.Lock()
				acceptedKeys[c] = append(acceptedKeys[c], i)
				acceptedMu.Unlock()
				return nil
			})
		})
		row := rec.row(sc.name+": POST /allowance-operations", "attempts", elapsed)
		res.Rows = append(res.Rows, baseRow, row)
		if err := errorsNote(&rec); err != nil {
			res.note("%s errors: %v", sc.name, err)
		}

		// Replays: the first accepted request of each citizen again, same key and body.
		for c, keys := range acceptedKeys {
			i := keys[0]
			if _, err := b.api.RecordDebit(ctx, tokens[i%agents], b.debitKey(sc.name, i), stack.Debit{CIN: c.CIN, Type: typ,
				AmountMAD: sc.amount, Reference: fmt.Sprintf("BENCH-%s-%d", b.run, i)}); err != nil {
				res.note("%s: replay answered %v", sc.name, err)
				ok = false
			}
			replays++
		}

		// The ledger against what was accepted.
		problems := 0
		for c, keys := range acceptedKeys {
			after, err := b.api.Allowance(ctx, c.Token, typ)
			if err != nil {
				res.failed(err)
				return res
			}
			want := int64(len(keys)) * sc.amount
			if used := after.UsedMAD - before[c].UsedMAD; used != want || after.RemainingMAD < 0 || after.RemainingMAD != before[c].RemainingMAD-want {
				problems++
				res.note("%s: a citizen's ledger shows %d MAD used for %d MAD accepted, %d remaining", sc.name, used, want, after.RemainingMAD)
			}
			before[c] = after
		}
		mismatches += problems
		good := problems == 0 && row.Errors == 0 && int(accepted.Load()+refused.Load()) == total
		detail := fmt.Sprintf("%s %.0f debits/s (%.2f × baseline), %d accepted, %d refused",
			sc.name, row.Rate, safeRatio(row.Rate, baseRow.Rate), accepted.Load(), refused.Load())
		if sc.name == "same citizen" {
			// Every debit that fits is accepted, and not one more.
			good = good && accepted.Load() == fits
			detail += fmt.Sprintf(" of which %d fit", fits)
		} else {
			good = good && refused.Load() == 0
		}
		ok = ok && good
		summary = append(summary, detail)
		if sc.name == "distinct citizens" {
			res.Ratio = safeRatio(row.Rate, baseRow.Rate)
		}
	}
	res.note("%d agents, %d debits per scenario (%d MAD each on distinct citizens, %d MAD on the same one, which has %d MAD left); rates count answered attempts, refusals included",
		agents, total, amountDistinct, amountSame, remaining)
	res.Verdict = verdict(ok)
	ledger := "every ledger equals its accepted debits, none overdrawn"
	if mismatches > 0 {
		ledger = fmt.Sprintf("%d ledgers differ from their accepted debits", mismatches)
	}
	res.Summary = fmt.Sprintf("%s, %d replays not applied twice; %s", ledger, replays, strings.Join(summary, "; "))
	return res
}

func (b *bench) debitKey(scenario string, i int) string {
	return fmt.Sprintf("bench-%s-%s-%d", b.run, scenario[:4], i)
}

func safeRatio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return round(a/b, 2)
}
