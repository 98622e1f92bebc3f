package postgres

import (
	"context"
	"errors"
	"testing"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/postgres/pgtest"
	"github.com/pressly/goose/v3"
)

// migrateTo applies the embedded migrations up to version: a database one release
// behind.
func (s *Store) migrateTo(ctx context.Context, version int64) error {
	return s.withGoose(func(p *goose.Provider) error {
		_, err := p.UpTo(ctx, version)
		return err
	})
}

// CheckMigrated tells an empty or half-migrated database from a current one by goose's
// version table, over a real PostgreSQL.
func TestCheckMigrated(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CheckMigrated(ctx); !errors.Is(err, jeton.ErrNotMigrated) {
		t.Fatalf("empty database: %v, want ErrNotMigrated", err)
	}
	var tables int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil || tables != 0 {
		t.Fatalf("the check wrote to the database: %d tables (%v)", tables, err)
	}
	if err := s.migrateTo(ctx, 7); err != nil {
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
