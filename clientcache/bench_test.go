package clientcache_test

import (
	"context"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientcache"
)

// stubStore answers every GetClient with one client, so the benchmark measures the cache.
type stubStore struct{ jeton.ClientStore }

func (stubStore) GetClient(_ context.Context, id string) (jeton.Client, error) {
	return jeton.Client{ID: id, Status: jeton.ClientActive, Scopes: []string{"a"}}, nil
}

// BenchmarkClientHit is the token endpoint's client lookup: one read lock and one map
// lookup, no allocation.
func BenchmarkClientHit(b *testing.B) {
	ctx := context.Background()
	cache := clientcache.New(stubStore{}, time.Hour, nil)
	if _, err := cache.Client(ctx, "c"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := cache.Client(ctx, "c"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
