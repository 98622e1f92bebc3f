package sqlite

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/jeton/jeton"
)

// CheckMigrated tells an empty or half-migrated database from a current one, and
// only reads.
func TestCheckMigrated(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "jeton.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.CheckMigrated(ctx); !errors.Is(err, jeton.ErrNotMigrated) {
		t.Fatalf("empty database: %v, want ErrNotMigrated", err)
	}
	var tables int
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema`).Scan(&tables); err != nil || tables != 0 {
		t.Fatalf("the check wrote to the database: %d schema objects (%v)", tables, err)
	}
	p, err := s.migrator()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckMigrated(ctx); !errors.Is(err, jeton.ErrNotMigrated) {
		t.Fatalf("database at version 7: %v, want ErrNotMigrated", err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckMigrated(ctx); err != nil {
		t.Fatalf("migrated database: %v", err)
	}
}
