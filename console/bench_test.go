package console_test

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clients"
)

// BenchmarkPages renders every list page with 1,000 applications and 100,000
// customers in the store (issue 17: under 50 ms at p99), and reports the p99 of each.
//
//	go test -run '^$' -bench Pages -benchtime 200x ./console/
func BenchmarkPages(b *testing.B) {
	w := benchWorld(b)
	br := w.signedIn("olga")
	apps, _ := w.store.ListClients(b.Context(), "inst-a")
	firstApp, mid := apps[0].ID, apps[500]
	midCursor := fmt.Sprintf("%d.%s", mid.CreatedAt.UnixMicro(), mid.ID)
	for _, p := range []string{"/console/apps", "/console/apps?after=" + midCursor, "/console/apps?q=app-0999",
		"/console/apps/" + firstApp, "/console/customers?institution=inst-a",
		"/console/customers?institution=inst-a&q=user-09", "/console/customers?institution=inst-a&after=user-050000",
		"/console/audit", "/console/audit?action=client.create", "/console/hours?institution=inst-a", "/console/activity"} {
		b.Run(p, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				start := time.Now()
				resp, err := br.c.Get(w.srv.URL + p)
				if err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("%s: %d", p, resp.StatusCode)
				}
				lat = append(lat, time.Since(start))
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// benchWorld seeds one world for every sub-benchmark: 1,000 applications through the
// clients service and 100,000 customers (in parallel, so SQLite's group commit
// batches them).
func benchWorld(b *testing.B) *world {
	bench := newWorld(b)
	{
		ctx := b.Context()
		for i := range 1000 {
			if _, err := bench.clients.Create(ctx, "bench", clients.Input{InstitutionID: "inst-a",
				Name: fmt.Sprintf("app-%04d", i), Scopes: []string{"accounts"}}); err != nil {
				b.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		const workers, total = 32, 100_000
		now := bench.clock()
		for g := range workers {
			wg.Go(func() {
				for i := g; i < total; i += workers {
					c := jeton.Customer{ID: fmt.Sprintf("c-%06d", i), InstitutionID: "inst-a",
						Username: fmt.Sprintf("user-%06d", i), PasswordHash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
						Status: jeton.CustomerActive, CreatedAt: now, UpdatedAt: now}
					if err := bench.store.CreateCustomer(ctx, c); err != nil {
						panic(err)
					}
				}
			})
		}
		wg.Wait()
	}
	return bench
}
