package main

import (
	"context"
	"fmt"
	"os"

	"occonnect/internal/config"
	"occonnect/internal/epimport"
	"occonnect/store"
)

// runExchangePoints: `occonnect exchange-points import FILE.csv` checks the whole file
// (format: package internal/epimport) and loads it in one transaction, creating or
// updating the points by code. When a line is wrong it prints every problem as
// "line N: reason" on stderr and loads nothing.
func runExchangePoints(ctx context.Context, cfg config.Config, args []string) error {
	if len(args) != 2 || args[0] != "import" {
		return usageError("exchange-points needs import FILE.csv")
	}
	f, err := os.Open(args[1])
	if err != nil {
		return err
	}
	defer f.Close()
	points, lineErrs := epimport.Parse(f)
	if len(lineErrs) > 0 {
		for _, e := range lineErrs {
			fmt.Fprintln(os.Stderr, e.Error())
		}
		return fmt.Errorf("%s: %d problem(s); nothing was loaded", args[1], len(lineErrs))
	}
	db, err := store.Open(ctx, cfg.MySQLDSN)
	if err != nil {
		return err
	}
	defer db.Close()
	created, updated, err := store.New(db).ImportExchangePoints(ctx, points)
	if err != nil {
		return fmt.Errorf("nothing was loaded: %w", err)
	}
	fmt.Printf("%d created, %d updated\n", created, updated)
	return nil
}
