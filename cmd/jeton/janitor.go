package main

import (
	"errors"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/jeton/jeton/janitor"
)

// newJanitorCmd is `jeton janitor`: delete expired refresh tokens and families, used
// assertion ids, opaque access tokens and revocations (docs/tokens.md, "Janitor").
// `serve` runs the same janitor on a schedule; this command is for running it by hand
// (--once) or as a separate process next to a fleet of replicas.
func newJanitorCmd() *cobra.Command {
	var dataDir, database, configPath, logFormat, logLevel string
	var once bool
	var interval, retention, pause time.Duration
	var batch int
	cmd := &cobra.Command{
		Use:   "janitor",
		Short: "Delete expired tokens, assertion ids and revocations (--once: one pass, then exit)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applySettings(cmd.Flags(), configPath); err != nil {
				return err
			}
			if batch <= 0 {
				return errors.New("--janitor-batch must be positive")
			}
			if pause < 0 {
				return errors.New("--janitor-pause must not be negative")
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			store, kind, err := openStore(ctx, dataDir, database)
			if err != nil {
				return err
			}
			defer store.Close()
			if err := requireMigrated(ctx, store, kind, ""); err != nil {
				return err
			}
			if retention < 0 {
				return errors.New("--audit-retention must not be negative (0 keeps the audit log forever)")
			}
			cfg := janitor.Config{Interval: interval, Batch: batch, Pause: pause, AuditRetention: retention, Now: time.Now}
			if once {
				n, err := janitor.RunOnce(ctx, store, cfg)
				if err != nil {
					return err
				}
				cmd.Printf("removed %d expired rows\n", n)
				return nil
			}
			if interval <= 0 {
				return errors.New("--janitor-interval must be positive")
			}
			if cfg.Logger, err = newLogger(os.Stderr, logFormat, logLevel); err != nil {
				return err
			}
			return janitor.Run(ctx, store, cfg)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&once, "once", false, "make one pass, print how many rows were removed, and exit")
	f.StringVar(&configPath, "config", os.Getenv("JETON_CONFIG"), "YAML config file [JETON_CONFIG]")
	f.StringVar(&dataDir, "data-dir", defaultDataDir, "data directory (SQLite default location)")
	f.StringVar(&database, "database", "", "database: empty for SQLite in the data dir, a file path, or postgres://...")
	f.DurationVar(&interval, "janitor-interval", janitor.DefaultInterval, "time between passes (without --once)")
	f.IntVar(&batch, "janitor-batch", janitor.DefaultBatch, "most rows one statement deletes per table")
	bindJanitorPause(f, &pause)
	bindAuditRetention(f, &retention)
	f.StringVar(&logFormat, "log-format", "text", "log format: text or json")
	f.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	return cmd
}

// bindJanitorPause declares --janitor-pause, shared by serve and janitor.
func bindJanitorPause(f *pflag.FlagSet, pause *time.Duration) {
	f.DurationVar(pause, "janitor-pause", 0,
		"wait this long after each batch the janitor deletes, so the token endpoint's writes go first (0: no wait)")
}

// bindAuditRetention declares --audit-retention, shared by serve and janitor.
func bindAuditRetention(f *pflag.FlagSet, retention *time.Duration) {
	f.DurationVar(retention, "audit-retention", janitor.DefaultAuditRetention,
		"audit events older than this are deleted by the janitor (default one year); 0 keeps them forever")
}
