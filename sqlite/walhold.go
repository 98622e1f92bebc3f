package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"time"
)

// A janitor pass deletes millions of rows scattered over the whole file, thousands of
// WAL pages a second for minutes. While it writes, the PASSIVE checkpoints
// (checkpoint.go) never reach the end of the WAL, so SQLite cannot start the WAL over
// and the file grows by gigabytes. Once the pass ends and a checkpoint catches up, the
// first commit that starts the WAL over cuts the file back to journal_size_limit, and
// it does so holding the write lock: 557 ms for a 1.97 GB WAL on the benchmark
// machine, a stall every token-endpoint write waited out (docs/benchmarks.md,
// "Scale"). So the janitor's deletes hold off whenever the WAL file has outgrown the
// limit by a quarter, until the WAL has started over: only a few MiB are ever cut.

// walHoldPoll is how long a held janitor waits between two tries.
const walHoldPoll = 20 * time.Millisecond

// walHoldMax bounds one hold: if the WAL cannot start over in that time (a reader
// holding a snapshot for longer, such as a backup), the pass goes on, and does not
// hold again for walHoldOff, so that a long reader costs the janitor at most one hold
// a minute rather than one per statement.
const (
	walHoldMax = 5 * time.Second
	walHoldOff = time.Minute
)

// walRestartBacklog is how many WAL frames a PASSIVE checkpoint may have left uncopied
// for the janitor to ask for a RESTART checkpoint, which copies the rest itself while
// the committer waits: a few hundred pages, about a millisecond.
const walRestartBacklog = 512

// walRestartWaitMS is how long the RESTART checkpoint waits for readers of older
// snapshots to finish (a busy timeout) before it gives up for this try: the committer
// is blocked while it waits.
const walRestartWaitMS = 20

// walFileSize is the size of the WAL file (0 if there is none).
func (s *Store) walFileSize() int64 {
	fi, err := os.Stat(s.path + "-wal")
	if err != nil {
		return 0
	}
	return fi.Size()
}

// holdWhileWALIsLarge returns at once while the WAL file is within walHoldAt, which is
// nearly always. Otherwise it runs PASSIVE checkpoints until one has copied nearly all
// of the WAL (the janitor is not adding to it meanwhile, only the token endpoint's
// small commits are), then has the committer run a RESTART checkpoint, after which
// the next commit writes the WAL from its start and cuts the file back to
// walSizeLimit. It gives up waiting after walHoldMax (s.walHoldMax; then holds no
// more for walHoldOff).
func (s *Store) holdWhileWALIsLarge(ctx context.Context) error {
	if s.walFileSize() <= s.walHoldAt || time.Now().UnixNano() < s.walNoHoldUntil.Load() {
		return nil
	}
	giveUp := time.NewTimer(s.walHoldMax)
	defer giveUp.Stop()
	for {
		if log, copied, ok := s.checkpointOnce(); ok && log-copied <= walRestartBacklog {
			restarted, err := s.restartWAL(ctx)
			if err != nil || restarted {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-giveUp.C:
			s.walGaveUp.Add(1)
			s.walNoHoldUntil.Store(time.Now().Add(walHoldOff).UnixNano())
			return nil
		case <-time.After(walHoldPoll):
		}
		if s.walFileSize() <= s.walHoldAt {
			return nil // started over already: the token endpoint's writes did it
		}
	}
}

// restartWAL runs `PRAGMA wal_checkpoint(RESTART)` on the committer's connection
// between two batches: it copies what is left of the WAL and waits (at most
// walRestartWaitMS) until no reader uses it, so that the next commit starts the WAL
// over (https://sqlite.org/pragma.html#pragma_wal_checkpoint). It reports whether that
// worked; readers still in the way are not an error.
func (s *Store) restartWAL(ctx context.Context) (bool, error) {
	var busy, log, copied int
	err := s.maintain(ctx, func(ctx context.Context, c *sql.Conn) error {
		if _, err := c.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", walRestartWaitMS)); err != nil {
			return err
		}
		err := c.QueryRowContext(ctx, "PRAGMA wal_checkpoint(RESTART)").Scan(&busy, &log, &copied)
		_, resetErr := c.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", busyTimeoutMS))
		return errors.Join(err, resetErr)
	})
	if err != nil {
		return false, fmt.Errorf("sqlite: restart the WAL: %w", err)
	}
	return busy == 0, nil
}
