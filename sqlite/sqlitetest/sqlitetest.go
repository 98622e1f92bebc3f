// Package sqlitetest gives other packages' tests a real, migrated SQLite store in a
// temp dir, closed when the test ends: tests run on the real default database, never a
// mock.
package sqlitetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/jeton/jeton/sqlite"
)

// New returns a fresh migrated store; it is closed at the end of the test.
func New(t testing.TB) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "jeton.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}
