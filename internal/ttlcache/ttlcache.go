// Package ttlcache is the one in-memory cache behind jeton's hot-path caches (clients,
// calendars, the verified-signature and key caches, the vendors' lookups): a map of
// values that expire, bounded in size, safe for concurrent use.
//
// A hit costs one read lock, one map lookup and one atomic increment (Stats), and
// allocates nothing. A full cache
// first drops what has expired and, if every entry is still fresh, starts over rather
// than grow: a flood of distinct keys (random client ids, random tokens) costs a
// re-read of what was cached, never unbounded memory.
package ttlcache

import (
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMax is the bound of a Cache whose Max is zero.
const DefaultMax = 10000

// NoExpiry is an expiry later than any clock reading: the entry stays until it is
// invalidated or the bound drops it (GetOrPut stores with it).
var NoExpiry = time.Unix(1<<62, 0)

// Cache maps keys to values until their expiry. The zero value is an empty cache of at
// most DefaultMax entries; set TTL and Max before first use.
type Cache[K comparable, V any] struct {
	// TTL is how long Load keeps a value; zero: Load caches nothing.
	TTL time.Duration
	// Max bounds the entries (0: DefaultMax; negative: unbounded, for keys that come
	// only from authenticated callers and are few).
	Max int

	mu sync.RWMutex
	m  map[K]entry[V]
	// gen counts invalidations (written under mu), so that Load does not store a value
	// it read before an invalidation that came while it was loading.
	gen atomic.Uint64

	// hits and misses count lookups (Load, Count) for the metrics.
	hits, misses atomic.Uint64
}

// Stats are a cache's lookups since it was made: answered from memory (Hits) or
// not (Misses).
type Stats struct{ Hits, Misses uint64 }

// Stats returns the lookups counted so far.
func (c *Cache[K, V]) Stats() Stats { return Stats{Hits: c.hits.Load(), Misses: c.misses.Load()} }

// Count counts one lookup that used Get: a caller that decides more than Get (an
// entry found but outdated is a miss) counts what it decided.
func (c *Cache[K, V]) Count(hit bool) {
	if hit {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
}

type entry[V any] struct {
	v   V
	exp time.Time
}

// Get returns k's value if it has not expired at now.
func (c *Cache[K, V]) Get(k K, now time.Time) (V, bool) {
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if !ok || !now.Before(e.exp) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// Put stores v for k until exp.
func (c *Cache[K, V]) Put(k K, v V, exp, now time.Time) {
	c.mu.Lock()
	c.put(k, v, exp, now)
	c.mu.Unlock()
}

// Load returns k's value if fresh at now; otherwise it calls load and keeps its value
// for TTL. It counts a hit or a miss (Stats). An error of load is returned and never
// cached: a caller that wants to cache an answer such as "not found" makes it part of
// V.
//
// A value is not kept when any Invalidate or InvalidateAll ran while load was running:
// load may have read the store before the change that the invalidation announces, and
// keeping that value would serve the old state for a whole TTL (another replica's
// NOTIFY arrives between this replica's read and its store into the cache). The caller
// still gets the value; the next Load reads again.
func (c *Cache[K, V]) Load(k K, now time.Time, load func() (V, error)) (V, error) {
	if v, ok := c.Get(k, now); ok {
		c.hits.Add(1)
		return v, nil
	}
	c.misses.Add(1)
	gen := c.gen.Load()
	v, err := load()
	if err == nil && c.TTL > 0 {
		c.mu.Lock()
		if c.gen.Load() == gen {
			c.put(k, v, now.Add(c.TTL), now)
		}
		c.mu.Unlock()
	}
	return v, err
}

// GetOrPut returns k's value, storing mk() without expiry when there is none, so that
// every caller gets the same value (e.g. a per-key lock and state).
func (c *Cache[K, V]) GetOrPut(k K, now time.Time, mk func() V) V {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[k]; ok && now.Before(e.exp) {
		return e.v
	}
	v := mk()
	c.put(k, v, NoExpiry, now)
	return v
}

// Invalidate drops k, so that the next Load reads its source.
func (c *Cache[K, V]) Invalidate(k K) {
	c.mu.Lock()
	delete(c.m, k)
	c.gen.Add(1)
	c.mu.Unlock()
}

// InvalidateAll drops every entry.
func (c *Cache[K, V]) InvalidateAll() {
	c.mu.Lock()
	clear(c.m)
	c.gen.Add(1)
	c.mu.Unlock()
}

// Len is the number of entries, expired ones included.
func (c *Cache[K, V]) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

// put stores under c.mu, making room first when the cache is full.
func (c *Cache[K, V]) put(k K, v V, exp, now time.Time) {
	if c.m == nil {
		c.m = make(map[K]entry[V])
	}
	if max := c.max(); max > 0 && len(c.m) >= max {
		for key, e := range c.m {
			if !now.Before(e.exp) {
				delete(c.m, key)
			}
		}
		if len(c.m) >= max {
			clear(c.m)
		}
	}
	c.m[k] = entry[V]{v: v, exp: exp}
}

func (c *Cache[K, V]) max() int {
	if c.Max == 0 {
		return DefaultMax
	}
	return c.Max
}

// GetOrPutUntil returns k's value, storing mk() when there is none (or it expired),
// and keeps the entry until at least exp: a caller that uses an entry pushes its
// expiry out (a rate-limit bucket lives while it is in use). The expiry is rewritten
// only when less than half of what exp asks for remains, so a hot entry costs a read
// lock, not a write lock, on almost every call.
func (c *Cache[K, V]) GetOrPutUntil(k K, now, exp time.Time, mk func() V) V {
	half := now.Add(exp.Sub(now) / 2)
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if ok && e.exp.After(half) {
		return e.v
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[k]; ok && now.Before(e.exp) {
		if e.exp.Before(exp) {
			e.exp = exp
			c.m[k] = e
		}
		return e.v
	}
	v := mk()
	c.put(k, v, exp, now)
	return v
}
