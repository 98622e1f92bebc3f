package janitor_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/janitor"
	"github.com/jeton/jeton/sqlite"
	"github.com/jeton/jeton/sqlite/sqlitetest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// seed fills a real store with n expired rows of every kind the janitor removes and
// one live row of each; it returns the live refresh token's digest.
func seed(t *testing.T, s *sqlite.Store, n int) []byte {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.CreateInstitution(ctx, jeton.Institution{ID: "bank", Name: "bank", CreatedAt: t0, UpdatedAt: t0}))
	must(s.CreateClient(ctx, jeton.Client{ID: "app", InstitutionID: "bank", Name: "app", Status: jeton.ClientActive,
		AuthMethod: jeton.AuthSecretBasic, Institutions: []string{"bank"}, TokenFormat: jeton.FormatOpaque,
		AccessTokenTTL: time.Hour, SigningAlg: "ES256", CreatedAt: t0, UpdatedAt: t0}))
	for i := range n + 1 {
		exp := t0.Add(time.Minute) // expired at t0 + 1 h
		if i == n {
			exp = t0.Add(48 * time.Hour) // the live one
		}
		id := jeton.NewID()
		must(s.UseAssertionID(ctx, "app", id, exp, t0))
		must(s.Revoke(ctx, jeton.Revocation{Kind: jeton.RevokeJTI, ID: id, InstitutionID: "bank", RevokedAt: t0, ExpiresAt: exp}))
		must(s.CreateAccessToken(ctx, jeton.AccessToken{Digest: jeton.Digest(id), JTI: id, ClientID: "app", InstitutionID: "bank",
			Subject: "app", IssuedAt: t0, ExpiresAt: exp}))
		// A family that outlives its first token: the token goes, the family stays
		// until its own (absolute) expiry.
		must(s.CreateRefreshFamily(ctx, jeton.RefreshFamily{ID: id, ClientID: "app", InstitutionID: "bank", Subject: "c",
			CreatedAt: t0, ExpiresAt: exp.Add(time.Hour)},
			jeton.RefreshToken{Digest: jeton.Digest("rt" + id), FamilyID: id, CreatedAt: t0, ExpiresAt: exp}))
		if i == n {
			return jeton.Digest("rt" + id)
		}
	}
	return nil
}

func TestRunOnceRemovesEverythingExpiredInBatches(t *testing.T) {
	s := sqlitetest.New(t)
	live := seed(t, s, 25)
	calls := 0
	counting := storeFunc(func(ctx context.Context, now time.Time, batch int) (int, error) {
		calls++
		return s.DeleteExpired(ctx, now, batch)
	})
	// An hour later: assertion ids, revocations, access and refresh tokens have
	// expired, the families (an hour longer) not yet.
	n, err := janitor.RunOnce(context.Background(), counting, janitor.Config{Batch: 4, Now: func() time.Time { return t0.Add(time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	if n != 4*25 {
		t.Fatalf("removed %d rows, want %d", n, 4*25)
	}
	if calls != 25/4+2 { // 7 full-or-partial batches, then one that finds nothing
		t.Errorf("%d DeleteExpired calls", calls)
	}
	// Nothing live was touched.
	if _, _, err := s.GetRefreshToken(context.Background(), live); err != nil {
		t.Fatalf("live refresh token: %v", err)
	}
	// A second pass at the same instant finds nothing.
	if n, err := janitor.RunOnce(context.Background(), s, janitor.Config{Now: func() time.Time { return t0.Add(time.Hour) }}); err != nil || n != 0 {
		t.Fatalf("second pass removed %d, %v", n, err)
	}
	// Two hours later the families' absolute lifetime is over too.
	n, err = janitor.RunOnce(context.Background(), s, janitor.Config{Batch: 10, Now: func() time.Time { return t0.Add(2 * time.Hour) }})
	if err != nil || n != 25 {
		t.Fatalf("removed %d families, want 25 (%v)", n, err)
	}
}

type storeFunc func(ctx context.Context, now time.Time, batch int) (int, error)

func (f storeFunc) DeleteExpired(ctx context.Context, now time.Time, batch int) (int, error) {
	return f(ctx, now, batch)
}

// DeleteAuditBefore is never called: these tests keep the audit log forever.
func (f storeFunc) DeleteAuditBefore(context.Context, time.Time, int) (int, error) {
	panic("DeleteAuditBefore without an audit retention")
}

// The retention step deletes, in batches, exactly the audit events older than the
// retention at the pass's instant; without a retention it deletes none.
func TestRunOnceDeletesAuditPastRetention(t *testing.T) {
	s := sqlitetest.New(t)
	ctx := context.Background()
	for i := range 10 { // one event a day, the newest now
		ev := jeton.AuditEvent{ID: fmt.Sprint(i), At: t0.Add(-time.Duration(i) * 24 * time.Hour), Actor: "admin", Action: jeton.ActionInstitutionCreate}
		if err := s.AppendAudit(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	now := func() time.Time { return t0 }
	if n, err := janitor.RunOnce(ctx, s, janitor.Config{Now: now}); err != nil || n != 0 {
		t.Fatalf("no retention: removed %d, %v", n, err)
	}
	n, err := janitor.RunOnce(ctx, s, janitor.Config{Now: now, Batch: 2, AuditRetention: 72*time.Hour + time.Minute})
	if err != nil || n != 6 {
		t.Fatalf("retention 3 days: removed %d, %v; want the 6 events older than that", n, err)
	}
	p, err := s.ListAudit(ctx, jeton.AuditFilter{})
	if err != nil || len(p.Events) != 4 || p.Events[3].ID != "3" {
		t.Fatalf("kept %+v, %v", p.Events, err)
	}
}

func TestRunOnceStopsOnError(t *testing.T) {
	boom := errors.New("disk full")
	calls := 0
	n, err := janitor.RunOnce(context.Background(), storeFunc(func(context.Context, time.Time, int) (int, error) {
		calls++
		if calls == 3 {
			return 1, boom
		}
		return 5, nil
	}), janitor.Config{})
	if !errors.Is(err, boom) || n != 11 || calls != 3 {
		t.Fatalf("n %d, calls %d, err %v", n, calls, err)
	}
}

// TestRunPassesOnEveryTick drives Run with an injected tick channel and clock: one pass
// at start, one per tick, each seeing the clock of its moment, until ctx ends.
func TestRunPassesOnEveryTick(t *testing.T) {
	ticks := make(chan time.Time)
	passes := make(chan time.Time)
	var mu sync.Mutex
	now := t0
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	store := storeFunc(func(_ context.Context, at time.Time, batch int) (int, error) {
		if batch != janitor.DefaultBatch {
			t.Errorf("batch %d", batch)
		}
		passes <- at
		return 0, nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	obs := &passCount{}
	go func() { done <- janitor.Run(ctx, store, janitor.Config{Now: clock, Ticks: ticks, Observer: obs}) }()
	if at := <-passes; !at.Equal(t0) {
		t.Fatalf("first pass at %v", at)
	}
	for i := 1; i <= 3; i++ {
		mu.Lock()
		now = now.Add(10 * time.Minute)
		mu.Unlock()
		ticks <- time.Time{}
		if at := <-passes; !at.Equal(t0.Add(time.Duration(i) * 10 * time.Minute)) {
			t.Fatalf("pass %d at %v", i, at)
		}
	}
	// The observer hears of a pass after its store calls return, and not at all once
	// ctx has ended (janitor.Run): wait for the fourth report before cancelling, or
	// the cancel can land between the last store call and its report.
	for deadline := time.Now().Add(5 * time.Second); obs.n.Load() < 4 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v", err)
	}
	if obs.n.Load() != 4 {
		t.Errorf("observer told of %d passes, want 4", obs.n.Load())
	}
}

// passCount counts the passes a janitor reports.
type passCount struct{ n atomic.Int64 }

func (p *passCount) Pass(int, error) { p.n.Add(1) }

// Each scheduled pass reports what it removed, and a failed pass its error.
func TestRunReportsPasses(t *testing.T) {
	s := sqlitetest.New(t)
	seed(t, s, 3)
	boom := errors.New("disk full")
	fail := false
	store := storeFunc(func(ctx context.Context, now time.Time, batch int) (int, error) {
		if fail {
			return 0, boom
		}
		return s.DeleteExpired(ctx, now, batch)
	})
	ticks := make(chan time.Time)
	reports := make(chan [2]any)
	obs := observerFunc(func(n int, err error) { reports <- [2]any{n, err} })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go janitor.Run(ctx, store, janitor.Config{Now: func() time.Time { return t0.Add(time.Hour) }, Ticks: ticks, Observer: obs})
	if r := <-reports; r[0] != 4*3 || r[1] != nil {
		t.Fatalf("first pass reported %v", r)
	}
	fail = true
	ticks <- time.Time{}
	if r := <-reports; r[0] != 0 || r[1] != boom {
		t.Fatalf("failed pass reported %v", r)
	}
}

type observerFunc func(int, error)

func (f observerFunc) Pass(n int, err error) { f(n, err) }

// With a pause, a pass waits that long after every batch that removed rows (and not
// after the last one, which found nothing), so that other writers get the store's
// write lock between batches; the context ends a pause at once.
func TestRunOncePausesBetweenBatches(t *testing.T) {
	left := 3
	var gaps []time.Duration
	var last time.Time
	s := storeFunc(func(context.Context, time.Time, int) (int, error) {
		if !last.IsZero() {
			gaps = append(gaps, time.Since(last))
		}
		last = time.Now()
		if left == 0 {
			return 0, nil
		}
		left--
		return 5, nil
	})
	const pause = 30 * time.Millisecond
	start := time.Now()
	n, err := janitor.RunOnce(context.Background(), s, janitor.Config{Batch: 5, Pause: pause})
	if err != nil || n != 15 {
		t.Fatalf("removed %d, %v", n, err)
	}
	if len(gaps) != 3 {
		t.Fatalf("%d gaps between 4 calls", len(gaps))
	}
	for i, g := range gaps {
		if g < pause {
			t.Errorf("gap %d after a batch that removed rows: %v, want at least %v", i, g, pause)
		}
	}
	if el := time.Since(start); el > 3*pause+2*time.Second {
		t.Errorf("pass took %v", el)
	}

	ctx, cancel := context.WithCancel(context.Background())
	left = 100
	last = time.Time{}
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	start = time.Now()
	n, err = janitor.RunOnce(ctx, s, janitor.Config{Batch: 5, Pause: time.Hour})
	if !errors.Is(err, context.Canceled) || n != 5 {
		t.Fatalf("cancelled during a pause: removed %d, %v", n, err)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("the pause outlived the context by %v", el)
	}
}
