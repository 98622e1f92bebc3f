package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/jeton/jeton"
	"github.com/pressly/goose/v3"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate applies the migrations up to the latest version with goose: the embedded
// SQL files and the Go ones (migrate_*.go). It runs on the write pool, not through the
// committer, so run it before serving.
func (s *Store) Migrate(ctx context.Context) error {
	p, err := s.migrator()
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	return nil
}

// CheckMigrated fails with jeton.ErrNotMigrated when the database lacks migrations this
// build needs (no goose version table, or an older version), so a command that does not
// migrate (jeton janitor) stops with a clear message instead of failing on the first
// missing table. It only reads: goose's own version query would create the table.
func (s *Store) CheckMigrated(ctx context.Context) error {
	p, err := s.migrator()
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	var target int64
	for _, src := range p.ListSources() {
		target = max(target, src.Version)
	}
	// SQLite resolves table names when it prepares a statement, so the catalog is
	// asked first.
	var exists bool
	err = s.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM sqlite_schema
		WHERE type = 'table' AND name = 'goose_db_version')`).Scan(&exists)
	if err != nil {
		return fmt.Errorf("sqlite: schema version: %w", err)
	}
	if !exists {
		return fmt.Errorf("sqlite: %w: no schema (this jeton needs version %d)", jeton.ErrNotMigrated, target)
	}
	var current sql.NullInt64
	err = s.read.QueryRowContext(ctx, `SELECT max(version_id) FROM goose_db_version`).Scan(&current)
	switch {
	case err != nil:
		return fmt.Errorf("sqlite: schema version: %w", err)
	case current.Int64 < target:
		return fmt.Errorf("sqlite: %w: schema version %d, this jeton needs %d", jeton.ErrNotMigrated, current.Int64, target)
	}
	return nil
}

func (s *Store) migrator() (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectSQLite3, s.write, fsys,
		goose.WithDisableGlobalRegistry(true), goose.WithGoMigrations(replayKeyMigration))
}
