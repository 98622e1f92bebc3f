package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/sqlite"
	"github.com/jeton/jeton/storetest"
)

// newStore opens and migrates a store on a fresh file in the test's temp directory.
func newStore(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "jeton.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) jeton.Store { return newStore(t) })
}
