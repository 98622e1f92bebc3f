package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A janitor pass over many scattered rows, with readers and a writer busy beside it as
// on a live token endpoint, keeps the WAL file near its limit: the deletes hold off
// while the WAL has outgrown the limit by a quarter until it starts over
// (holdWhileWALIsLarge). Without the hold this pass grows the WAL to several times the
// limit, and the first commit after it cuts the file back while holding the write lock.
func TestJanitorPassKeepsTheWALSmall(t *testing.T) {
	const limit = 1 << 20
	ctx := context.Background()
	s := openWithWALLimit(t, limit)
	const rows = 10_000
	expired := seedExpiredAccessTokens(t, s, rows)

	var peak atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	busy := func(f func(i int) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := f(i); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for range 2 { // readers pin their snapshot's frames, as the token endpoint's do
		busy(func(int) error {
			var n int
			return s.read.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM access_tokens LIMIT 200)`).Scan(&n)
		})
	}
	busy(func(i int) error { // the endpoint's small writes
		time.Sleep(time.Millisecond)
		return s.UseAssertionID(ctx, "c", fmt.Sprint("jti-", i), expired.Add(time.Hour), expired)
	})
	busy(func(int) error {
		peak.Store(max(peak.Load(), s.walFileSize()))
		time.Sleep(2 * time.Millisecond)
		return nil
	})

	removed := deleteAllExpired(t, s, expired)
	close(stop)
	wg.Wait()
	if removed != rows {
		t.Fatalf("the pass removed %d rows, want %d", removed, rows)
	}
	if p := peak.Load(); p > 2*limit {
		t.Fatalf("the WAL file reached %d bytes during the pass; want at most %d (twice journal_size_limit)", p, 2*limit)
	}
	t.Logf("largest WAL file during the pass: %d bytes (limit %d)", peak.Load(), limit)
}

// openWithWALLimit opens a migrated store in a temp dir whose WAL limit
// (journal_size_limit) is limit; it is closed when the test ends.
func openWithWALLimit(t *testing.T, limit int64) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := open(ctx, filepath.Join(t.TempDir(), "jeton.db"), limit)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// deleteAllExpired is a janitor pass: DeleteExpired in batches of 100 until none is
// left. It returns the rows removed.
func deleteAllExpired(t *testing.T, s *Store, at time.Time) int {
	t.Helper()
	removed := 0
	for {
		n, err := s.DeleteExpired(context.Background(), at, 100)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return removed
		}
		removed += n
	}
}

// seedExpiredAccessTokens inserts n access tokens with random digests (so their
// deletion touches pages all over the table) that expired an hour ago, then empties the
// WAL. It returns an instant after which all of them have expired.
func seedExpiredAccessTokens(t *testing.T, s *Store, n int) time.Time {
	t.Helper()
	ctx := context.Background()
	c, err := s.write.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	now := time.Now()
	for _, q := range []string{
		`PRAGMA foreign_keys = OFF`, // the rows' client and institution are not the point
		fmt.Sprintf(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < %d)
			INSERT INTO access_tokens (digest, jti, client_id, institution_id, subject, scope, audience, family_id, issued_at, expires_at)
			SELECT randomblob(32), hex(randomblob(16)), 'c', 'i', 's', 'openid', 'a', '', %d, %d + x FROM c`,
			n, now.Add(-2*time.Hour).UnixMicro(), now.Add(-time.Hour).UnixMicro()),
		`PRAGMA foreign_keys = ON`,
		`PRAGMA wal_checkpoint(TRUNCATE)`,
	} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if w := s.walFileSize(); w > 0 {
		t.Fatalf("the WAL was not emptied after seeding: %d bytes", w)
	}
	return now
}

// A read transaction that outlives walHoldMax (a backup, say) keeps the WAL from
// starting over; the janitor then gives up waiting and finishes its pass, and does not
// wait again for walHoldOff.
func TestJanitorGoesOnPastALongReader(t *testing.T) {
	const limit = 256 << 10
	ctx := context.Background()
	s := openWithWALLimit(t, limit)
	s.walHoldMax = 300 * time.Millisecond
	const rows = 5_000
	expired := seedExpiredAccessTokens(t, s, rows)
	long, err := s.read.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer long.Rollback()
	var n int
	if err := long.QueryRowContext(ctx, `SELECT count(*) FROM access_tokens`).Scan(&n); err != nil || n != rows {
		t.Fatalf("the long reader counted %d rows (%v), want %d", n, err, rows)
	}

	start := time.Now()
	removed := deleteAllExpired(t, s, expired)
	took := time.Since(start)
	if removed != rows {
		t.Fatalf("the pass removed %d rows, want %d", removed, rows)
	}
	if w := s.walFileSize(); w <= s.walHoldAt {
		t.Fatalf("the WAL is %d bytes, within the hold's %d: the test did not make the janitor wait", w, s.walHoldAt)
	}
	// One hold of walHoldMax, then none for walHoldOff, not one per statement.
	if n := s.walGaveUp.Load(); n != 1 {
		t.Fatalf("the janitor gave up waiting %d times during the pass, want once", n)
	}
	t.Logf("the pass took %v beside a long reader", took)
}
