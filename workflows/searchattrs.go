package workflows

import (
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Search attributes: what ops on call filter runs by in the Temporal Web UI and CLI. None
// holds personal data (search attributes are indexed in clear, unlike payloads): codes,
// statuses, levels, years and deadlines only.
var (
	// SearchProcess: enrollment, dts or complaint.
	SearchProcess = temporal.NewSearchAttributeKeyKeyword("OccProcess")
	// SearchStatus: the workflow's current status, in the words of the API and read model.
	SearchStatus = temporal.NewSearchAttributeKeyKeyword("OccStatus")
	// SearchEscalationLevel: 0 none, 1 supervisors, 2 head of unit (DTS and complaint tasks).
	SearchEscalationLevel = temporal.NewSearchAttributeKeyInt64("OccEscalationLevel")
	// SearchExchangePoint: the enrolling agent's exchange point (enrollments); the citizen's
	// enrolment point (DTS requests, complaints).
	SearchExchangePoint = temporal.NewSearchAttributeKeyKeyword("OccExchangePoint")
	// SearchYear: the enrollment's year, the DTS allowance year, the complaint's filing year.
	SearchYear = temporal.NewSearchAttributeKeyInt64("OccYear")
	// SearchDueAt: the current deadline (credentials expiry, task due time, service-level
	// target); unset when nothing is due. Overdue: OccDueAt < now.
	SearchDueAt = temporal.NewSearchAttributeKeyTime("OccDueAt")
)

// SearchAttributes lists every search attribute the workflows set; the dev server, the test
// server and `occonnect search-attributes` register exactly these.
var SearchAttributes = []temporal.SearchAttributeKey{
	SearchProcess, SearchStatus, SearchEscalationLevel, SearchExchangePoint, SearchYear, SearchDueAt,
}

// SearchAttributeTypeName is the type of a search attribute as the Temporal CLI spells it
// (`temporal server start-dev --search-attribute Name=Type`).
func SearchAttributeTypeName(t enumspb.IndexedValueType) string {
	switch t {
	case enumspb.INDEXED_VALUE_TYPE_KEYWORD:
		return "Keyword"
	case enumspb.INDEXED_VALUE_TYPE_INT:
		return "Int"
	case enumspb.INDEXED_VALUE_TYPE_DATETIME:
		return "Datetime"
	case enumspb.INDEXED_VALUE_TYPE_TEXT:
		return "Text"
	case enumspb.INDEXED_VALUE_TYPE_DOUBLE:
		return "Double"
	case enumspb.INDEXED_VALUE_TYPE_BOOL:
		return "Bool"
	case enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST:
		return "KeywordList"
	}
	return t.String()
}

// DevServerSearchAttributeArgs are the arguments that register SearchAttributes on a
// `temporal server start-dev`.
func DevServerSearchAttributeArgs() []string {
	var args []string
	for _, k := range SearchAttributes {
		args = append(args, "--search-attribute", k.GetName()+"="+SearchAttributeTypeName(k.GetValueType()))
	}
	return args
}

// Process names of SearchProcess.
const (
	processEnrollment = "enrollment"
	processDTS        = "dts"
	processComplaint  = "complaint"
)

// searchAttributesChange is the workflow.GetVersion change id of the search attributes:
// runs started before it replay without upserting them.
const searchAttributesChange = "search-attributes"

// opsView is what a run shows ops: its search attributes, and its current details.
type opsView struct {
	Process       string
	Status        string
	Level         int // -1: not applicable
	ExchangePoint string
	Year          int
	DueAt         time.Time
	// Details is the run's current details (Temporal markdown), shown under its summary.
	Details string
}

// opsAttributes publishes a run's opsView, upserting only what changed since the last one.
type opsAttributes struct {
	enabled bool
	shown   *opsView
}

// newOpsAttributes decides, once per run and before its first command, whether this run
// upserts search attributes.
func newOpsAttributes(ctx workflow.Context) *opsAttributes {
	return &opsAttributes{enabled: workflow.GetVersion(ctx, searchAttributesChange, workflow.DefaultVersion, 1) == 1}
}

// show sets the current details and upserts the changed search attributes.
func (o *opsAttributes) show(ctx workflow.Context, v opsView) error {
	workflow.SetCurrentDetails(ctx, v.Details)
	if !o.enabled {
		return nil
	}
	var old opsView
	if o.shown != nil {
		old = *o.shown
	} else {
		old.Level = -1
	}
	var upd []temporal.SearchAttributeUpdate
	keyword := func(k temporal.SearchAttributeKeyKeyword, was, is string) {
		switch {
		case was == is:
		case is == "":
			upd = append(upd, k.ValueUnset())
		default:
			upd = append(upd, k.ValueSet(is))
		}
	}
	keyword(SearchProcess, old.Process, v.Process)
	keyword(SearchStatus, old.Status, v.Status)
	keyword(SearchExchangePoint, old.ExchangePoint, v.ExchangePoint)
	switch {
	case old.Level == v.Level:
	case v.Level < 0:
		upd = append(upd, SearchEscalationLevel.ValueUnset())
	default:
		upd = append(upd, SearchEscalationLevel.ValueSet(int64(v.Level)))
	}
	switch {
	case old.Year == v.Year:
	case v.Year == 0:
		upd = append(upd, SearchYear.ValueUnset())
	default:
		upd = append(upd, SearchYear.ValueSet(int64(v.Year)))
	}
	switch {
	case old.DueAt.Equal(v.DueAt):
	case v.DueAt.IsZero():
		upd = append(upd, SearchDueAt.ValueUnset())
	default:
		upd = append(upd, SearchDueAt.ValueSet(v.DueAt.UTC()))
	}
	if len(upd) > 0 {
		if err := workflow.UpsertTypedSearchAttributes(ctx, upd...); err != nil {
			return fmt.Errorf("upsert search attributes: %w", err)
		}
	}
	o.shown = &v
	return nil
}

// details formats a run's current details: its status in bold, then the facts given.
func details(status string, facts ...string) string {
	s := "**" + status + "**"
	for _, f := range facts {
		if f != "" {
			s += "\n\n" + f
		}
	}
	return s
}

// fmtDue formats a deadline for the details (UTC, to the minute).
func fmtDue(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// summarized gives the activities started with ctx a summary shown in the UI.
func summarized(ctx workflow.Context, summary string) workflow.Context {
	o := workflow.GetActivityOptions(ctx)
	o.Summary = summary
	return workflow.WithActivityOptions(ctx, o)
}
