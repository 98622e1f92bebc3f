package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jeton/jeton"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrations embed.FS

// undefinedTable is SQLSTATE 42P01 (undefined_table): goose's version table is missing,
// i.e. no migration ever ran on this database.
const undefinedTable = "42P01"

// Migrate applies the embedded migrations up to the latest version with goose. A
// PostgreSQL session advisory lock makes replicas that start together migrate one at
// a time.
func (s *Store) Migrate(ctx context.Context) error {
	return s.withGoose(func(p *goose.Provider) error {
		_, err := p.Up(ctx)
		return err
	})
}

// CheckMigrated fails with jeton.ErrNotMigrated when the database lacks migrations this
// build needs (no goose version table, or an older version), so a server that was not
// told to migrate stops at start with a clear message instead of failing on the first
// missing table. It only reads: goose's own version query would create the version
// table. A newer schema is fine: replicas of the previous release keep running while a
// new one migrates.
func (s *Store) CheckMigrated(ctx context.Context) error {
	target, err := targetVersion()
	if err != nil {
		return err
	}
	var current *int64 // NULL: the table exists but records nothing
	err = s.pool.QueryRow(ctx, `SELECT max(version_id) FROM `+gooseTable).Scan(&current)
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe) && pe.Code == undefinedTable:
		return fmt.Errorf("postgres: %w: no schema (this jeton needs version %d)", jeton.ErrNotMigrated, target)
	case err != nil:
		return fmt.Errorf("postgres: schema version: %w", err)
	case current == nil || *current < target:
		var v int64
		if current != nil {
			v = *current
		}
		return fmt.Errorf("postgres: %w: schema version %d, this jeton needs %d", jeton.ErrNotMigrated, v, target)
	}
	return nil
}

// gooseTable is goose's default version table, which Migrate uses.
const gooseTable = "goose_db_version"

// targetVersion is the newest embedded migration's version.
func targetVersion() (int64, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return 0, fmt.Errorf("postgres: migrations: %w", err)
	}
	var target int64
	for _, n := range names {
		v, err := goose.NumericComponent(n)
		if err != nil {
			return 0, fmt.Errorf("postgres: migration %s: %w", n, err)
		}
		target = max(target, v)
	}
	return target, nil
}

// withGoose runs fn with a goose provider over the embedded migrations. goose needs a
// *sql.DB, so this opens one through pgx's stdlib adapter with the pool's connection
// settings, just for fn.
func (s *Store) withGoose(fn func(p *goose.Provider) error) (err error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	db := stdlib.OpenDB(*s.pool.Config().ConnConfig)
	defer func() { err = errors.Join(err, db.Close()) }()
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	if err := fn(p); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}
