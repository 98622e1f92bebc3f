package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

func rateLimits(t *testing.T, s jeton.Store) jeton.RateLimitStore {
	t.Helper()
	rs, isRS := s.(jeton.RateLimitStore)
	if !isRS {
		t.Fatalf("%T does not implement jeton.RateLimitStore", s)
	}
	return rs
}

var rateLimitTests = []subtest{
	{"RateLimit/PutGetListReplaceDelete", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		rs := rateLimits(t, s)
		seed(t, s, "inst-a", "client-a")
		_, err := rs.GetRateLimit(ctx, jeton.RateLimitClient, "client-a")
		is(t, "none yet", err, jeton.ErrNotFound)
		list, err := rs.ListRateLimits(ctx)
		ok(t, "list empty", err)
		if list == nil || len(list) != 0 {
			t.Fatalf("empty list %#v, want a non-nil empty slice", list)
		}
		c := jeton.RateLimit{Scope: jeton.RateLimitClient, ID: "client-a", Rate: 2.5, Burst: 10, UpdatedAt: at(time.Minute)}
		i := jeton.RateLimit{Scope: jeton.RateLimitInstitution, ID: "inst-a", Rate: 0, Burst: 0, UpdatedAt: at(2 * time.Minute)}
		ok(t, "put client", rs.PutRateLimit(ctx, c))
		ok(t, "put institution", rs.PutRateLimit(ctx, i))
		got, err := rs.GetRateLimit(ctx, jeton.RateLimitClient, "client-a")
		ok(t, "get", err)
		if got.Scope != c.Scope || got.ID != c.ID || got.Rate != c.Rate || got.Burst != c.Burst || !got.UpdatedAt.Equal(c.UpdatedAt) {
			t.Errorf("got %+v, want %+v", got, c)
		}
		_, err = rs.GetRateLimit(ctx, jeton.RateLimitInstitution, "client-a")
		is(t, "scope is part of the key", err, jeton.ErrNotFound)
		list, err = rs.ListRateLimits(ctx)
		ok(t, "list", err)
		if len(list) != 2 || list[0].Scope != jeton.RateLimitClient || list[1].Scope != jeton.RateLimitInstitution {
			t.Errorf("list %+v, want client then institution", list)
		}
		c.Rate, c.Burst, c.UpdatedAt = 100, 200, at(3*time.Minute)
		ok(t, "replace", rs.PutRateLimit(ctx, c))
		got, err = rs.GetRateLimit(ctx, jeton.RateLimitClient, "client-a")
		ok(t, "get replaced", err)
		if got.Rate != 100 || got.Burst != 200 || !got.UpdatedAt.Equal(at(3*time.Minute)) {
			t.Errorf("replaced %+v", got)
		}
		ok(t, "delete", rs.DeleteRateLimit(ctx, jeton.RateLimitClient, "client-a"))
		_, err = rs.GetRateLimit(ctx, jeton.RateLimitClient, "client-a")
		is(t, "deleted", err, jeton.ErrNotFound)
		is(t, "delete twice", rs.DeleteRateLimit(ctx, jeton.RateLimitClient, "client-a"), jeton.ErrNotFound)
	}},
	{"RateLimit/UnknownTargetIsNotFound", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		rs := rateLimits(t, s)
		seed(t, s, "inst-a", "client-a")
		for _, l := range []jeton.RateLimit{
			{Scope: jeton.RateLimitClient, ID: "nobody", Rate: 1, Burst: 1},
			{Scope: jeton.RateLimitInstitution, ID: "nowhere", Rate: 1, Burst: 1},
			{Scope: jeton.RateLimitInstitution, ID: "client-a", Rate: 1, Burst: 1}, // a client id is no institution
			{Scope: jeton.RateLimitClient, ID: "inst-a", Rate: 1, Burst: 1},
		} {
			is(t, fmt.Sprintf("put %s %s", l.Scope, l.ID), rs.PutRateLimit(ctx, l), jeton.ErrNotFound)
		}
		list, err := rs.ListRateLimits(ctx)
		ok(t, "list", err)
		if len(list) != 0 {
			t.Errorf("refused puts left rows: %+v", list)
		}
	}},
	// Concurrent puts of one override: every one succeeds (an upsert never conflicts)
	// and one of the written values remains.
	{"RateLimit/ConcurrentPuts", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		rs := rateLimits(t, s)
		seed(t, s, "inst-a", "client-a")
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for n := 1; n <= 20; n++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- rs.PutRateLimit(ctx, jeton.RateLimit{Scope: jeton.RateLimitClient, ID: "client-a", Rate: float64(n), Burst: n})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			ok(t, "concurrent put", err)
		}
		got, err := rs.GetRateLimit(ctx, jeton.RateLimitClient, "client-a")
		ok(t, "get", err)
		if got.Rate < 1 || got.Rate > 20 || float64(got.Burst) != got.Rate {
			t.Errorf("after concurrent puts %+v: not one of the written rows", got)
		}
	}},
}
