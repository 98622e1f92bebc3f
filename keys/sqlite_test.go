package keys

import (
	"path/filepath"
	"testing"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/sqlite"
)

func init() {
	testStores = append(testStores, testStore{"sqlite", openSQLite})
}

func openSQLite(t *testing.T) jeton.KeyStore {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "jeton.db"))
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("sqlite Migrate: %v", err)
	}
	return s
}
