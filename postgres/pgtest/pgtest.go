// Package pgtest gives tests a throwaway PostgreSQL database. Tests run against the
// server JETON_TEST_POSTGRES names, or else against a local one on 127.0.0.1:5432 when
// it answers. With neither they fail, saying how to skip them (JETON_TEST_POSTGRES=skip):
// go test prints "ok" for a package whose tests all skipped, so a silent skip would
// look like a pass.
package pgtest

import (
	"context"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jeton/jeton"
)

// EnvDSN names the environment variable holding the DSN of a PostgreSQL server that
// tests may create databases on, e.g.
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable, or "skip".
const EnvDSN = "JETON_TEST_POSTGRES"

// LocalDSN is the server used when JETON_TEST_POSTGRES is unset: a local PostgreSQL
// with trust authentication, as on a developer machine or CI runner.
const LocalDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// probeTimeout bounds the check whether the local server answers.
const probeTimeout = 2 * time.Second

var localProbe = sync.OnceValue(func() error {
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, LocalDSN)
	if err != nil {
		return err
	}
	return conn.Close(ctx)
})

// ServerDSN returns the DSN of the server tests create databases on: JETON_TEST_POSTGRES,
// or LocalDSN when that is unset and the local server answers. It skips t when
// JETON_TEST_POSTGRES=skip and fails t when no server is named and none answers.
func ServerDSN(t testing.TB) string {
	t.Helper()
	switch dsn := os.Getenv(EnvDSN); dsn {
	case "skip":
		t.Skip(EnvDSN + "=skip: skipping PostgreSQL tests")
	case "":
		if err := localProbe(); err != nil {
			t.Fatalf("pgtest: %s is not set and no PostgreSQL answers at %s (%v); "+
				"set %s to a server's DSN, or %s=skip to skip the PostgreSQL tests", EnvDSN, LocalDSN, err, EnvDSN, EnvDSN)
		}
		return LocalDSN
	default:
		return dsn
	}
	return ""
}

// adminTimeout bounds creating and dropping a test database.
const adminTimeout = 30 * time.Second

// NewDatabase creates an empty database with a unique name on the server ServerDSN
// names, registers a cleanup that drops it (forcing out connections left open), and
// returns a DSN for it.
func NewDatabase(t testing.TB) string {
	t.Helper()
	dsn := ServerDSN(t)
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
