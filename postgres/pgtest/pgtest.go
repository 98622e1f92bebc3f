// Package pgtest gives tests a throwaway PostgreSQL database. Tests run against
// PostgreSQL only when JETON_TEST_POSTGRES holds a DSN, and skip with a visible message
// otherwise (DESIGN "Tests").
package pgtest

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jeton/jeton"
)

// EnvDSN names the environment variable holding the DSN of a PostgreSQL server that
// tests may create databases on, e.g.
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
const EnvDSN = "JETON_TEST_POSTGRES"

// adminTimeout bounds creating and dropping a test database.
const adminTimeout = 30 * time.Second

// NewDatabase creates an empty database with a unique name on the server named by
// JETON_TEST_POSTGRES, registers a cleanup that drops it (forcing out connections
// left open), and returns a DSN for it. Without JETON_TEST_POSTGRES it skips t.
func NewDatabase(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvDSN)
	if dsn == "" {
		t.Skip(EnvDSN + " not set: skipping PostgreSQL tests")
	}
	name := pgx.Identifier{"jeton_test_" + jeton.NewID()[:16]}.Sanitize()
	admin(t, dsn, "CREATE DATABASE "+name)
	t.Cleanup(func() { admin(t, dsn, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	return WithParam(dsn, "dbname", strings.Trim(name, `"`))
}

// admin runs one statement on a short-lived connection to dsn. It does not use
// t.Context, which is already cancelled when cleanups run.
func admin(t testing.TB, dsn, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("pgtest: %s: %v", sql, err)
	}
}

// WithParam returns dsn with the connection parameter key set to value, for either DSN
// form pgx accepts: a postgres:// URL (a query parameter, which takes precedence over
// the path for dbname) or a keyword/value string (a later keyword wins). value must
// not need quoting (no spaces, quotes or backslashes).
func WithParam(dsn, key, value string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err == nil {
			q := u.Query()
			q.Set(key, value)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dsn + " " + key + "=" + value
}
