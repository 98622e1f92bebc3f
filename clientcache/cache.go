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
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/internal/ttlcache"
)

// DefaultMaxEntries bounds memory: a flood of random client ids can't grow the cache.
const DefaultMaxEntries = ttlcache.DefaultMax

type entry struct {
	client jeton.Client
	err    error // jeton.ErrNotFound cached too, so unknown ids don't hit the store each time
}

// Cache wraps a ClientStore. Clients it returns share slices with the cache: callers
// must treat them as read-only.
type Cache struct {
	store   jeton.ClientStore
	now     func() time.Time
	entries ttlcache.Cache[string, *entry] // pointers: a hit copies the client once
}

// New returns a cache over store. A ttl of zero disables caching.
func New(store jeton.ClientStore, ttl time.Duration, now func() time.Time) *Cache {
	if now == nil {
		now = time.Now
	}
	c := &Cache{store: store, now: now}
	c.entries.TTL, c.entries.Max = ttl, DefaultMaxEntries
	return c
}

// SetMaxEntries bounds the cache to n clients (n <= 0: DefaultMaxEntries). Set it
// before first use. A full cache first drops its expired entries and, when all are
// fresh, all of them (internal/ttlcache): memory stays bounded whatever ids arrive,
// and with the default one-second TTL only the clients asked for within a second
// count against the bound (docs/benchmarks.md, "Scale").
func (c *Cache) SetMaxEntries(n int) {
	if n <= 0 {
		n = DefaultMaxEntries
	}
	c.entries.Max = n
}

// Client returns the client with id, from memory when fresh.
func (c *Cache) Client(ctx context.Context, id string) (jeton.Client, error) {
	if c.entries.TTL <= 0 {
		return c.store.GetClient(ctx, id) // caching off: no entry to make
	}
	e, err := c.entries.Load(id, c.now(), func() (*entry, error) {
		client, err := c.store.GetClient(ctx, id)
		if err != nil && !errors.Is(err, jeton.ErrNotFound) {
			return &entry{client: client}, err // a store failure is never cached
		}
		return &entry{client: client, err: err}, nil
	})
	if err != nil {
		return e.client, err
	}
	return e.client, e.err
}

// Invalidate drops id so the next lookup reads the store.
func (c *Cache) Invalidate(id string) { c.entries.Invalidate(id) }

// Stats are the cache's lookups (metrics).
func (c *Cache) Stats() ttlcache.Stats { return c.entries.Stats() }

// Len is the number of cached entries (for tests and metrics).
func (c *Cache) Len() int { return c.entries.Len() }

// InvalidateAll drops every entry: after a gap in change notifications, any cached
// client may be stale.
func (c *Cache) InvalidateAll() { c.entries.InvalidateAll() }

// Changed is the callback for store change notifications: a client id drops that
// client, "" (a notification gap) drops everything.
func (c *Cache) Changed(clientID string) {
	if clientID == "" {
		c.InvalidateAll()
		return
	}
	c.Invalidate(clientID)
}
