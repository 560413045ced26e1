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

// lazyTemporal is dialTemporal for the API: the client connects at its first request, so
// that the API starts and serves reads while Temporal is away.
func lazyTemporal(cfg config.Config, logger *slog.Logger, keys *codec.Keyring, opts ...worker.Option) (client.Client, error) {
	security, err := worker.WithSecurity(cfg.TemporalTLS)
	if err != nil {
		return nil, err
	}
	return worker.DialLazy(cfg.TemporalAddress, cfg.TemporalNamespace, logger, keys, append(opts, security)...)
}
