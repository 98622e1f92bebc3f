package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/janitor"
)

// The janitor at scale (docs/benchmarks.md, "Scale"). A store holds -rows refresh
// families (two rows each: the family and its live token) made over the last ten
// days with a ten-day lifetime, so a tenth of them expires every day. Each simulated
// day then
//  1. adds the day's new families (a tenth of -rows, bulk-loaded: the day's traffic),
//  2. measures the refresh grant's store call (ClaimRefreshToken: check and rotate in
//     one) from -probe goroutines for -window without the janitor,
//  3. runs one janitor pass (janitor.RunOnce, -batch, -pause) on the simulated clock
//     while the same probe runs, then the probe alone again for -window, and
//  4. reports rows removed, the pass's delete rate, the live rows, the database's
//     size on disk, the largest WAL file seen during the pass (SQLite), and the
//     probe's p99 without the janitor, during the pass and right after it, and its
//     slowest call right after it (a stall shows there, not in a p99).
// Beside every probe, -readers goroutines read random families' tokens through the
// store's read pool, as the refresh grant does: on SQLite a reader pins the WAL
// frames of its snapshot, which is what lets a pass grow the WAL.
// The janitor keeps up when each day's pass removes what expired that day and the
// size stops growing once the first ten days have turned over.

// dayReport is one simulated day.
type dayReport struct {
	Day         int     `json:"day"`
	Added       int     `json:"added"`
	Removed     int     `json:"removed"`
	PassSecs    float64 `json:"pass_secs"`
	DeleteRate  float64 `json:"deletes_per_sec"`
	Families    int64   `json:"families"`
	SizeMB      float64 `json:"size_mb"`
	QuietP99ms  float64 `json:"quiet_p99_ms"`
	DuringP99ms float64 `json:"during_p99_ms"`
	AfterP99ms  float64 `json:"after_p99_ms"`
	AfterMaxms  float64 `json:"after_max_ms"`
	PeakWALMB   float64 `json:"peak_wal_mb"`
	QuietOps    int     `json:"quiet_ops"`
	DuringOps   int     `json:"during_ops"`
}

func janitorCmd(args []string) error {
	fs := flag.NewFlagSet("janitor", flag.ExitOnError)
	db := fs.String("db", "", "a SQLite file or a postgres:// URL (a fresh database: it is loaded here)")
	rows := fs.Int("rows", 1_000_000, "live refresh families (each one family and one token row)")
	days := fs.Int("days", 14, "simulated days")
	batch := fs.Int("batch", janitor.DefaultBatch, "the janitor's batch (--janitor-batch)")
	pause := fs.Duration("pause", 0, "the janitor's pause between batches (--janitor-pause)")
	probe := fs.Int("probe", 4, "goroutines making the refresh grant's store calls during the measurements")
	window := fs.Duration("window", 5*time.Second, "how long the probe runs without the janitor, before and after each pass")
	readers := fs.Int("readers", 4, "goroutines reading refresh tokens through the read pool beside the probe")
	_ = fs.Parse(args)
	if *db == "" || *rows < 100 || *days < 1 || *batch < 1 || *probe < 1 || *readers < 0 {
		return errors.New("-db, -rows >= 100, -days >= 1, -batch >= 1, -probe >= 1 and -readers >= 0 are required")
	}
	keyDir := os.TempDir()
	if !isPostgres(*db) {
		keyDir = filepath.Dir(*db)
	}
	sizes := Sizes{Institutions: 100, Clients: 1000, Customers: 10_000, Families: *rows}
	m, err := newManifest(sizes, keyDir, "http://127.0.0.1", 0, time.Now())
	if err != nil {
		return err
	}
	p, err := m.pop()
	if err != nil {
		return err
	}
	p.Span, p.Idle, p.Life = 10*24*time.Hour, 10*24*time.Hour, 10*24*time.Hour
	ctx := context.Background()
	start := time.Now()
	if _, err := load(ctx, *db, p, nil); err != nil {
		return err
	}
	fmt.Printf("loaded %d families made over 10 days, 10-day lifetime, in %.1f s; janitor batch %d, pause %v; probe %d goroutines, %d readers\n",
		*rows, time.Since(start).Seconds(), *batch, *pause, *probe, *readers)
	fmt.Printf("%4s %9s %9s %8s %11s %10s %9s %8s %10s %10s %10s %10s %6s %6s\n", "day", "added", "removed", "pass s",
		"deletes/s", "families", "size MB", "WAL MB", "p99 quiet", "p99 pass", "p99 after", "max after", "ratio", "after")
	load := probeLoad{probes: *probe, readers: *readers, window: *window}
	for d := 1; d <= *days; d++ {
		r, err := simulateDay(ctx, *db, p, d, *batch, *pause, load)
		if err != nil {
			return fmt.Errorf("day %d: %w", d, err)
		}
		fmt.Printf("%4d %9d %9d %8.1f %11.0f %10d %9.1f %8.1f %10.2f %10.2f %10.2f %10.2f %6.2f %6.2f\n", r.Day, r.Added, r.Removed,
			r.PassSecs, r.DeleteRate, r.Families, r.SizeMB, r.PeakWALMB, r.QuietP99ms, r.DuringP99ms, r.AfterP99ms, r.AfterMaxms,
			r.DuringP99ms/r.QuietP99ms, r.AfterP99ms/r.QuietP99ms)
	}
	return nil
}

// probeLoad is what runs beside the janitor: probes refresh callers, readers token
// readers, window the length of the measurements without the janitor.
type probeLoad struct {
	probes, readers int
	window          time.Duration
}

func simulateDay(ctx context.Context, db string, base *Pop, d, batch int, pause time.Duration, load probeLoad) (dayReport, error) {
	day := *base
	day.Now = base.Now.Add(time.Duration(d) * 24 * time.Hour)
	day.Span, day.Families, day.Batch = 24*time.Hour, base.Families/10, fmt.Sprintf("day%d", d)
	r := dayReport{Day: d, Added: day.Families}
	if _, err := loadTables(ctx, db, &day, map[string]bool{"refresh_families": true, "refresh_tokens": true}, nil); err != nil {
		return r, err
	}
	st, err := openStore(ctx, db)
	if err != nil {
		return r, err
	}
	defer st.Close()
	stopReaders := readTokens(ctx, st, base, load.readers)
	defer stopReaders()
	wait := func() { time.Sleep(load.window) }
	quiet, err := probeRefresh(ctx, st, &day, load.probes, wait)
	if err != nil {
		return r, err
	}
	var passErr error
	during, err := probeRefresh(ctx, st, &day, load.probes, func() {
		stopWatch := watchWAL(db, &r.PeakWALMB)
		defer stopWatch()
		t := time.Now()
		r.Removed, passErr = janitor.RunOnce(ctx, st, janitor.Config{Batch: batch, Pause: pause, Now: func() time.Time { return day.Now }})
		r.PassSecs = time.Since(t).Seconds()
	})
	if err == nil {
		err = passErr
	}
	if err != nil {
		return r, err
	}
	after, err := probeRefresh(ctx, st, &day, load.probes, wait)
	if err != nil {
		return r, err
	}
	r.DeleteRate = float64(r.Removed) / r.PassSecs
	r.QuietP99ms, r.QuietOps = p99ms(quiet), len(quiet)
	r.DuringP99ms, r.DuringOps = p99ms(during), len(during)
	r.AfterP99ms = p99ms(after)
	if len(after) > 0 {
		r.AfterMaxms = float64(slices.Max(after).Microseconds()) / 1000
	}
	if err := vacuumLikeADay(ctx, db); err != nil {
		return r, err
	}
	r.Families, r.SizeMB, err = dbFacts(ctx, st, db)
	return r, err
}

func p99ms(d []time.Duration) float64 {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return float64(d[min(len(d)-1, len(d)*99/100)].Microseconds()) / 1000
}

// probeRefresh runs the refresh grant's store calls on n goroutines until during
// returns, and returns each call's latency. Every goroutine starts a family of its
// own (untimed, as the grant that issued it would have), then times what a refresh
// does at the store, one ClaimRefreshToken, and keeps rotating. The
// probe's rows expire two simulated days after p.Now, so that the pass running beside
// it leaves them alone and a later one removes them.
func probeRefresh(ctx context.Context, st store, p *Pop, n int, during func()) ([]time.Duration, error) {
	stop := make(chan struct{})
	var mu sync.Mutex
	var lat []time.Duration
	errs := make([]error, n)
	var wg sync.WaitGroup
	for g := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fam, _, _ := p.Family(g)
			now, exp := time.Now(), p.Now.Add(48*time.Hour)
			fam.ID, fam.CreatedAt, fam.ExpiresAt = jeton.NewTimeID(now), now, exp
			tok := jeton.NewRefreshToken(fam.ID)
			key := jeton.RefreshTokenKey(tok)
			if err := st.CreateRefreshFamily(ctx, fam, jeton.RefreshToken{Digest: key, FamilyID: fam.ID, CreatedAt: now, ExpiresAt: exp}); err != nil {
				errs[g] = err
				return
			}
			var mine []time.Duration
			for {
				select {
				case <-stop:
					mu.Lock()
					lat = append(lat, mine...)
					mu.Unlock()
					return
				default:
				}
				t := time.Now()
				nextTok := jeton.NewRefreshToken(fam.ID)
				next := jeton.RefreshToken{Digest: jeton.RefreshTokenKey(nextTok), FamilyID: fam.ID, CreatedAt: t, ExpiresAt: exp}
				claim := jeton.RefreshClaim{Key: key, Next: next, ClientID: fam.ClientID, Institutions: []string{fam.InstitutionID}, Now: t}
				if _, _, _, err := st.ClaimRefreshToken(ctx, claim); err != nil {
					errs[g] = err
					return
				}
				mine = append(mine, time.Since(t))
				key = next.Digest
			}
		}()
	}
	during()
	close(stop)
	wg.Wait()
	return lat, errors.Join(errs...)
}

// readTokens reads random families' tokens on n goroutines until the returned func is
// called. Not finding one (the janitor removed it) is fine.
func readTokens(ctx context.Context, st store, p *Pop, n int) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for g := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			for {
				select {
				case <-done:
					return
				default:
				}
				_, tok, _ := p.Family(rng.IntN(p.Families))
				_, _, _ = st.GetRefreshToken(ctx, tok.Digest)
			}
		}()
	}
	return func() { close(done); wg.Wait() }
}

// watchWAL samples the size of db's WAL file every 10 ms into *peakMB until the returned
// func is called (nothing on PostgreSQL).
func watchWAL(db string, peakMB *float64) (stop func()) {
	if isPostgres(db) {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if fi, err := os.Stat(db + "-wal"); err == nil {
				*peakMB = max(*peakMB, float64(fi.Size())/1e6)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// vacuumLikeADay runs on PostgreSQL the VACUUM that autovacuum would have run during a
// real day: a simulated day here lasts seconds, and autovacuum wakes once a minute
// (autovacuum_naptime), so without it the run measures dead tuples that a server's
// day would have reclaimed. SQLite reuses freed pages at once.
func vacuumLikeADay(ctx context.Context, db string) error {
	if !isPostgres(db) {
		return nil
	}
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `VACUUM refresh_families, refresh_tokens`)
	return err
}

// dbFacts returns the families left and the database's size on disk: the SQLite file
// with its WAL, or pg_database_size.
func dbFacts(ctx context.Context, st store, db string) (int64, float64, error) {
	var fams int64
	if isPostgres(db) {
		conn, err := pgx.Connect(ctx, db)
		if err != nil {
			return 0, 0, err
		}
		defer conn.Close(ctx)
		var size int64
		err = conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM refresh_families), pg_database_size(current_database())`).Scan(&fams, &size)
		return fams, float64(size) / 1e6, err
	}
	if err := sqliteDB(st).QueryRowContext(ctx, `SELECT count(*) FROM refresh_families`).Scan(&fams); err != nil {
		return 0, 0, err
	}
	var size int64
	for _, f := range []string{db, db + "-wal"} {
		if fi, err := os.Stat(f); err == nil {
			size += fi.Size()
		}
	}
	return fams, float64(size) / 1e6, nil
}
