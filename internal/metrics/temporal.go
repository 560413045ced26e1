package metrics

import (
	"fmt"
	"log/slog"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
)

// latencyBuckets are the bounds, in seconds, of the SDK's timers: from a fast activity to a
// workflow that runs for days (OpenTelemetry's default bounds are meant for milliseconds).
var latencyBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 86400, 604800}

// Temporal is the Temporal SDK's metrics handler (client.Options.MetricsHandler), writing
// to reg through OpenTelemetry's Prometheus exporter: temporal_* counters (with _total),
// gauges, and timers as histograms in seconds (_seconds), labelled by namespace, task queue,
// workflow and activity type. OpenTelemetry's own errors go to logger (one JSON line each).
func Temporal(reg prometheus.Registerer, logger *slog.Logger) (client.MetricsHandler, error) {
	otel.SetLogger(logr.FromSlogHandler(logger.Handler()))
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		logger.Warn("metrics", "error", err)
	}))
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo(), otelprom.WithoutTargetInfo())
	if err != nil {
		return nil, fmt.Errorf("prometheus exporter: %w", err)
	}
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter), sdkmetric.WithView(sdkmetric.NewView(
		sdkmetric.Instrument{Kind: sdkmetric.InstrumentKindHistogram, Unit: "s"},
		sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: latencyBuckets}},
	)))
	return temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{
		Meter:                provider.Meter("temporal-sdk-go"),
		OnError:              func(err error) { logger.Warn("temporal metrics", "error", err) },
		UseMonotonicCounters: true,
	}), nil
}
