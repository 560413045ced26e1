// Command occonnect is the OC Connect back office: the API, the Temporal worker, the
// migrations and the administration commands, in one binary.
//
//	occonnect api                  serve the HTTP API
//	occonnect worker               run the Temporal worker
//	occonnect migrate up|status    create the database if needed and apply the migrations
//	occonnect seed demo            load the demo data of `make dev` (OCC_DEV_SEED=true only)
//	occonnect staff create --role R --email E [--exchange-point CODE] [--print]
//	occonnect exchange-points import FILE.csv
//	occonnect search-attributes    register the workflows' search attributes (real cluster)
//	occonnect config               print the configuration variables and their values
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/go-sql-driver/mysql"

	"occonnect/internal/codec"
	"occonnect/internal/config"
	"occonnect/mail"
)

const usage = `usage: occonnect <command> [arguments]

commands:
  api                      serve the HTTP API (OCC_API_ADDR)
  worker                   run the Temporal worker
  migrate up|status        create the database if needed, apply or list the migrations
  seed demo                load the demo exchange points and staff accounts (make dev;
                           only with OCC_DEV_SEED=true)
  staff create --role agent|officer|supervisor|admin --email E [--exchange-point CODE] [--print]
                           create a staff account; its one-time password is e-mailed
                           (or printed with --print) and must be changed at first login
  exchange-points import FILE.csv
                           check and load exchange points (one transaction; nothing
                           loads if a line is wrong; existing codes are updated)
  codec-server             serve /encode and /decode for the Temporal Web UI (OCC_CODEC_ADDR)
  codec-key [-o FILE] [ID] print a new random payload key (for OCC_PAYLOAD_KEYS), or write
                           it to a new FILE of mode 0600
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
	mail.SetContacts(mail.Contacts(cfg.Contacts)) // the e-mails' footers, from the configuration
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
		err = runCodecKey(args)
	case "config":
		for _, v := range config.Vars {
			val, set := os.LookupEnv(v.Name)
			if !set {
				val = v.Default + " (default)"
			}
			if set {
				val = shownValue(v.Name, val)
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

// shownValue is a variable's value as `occonnect config` prints it: a secret only as
// "(set)", the password of a DSN masked.
func shownValue(name, val string) string {
	for _, s := range []string{"PASSWORD", "KEYS", "TOKEN", "API_KEY"} {
		if strings.Contains(name, s) {
			if val == "" {
				return ""
			}
			return "(set)"
		}
	}
	if strings.HasSuffix(name, "_DSN") {
		if c, err := mysql.ParseDSN(val); err != nil {
			return "(set, unreadable)"
		} else if c.Passwd != "" {
			c.Passwd = "xxxxx"
			return c.FormatDSN()
		}
	}
	return val
}

// runCodecKey prints a new payload key (ID defaults to k1), or with -o writes it to a new
// file readable by its owner only (mode 0600); an existing file is never overwritten.
func runCodecKey(args []string) error {
	fs := flag.NewFlagSet("codec-key", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("o", "", "")
	if err := fs.Parse(args); err != nil || fs.NArg() > 1 {
		return usageError("codec-key takes [-o FILE] [ID]")
	}
	id := "k1"
	if fs.NArg() == 1 {
		id = fs.Arg(0)
	}
	key, err := codec.NewKey(id)
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = fmt.Println(key)
		return err
	}
	return writeSecretFile(*out, key+"\n")
}

// writeSecretFile creates path with mode 0600 (whatever the umask) and writes data; it
// refuses a path that exists.
func writeSecretFile(path, data string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("key file: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("key file: %w", err)
	}
	if _, err := f.WriteString(data); err != nil {
		f.Close()
		return fmt.Errorf("key file: %w", err)
	}
	return f.Close()
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
