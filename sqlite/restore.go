package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// ErrInUse is returned by Restore when a process (a running `jeton serve`) has the
// database open.
var ErrInUse = errors.New("sqlite: the database is in use")

// Restore puts the backup file at backup in place of the database file at dbPath, for
// a server that is stopped. It returns where the replaced database was kept ("" when
// there was none).
//
// The backup must be a jeton database (quick_check passes, goose's version table
// exists) whose schema is no newer than this build's migrations: an older one is
// migrated by the next `serve`, a newer one needs the jeton that made it.
//
// Restore refuses with ErrInUse while any connection has dbPath open: it takes SQLite's
// EXCLUSIVE lock (locking_mode=EXCLUSIVE, BEGIN EXCLUSIVE), which no other connection
// can hold at the same time, and keeps it while it checkpoints the old WAL into the old
// file. The old database (with its WAL folded in) is kept as
// dbPath.replaced-<UTC time>, the -wal and -shm files are removed (a stale WAL left
// beside the restored file would be replayed into it), and the copy is renamed into
// place after an fsync, so dbPath is always either the old database or the whole
// backup.
func Restore(ctx context.Context, backup, dbPath string) (replaced string, err error) {
	if err := checkBackup(ctx, backup); err != nil {
		return "", err
	}
	if same, err := samePath(backup, dbPath); err == nil && same {
		return "", fmt.Errorf("sqlite: restore: %s is the database itself", backup)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dbPath), "."+filepath.Base(dbPath)+".restore-*")
	if err != nil {
		return "", fmt.Errorf("sqlite: restore: %w", err)
	}
	tmpPath := tmp.Name()
	defer func() {
		if err != nil {
			_ = os.Remove(tmpPath)
		}
	}()
	err = copyInto(tmp, backup)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("sqlite: restore: %w", err)
	}
	if _, err := os.Stat(dbPath); err == nil {
		if err := foldWAL(ctx, dbPath); err != nil {
			return "", err
		}
		replaced = fmt.Sprintf("%s.replaced-%s", dbPath, time.Now().UTC().Format("20060102T150405Z"))
		if err := os.Rename(dbPath, replaced); err != nil {
			return "", fmt.Errorf("sqlite: restore: keep the old database: %w", err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("sqlite: restore: %w", err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(dbPath + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return replaced, fmt.Errorf("sqlite: restore: %w", err)
		}
	}
	if err := os.Rename(tmpPath, dbPath); err != nil {
		return replaced, fmt.Errorf("sqlite: restore: %w", err)
	}
	return replaced, syncDir(filepath.Dir(dbPath))
}

// checkBackup opens backup read-only and checks that it is an intact jeton database this
// build can serve.
func checkBackup(ctx context.Context, backup string) error {
	if _, err := os.Stat(backup); err != nil {
		return fmt.Errorf("sqlite: restore: backup: %w", err)
	}
	if err := quickCheck(ctx, backup); err != nil {
		return fmt.Errorf("sqlite: restore: %s: %w", backup, err)
	}
	db, err := sql.Open("sqlite", "file:"+escapePath(backup)+"?"+url.Values{"mode": {"ro"}}.Encode())
	if err != nil {
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	defer db.Close()
	version, exists, err := schemaVersion(ctx, db)
	if err != nil {
		return fmt.Errorf("sqlite: restore: %s: %w", backup, err)
	}
	if !exists {
		return fmt.Errorf("sqlite: restore: %s is not a jeton database (no schema version)", backup)
	}
	latest, err := latestVersion(db)
	if err != nil {
		return err
	}
	if version > latest {
		return fmt.Errorf("sqlite: restore: %s has schema version %d, newer than this jeton's %d: restore it with the jeton version that made it", backup, version, latest)
	}
	return nil
}

// foldWAL takes the database's EXCLUSIVE lock (ErrInUse if another connection has the
// file open) and closes it again, which checkpoints the WAL into the file.
func foldWAL(ctx context.Context, dbPath string) error {
	q := url.Values{"_pragma": {"locking_mode(EXCLUSIVE)", "busy_timeout(0)"}}
	db, err := sql.Open("sqlite", "file:"+escapePath(dbPath)+"?"+q.Encode())
	if err != nil {
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, "BEGIN EXCLUSIVE; COMMIT"); err != nil {
		return fmt.Errorf("%w: %s (stop jeton serve first): %v", ErrInUse, dbPath, err)
	}
	if _, err := db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return fmt.Errorf("sqlite: restore: checkpoint %s: %w", dbPath, err)
	}
	return nil
}

// copyInto copies the file at src into dst and fsyncs dst.
func copyInto(dst *os.File, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if _, err := io.Copy(dst, in); err != nil {
		return err
	}
	return dst.Sync()
}
