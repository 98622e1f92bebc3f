package main

import (
	"context"
	"strings"
	"testing"

	"github.com/jeton/jeton/postgres/pgtest"
)

// serve on an empty PostgreSQL database without --migrate stops at start and says what
// to do, instead of failing on the first missing table.
func TestServeOnUnmigratedPostgreSQL(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	cfg := testServeConfig(t, t.TempDir(), "--database", dsn)
	a, err := startApp(context.Background(), cfg, discardLogger(t))
	if err == nil {
		a.close()
		t.Fatal("serve started on an unmigrated database")
	}
	for _, want := range []string{"database not migrated", "jeton migrate --database", "--migrate"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), dsn) {
		t.Errorf("error %q repeats the DSN (it may hold a password)", err)
	}
}

// `jeton janitor` says the same (it has no --migrate of its own).
func TestJanitorOnUnmigratedPostgreSQL(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	_, _, err := runCLI(t, "", "janitor", "--once", "--database", dsn)
	if err == nil || !strings.Contains(err.Error(), "database not migrated") || !strings.Contains(err.Error(), "jeton migrate --database") {
		t.Fatalf("janitor on an unmigrated database: %v", err)
	}
}

// `jeton janitor` on a SQLite data dir no serve has migrated (serve always migrates
// SQLite, so only the janitor can meet one).
func TestJanitorOnUnmigratedSQLite(t *testing.T) {
	_, _, err := runCLI(t, "", "janitor", "--once", "--data-dir", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "database not migrated") || !strings.Contains(err.Error(), "jeton migrate") {
		t.Fatalf("janitor on an unmigrated database: %v", err)
	}
}
