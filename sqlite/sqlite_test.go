package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/sqlite"
)

// TestPragmas checks the settings Open promises on the write connection.
func TestPragmas(t *testing.T) {
	s := newStore(t)
	for pragma, want := range map[string]string{
		"journal_mode": "wal",
		"foreign_keys": "1",
		"synchronous":  "2", // FULL: durable on power loss (TestWriterIsDurable)
		"busy_timeout": "10000",
	} {
		var got string
		if err := s.DB().QueryRowContext(t.Context(), "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", pragma, err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %q, want %q", pragma, got, want)
		}
	}
}

// TestReadsDoNotWaitForWriter holds the write lock in an open transaction and checks
// that a read still answers: reads use their own pool and WAL lets them proceed.
func TestReadsDoNotWaitForWriter(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	in := jeton.Institution{ID: "inst-a", Name: "A"}
	if err := s.CreateInstitution(ctx, in); err != nil {
		t.Fatal(err)
	}
	tx, err := s.DB().BeginTx(ctx, nil) // BEGIN IMMEDIATE: takes the write lock
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE institutions SET name = 'uncommitted'`); err != nil {
		t.Fatal(err)
	}
	readCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	got, err := s.GetInstitution(readCtx, "inst-a")
	if err != nil {
		t.Fatalf("read during write transaction: %v", err)
	}
	if got.Name != "A" {
		t.Errorf("read saw %q, want the committed name %q", got.Name, "A")
	}
}

// TestMigrateTwice checks that migrating an up-to-date database is a no-op and that a
// reopened file keeps its rows.
func TestMigrateTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jeton.db")
	ctx := t.Context()
	for i := range 2 {
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("migrate #%d: %v", i+1, err)
		}
		if i == 0 {
			err = s.CreateInstitution(ctx, jeton.Institution{ID: "inst-a", Name: "A"})
		} else {
			_, err = s.GetInstitution(ctx, "inst-a")
		}
		if err != nil {
			t.Error(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOpenRejectsNonFilePaths(t *testing.T) {
	for _, path := range []string{"", ":memory:", "jeton.db?mode=memory"} {
		if s, err := sqlite.Open(t.Context(), path); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want an error", path)
		}
	}
}
