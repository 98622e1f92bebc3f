package sqlite_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jeton/jeton/sqlite/sqlitetest"
)

// TestGroupCommitKeepsEveryAcknowledgedWrite: many writers share transactions while
// half of them cancel their context at random moments. Every write that returned nil
// is in the database, and every one that failed left nothing, so one caller's
// cancellation never undoes its neighbours' writes in the same batch.
func TestGroupCommitKeepsEveryAcknowledgedWrite(t *testing.T) {
	s := sqlitetest.New(t)
	const n = 200
	now := time.Now()
	exp := now.Add(time.Hour)
	var wg sync.WaitGroup
	results := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if i%2 == 1 {
				go func() { time.Sleep(time.Duration(i%7) * 100 * time.Microsecond); cancel() }()
			}
			results[i] = s.UseAssertionID(ctx, "client", fmt.Sprintf("jti-%d", i), exp, now)
		}()
	}
	wg.Wait()
	acked := 0
	for i, err := range results {
		// A recorded jti is a replay now; one that was never written is still free.
		again := s.UseAssertionID(context.Background(), "client", fmt.Sprintf("jti-%d", i), exp, now)
		switch {
		case err == nil && again == nil:
			t.Errorf("jti-%d was acknowledged but is not in the database", i)
		case err != nil && again != nil:
			t.Errorf("jti-%d failed (%v) but was recorded", i, err)
		}
		if err == nil {
			acked++
		}
	}
	if acked < n/2 {
		t.Errorf("only %d of %d writes succeeded; the uncancelled half must all succeed", acked, n)
	}
}
