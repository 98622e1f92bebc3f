// Package stores makes the fresh, migrated stores the conformance suites run on: the
// core's (storetest.Run) and each vendor module's, so every suite runs against both
// backends the same way.
package stores

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/postgres"
	"github.com/jeton/jeton/postgres/pgtest"
	"github.com/jeton/jeton/sqlite"
	"github.com/jeton/jeton/sqlite/sqlitetest"
	"github.com/jeton/jeton/storetest"
)

// SQLite returns a fresh migrated SQLite store in the test's temp directory.
func SQLite(t *testing.T) *sqlite.Store { return sqlitetest.New(t) }

// Postgres creates one throwaway database for t and returns a maker of stores on it,
// each in a schema of its own (through search_path) so subtests never see each
// other's rows; creating a schema is much cheaper than creating a database.
func Postgres(t *testing.T) func(t *testing.T) *postgres.Store {
	dsn := pgtest.NewDatabase(t)
	admin, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(context.Background()) })
	return func(t *testing.T) *postgres.Store {
		schema := "s_" + jeton.NewID()[:16]
		if _, err := admin.Exec(t.Context(), "CREATE SCHEMA "+schema); err != nil {
			t.Fatal(err)
		}
		s, err := postgres.Open(t.Context(),
			pgtest.WithParam(pgtest.WithParam(dsn, "search_path", schema), "pool_max_conns", "8"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			s.Close()
			if _, err := admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
				t.Error(err)
			}
		})
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		return s
	}
}

// Both runs a vendor's conformance cases on a fresh SQLite store and on PostgreSQL. S
// is the vendor's view of a store (jeton.Store plus its own interface), which both
// backends implement; a backend that does not is a test failure.
func Both[S any](t *testing.T, cases []storetest.Case[S]) {
	t.Helper()
	as := func(t *testing.T, s any) S {
		v, ok := s.(S)
		if !ok {
			t.Fatalf("%T does not implement the suite's store interface", s)
		}
		return v
	}
	t.Run("sqlite", func(t *testing.T) {
		storetest.RunCases(t, func(t *testing.T) S { return as(t, SQLite(t)) }, cases)
	})
	t.Run("postgres", func(t *testing.T) {
		newStore := Postgres(t)
		storetest.RunCases(t, func(t *testing.T) S { return as(t, newStore(t)) }, cases)
	})
}
