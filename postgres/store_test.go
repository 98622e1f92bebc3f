package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jeton/jeton"
	"github.com/jeton/jeton/postgres"
	"github.com/jeton/jeton/postgres/pgtest"
	"github.com/jeton/jeton/storetest"
)

// TestConformance runs the shared Store suite on one throwaway database, giving each
// subtest its own schema (through search_path) so subtests never see each other's
// rows; creating a schema is much cheaper than creating a database.
func TestConformance(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	admin, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(context.Background()) })

	storetest.Run(t, func(t *testing.T) jeton.Store {
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
	})
}
