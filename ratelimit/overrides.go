package ratelimit

import (
	"context"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/internal/ttlcache"
)

// Cached is the Overrides of a jeton.RateLimitStore behind a cache: each (scope, id)
// is read at most once per TTL, absent overrides included, so the hot path does no
// store read. The admin API invalidates an entry in-process at every change; another
// replica sees it within TTL (--ratelimit-cache-ttl).
type Cached struct {
	store jeton.RateLimitStore
	cache ttlcache.Cache[overrideKey, override]
}

type overrideKey struct {
	scope jeton.RateLimitScope
	id    string
}

type override struct {
	b  Budget
	ok bool
}

// NewCached returns overrides read from store and cached for ttl.
func NewCached(store jeton.RateLimitStore, ttl time.Duration) *Cached {
	c := &Cached{store: store}
	c.cache.TTL = ttl
	return c
}

// ClientBudget implements Overrides: the client's override, else its institution's.
func (c *Cached) ClientBudget(ctx context.Context, institutionID, clientID string, now time.Time) (Budget, bool) {
	if o := c.get(ctx, jeton.RateLimitClient, clientID, now); o.ok {
		return o.b, true
	}
	o := c.get(ctx, jeton.RateLimitInstitution, institutionID, now)
	return o.b, o.ok
}

// get reads one override. A store error counts as no override (the global budget
// applies) and is cached like one, so a store outage never makes every token request
// a store read; the request's cancellation does not reach the read.
func (c *Cached) get(ctx context.Context, scope jeton.RateLimitScope, id string, now time.Time) override {
	o, _ := c.cache.Load(overrideKey{scope, id}, now, func() (override, error) {
		l, err := c.store.GetRateLimit(context.WithoutCancel(ctx), scope, id)
		if err != nil {
			return override{}, nil
		}
		return override{b: Budget{Rate: l.Rate, Burst: l.Burst}, ok: true}, nil
	})
	return o
}

// Stats are the cache's lookups (metrics).
func (c *Cached) Stats() ttlcache.Stats { return c.cache.Stats() }

// Invalidate drops the cached override of (scope, id).
func (c *Cached) Invalidate(scope jeton.RateLimitScope, id string) {
	c.cache.Invalidate(overrideKey{scope, id})
}
