package main

import (
	"context"
	"log/slog"

	"go.temporal.io/sdk/client"

	"occonnect/internal/codec"
	"occonnect/internal/config"
	"occonnect/worker"
)

// dialTemporal connects to the configured Temporal frontend, over TLS (mTLS or an API
// key) when the configuration asks for it.
func dialTemporal(ctx context.Context, cfg config.Config, logger *slog.Logger, keys *codec.Keyring, opts ...worker.Option) (client.Client, error) {
	security, err := worker.WithSecurity(cfg.TemporalTLS)
	if err != nil {
		return nil, err
	}
	return worker.Dial(ctx, cfg.TemporalAddress, cfg.TemporalNamespace, logger, keys, append(opts, security)...)
}
