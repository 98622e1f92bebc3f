package ttlcache_test

import (
	"errors"
	"testing"
	"time"

	"github.com/jeton/jeton/internal/ttlcache"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestExpiryAndInvalidate(t *testing.T) {
	var c ttlcache.Cache[string, int]
	c.Put("a", 1, t0.Add(time.Second), t0)
	if v, ok := c.Get("a", t0.Add(999*time.Millisecond)); !ok || v != 1 {
		t.Fatalf("fresh: %v, %v", v, ok)
	}
	if _, ok := c.Get("a", t0.Add(time.Second)); ok {
		t.Fatal("served at its expiry")
	}
	c.Put("b", 2, t0.Add(time.Hour), t0)
	c.Invalidate("b")
	if _, ok := c.Get("b", t0); ok {
		t.Fatal("served after Invalidate")
	}
	c.Put("c", 3, t0.Add(time.Hour), t0)
	c.InvalidateAll()
	if c.Len() != 0 {
		t.Fatalf("Len after InvalidateAll = %d", c.Len())
	}
}

func TestLoadCachesValuesNotErrors(t *testing.T) {
	c := ttlcache.Cache[string, int]{TTL: time.Minute}
	calls := 0
	load := func(v int, err error) func() (int, error) {
		return func() (int, error) { calls++; return v, err }
	}
	if _, err := c.Load("k", t0, load(0, errors.New("down"))); err == nil {
		t.Fatal("error not returned")
	}
	if v, err := c.Load("k", t0, load(7, nil)); v != 7 || err != nil || calls != 2 {
		t.Fatalf("after an error: %v, %v, %d loads", v, err, calls)
	}
	if v, _ := c.Load("k", t0.Add(59*time.Second), load(8, nil)); v != 7 || calls != 2 {
		t.Fatalf("within TTL: %v, %d loads", v, calls)
	}
	if v, _ := c.Load("k", t0.Add(time.Minute), load(9, nil)); v != 9 || calls != 3 {
		t.Fatalf("after TTL: %v, %d loads", v, calls)
	}
	off := ttlcache.Cache[string, int]{}
	off.Load("k", t0, load(1, nil))
	if off.Len() != 0 {
		t.Fatal("a zero TTL cached")
	}
}

// A full cache drops expired entries first, and everything only when all are fresh.
func TestBound(t *testing.T) {
	c := ttlcache.Cache[int, int]{Max: 3}
	c.Put(1, 1, t0.Add(time.Second), t0)
	c.Put(2, 2, t0.Add(time.Hour), t0)
	c.Put(3, 3, t0.Add(time.Hour), t0)
	c.Put(4, 4, t0.Add(time.Hour), t0.Add(time.Second))
	if _, ok := c.Get(2, t0.Add(time.Second)); !ok || c.Len() != 3 {
		t.Fatalf("expired entry not the one dropped: len %d", c.Len())
	}
	c.Put(5, 5, t0.Add(time.Hour), t0.Add(time.Second))
	if c.Len() != 1 {
		t.Fatalf("all fresh and full: len %d after a put, want 1", c.Len())
	}
	var d ttlcache.Cache[int, int]
	for i := range ttlcache.DefaultMax + 1 {
		d.Put(i, i, t0.Add(time.Hour), t0)
	}
	if d.Len() > ttlcache.DefaultMax {
		t.Fatalf("zero Max grew to %d", d.Len())
	}
	u := ttlcache.Cache[int, int]{Max: -1}
	for i := range ttlcache.DefaultMax + 1 {
		u.Put(i, i, t0.Add(time.Hour), t0)
	}
	if u.Len() != ttlcache.DefaultMax+1 {
		t.Fatalf("unbounded cache dropped entries: %d", u.Len())
	}
}

func TestGetOrPutKeepsOneValue(t *testing.T) {
	var c ttlcache.Cache[string, *int]
	a := c.GetOrPut("k", t0, func() *int { return new(int) })
	b := c.GetOrPut("k", t0.Add(24*365*time.Hour), func() *int { return new(int) })
	if a != b {
		t.Fatal("GetOrPut made a second value for one key")
	}
}

// GetOrPutUntil keeps an entry in use alive, and makes a new one after it expired.
func TestGetOrPutUntilExtendsWhileUsed(t *testing.T) {
	var c ttlcache.Cache[string, *int]
	now := time.Unix(1000, 0)
	made := 0
	mk := func() *int { made++; v := made; return &v }
	first := c.GetOrPutUntil("k", now, now.Add(10*time.Second), mk)
	for i := 1; i <= 30; i++ { // used every 2 s for a minute: never expires
		now = now.Add(2 * time.Second)
		if got := c.GetOrPutUntil("k", now, now.Add(10*time.Second), mk); got != first {
			t.Fatalf("after %v a new entry although it was in use", time.Duration(i)*2*time.Second)
		}
	}
	now = now.Add(11 * time.Second)
	if got := c.GetOrPutUntil("k", now, now.Add(10*time.Second), mk); got == first || made != 2 {
		t.Fatalf("an unused entry outlived its expiry (made %d)", made)
	}
}

// Load counts each lookup as a hit or a miss; Count adds what a Get caller decided.
func TestStats(t *testing.T) {
	c := ttlcache.Cache[string, int]{TTL: time.Minute}
	load := func() (int, error) { return 1, nil }
	c.Load("a", t0, load)                                                 // miss
	c.Load("a", t0.Add(time.Second), load)                                // hit
	c.Load("a", t0.Add(time.Minute), load)                                // expired: miss
	c.Load("b", t0, func() (int, error) { return 0, errors.New("down") }) // miss
	c.Count(true)
	c.Count(false)
	if got := c.Stats(); got != (ttlcache.Stats{Hits: 2, Misses: 4}) {
		t.Fatalf("Stats = %+v", got)
	}
}

// TestLoadDropsValueInvalidatedWhileLoading: a change notification (Invalidate or
// InvalidateAll) that arrives while load is reading the old value must win. Otherwise
// the value read before the change is stored after the invalidation and served for a
// whole TTL: a client disabled on another replica would keep getting tokens here.
func TestLoadDropsValueInvalidatedWhileLoading(t *testing.T) {
	for name, invalidate := range map[string]func(c *ttlcache.Cache[string, int]){
		"Invalidate":    func(c *ttlcache.Cache[string, int]) { c.Invalidate("k") },
		"InvalidateAll": func(c *ttlcache.Cache[string, int]) { c.InvalidateAll() },
	} {
		t.Run(name, func(t *testing.T) {
			c := ttlcache.Cache[string, int]{TTL: time.Hour}
			v, err := c.Load("k", t0, func() (int, error) {
				invalidate(&c) // the store changed after load read it
				return 1, nil
			})
			if v != 1 || err != nil {
				t.Fatalf("Load = %v, %v; the caller still gets what it read", v, err)
			}
			if v, ok := c.Get("k", t0); ok {
				t.Fatalf("a value invalidated while it was loading is cached: %v", v)
			}
			if v, _ := c.Load("k", t0, func() (int, error) { return 2, nil }); v != 2 {
				t.Fatalf("next Load = %v, want the store's new value", v)
			}
			if v, ok := c.Get("k", t0); !ok || v != 2 {
				t.Fatalf("a load with no invalidation meanwhile is cached: %v, %v", v, ok)
			}
		})
	}
}
