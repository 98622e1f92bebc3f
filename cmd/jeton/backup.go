package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jeton/jeton/sqlite"
)

// pgDumpHint is what `jeton backup` tells an operator on PostgreSQL
// (docs/operations.md, "Backups").
const pgDumpHint = "jeton backup copies SQLite databases only; back up PostgreSQL with pg_dump, e.g. " +
	"`pg_dump --format=custom --file=jeton.dump \"$DATABASE\"` (restore with pg_restore; docs/operations.md)"

// newBackupCmd is `jeton backup TARGET`: an online, consistent copy of the SQLite
// database, safe to run beside a live `jeton serve` (sqlite.Backup). The key-encryption
// key is not in the database and is not copied: back it up separately.
func newBackupCmd() *cobra.Command {
	var force bool
	cmd := sqliteFileCmd(&cobra.Command{
		Use:   "backup TARGET",
		Short: "Copy the SQLite database to TARGET while jeton runs (PostgreSQL: use pg_dump)",
		Long: "Writes a consistent copy of the SQLite database to TARGET (VACUUM INTO under the running\n" +
			"server's WAL), atomically: TARGET appears complete or not at all. The key-encryption key is\n" +
			"not part of the database: back it up separately, or the copy's signing keys are unreadable.",
	}, func(cmd *cobra.Command, db sqliteFile, target string) error {
		if _, err := os.Stat(db.path); err != nil {
			return fmt.Errorf("no SQLite database at %s (check --data-dir/--database): %w", db.path, err)
		}
		size, err := sqlite.Backup(cmd.Context(), db.path, target, force)
		if err != nil {
			return err
		}
		cmd.Printf("backed up %s to %s (%d bytes); the key-encryption key is not in it: back it up separately\n", db.path, target, size)
		return nil
	})
	cmd.Flags().BoolVar(&force, "force", false, "replace TARGET if it exists")
	return cmd
}

// newRestoreCmd is `jeton restore BACKUP`: put a backup in place of a stopped server's
// SQLite database (sqlite.Restore), keeping the database it replaces.
func newRestoreCmd() *cobra.Command {
	return sqliteFileCmd(&cobra.Command{
		Use:   "restore BACKUP",
		Short: "Replace the SQLite database of a stopped server with BACKUP (the old one is kept)",
		Long: "Checks that BACKUP is an intact jeton database, refuses while a process has the database open,\n" +
			"keeps the current database as <database>.replaced-<time>, removes its -wal/-shm files and moves\n" +
			"the backup into place. The data dir needs the key-encryption key the backup was made under.",
	}, func(cmd *cobra.Command, db sqliteFile, backup string) error {
		if db.inDataDir {
			if err := os.MkdirAll(db.dataDir, 0o700); err != nil {
				return fmt.Errorf("data dir: %w", err)
			}
		}
		replaced, err := sqlite.Restore(cmd.Context(), backup, db.path)
		if err != nil {
			return err
		}
		cmd.Printf("restored %s from %s\n", db.path, backup)
		if replaced != "" {
			cmd.Printf("the replaced database is kept as %s\n", replaced)
		}
		return nil
	})
}

// sqliteFile is the SQLite database a file command works on.
type sqliteFile struct {
	path      string
	dataDir   string
	inDataDir bool // path is <data-dir>/jeton.db, not a --database file
}

// sqliteFileCmd completes cmd as a command on the SQLite file that --data-dir or
// --database names, with one argument (a file path): it reads the settings, refuses
// PostgreSQL and hands run the database and the argument.
func sqliteFileCmd(cmd *cobra.Command, run func(*cobra.Command, sqliteFile, string) error) *cobra.Command {
	var dataDir, database, configPath string
	cmd.Args = cobra.ExactArgs(1)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := applySettings(cmd.Flags(), configPath); err != nil {
			return err
		}
		path, err := sqlitePath(dataDir, database)
		if err != nil {
			return err
		}
		return run(cmd, sqliteFile{path: path, dataDir: dataDir, inDataDir: database == ""}, args[0])
	}
	f := cmd.Flags()
	f.StringVar(&configPath, "config", os.Getenv("JETON_CONFIG"), "YAML config file [JETON_CONFIG]")
	f.StringVar(&dataDir, "data-dir", defaultDataDir, "data directory (SQLite default location)")
	f.StringVar(&database, "database", "", "SQLite database file (default <data-dir>/jeton.db); postgres://... is refused: use pg_dump/pg_restore")
	return cmd
}

// sqlitePath is the SQLite file --data-dir/--database name; PostgreSQL is refused.
func sqlitePath(dataDir, database string) (string, error) {
	if strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://") {
		return "", errors.New(pgDumpHint)
	}
	if database != "" {
		return database, nil
	}
	return filepath.Join(dataDir, "jeton.db"), nil
}
