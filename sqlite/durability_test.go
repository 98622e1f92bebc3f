package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// TestWriterIsDurable: the committer answers a write only after its COMMIT, so a write
// answered is on disk when the commit is durable. In WAL mode that takes
// synchronous=FULL, which syncs the WAL at every commit; NORMAL syncs only at
// checkpoints and may lose the last commits on power loss or an OS crash (SQLite's
// documentation of PRAGMA synchronous). cmd/jeton's SIGKILL tests check the other half:
// nothing is answered before its commit.
func TestWriterIsDurable(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "jeton.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var mode string
	var sync int
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync)
	})
	if err != nil {
		t.Fatal(err)
	}
	if mode != "wal" || sync != 2 {
		t.Fatalf("committer's connection: journal_mode %q, synchronous %d; want wal and 2 (FULL)", mode, sync)
	}
	// The spare write connection (checkpoints, prepares, migrations) commits too.
	for range 2 {
		if err := s.DB().QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil || sync != 2 {
			t.Fatalf("write pool: synchronous %d (%v), want 2 (FULL)", sync, err)
		}
	}
}
