package calendarcache_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/calendarcache"
	"github.com/jeton/jeton/internal/testclock"
	"github.com/jeton/jeton/sqlite"
	"github.com/jeton/jeton/sqlite/sqlitetest"
)

// countingStore counts calendar reads of a real SQLite store and can fail them.
type countingStore struct {
	*sqlite.Store
	reads int
	fail  error
}

func (s *countingStore) GetCalendar(ctx context.Context, id string) (*jeton.Calendar, error) {
	s.reads++
	if s.fail != nil {
		return nil, s.fail
	}
	return s.Store.GetCalendar(ctx, id)
}

func TestCacheReadsOncePerTTL(t *testing.T) {
	ctx := context.Background()
	st := &countingStore{Store: sqlitetest.New(t)}
	now := time.Now()
	if err := st.CreateInstitution(ctx, jeton.Institution{ID: "i", Name: "i", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	clock := testclock.New(now)
	c := calendarcache.New(st, time.Minute, clock.Now)
	for range 3 {
		if cal, err := c.Calendar(ctx, "i"); err != nil || cal != nil {
			t.Fatalf("no calendar: %v %v", cal, err)
		}
	}
	if st.reads != 1 {
		t.Errorf("%d reads for three lookups of a missing calendar, want 1", st.reads)
	}
	ws, _ := jeton.ParseWindows("Mon 09:00-17:00")
	cal, _ := jeton.NewCalendar("i", "UTC", ws, nil)
	if err := st.PutCalendar(ctx, cal); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute) // the TTL ends
	if got, err := c.Calendar(ctx, "i"); err != nil || got == nil || st.reads != 2 {
		t.Fatalf("after the TTL: %v %v, %d reads", got, err, st.reads)
	}
	c.Invalidate("i")
	st.fail = errors.New("database down")
	if _, err := c.Calendar(ctx, "i"); err == nil {
		t.Fatal("a store failure must be reported")
	}
	st.fail = nil
	if got, err := c.Calendar(ctx, "i"); err != nil || got == nil || st.reads != 4 {
		t.Errorf("a failure must not be cached: %v %v, %d reads", got, err, st.reads)
	}
}
