package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
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

// TestRestore: a backup replaces a stopped database (kept aside, its WAL folded in),
// stale -wal/-shm files are removed, a database still open is refused, and so are a
// file that is not a jeton database and one from a newer schema.
func TestRestore(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	now := time.Now()
	rev := jeton.Revocation{Kind: jeton.RevokeJTI, ID: jeton.NewID(), InstitutionID: "bank", RevokedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.Revoke(ctx, rev); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	if _, err := sqlite.Backup(ctx, s.Path(), backup, false); err != nil {
		t.Fatal(err)
	}
	// A write after the backup: the restore must take it away.
	later := rev
	later.ID = jeton.NewID()
	if err := s.Revoke(ctx, later); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.Restore(ctx, backup, s.Path()); !errors.Is(err, sqlite.ErrInUse) {
		t.Fatalf("restore over an open database: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// A crashed server leaves a -wal (here: garbage) that must not meet the restored file.
	if err := os.WriteFile(s.Path()+"-wal", []byte("stale"), 0o600); err != nil {
		t.Fatal(err)
	}
	replaced, err := sqlite.Restore(ctx, backup, s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Path() + "-wal"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale -wal left beside the restored database: %v", err)
	}
	r, err := sqlite.Open(ctx, s.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if n := countRevocations(t, r); n != 1 {
		t.Errorf("restored database has %d revocations, the backup 1", n)
	}
	old, err := sqlite.Open(ctx, replaced)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if n := countRevocations(t, old); n != 2 {
		t.Errorf("kept database %s has %d revocations, want 2", replaced, n)
	}

	// Only the -wal and -shm of a database someone deleted: they go too.
	orphan := filepath.Join(t.TempDir(), "jeton.db")
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.WriteFile(orphan+suffix, []byte("stale"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if replaced, err := sqlite.Restore(ctx, backup, orphan); err != nil || replaced != "" {
		t.Fatalf("restore beside orphaned WAL files: %q %v", replaced, err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(orphan + suffix); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("orphaned %s left beside the restored database: %v", suffix, err)
		}
	}

	junk := filepath.Join(t.TempDir(), "junk.db")
	if err := os.WriteFile(junk, []byte("not a database at all, not even close to one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.Restore(ctx, junk, filepath.Join(t.TempDir(), "jeton.db")); err == nil {
		t.Error("a file that is no database was restored")
	}
	future := filepath.Join(t.TempDir(), "future.db")
	if _, err := sqlite.Backup(ctx, backup, future, false); err != nil {
		t.Fatal(err)
	}
	f, err := sqlite.Open(ctx, future)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.DB().ExecContext(ctx, "INSERT INTO goose_db_version (version_id, is_applied) VALUES (9999, 1)"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := sqlite.Restore(ctx, future, filepath.Join(t.TempDir(), "jeton.db")); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("a backup of a newer schema: %v", err)
	}
}
