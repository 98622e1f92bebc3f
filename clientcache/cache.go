// Package clientcache keeps recently used clients in memory so the token hot path does
// not read the database on every request.
//
// Entries live for a short TTL and are dropped at once by Invalidate, which the admin
// API calls on every client change in this process. The TTL bounds how long another
// replica (sharing a PostgreSQL store) may use a stale client: disabling a client takes
// effect everywhere within one TTL (default 1 s, DESIGN "Scale-out").
package clientcache

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jeton/jeton"
)

// DefaultMaxEntries bounds memory: a flood of random client ids can't grow the cache.
const DefaultMaxEntries = 10000

type entry struct {
	client  jeton.Client
	err     error // jeton.ErrNotFound cached too, so unknown ids don't hit the store each time
	expires time.Time
}

// Cache wraps a ClientStore. Clients it returns share slices with the cache: callers
// must treat them as read-only.
type Cache struct {
	store      jeton.ClientStore
	ttl        time.Duration
	now        func() time.Time
	maxEntries int

	mu      sync.RWMutex
	entries map[string]entry
}

// New returns a cache over store. A ttl of zero disables caching.
func New(store jeton.ClientStore, ttl time.Duration, now func() time.Time) *Cache {
	if now == nil {
		now = time.Now
	}
	return &Cache{store: store, ttl: ttl, now: now, maxEntries: DefaultMaxEntries, entries: map[string]entry{}}
}

// Client returns the client with id, from memory when fresh.
func (c *Cache) Client(ctx context.Context, id string) (jeton.Client, error) {
	now := c.now()
	c.mu.RLock()
	e, ok := c.entries[id]
	c.mu.RUnlock()
	if ok && now.Before(e.expires) {
		return e.client, e.err
	}
	client, err := c.store.GetClient(ctx, id)
	if err != nil && !errors.Is(err, jeton.ErrNotFound) {
		return client, err // a store failure is never cached
	}
	if c.ttl > 0 {
		c.put(id, entry{client: client, err: err, expires: now.Add(c.ttl)})
	}
	return client, err
}

func (c *Cache) put(id string, e entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.maxEntries {
		c.evictExpired(e.expires.Add(-c.ttl))
		if len(c.entries) >= c.maxEntries {
			clear(c.entries) // rare: every entry is fresh; start over rather than grow
		}
	}
	c.entries[id] = e
}

func (c *Cache) evictExpired(now time.Time) {
	for id, e := range c.entries {
		if !now.Before(e.expires) {
			delete(c.entries, id)
		}
	}
}

// Invalidate drops id so the next lookup reads the store.
func (c *Cache) Invalidate(id string) {
	c.mu.Lock()
	delete(c.entries, id)
	c.mu.Unlock()
}

// Len is the number of cached entries (for tests and metrics).
func (c *Cache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}

// InvalidateAll drops every entry: after a gap in change notifications, any cached
// client may be stale.
func (c *Cache) InvalidateAll() {
	c.mu.Lock()
	clear(c.entries)
	c.mu.Unlock()
}

// Changed is the callback for store change notifications: a client id drops that
// client, "" (a notification gap) drops everything.
func (c *Cache) Changed(clientID string) {
	if clientID == "" {
		c.InvalidateAll()
		return
	}
	c.Invalidate(clientID)
}
