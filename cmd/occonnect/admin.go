package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"occonnect/domain"
	"occonnect/internal/codec"
	"occonnect/internal/config"
	"occonnect/internal/passhash"
	"occonnect/internal/totp"
	"occonnect/mail"
	"occonnect/migrations"
	"occonnect/service"
	"occonnect/store"
)

// createDatabase creates the DSN's database if it does not exist.
func createDatabase(ctx context.Context, dsn string) error {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return fmt.Errorf("parse OCC_MYSQL_DSN: %w", err)
	}
	if cfg.DBName == "" {
		return fmt.Errorf("OCC_MYSQL_DSN names no database")
	}
	name := cfg.DBName
	cfg.DBName = ""
	db, err := store.Open(ctx, cfg.FormatDSN())
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
	if err != nil {
		return fmt.Errorf("create database: %w", err)
	}
	return nil
}

func runMigrate(ctx context.Context, cfg config.Config, args []string) error {
	if len(args) != 1 || (args[0] != "up" && args[0] != "status") {
		return usageError("migrate needs up or status")
	}
	if args[0] == "up" {
		if err := createDatabase(ctx, cfg.MySQLDSN); err != nil {
			return err
		}
	}
	db, err := store.Open(ctx, cfg.MySQLDSN)
	if err != nil {
		return err
	}
	defer db.Close()
	if args[0] == "status" {
		return migrations.Status(ctx, db.DB, os.Stdout)
	}
	if err := migrations.Up(ctx, db.DB); err != nil {
		return err
	}
	return migrations.Status(ctx, db.DB, os.Stdout)
}

// demoExchangePoints: a handful of points for `make dev` (clearly demo data).
var demoExchangePoints = []store.ExchangePoint{
	{Code: "EP-0001", Name: "Démo — Bureau de change Hassan", City: "Rabat", Address: "Avenue Mohammed V, Rabat", Lat: 34.020882, Lon: -6.841650},
	{Code: "EP-0002", Name: "Démo — Banque Maârif", City: "Casablanca", Address: "Boulevard Zerktouni, Casablanca", Lat: 33.589886, Lon: -7.603869},
	{Code: "EP-0003", Name: "Démo — Change Jamaâ El Fna", City: "Marrakech", Address: "Place Jamaâ El Fna, Marrakech", Lat: 31.625826, Lon: -7.989161},
	{Code: "EP-0004", Name: "Démo — Bureau de change Bab Boujloud", City: "Fès", Address: "Bab Boujloud, Fès", Lat: 34.061920, Lon: -4.983740},
	{Code: "EP-0005", Name: "Démo — Transfert Tanger Ville", City: "Tanger", Address: "Boulevard Pasteur, Tanger", Lat: 35.777420, Lon: -5.812940},
	{Code: "EP-0006", Name: "Démo — Hôtel Agadir Bay (sous-délégataire)", City: "Agadir", Address: "Boulevard du 20 Août, Agadir", Lat: 30.416510, Lon: -9.598370},
}

// demoHours: weekdays 08:30-18:00, Saturday morning, closed on Sunday.
var demoHours = func() domain.WeeklyHours {
	var h domain.WeeklyHours
	for d := time.Monday; d <= time.Friday; d++ {
		h[d] = []domain.Interval{{From: 8*60 + 30, To: 18 * 60}}
	}
	h[time.Saturday] = []domain.Interval{{From: 9 * 60, To: 13 * 60}}
	return h
}()

func runSeed(ctx context.Context, cfg config.Config, args []string) error {
	if len(args) != 1 || args[0] != "demo" {
		return usageError("seed needs demo")
	}
	if !cfg.DevSeed {
		return config.ErrDevSeed
	}
	db, err := store.Open(ctx, cfg.MySQLDSN)
	if err != nil {
		return err
	}
	defer db.Close()
	st := store.New(db)
	for _, p := range demoExchangePoints {
		p.OpeningHours, p.Active = demoHours, true
		if err := st.UpsertExchangePoint(ctx, p); err != nil {
			return err
		}
	}
	password := os.Getenv("OCC_DEV_PASSWORD")
	generated := password == ""
	if generated {
		if password, err = passhash.GenerateInitialPassword(); err != nil {
			return err
		}
	}
	hash, err := passhash.Hash(password, passhash.DefaultParams)
	if err != nil {
		return err
	}
	staff := []struct {
		email string
		role  domain.Role
		ep    string
	}{
		{"agent@demo.oc.local", domain.RoleAgent, "EP-0001"},
		{"officer@demo.oc.local", domain.RoleOfficer, ""},
		{"supervisor@demo.oc.local", domain.RoleSupervisor, ""},
		{"head@demo.oc.local", domain.RoleHeadOfUnit, ""},
		{"admin@demo.oc.local", domain.RoleAdmin, ""},
		{mfaDemoEmail, domain.RoleSupervisor, ""},
	}
	for _, s := range staff {
		if err := st.UpsertStaff(ctx, store.Staff{
			Email: s.email, Role: s.role, ExchangePointCode: sql.NullString{String: s.ep, Valid: s.ep != ""},
			PasswordHash: hash, CreatedAt: time.Now().UTC(),
		}); err != nil {
			return err
		}
	}
	fmt.Printf("demo data: %d exchange points, staff agent@ (EP-0001), officer@, supervisor@, head@, admin@, mfa@demo.oc.local\n", len(demoExchangePoints))
	if generated {
		fmt.Printf("demo staff password (OCC_DEV_PASSWORD was unset, generated): %s\n", password)
	} else {
		fmt.Println("demo staff password: the value of OCC_DEV_PASSWORD")
	}
	return seedMFADemo(ctx, cfg, st)
}

// mfaDemoEmail is the demo supervisor enrolled with a second factor.
const mfaDemoEmail = "mfa@demo.oc.local"

// seedMFADemo enrols mfa@demo.oc.local's second factor with the base32 secret of
// OCC_DEV_TOTP_SECRET (generated and printed when unset), sealed with the payload keys
// as the API seals them.
func seedMFADemo(ctx context.Context, cfg config.Config, st *store.Store) error {
	secret := strings.ToUpper(strings.TrimSpace(os.Getenv("OCC_DEV_TOTP_SECRET")))
	generated := secret == ""
	if generated {
		var err error
		if secret, err = totp.NewSecret(); err != nil {
			return err
		}
	} else if !totp.ValidSecret(secret) {
		return errors.New("OCC_DEV_TOTP_SECRET must be a base32 secret of at least 128 bits (32 characters), such as one printed by make dev")
	}
	sealed := secret
	if err := cfg.RequirePayloadKeys(); err != nil {
		return err
	}
	if keys, err := codec.ParseKeys(cfg.PayloadKeys); err != nil {
		return fmt.Errorf("OCC_PAYLOAD_KEYS: %w", err)
	} else if keys != nil {
		if sealed, err = keys.For(service.TOTPSealPurpose).Seal(secret); err != nil {
			return err
		}
	}
	m, err := st.StaffByEmail(ctx, mfaDemoEmail)
	if err != nil {
		return err
	}
	if err := st.SetMFA(ctx, m.ID, sealed, time.Now().UTC()); err != nil {
		return err
	}
	if generated {
		fmt.Printf("%s: second factor enrolled with the TOTP secret %s (OCC_DEV_TOTP_SECRET was unset, generated; add it to an authenticator app)\n", mfaDemoEmail, secret)
	} else {
		fmt.Printf("%s: second factor enrolled with the TOTP secret of OCC_DEV_TOTP_SECRET\n", mfaDemoEmail)
	}
	return nil
}

func runStaff(ctx context.Context, cfg config.Config, args []string) error {
	if len(args) < 1 || args[0] != "create" {
		return usageError("staff needs create")
	}
	fs := flag.NewFlagSet("staff create", flag.ContinueOnError)
	role := fs.String("role", "", "agent | officer | supervisor | head_of_unit | admin")
	email := fs.String("email", "", "the staff member's e-mail (login)")
	ep := fs.String("exchange-point", "", "exchange point code (agents)")
	printOnly := fs.Bool("print", false, "print the one-time password instead of e-mailing it")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError(err.Error())
	}
	db, err := store.Open(ctx, cfg.MySQLDSN)
	if err != nil {
		return err
	}
	defer db.Close()
	hasher, err := passhash.NewHasher(passhash.DefaultParams)
	if err != nil {
		return err
	}
	var mailer mail.Sender
	if !*printOnly {
		if mailer, err = newMailer(cfg); err != nil {
			return err
		}
	}
	svc := service.NewStaffAccounts(store.New(db), hasher, mailer, cfg.CredentialTTL)
	created, err := svc.Create(ctx, nil, service.NewStaff{Role: *role, Email: *email, ExchangePointCode: *ep})
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(os.Stdout).Encode(map[string]any{"id": created.ID, "mailed": created.Mailed, "password": created.Password})
	}
	if created.Mailed {
		fmt.Printf("staff account %d created; the one-time password was e-mailed (valid %s)\n", created.ID, cfg.CredentialTTL)
	} else {
		fmt.Printf("staff account %d created; one-time password (valid %s, must be changed at first login):\n%s\n", created.ID, cfg.CredentialTTL, created.Password)
	}
	return nil
}
