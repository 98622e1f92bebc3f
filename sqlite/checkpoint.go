package sqlite

import (
	"context"
	"time"
)

// checkpointEvery is how often the WAL is copied back into the database file. Under a
// refresh load the WAL grows by thousands of pages a second; checkpointing every
// 250 ms keeps each pass small (1 s made bursts that showed in the p99, 100 ms cost
// throughput; docs/benchmarks.md).
const checkpointEvery = 250 * time.Millisecond

// checkpointLoop moves WAL checkpoints off the commit path. SQLite's automatic
// checkpoint runs inside whichever commit crosses the WAL size threshold, copying and
// fsyncing thousands of pages while every queued writer waits: under a refresh load
// that was the whole p99 (docs/benchmarks.md). The write connections therefore run with
// wal_autocheckpoint(0), and this goroutine runs a PASSIVE checkpoint every checkpointEvery on
// the spare write connection; PASSIVE never blocks writers or readers (it copies what
// no reader still needs and leaves the rest for next time).
func (s *Store) checkpointLoop() {
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-t.C:
			s.checkpointOnce()
		}
	}
}

// checkpointOnce runs one PASSIVE checkpoint and reports how many frames the WAL holds
// and how many of them are now copied into the database file; ok is false when it
// could not run (for example while another checkpoint runs), which the loop retries on
// its next tick.
func (s *Store) checkpointOnce() (log, copied int, ok bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var busy int
	err := s.write.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &copied)
	return log, copied, err == nil && log >= 0 // log is -1 when it could not run
}
