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
	"sync"
	"time"

	"github.com/jeton/jeton"
)

type entry struct {
	cal     *jeton.Calendar // nil: the institution has no calendar (always open)
	expires time.Time
}

// Cache wraps a CalendarStore. Institutions are few, so it is not bounded beyond one
// entry per institution id that asked for a token (ids come from authenticated
// clients, never from a stranger).
type Cache struct {
	store jeton.CalendarStore
	ttl   time.Duration
	now   func() time.Time

	mu      sync.RWMutex
	entries map[string]entry
}

// New returns a cache over store; a ttl of zero disables caching.
func New(store jeton.CalendarStore, ttl time.Duration, now func() time.Time) *Cache {
	if now == nil {
		now = time.Now
	}
	return &Cache{store: store, ttl: ttl, now: now, entries: map[string]entry{}}
}

// Calendar returns the institution's calendar, or nil when it has none.
func (c *Cache) Calendar(ctx context.Context, institutionID string) (*jeton.Calendar, error) {
	now := c.now()
	c.mu.RLock()
	e, ok := c.entries[institutionID]
	c.mu.RUnlock()
	if ok && now.Before(e.expires) {
		return e.cal, nil
	}
	cal, err := c.store.GetCalendar(ctx, institutionID)
	if errors.Is(err, jeton.ErrNotFound) {
		cal, err = nil, nil
	}
	if err != nil {
		return nil, err // a store failure is never cached
	}
	if c.ttl > 0 {
		c.mu.Lock()
		c.entries[institutionID] = entry{cal: cal, expires: now.Add(c.ttl)}
		c.mu.Unlock()
	}
	return cal, nil
}

// Invalidate drops the institution's entry so the next lookup reads the store.
func (c *Cache) Invalidate(institutionID string) {
	c.mu.Lock()
	delete(c.entries, institutionID)
	c.mu.Unlock()
}

// Changed is the callback for store change notifications: an institution id drops
// that entry, "" (a notification gap) drops everything.
func (c *Cache) Changed(institutionID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if institutionID == "" {
		clear(c.entries)
		return
	}
	delete(c.entries, institutionID)
}
