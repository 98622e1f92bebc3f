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
			if strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://") {
				return errors.New(pgDumpHint)
			}
			src := database
			if src == "" {
				src = filepath.Join(dataDir, "jeton.db")
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
	f := cmd.Flags()
	f.BoolVar(&force, "force", false, "replace TARGET if it exists")
	f.StringVar(&configPath, "config", os.Getenv("JETON_CONFIG"), "YAML config file [JETON_CONFIG]")
	f.StringVar(&dataDir, "data-dir", defaultDataDir, "data directory (SQLite default location)")
	f.StringVar(&database, "database", "", "database: empty for SQLite in the data dir, a file path, or postgres://... (refused: use pg_dump)")
	return cmd
}
