// Package janitor deletes rows that can no longer matter — expired refresh tokens and
// families, used assertion ids, opaque access tokens and revocations past their expiry
// — so that tables do not grow without bound (issue 3, "Cleanup"), and, as a step of
// its own, audit events older than the audit retention. The store does the deciding
// (jeton.Store.DeleteExpired, DeleteAuditBefore); the janitor only calls it in bounded
// batches, so no single call holds a lock for long.
package janitor

import (
	"context"
	"log/slog"
	"time"
)

// Defaults.
const (
	DefaultInterval = 10 * time.Minute
	// DefaultBatch is 100 rows per table per statement: on a quiet two-core machine
	// with a million live refresh families, batches of 1,000 multiplied the refresh
	// store call's p99 by 4.7-6.5 during a pass on SQLite (3.3-3.6 on PostgreSQL),
	// batches of 100 by 1.24-1.50 (1.5-1.8), while still deleting about 20,000 rows a
	// second, twice what a server refreshing 10,000 tokens a second expires
	// (docs/benchmarks.md, "Bounding the janitor").
	DefaultBatch = 100
	// DefaultAuditRetention keeps a year of audit events.
	DefaultAuditRetention = 365 * 24 * time.Hour
)

// Store is what the janitor needs (jeton.Store implements it).
type Store interface {
	DeleteExpired(ctx context.Context, now time.Time, batch int) (int, error)
	DeleteAuditBefore(ctx context.Context, before time.Time, batch int) (int, error)
}

// Config sets the schedule. Zero fields take the defaults.
type Config struct {
	// Interval between passes (default DefaultInterval).
	Interval time.Duration
	// Batch is the most rows a single DeleteExpired call removes per table (default
	// DefaultBatch).
	Batch int
	// Pause is how long a pass waits after each batch that removed rows (default 0:
	// none). On SQLite every batch holds the one write lock while it deletes, and
	// the token endpoint's writes queue behind it; a pause lets them through between
	// batches, at the cost of a longer pass (docs/benchmarks.md, "Scale").
	Pause time.Duration
	// Now is the clock that decides what has expired (DESIGN rule 6; default time.Now).
	Now func() time.Time
	// Logger receives one line per pass that removed rows, and errors (default: none).
	Logger *slog.Logger
	// Ticks, when set, triggers the passes instead of a ticker of Interval (tests, or
	// a caller with its own scheduler).
	Ticks <-chan time.Time
	// AuditRetention is how long audit events are kept: each pass deletes the older
	// ones. Zero (or less) keeps them forever. Callers pass it explicitly (serve's and
	// janitor's --audit-retention default to DefaultAuditRetention).
	AuditRetention time.Duration
	// Observer, when set, is told of every pass Run makes (metrics).
	Observer Observer
}

// Observer receives the outcome of each scheduled pass: the rows it removed and its
// error (nil for a complete pass).
type Observer interface {
	Pass(removed int, err error)
}

func (c Config) withDefaults() Config {
	if c.Interval <= 0 {
		c.Interval = DefaultInterval
	}
	if c.Batch <= 0 {
		c.Batch = DefaultBatch
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// RunOnce is one pass: it calls DeleteExpired with one instant until a call removes
// nothing, then deletes the audit events past the retention the same way, and returns
// how many rows were removed in all. It stops early, with the context's error, when
// ctx ends between batches.
func RunOnce(ctx context.Context, s Store, cfg Config) (int, error) {
	cfg = cfg.withDefaults()
	now := cfg.Now()
	total, err := untilNone(ctx, cfg.Pause, func() (int, error) { return s.DeleteExpired(ctx, now, cfg.Batch) })
	if err != nil || cfg.AuditRetention <= 0 {
		return total, err
	}
	audit, err := untilNone(ctx, cfg.Pause, func() (int, error) {
		return s.DeleteAuditBefore(ctx, now.Add(-cfg.AuditRetention), cfg.Batch)
	})
	return total + audit, err
}

// untilNone calls deleteBatch until it removes nothing, waiting pause after each
// batch that removed rows, and sums what it removed.
func untilNone(ctx context.Context, pause time.Duration, deleteBatch func() (int, error)) (int, error) {
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n, err := deleteBatch()
		total += n
		if err != nil || n == 0 {
			return total, err
		}
		if pause > 0 {
			t := time.NewTimer(pause)
			select {
			case <-ctx.Done():
				t.Stop()
				return total, ctx.Err()
			case <-t.C:
			}
		}
	}
}

// Run makes a pass at once and then on every tick until ctx ends; it returns nil
// then. A failed pass is logged and retried at the next tick: the rows it left are
// harmless, only space.
func Run(ctx context.Context, s Store, cfg Config) error {
	cfg = cfg.withDefaults()
	ticks := cfg.Ticks
	if ticks == nil {
		t := time.NewTicker(cfg.Interval)
		defer t.Stop()
		ticks = t.C
	}
	for {
		start := time.Now()
		n, err := RunOnce(ctx, s, cfg)
		if cfg.Observer != nil && ctx.Err() == nil {
			cfg.Observer.Pass(n, err)
		}
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			cfg.Logger.Error("janitor pass failed", "removed", n, "err", err)
		case n > 0:
			cfg.Logger.Info("janitor removed expired rows", "removed", n, "ms", time.Since(start).Milliseconds())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticks:
		}
	}
}
