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
	var dataDir, database, configPath string
	var force bool
	cmd := &cobra.Command{
		Use:   "backup TARGET",
		Short: "Copy the SQLite database to TARGET while jeton runs (PostgreSQL: use pg_dump)",
		Long: "Writes a consistent copy of the SQLite database to TARGET (VACUUM INTO under the running\n" +
			"server's WAL), atomically: TARGET appears complete or not at all. The key-encryption key is\n" +
			"not part of the database: back it up separately, or the copy's signing keys are unreadable.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := applySettings(cmd.Flags(), configPath); err != nil {
				return err
			}
			src, err := sqlitePath(dataDir, database)
			if err != nil {
				return err
			}
			if _, err := os.Stat(src); err != nil {
				return fmt.Errorf("no SQLite database at %s (check --data-dir/--database): %w", src, err)
			}
			size, err := sqlite.Backup(cmd.Context(), src, args[0], force)
			if err != nil {
				return err
			}
			cmd.Printf("backed up %s to %s (%d bytes); the key-encryption key is not in it: back it up separately\n", src, args[0], size)
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace TARGET if it exists")
	databaseFlags(cmd, &configPath, &dataDir, &database)
	return cmd
}

// newRestoreCmd is `jeton restore BACKUP`: put a backup in place of a stopped server's
// SQLite database (sqlite.Restore), keeping the database it replaces.
func newRestoreCmd() *cobra.Command {
	var dataDir, database, configPath string
	cmd := &cobra.Command{
		Use:   "restore BACKUP",
		Short: "Replace the SQLite database of a stopped server with BACKUP (the old one is kept)",
		Long: "Checks that BACKUP is an intact jeton database, refuses while a process has the database open,\n" +
			"keeps the current database as <database>.replaced-<time>, removes its -wal/-shm files and moves\n" +
			"the backup into place. The data dir needs the key-encryption key the backup was made under.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := applySettings(cmd.Flags(), configPath); err != nil {
				return err
			}
			dst, err := sqlitePath(dataDir, database)
			if err != nil {
				return err
			}
			if database == "" {
				if err := os.MkdirAll(dataDir, 0o700); err != nil {
					return fmt.Errorf("data dir: %w", err)
				}
			}
			replaced, err := sqlite.Restore(cmd.Context(), args[0], dst)
			if err != nil {
				return err
			}
			cmd.Printf("restored %s from %s\n", dst, args[0])
			if replaced != "" {
				cmd.Printf("the replaced database is kept as %s\n", replaced)
			}
			return nil
		},
	}
	databaseFlags(cmd, &configPath, &dataDir, &database)
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

func databaseFlags(cmd *cobra.Command, configPath, dataDir, database *string) {
	f := cmd.Flags()
	f.StringVar(configPath, "config", os.Getenv("JETON_CONFIG"), "YAML config file [JETON_CONFIG]")
	f.StringVar(dataDir, "data-dir", defaultDataDir, "data directory (SQLite default location)")
	f.StringVar(database, "database", "", "SQLite database file (default <data-dir>/jeton.db); postgres://... is refused: use pg_dump/pg_restore")
}
