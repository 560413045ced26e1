package worker

import (
	"context"

	"go.temporal.io/sdk/interceptor"

	"occonnect/internal/scrub"
)

// scrubInterceptor keeps values quoted by database errors (a CIN, a name, an e-mail) out of
// the activity failures that Temporal records in workflow histories.
type scrubInterceptor struct {
	interceptor.WorkerInterceptorBase
}

func (*scrubInterceptor) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &scrubActivity{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}}
}

type scrubActivity struct {
	interceptor.ActivityInboundInterceptorBase
}

func (a *scrubActivity) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (interface{}, error) {
	res, err := a.Next.ExecuteActivity(ctx, in)
	return res, scrub.Error(err)
}
