// Package calendarcache keeps institutions' working-hours calendars in memory, so the
// token hot path never reads the database for them.
//
// Entries (including "no calendar") live for a TTL and are dropped at once by
// Invalidate, which the admin API calls on every calendar change in this process;
// Changed is the callback for PostgreSQL change notifications from other replicas. The
// TTL only bounds staleness while notifications are down.
package calendarcache

import (
	"context"
	"errors"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/internal/ttlcache"
)

// Cache wraps a CalendarStore. Institutions are few, so it is not bounded beyond one
// entry per institution id that asked for a token (ids come from authenticated
// clients, never from a stranger).
type Cache struct {
	store   jeton.CalendarStore
	now     func() time.Time
	entries ttlcache.Cache[string, *jeton.Calendar] // nil: no calendar (always open)
}

// New returns a cache over store; a ttl of zero disables caching.
func New(store jeton.CalendarStore, ttl time.Duration, now func() time.Time) *Cache {
	if now == nil {
		now = time.Now
	}
	c := &Cache{store: store, now: now}
	c.entries.TTL, c.entries.Max = ttl, -1
	return c
}

// Calendar returns the institution's calendar, or nil when it has none.
func (c *Cache) Calendar(ctx context.Context, institutionID string) (*jeton.Calendar, error) {
	return c.entries.Load(institutionID, c.now(), func() (*jeton.Calendar, error) {
		cal, err := c.store.GetCalendar(ctx, institutionID)
		switch {
		case errors.Is(err, jeton.ErrNotFound):
			return nil, nil
		case err != nil:
			return nil, err // a store failure is never cached
		}
		return cal, nil
	})
}

// Stats are the cache's lookups (metrics).
func (c *Cache) Stats() ttlcache.Stats { return c.entries.Stats() }

// Invalidate drops the institution's entry so the next lookup reads the store.
func (c *Cache) Invalidate(institutionID string) { c.entries.Invalidate(institutionID) }

// Changed is the callback for store change notifications: an institution id drops
// that entry, "" (a notification gap) drops everything.
func (c *Cache) Changed(institutionID string) {
	if institutionID == "" {
		c.entries.InvalidateAll()
		return
	}
	c.entries.Invalidate(institutionID)
}
