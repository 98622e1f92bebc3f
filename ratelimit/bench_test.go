package ratelimit

import (
	"context"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/token"
)

// BenchmarkSuccessPath is what the limiter adds to one successful token request with
// every budget on (the failure budgets as by default; the address and client budgets
// too large for the benchmark to spend, which costs the same): Admit (address bucket, two failed-budget lookups) and Check
// (two cached override lookups, the client bucket), from parallel goroutines.
func BenchmarkSuccessPath(b *testing.B) {
	cfg := Defaults
	cfg.Address, cfg.Client = Budget{Rate: 1e12, Burst: 1 << 30}, Budget{Rate: 1e12, Burst: 1 << 30}
	l, err := New(cfg, NewCached(emptyStore{}, time.Minute), nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := from("198.51.100.7")
	req := token.Request{Credentials: clientauth.Credentials{ClientID: "c1"}}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		cr := &token.ClientRequest{Request: req, Client: &jeton.Client{ID: "c1", InstitutionID: "i1"}}
		for pb.Next() {
			cr.Now = time.Now()
			if err := l.Admit(ctx, req); err != nil {
				b.Fatal(err)
			}
			if err := l.Check(ctx, cr); err != nil {
				b.Fatal(err)
			}
		}
	})
}

type emptyStore struct{ jeton.RateLimitStore }

func (emptyStore) GetRateLimit(context.Context, jeton.RateLimitScope, string) (jeton.RateLimit, error) {
	return jeton.RateLimit{}, jeton.ErrNotFound
}
