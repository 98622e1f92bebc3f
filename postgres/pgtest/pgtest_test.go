package pgtest_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jeton/jeton/postgres/pgtest"
)

func TestWithParam(t *testing.T) {
	for _, tc := range []struct{ dsn, want string }{
		{"postgres://u@h:5432/postgres?sslmode=disable", "postgres://u@h:5432/postgres?dbname=x&sslmode=disable"},
		{"postgresql://u@h/postgres", "postgresql://u@h/postgres?dbname=x"},
		{"host=h user=u dbname=postgres", "host=h user=u dbname=postgres dbname=x"},
	} {
		got := pgtest.WithParam(tc.dsn, "dbname", "x")
		if got != tc.want {
			t.Errorf("WithParam(%q) = %q, want %q", tc.dsn, got, tc.want)
		}
		cfg, err := pgx.ParseConfig(got)
		if err != nil {
			t.Fatalf("ParseConfig(%q): %v", got, err)
		}
		if cfg.Database != "x" {
			t.Errorf("ParseConfig(%q).Database = %q, want x", got, cfg.Database)
		}
	}
}

// TestNewDatabase checks that the database exists, is the one the DSN names, and is
// dropped by the cleanup.
func TestNewDatabase(t *testing.T) {
	var name, dsn string
	t.Run("create", func(t *testing.T) {
		dsn = pgtest.NewDatabase(t)
		conn, err := pgx.Connect(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		if err := conn.QueryRow(t.Context(), "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
	})
	if name == "" {
		t.Skip("no database was created")
	}
	conn, err := pgx.Connect(t.Context(), pgtest.ServerDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var exists bool
	err = conn.QueryRow(t.Context(), "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists)
	if err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Errorf("database %s still exists after cleanup", name)
	}
}
