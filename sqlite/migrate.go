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
	target, err := latestVersion(s.write)
	if err != nil {
		return err
	}
	current, exists, err := schemaVersion(ctx, s.read)
	switch {
	case err != nil:
		return err
	case !exists:
		return fmt.Errorf("sqlite: %w: no schema (this jeton needs version %d)", jeton.ErrNotMigrated, target)
	case current < target:
		return fmt.Errorf("sqlite: %w: schema version %d, this jeton needs %d", jeton.ErrNotMigrated, current, target)
	}
	return nil
}

// schemaVersion reads the database's goose version, reporting whether goose's table
// exists at all. It only reads.
func schemaVersion(ctx context.Context, db *sql.DB) (version int64, exists bool, err error) {
	// SQLite resolves table names when it prepares a statement, so the catalog is
	// asked first.
	err = db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM sqlite_schema
		WHERE type = 'table' AND name = 'goose_db_version')`).Scan(&exists)
	if err != nil || !exists {
		return 0, false, wrapVersionErr(err)
	}
	var current sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT max(version_id) FROM goose_db_version`).Scan(&current); err != nil {
		return 0, true, wrapVersionErr(err)
	}
	return current.Int64, true, nil
}

func wrapVersionErr(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("sqlite: schema version: %w", err)
}

// latestVersion is the highest migration this build has. db is only handed to goose,
// which needs one to list its migrations; nothing is read from it.
func latestVersion(db *sql.DB) (int64, error) {
	p, err := newMigrator(db)
	if err != nil {
		return 0, fmt.Errorf("sqlite: migrate: %w", err)
	}
	var latest int64
	for _, src := range p.ListSources() {
		latest = max(latest, src.Version)
	}
	return latest, nil
}

func (s *Store) migrator() (*goose.Provider, error) { return newMigrator(s.write) }

func newMigrator(db *sql.DB) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectSQLite3, db, fsys,
		goose.WithDisableGlobalRegistry(true), goose.WithGoMigrations(replayKeyMigration))
}
