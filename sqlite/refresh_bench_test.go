package sqlite_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/sqlite/sqlitetest"
)

// BenchmarkRotateRefreshToken measures refresh rotation at the store alone: 16
// goroutines (the benchmark's connection count) each rotate a different live token of
// a database holding 40,000 families, as the refresh benchmark in bench/ does through
// HTTP. It reports the p99 of one RotateRefreshToken call, which is what group commit
// and the table layout decide.
func BenchmarkRotateRefreshToken(b *testing.B) {
	ctx := context.Background()
	s := sqlitetest.New(b)
	now := time.Now()
	must(b, s.CreateInstitution(ctx, jeton.Institution{ID: "inst", Name: "Inst", CreatedAt: now, UpdatedAt: now}))
	must(b, s.CreateClient(ctx, jeton.Client{ID: "client", InstitutionID: "inst", Name: "c", Status: jeton.ClientActive,
		AuthMethod: jeton.AuthSecretBasic, Institutions: []string{"inst"}, Grants: []string{"refresh_token"},
		TokenFormat: jeton.FormatJWT, CreatedAt: now, UpdatedAt: now}))
	const families = 40000
	tokens := make([]string, families)
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < families; i += 16 {
				f := jeton.RefreshFamily{ID: benchFamilyID(i), ClientID: "client", InstitutionID: "inst",
					Subject: "cust", Scope: []string{"accounts:read"}, AuthTime: now, CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
				tokens[i] = jeton.NewRefreshToken(f.ID)
				must(b, s.CreateRefreshFamily(ctx, f, jeton.RefreshToken{Digest: jeton.RefreshTokenKey(tokens[i]), FamilyID: f.ID,
					CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
			}
		}()
	}
	wg.Wait()
	var next atomic.Int64
	lat := make([][]time.Duration, 16)
	var ru0 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ResetTimer()
	var run sync.WaitGroup
	for g := range 16 {
		run.Add(1)
		go func() {
			defer run.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				k := i % families
				succ := jeton.NewRefreshToken(benchFamilyID(k))
				start := time.Now()
				err := s.RotateRefreshToken(ctx, jeton.RefreshTokenKey(tokens[k]), jeton.RefreshToken{Digest: jeton.RefreshTokenKey(succ),
					FamilyID: benchFamilyID(k), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, now)
				lat[g] = append(lat[g], time.Since(start))
				if err != nil {
					b.Error(err)
					return
				}
				tokens[k] = succ
			}
		}()
	}
	run.Wait()
	b.StopTimer()
	var ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/op")
	b.ReportMetric(float64(ru1.Stime.Nano()-ru0.Stime.Nano())/1000/float64(b.N), "sys-us/op")
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) > 0 {
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	}
}

// benchFamilyID is the id of the benchmark's family i: 32 hex characters, in order,
// like the time-ordered ids of families made one after the other.
func benchFamilyID(i int) string { return fmt.Sprintf("%032x", i) }

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}
