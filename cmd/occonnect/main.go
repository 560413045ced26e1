// Command occonnect is the OC Connect back office: the API, the Temporal worker, the
// migrations and the administration commands, in one binary.
//
//	occonnect api                  serve the HTTP API
//	occonnect worker               run the Temporal worker
//	occonnect migrate up|status    create the database if needed and apply the migrations
//	occonnect seed demo            load the demo data of `make dev`
//	occonnect staff create --role R --email E [--exchange-point CODE] [--print]
//	occonnect exchange-points import FILE.csv
//	occonnect search-attributes    register the workflows' search attributes (real cluster)
//	occonnect config               print the configuration variables and their values
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"occonnect/internal/codec"
	"occonnect/internal/config"
)

const usage = `usage: occonnect <command> [arguments]

commands:
  api                      serve the HTTP API (OCC_API_ADDR)
  worker                   run the Temporal worker
  migrate up|status        create the database if needed, apply or list the migrations
  seed demo                load the demo exchange points and staff accounts (make dev)
  staff create --role agent|officer|supervisor|admin --email E [--exchange-point CODE] [--print]
                           create a staff account; its one-time password is e-mailed
                           (or printed with --print) and must be changed at first login
  exchange-points import FILE.csv
                           check and load exchange points (one transaction; nothing
                           loads if a line is wrong; existing codes are updated)
  codec-server             serve /encode and /decode for the Temporal Web UI (OCC_CODEC_ADDR)
  codec-key [ID]           print a new random payload key (for OCC_PAYLOAD_KEYS)
  search-attributes [dev-flags]
                           register the workflows' search attributes in the Temporal
                           namespace (idempotent); dev-flags: print start-dev arguments
  healthcheck [-method M] URL
                           exit 0 when URL answers 2xx (container healthchecks)
  config                   print the configuration variables
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, "occonnect:", err)
		os.Exit(2)
	}
	logger := newLogger(cfg.LogLevel)
	slog.SetDefault(logger)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	args := os.Args[2:]
	switch os.Args[1] {
	case "api":
		err = runAPI(ctx, cfg, logger)
	case "worker":
		err = runWorker(ctx, cfg, logger)
	case "migrate":
		err = runMigrate(ctx, cfg, args)
	case "seed":
		err = runSeed(ctx, cfg, args)
	case "staff":
		err = runStaff(ctx, cfg, args)
	case "exchange-points":
		err = runExchangePoints(ctx, cfg, args)
	case "codec-server":
		err = runCodecServer(ctx, cfg, logger)
	case "search-attributes":
		err = runSearchAttributes(ctx, cfg, logger, args)
	case "healthcheck":
		err = runHealthcheck(ctx, args)
	case "codec-key":
		id := "k1"
		if len(args) > 0 {
			id = args[0]
		}
		var key string
		if key, err = codec.NewKey(id); err == nil {
			fmt.Println(key)
		}
	case "config":
		for _, v := range config.Vars {
			val, set := os.LookupEnv(v.Name)
			if !set {
				val = v.Default + " (default)"
			}
			if strings.Contains(v.Name, "PASSWORD") && set {
				val = "(set)"
			}
			fmt.Printf("%-24s %s\n", v.Name, val)
		}
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		err = usageError("unknown command " + os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "occonnect:", err)
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprint(os.Stderr, usage)
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type usageError string

func (e usageError) Error() string { return string(e) }

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}
