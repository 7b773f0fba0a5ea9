package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/feedmill/feedmill/internal/store"
	"github.com/feedmill/feedmill/internal/store/backend"
)

const migrateUsage = `Usage: feedmill migrate [--config PATH] --to STORE

Copies everything the configuration's store holds (sources with their fetch
state and schedule, every item with its identity, slug, post path, post
hash and prepared body, settings such as the image proxy key) into another,
empty store: a postgres:// URL, or an SQLite file (created if missing).
The copy is one transaction: counted at the end, and on any failure the
target is left empty. Stop feedmill (run, serve) while it copies; then
point store: at the target. Exit status: 0 when copied, 2 for a bad
command line, 3 when the copy failed.

Flags:
`

func migrateCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, configPath := configFlags("migrate", migrateUsage)
	to := fs.String("to", "", "the `store` to copy into: postgres://… or a database file")
	if ok, code := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if *to == "" {
		fmt.Fprintln(stderr, "feedmill migrate: --to is missing: the store to copy into (postgres://… or a database file)")
		return exitUsage
	}
	cfg, code := loadConfig(ctx, *configPath, stderr)
	if code != exitOK {
		return code
	}
	target := *to
	if !backend.IsPostgres(target) {
		if abs, err := filepath.Abs(target); err == nil {
			target = abs
		}
	}
	if target == cfg.StoreDSN() {
		fmt.Fprintf(stderr, "feedmill migrate: --to is the configuration's own store (%s)\n", backend.Redact(target))
		return exitUsage
	}
	src, err := backend.OpenExisting(ctx, cfg.StoreDSN())
	if errors.Is(err, backend.ErrNoStore) {
		fmt.Fprintf(stderr, "feedmill migrate: %s does not exist: nothing to copy\n", cfg.StoreDSN())
		return exitProblem
	}
	if err != nil {
		fmt.Fprintf(stderr, "feedmill migrate: store: %v\n", err)
		return exitProblem
	}
	defer src.Close()
	dst, err := backend.Open(ctx, target)
	if err != nil {
		fmt.Fprintf(stderr, "feedmill migrate: --to: %v\n", err)
		return exitProblem
	}
	defer dst.Close()
	n, err := copyStore(ctx, src, dst)
	if errors.Is(err, store.ErrNotEmpty) {
		fmt.Fprintf(stderr, "feedmill migrate: %s already holds a store: migrate copies into an empty one only\n", backend.Redact(target))
		return exitProblem
	}
	if err != nil {
		fmt.Fprintf(stderr, "feedmill migrate: %v; %s is left empty\n", err, backend.Redact(target))
		return exitProblem
	}
	fmt.Fprintf(stdout, "copied %v to %s\n", n, backend.Redact(target))
	return exitOK
}

// copyStore copies src into the empty dst and checks that what dst wrote
// is what src gave.
func copyStore(ctx context.Context, src, dst store.Store) (store.Counts, error) {
	from, ok1 := src.(store.Copier)
	to, ok2 := dst.(store.Copier)
	if !ok1 || !ok2 {
		return store.Counts{}, errors.New("this store cannot be copied")
	}
	var read store.Counts
	wrote, err := to.Import(ctx, func(yield func(store.Row) error) error {
		var err error
		read, err = from.Export(ctx, yield)
		return err
	})
	if err != nil {
		return wrote, err
	}
	if read != wrote {
		// Import has committed by now; this means a bug, not a bad store.
		return wrote, fmt.Errorf("read %v but wrote %v", read, wrote)
	}
	return wrote, nil
}
