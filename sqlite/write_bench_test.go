package sqlite_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/sqlite"
	"github.com/jeton/jeton/sqlite/sqlitetest"
)

// The write-path benchmarks run what one request of each writing grant asks of the
// store, from benchConns goroutines at once (the bench scripts' wrk connections), on
// a table already holding benchPrefill rows: an empty table fits in SQLite's page
// cache and hides what a random insert costs. Besides ns/op they report the process's
// CPU, system CPU, write system calls and bytes written per operation (Linux
// /proc/self/io), and the p99 of one call: the figures that say what a layout or a
// commit change saves on a machine too busy for wall-clock rates.
const (
	benchConns   = 16
	benchPrefill = 200_000
)

// ioCounters is the process's CPU time and write activity.
type ioCounters struct {
	cpu, sys      time.Duration
	syscw, wchars int64
	syscr, rchars int64
}

func readCounters(tb testing.TB) ioCounters {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	c := ioCounters{cpu: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), sys: time.Duration(ru.Stime.Nano())}
	f, err := os.Open("/proc/self/io")
	if err != nil {
		return c // not Linux: CPU only
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ": ")
		n, _ := strconv.ParseInt(v, 10, 64)
		switch k {
		case "syscw":
			c.syscw = n
		case "wchar":
			c.wchars = n
		case "syscr":
			c.syscr = n
		case "rchar":
			c.rchars = n
		}
	}
	return c
}

// runWrites runs op(i) for i in [0, b.N) on benchConns goroutines and reports the
// per-op counters and the p99 latency of op.
func runWrites(b *testing.B, op func(i int) error) {
	var next atomic.Int64
	lat := make([][]time.Duration, benchConns)
	c0 := readCounters(b)
	b.ResetTimer()
	var wg sync.WaitGroup
	for g := range benchConns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				start := time.Now()
				err := op(i)
				lat[g] = append(lat[g], time.Since(start))
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	c1 := readCounters(b)
	n := float64(b.N)
	b.ReportMetric(float64((c1.cpu-c0.cpu).Nanoseconds())/1000/n, "cpu-us/op")
	b.ReportMetric(float64((c1.sys-c0.sys).Nanoseconds())/1000/n, "sys-us/op")
	b.ReportMetric(float64(c1.syscw-c0.syscw)/n, "syscw/op")
	b.ReportMetric(float64(c1.wchars-c0.wchars)/n, "wbytes/op")
	b.ReportMetric(float64(c1.syscr-c0.syscr)/n, "syscr/op")
	b.ReportMetric(float64(c1.rchars-c0.rchars)/n, "rbytes/op")
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) > 0 {
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	}
}

// benchStore is a migrated store with one institution and one client ("client").
func benchStore(b *testing.B) (*sqlite.Store, time.Time) {
	ctx := context.Background()
	s := sqlitetest.New(b)
	now := time.Now()
	must(b, s.CreateInstitution(ctx, jeton.Institution{ID: "inst", Name: "Inst", CreatedAt: now, UpdatedAt: now}))
	must(b, s.CreateClient(ctx, jeton.Client{ID: "client", InstitutionID: "inst", Name: "c", Status: jeton.ClientActive,
		AuthMethod: jeton.AuthPrivateKey, Institutions: []string{"inst"},
		Grants:      []string{jeton.GrantClientCredentials, jeton.GrantRefreshToken},
		TokenFormat: jeton.FormatJWT, CreatedAt: now, UpdatedAt: now}))
	return s, now
}

// prefill runs fn(i) for benchPrefill values of i, on 64 goroutines so that the
// group committer fills its batches.
func prefill(b *testing.B, fn func(i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < benchPrefill; i = int(next.Add(1)) - 1 {
				must(b, fn(i))
			}
		}()
	}
	wg.Wait()
}

// BenchmarkUseAssertionID is the private_key_jwt request's one write: a client
// assertion's replay record (RFC 7523 §3 item 7), each with a fresh jti. An
// assertion's exp is whole seconds, made by the client just before it sends it:
// here an hour after the call, and the prefilled records' in the minutes before.
func BenchmarkUseAssertionID(b *testing.B) {
	ctx := context.Background()
	s, now := benchStore(b)
	prefill(b, func(i int) error {
		exp := assertionExp(now.Add(time.Duration(i-benchPrefill) * time.Millisecond))
		return s.UseAssertionID(ctx, "client", "pre-"+strconv.Itoa(i), exp, now)
	})
	runWrites(b, func(i int) error {
		return s.UseAssertionID(ctx, "client", jeton.NewID(), assertionExp(time.Now()), now)
	})
}

// assertionExp is the replay record's expiry for an assertion made at t with an
// hour's lifetime: exp (whole seconds, RFC 7519 NumericDate) plus the 60 s skew.
func assertionExp(t time.Time) time.Time { return t.Truncate(time.Second).Add(time.Hour + time.Minute) }

// BenchmarkCardCoreWrites is a CardCore client_credentials request's writes: the
// assertion's replay record, started first, and a new refresh family with its first
// token while it commits (token.Engine overlaps them), then the wait for both.
func BenchmarkCardCoreWrites(b *testing.B) {
	ctx := context.Background()
	s, now := benchStore(b)
	family := func(i int) (jeton.RefreshFamily, jeton.RefreshToken) {
		t := now.Add(time.Duration(i) * time.Microsecond)
		f := jeton.RefreshFamily{ID: jeton.NewTimeID(t), ClientID: "client", InstitutionID: "inst", Subject: "client",
			Scope: []string{"accounts:read"}, CreatedAt: now, ExpiresAt: now.Add(30 * 24 * time.Hour)}
		return f, jeton.RefreshToken{Digest: jeton.RefreshTokenKey(jeton.NewRefreshToken(f.ID)), FamilyID: f.ID, CreatedAt: now,
			ExpiresAt: now.Add(7 * 24 * time.Hour)}
	}
	prefill(b, func(i int) error {
		exp := assertionExp(now.Add(time.Duration(i-benchPrefill) * time.Millisecond))
		if err := s.UseAssertionID(ctx, "client", "pre-"+strconv.Itoa(i), exp, now); err != nil {
			return err
		}
		f, t := family(i)
		return s.CreateRefreshFamily(ctx, f, t)
	})
	runWrites(b, func(i int) error {
		wait := s.StartUseAssertionID(ctx, "client", jeton.NewID(), assertionExp(time.Now()), now)
		f, t := family(benchPrefill + i)
		err := s.CreateRefreshFamily(ctx, f, t)
		if werr := wait(); werr != nil {
			return werr
		}
		return err
	})
}

// BenchmarkRotateRefreshTokenPrefilled is a refresh_token request's reads and write:
// the presented token with its family, then its rotation, on live families of a
// table of benchPrefill. The families were started one after the other (a millisecond
// apart) and are refreshed in random order, as a server's clients do: in the order
// they were made, consecutive rotations would find their rows side by side.
func BenchmarkRotateRefreshTokenPrefilled(b *testing.B) {
	ctx := context.Background()
	s, now := benchStore(b)
	tokens := make([]string, benchPrefill)
	order := rand.Perm(benchPrefill)
	prefill(b, func(i int) error {
		f := jeton.RefreshFamily{ID: jeton.NewTimeID(now.Add(time.Duration(i) * time.Millisecond)), ClientID: "client", InstitutionID: "inst", Subject: "client",
			Scope: []string{"accounts:read"}, CreatedAt: now, ExpiresAt: now.Add(30 * 24 * time.Hour)}
		tokens[i] = jeton.NewRefreshToken(f.ID)
		return s.CreateRefreshFamily(ctx, f, jeton.RefreshToken{Digest: jeton.RefreshTokenKey(tokens[i]), FamilyID: f.ID,
			CreatedAt: now, ExpiresAt: now.Add(7 * 24 * time.Hour)})
	})
	if b.N > benchPrefill {
		b.Fatalf("b.N %d is over the %d prefilled families: use -benchtime %dx or less", b.N, benchPrefill, benchPrefill)
	}
	runWrites(b, func(i int) error {
		old := jeton.RefreshTokenKey(tokens[order[i]])
		tok, fam, err := s.GetRefreshToken(ctx, old)
		if err != nil {
			return fmt.Errorf("get: %w", err)
		}
		return s.RotateRefreshToken(ctx, tok.Digest, jeton.RefreshToken{Digest: jeton.RefreshTokenKey(jeton.NewRefreshToken(fam.ID)),
			FamilyID: fam.ID, CreatedAt: now, ExpiresAt: now.Add(7 * 24 * time.Hour)}, now)
	})
}
