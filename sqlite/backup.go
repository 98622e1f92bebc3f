package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// ErrBackupExists is returned by Backup when the target exists and overwriting was
// not asked for.
var ErrBackupExists = errors.New("sqlite: backup target exists")

// Backup writes a consistent copy of the database file at src to dst while other
// processes (a running `jeton serve`) keep reading and writing it, and returns the
// copy's size in bytes.
//
// The copy is made with VACUUM INTO (https://sqlite.org/lang_vacuum.html#vacuuminto),
// which reads the source inside one read transaction: under WAL that is a snapshot of
// the last commit before it began, taken without blocking the writer or the readers,
// and it includes what is still only in the -wal file. The source is opened read-only
// (mode=ro), so a backup can never change it.
//
// dst appears complete or not at all: the copy is written to a temporary file in dst's
// directory (created 0600: the database holds sealed keys and secret digests), checked
// with PRAGMA quick_check, fsynced, renamed over dst and the directory fsynced. An
// existing dst is refused with ErrBackupExists unless overwrite is set; then the rename
// replaces it atomically. A failure leaves no temporary file behind.
func Backup(ctx context.Context, src, dst string, overwrite bool) (size int64, err error) {
	if src == "" || strings.ContainsRune(src, '?') || strings.HasPrefix(src, ":memory:") {
		return 0, fmt.Errorf("sqlite: backup: source %q must be a plain file path", src)
	}
	if _, err := os.Stat(src); err != nil {
		return 0, fmt.Errorf("sqlite: backup: source: %w", err)
	}
	if same, err := samePath(src, dst); err != nil {
		return 0, fmt.Errorf("sqlite: backup: %w", err)
	} else if same {
		return 0, fmt.Errorf("sqlite: backup: target %s is the database itself", dst)
	}
	if !overwrite {
		if _, err := os.Lstat(dst); err == nil {
			return 0, fmt.Errorf("%w: %s (pass --force to replace it)", ErrBackupExists, dst)
		} else if !errors.Is(err, os.ErrNotExist) {
			return 0, fmt.Errorf("sqlite: backup: target: %w", err)
		}
	}
	// VACUUM INTO accepts an existing empty file, so the temporary file is created
	// first: with a name nobody else has, and with our permissions.
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return 0, fmt.Errorf("sqlite: backup: %w", err)
	}
	tmpPath := tmp.Name()
	tmp.Close()
	defer func() {
		if err != nil {
			_ = os.Remove(tmpPath)
		}
	}()
	if err := vacuumInto(ctx, src, tmpPath); err != nil {
		return 0, err
	}
	if err := quickCheck(ctx, tmpPath); err != nil {
		return 0, err
	}
	if size, err = syncFile(tmpPath); err != nil {
		return 0, err
	}
	if !overwrite {
		// Refuse a target that appeared while the copy was made; link fails on an
		// existing name, so this check and the publication are one step.
		err := os.Link(tmpPath, dst)
		switch {
		case errors.Is(err, os.ErrExist):
			return 0, fmt.Errorf("%w: %s (pass --force to replace it)", ErrBackupExists, dst)
		case err != nil:
			// A file system without hard links (some network shares): check, then
			// rename, which leaves only this moment for a target to appear.
			if _, serr := os.Lstat(dst); serr == nil {
				return 0, fmt.Errorf("%w: %s (pass --force to replace it)", ErrBackupExists, dst)
			}
			if err := os.Rename(tmpPath, dst); err != nil {
				return 0, fmt.Errorf("sqlite: backup: %w", err)
			}
		default:
			_ = os.Remove(tmpPath)
		}
	} else if err := os.Rename(tmpPath, dst); err != nil {
		return 0, fmt.Errorf("sqlite: backup: %w", err)
	}
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return 0, err
	}
	return size, nil
}

// vacuumInto copies src into the (empty) file dst over one read-only connection.
func vacuumInto(ctx context.Context, src, dst string) error {
	q := url.Values{"mode": {"ro"}, "_pragma": {fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS)}}
	db, err := sql.Open("sqlite", "file:"+escapePath(src)+"?"+q.Encode())
	if err != nil {
		return fmt.Errorf("sqlite: backup: open %s: %w", src, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", dst); err != nil {
		return fmt.Errorf("sqlite: backup of %s: %w", src, err)
	}
	return nil
}

// quickCheck runs PRAGMA quick_check on the finished copy before it is published.
func quickCheck(ctx context.Context, path string) error {
	q := url.Values{"mode": {"ro"}}
	db, err := sql.Open("sqlite", "file:"+escapePath(path)+"?"+q.Encode())
	if err != nil {
		return fmt.Errorf("sqlite: backup: check: %w", err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&res); err != nil {
		return fmt.Errorf("sqlite: backup: check: %w", err)
	}
	if res != "ok" {
		return fmt.Errorf("sqlite: backup: the copy fails quick_check: %s", res)
	}
	return nil
}

// escapePath makes a file path safe inside a file: URI (RFC 8089): '%' and '#' would
// otherwise be read as an escape and a fragment.
func escapePath(p string) string {
	return strings.NewReplacer("%", "%25", "#", "%23", "?", "%3f").Replace(p)
}

func syncFile(path string) (int64, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0, fmt.Errorf("sqlite: backup: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("sqlite: backup: fsync: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("sqlite: backup: %w", err)
	}
	return st.Size(), nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sqlite: backup: fsync %s: %w", dir, err)
	}
	return nil
}

// samePath reports whether a and b name the same file (b need not exist).
func samePath(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return os.SameFile(sa, sb), nil
}
