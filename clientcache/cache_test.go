package clientcache_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientcache"
	"github.com/jeton/jeton/sqlite"
	"github.com/jeton/jeton/sqlite/sqlitetest"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func setup(t *testing.T) (*sqlite.Store, jeton.Client) {
	t.Helper()
	ctx := context.Background()
	s := sqlitetest.New(t)
	now := time.Now()
	if err := s.CreateInstitution(ctx, jeton.Institution{ID: "i", Name: "I", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	c := jeton.Client{ID: "c", InstitutionID: "i", Name: "before", Status: jeton.ClientActive, AuthMethod: jeton.AuthSecretBasic,
		TokenFormat: jeton.FormatJWT, SigningAlg: "ES256", AccessTokenTTL: time.Hour, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	return s, c
}

func TestCacheServesUntilTTLOrInvalidate(t *testing.T) {
	ctx := context.Background()
	s, c := setup(t)
	clk := &clock{t: time.Now()}
	cache := clientcache.New(s, time.Second, clk.now)
	if got, _ := cache.Client(ctx, "c"); got.Name != "before" {
		t.Fatalf("first read: %q", got.Name)
	}
	c.Name = "after"
	if err := s.UpdateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got, _ := cache.Client(ctx, "c"); got.Name != "before" {
		t.Errorf("within the TTL the cached client is served, got %q", got.Name)
	}
	clk.t = clk.t.Add(time.Second)
	if got, _ := cache.Client(ctx, "c"); got.Name != "after" {
		t.Errorf("after the TTL the store is read again, got %q", got.Name)
	}
	c.Name = "again"
	if err := s.UpdateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	cache.Invalidate("c")
	if got, _ := cache.Client(ctx, "c"); got.Name != "again" {
		t.Errorf("Invalidate must drop the entry at once, got %q", got.Name)
	}
}

func TestCacheRemembersUnknownIDsUntilInvalidated(t *testing.T) {
	ctx := context.Background()
	s, c := setup(t)
	cache := clientcache.New(s, time.Hour, nil)
	if _, err := cache.Client(ctx, "new"); !errors.Is(err, jeton.ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
	c.ID = "new"
	if err := s.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := cache.Client(ctx, "new"); !errors.Is(err, jeton.ErrNotFound) {
		t.Errorf("a cached miss is served within the TTL, got %v", err)
	}
	cache.Invalidate("new") // what the admin API does on create
	if _, err := cache.Client(ctx, "new"); err != nil {
		t.Errorf("after Invalidate the new client is found, got %v", err)
	}
}

func TestCacheNeverCachesStoreFailures(t *testing.T) {
	ctx := context.Background()
	s, _ := setup(t)
	cache := clientcache.New(s, time.Hour, nil)
	s.Close()
	if _, err := cache.Client(ctx, "c"); err == nil || errors.Is(err, jeton.ErrNotFound) {
		t.Fatalf("closed store: %v, want a store error", err)
	}
}

func TestCacheIsBounded(t *testing.T) {
	ctx := context.Background()
	s, _ := setup(t)
	cache := clientcache.New(s, time.Hour, nil)
	const bound = 50
	clientcache.SetMaxEntries(cache, bound)
	for i := range 3 * bound {
		_, _ = cache.Client(ctx, fmt.Sprintf("random-%d", i))
		if n := cache.Len(); n > bound {
			t.Fatalf("cache holds %d entries, bound is %d", n, bound)
		}
	}
	if _, err := cache.Client(ctx, "c"); err != nil {
		t.Errorf("a real client is still found after the flood: %v", err)
	}
}

func TestChangedDropsOneOrAll(t *testing.T) {
	ctx := context.Background()
	s, c := setup(t)
	cache := clientcache.New(s, time.Hour, nil)
	_, _ = cache.Client(ctx, "c")
	_, _ = cache.Client(ctx, "unknown-1")
	_, _ = cache.Client(ctx, "unknown-2")
	cache.Changed("unknown-1")
	if cache.Len() != 2 {
		t.Errorf("Changed(id) left %d entries, want 2", cache.Len())
	}
	c.Name = "renamed"
	if err := s.UpdateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	cache.Changed("") // a notification gap
	if cache.Len() != 0 {
		t.Errorf("Changed(\"\") left %d entries", cache.Len())
	}
	if got, _ := cache.Client(ctx, "c"); got.Name != "renamed" {
		t.Errorf("after a gap the store is read again, got %q", got.Name)
	}
}
