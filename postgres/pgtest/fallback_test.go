package pgtest

import (
	"os"
	"testing"
)

// With JETON_TEST_POSTGRES unset, the tests use the local server when one answers,
// instead of skipping silently (go test prints "ok" for a package whose tests all
// skipped).
func TestNewDatabaseFallsBackToLocalServer(t *testing.T) {
	if os.Getenv(EnvDSN) == "skip" {
		t.Skip(EnvDSN + "=skip")
	}
	t.Setenv(EnvDSN, "")
	var skipped bool
	t.Run("new", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		NewDatabase(t)
	})
	if skipped {
		t.Fatal("NewDatabase skipped with " + EnvDSN + " unset, although a PostgreSQL server answers on 127.0.0.1:5432")
	}
}
