package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/sqlite"
)

func countRevocations(t *testing.T, s *sqlite.Store) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRowContext(t.Context(), "SELECT count(*) FROM revocations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBackupWhileWriting: a backup taken while writers commit holds every row committed
// before it started, passes integrity_check and opens as a migrated store.
func TestBackupWhileWriting(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	revoke := func() error {
		now := time.Now()
		return s.Revoke(context.Background(), jeton.Revocation{Kind: jeton.RevokeJTI, ID: jeton.NewID(),
			InstitutionID: "bank", RevokedAt: now, ExpiresAt: now.Add(time.Hour)})
	}
	for range 200 {
		if err := revoke(); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var written atomic.Int64
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := revoke(); err != nil {
					t.Error(err)
					return
				}
				written.Add(1)
			}
		})
	}
	for written.Load() < 100 { // the writers are running
		time.Sleep(time.Millisecond)
	}
	before := countRevocations(t, s)
	dst := filepath.Join(t.TempDir(), "backup.db")
	size, err := sqlite.Backup(ctx, s.Path(), dst, false)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(dst); err != nil || st.Size() != size || st.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v (reported %d bytes)", st, err, size)
	}
	b, err := sqlite.Open(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.CheckMigrated(ctx); err != nil {
		t.Fatalf("the backup is not a migrated database: %v", err)
	}
	got := countRevocations(t, b)
	if got < before {
		t.Fatalf("backup holds %d revocations, %d were committed before it started", got, before)
	}
	var check string
	if err := b.DB().QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q %v", check, err)
	}
}

// TestBackupTarget: an existing target is refused unless overwrite is set, replaced
// whole when it is, the database itself is never a target, and no temporary file is
// left behind.
func TestBackupTarget(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	dir := t.TempDir()
	dst := filepath.Join(dir, "backup.db")
	if err := os.WriteFile(dst, []byte("an older backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.Backup(ctx, s.Path(), dst, false); !errors.Is(err, sqlite.ErrBackupExists) {
		t.Fatalf("existing target without overwrite: %v", err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "an older backup" {
		t.Fatal("the refused backup changed the existing target")
	}
	if _, err := sqlite.Backup(ctx, s.Path(), dst, true); err != nil {
		t.Fatalf("overwrite: %v", err)
	}
	if b, _ := os.ReadFile(dst); len(b) < 16 || string(b[:16]) != "SQLite format 3\x00" {
		t.Fatalf("target after overwrite is not a SQLite database: %q", b[:min(16, len(b))])
	}
	if _, err := sqlite.Backup(ctx, s.Path(), s.Path(), true); err == nil {
		t.Fatal("backing the database up onto itself was accepted")
	}
	if _, err := sqlite.Backup(ctx, filepath.Join(dir, "missing.db"), filepath.Join(dir, "x.db"), false); err == nil {
		t.Fatal("a missing source was accepted")
	}
	if _, err := sqlite.Backup(ctx, s.Path(), filepath.Join(dir, "no-such-dir", "x.db"), false); err == nil {
		t.Fatal("a target in a missing directory was accepted")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("target directory holds %v, want only backup.db", names)
	}
}
