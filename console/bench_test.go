package console_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clients"
	"github.com/jeton/jeton/postgres"
	"github.com/jeton/jeton/postgres/pgtest"
	"github.com/jeton/jeton/sqlite/sqlitetest"
)

// BenchmarkPages renders every console page over HTTP with 1,000 applications and
// 100,000 customers in the store (issue 17: under 50 ms at p99), on SQLite and, when
// JETON_TEST_POSTGRES is set, on PostgreSQL, and reports each page's p50 and p99
// (docs/benchmarks.md, "The console's pages"):
//
//	go test -run '^$' -bench Pages -benchtime 200x ./console/
func BenchmarkPages(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		st := sqlitetest.New(b)
		w := newWorldOn(b, st)
		seedApps(b, w)
		seedCustomersSQLite(b, st.DB(), w.clock())
		benchPages(b, w)
	})
	b.Run("postgres", func(b *testing.B) {
		if os.Getenv("JETON_TEST_POSTGRES") == "" {
			b.Skip("JETON_TEST_POSTGRES is not set")
		}
		st, err := postgres.Open(b.Context(), pgtest.NewDatabase(b))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = st.Close() })
		if err := st.Migrate(b.Context()); err != nil {
			b.Fatal(err)
		}
		w := newWorldOn(b, st)
		seedApps(b, w)
		seedCustomersPostgres(b, st.Pool(), w.clock())
		benchPages(b, w)
	})
}

// benchPages measures each page as a sub-benchmark: the first, a middle and a searched
// page of each list, and every other page once.
func benchPages(b *testing.B, w *world) {
	br := w.signedIn("olga")
	apps, err := w.store.ListClients(b.Context(), "inst-a")
	if err != nil || len(apps) != 1000 {
		b.Fatalf("%d applications seeded: %v", len(apps), err)
	}
	slices.SortFunc(apps, func(x, y jeton.Client) int { return x.CreatedAt.Compare(y.CreatedAt) })
	mid := apps[500]
	midCursor := fmt.Sprintf("%d.%s", mid.CreatedAt.UnixMicro(), mid.ID)
	for _, p := range []string{"/console/apps", "/console/apps?after=" + midCursor, "/console/apps?q=app-0999",
		"/console/apps/" + apps[0].ID, "/console/apps/new", "/console/institutions",
		"/console/customers?institution=inst-a", "/console/customers?institution=inst-a&q=user-09",
		"/console/customers?institution=inst-a&after=user-050000", "/console/audit", "/console/audit?action=client.create",
		"/console/hours?institution=inst-a", "/console/keys", "/console/users", "/console/activity"} {
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
			ms := func(q int) float64 { return float64(lat[len(lat)*q/100].Microseconds()) / 1000 }
			b.ReportMetric(ms(50), "p50-ms")
			b.ReportMetric(ms(99), "p99-ms")
		})
	}
}

// seedApps creates 1,000 applications through the clients service (real rows, each
// with its audit event), from a few goroutines so that SQLite's group commit batches
// them.
func seedApps(b *testing.B, w *world) {
	ctx := b.Context()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := g; i < 1000; i += 8 {
				if _, err := w.clients.Create(ctx, "bench", clients.Input{InstitutionID: "inst-a",
					Name: fmt.Sprintf("app-%04d", i), Scopes: []string{"accounts"}}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
}

// benchHash is a well-formed argon2id PHC string: the pages never verify it.
const benchHash = "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"

// seedCustomersSQLite inserts 100,000 customers of inst-a in one statement (a
// recursive CTE counts them), then refreshes the planner's statistics.
func seedCustomersSQLite(b *testing.B, db *sql.DB, now time.Time) {
	ctx := b.Context()
	if _, err := db.ExecContext(ctx, `WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < 99999)
		INSERT INTO customers (id, institution_id, username, password_hash, status, failed_attempts, created_at, updated_at)
		SELECT printf('c-%06d', n), 'inst-a', printf('user-%06d', n), ?, ?, 0, ?, ? FROM seq`,
		benchHash, string(jeton.CustomerActive), now.UnixMicro(), now.UnixMicro()); err != nil {
		b.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	checkCustomers(b, ctx, func() (int, error) {
		var n int
		return n, db.QueryRowContext(ctx, `SELECT count(*) FROM customers`).Scan(&n)
	})
}

// seedCustomersPostgres inserts 100,000 customers of inst-a in one statement
// (generate_series), then refreshes the planner's statistics.
func seedCustomersPostgres(b *testing.B, pool *pgxpool.Pool, now time.Time) {
	ctx := b.Context()
	if _, err := pool.Exec(ctx, `INSERT INTO customers (id, institution_id, username, password_hash, status,
		failed_attempts, created_at, updated_at)
		SELECT 'c-' || lpad(n::text, 6, '0'), 'inst-a', 'user-' || lpad(n::text, 6, '0'), $1, $2, 0, $3, $3
		FROM generate_series(0, 99999) AS n`, benchHash, string(jeton.CustomerActive), now); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	checkCustomers(b, ctx, func() (int, error) {
		var n int
		return n, pool.QueryRow(ctx, `SELECT count(*) FROM customers`).Scan(&n)
	})
}

func checkCustomers(b *testing.B, _ context.Context, count func() (int, error)) {
	if n, err := count(); err != nil || n != 100_000 {
		b.Fatalf("%d customers seeded: %v", n, err)
	}
}
