package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/internal/storeobs"
	"github.com/jeton/jeton/internal/ttlcache"
	"github.com/jeton/jeton/metrics"
	"github.com/jeton/jeton/sqlite/sqlitetest"
)

func newSet(t testing.TB) (*metrics.Set, *prometheus.Registry) {
	reg := prometheus.NewRegistry()
	return metrics.New(reg), reg
}

// Store calls on a real SQLite store are timed by op and their errors counted by kind.
func TestStoreHook(t *testing.T) {
	set, reg := newSet(t)
	s := storeobs.Wrap(sqlitetest.New(t), set.StoreHook())
	ctx := t.Context()
	for range 3 {
		if _, err := s.GetClient(ctx, "nobody"); !errors.Is(err, jeton.ErrNotFound) {
			t.Fatal(err)
		}
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_ = s.Ping(cancelled)
	want := `
# HELP jeton_store_call_errors_total Store calls that returned an error, by op and error (not_found, conflict, already_used, wrong_client, canceled, other).
# TYPE jeton_store_call_errors_total counter
jeton_store_call_errors_total{error="canceled",op="Ping"} 1
jeton_store_call_errors_total{error="not_found",op="GetClient"} 3
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "jeton_store_call_errors_total"); err != nil {
		t.Error(err)
	}
	if n := histogramCount(t, reg, "jeton_store_call_duration_seconds", "op", "GetClient"); n != 3 {
		t.Errorf("GetClient observed %d times, want 3", n)
	}
	if n := histogramCount(t, reg, "jeton_store_call_duration_seconds", "op", "Ping"); n != 2 {
		t.Errorf("Ping observed %d times, want 2", n)
	}
}

// histogramCount is the sample count of the histogram series name{label=value} (label
// "": the first series).
func histogramCount(t testing.TB, reg *prometheus.Registry, name, label, value string) uint64 {
	t.Helper()
	labels := map[string]string{}
	if label != "" {
		labels[label] = value
	}
	if m := series(t, reg, name, labels); m != nil {
		return m.GetHistogram().GetSampleCount()
	}
	return 0
}

// series is the first series of name whose labels include labels, or nil.
func series(t testing.TB, reg *prometheus.Registry, name string, labels map[string]string) *dto.Metric {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue next
				}
			}
			return m
		}
	}
	return nil
}

// memStore answers GetClient from memory, so that an allocation count or a benchmark
// measures the hook and the decorator alone.
type memStore struct{ jeton.Store }

func (memStore) GetClient(context.Context, string) (jeton.Client, error) { return jeton.Client{}, nil }

// The hook allocates nothing per call: its per-call state is pooled.
func TestStoreHookAllocatesNothing(t *testing.T) {
	set, _ := newSet(t)
	s := storeobs.Wrap(memStore{}, set.StoreHook())
	ctx := context.Background()
	_, _ = s.GetClient(ctx, "warm") // the op's series is made once
	if n := testing.AllocsPerRun(1000, func() { _, _ = s.GetClient(ctx, "c") }); n != 0 {
		t.Errorf("%v allocations per observed call", n)
	}
}

// BenchmarkStoreHook is what the metrics add to a store call: bare, the decorator with
// the metrics hook.
func BenchmarkStoreHook(b *testing.B) {
	set, _ := newSet(b)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		s    jeton.Store
	}{{"bare", memStore{}}, {"metrics", storeobs.Wrap(memStore{}, set.StoreHook())}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = c.s.GetClient(ctx, "c")
			}
		})
	}
}

// Security events are counted by kind and reason only; every known series exists at
// 0 from the start, and anything unknown is "other".
func TestSecurityEvents(t *testing.T) {
	set, reg := newSet(t)
	ev := set.Events()
	ctx := context.Background()
	ev.SecurityEvent(ctx, jeton.SecurityEvent{Kind: jeton.EventReplayRefused, Reason: jeton.EventReasonCode,
		ClientID: "client-secret-id", InstitutionID: "inst-1", Subject: "alice"})
	ev.SecurityEvent(ctx, jeton.SecurityEvent{Kind: jeton.EventLockout, Subject: "bob"})
	ev.SecurityEvent(ctx, jeton.SecurityEvent{Kind: jeton.EventRateLimited, Reason: "made-up " + jeton.NewID()})
	ev.SecurityEvent(ctx, jeton.SecurityEvent{Kind: "nonsense", Reason: "x"})
	series := 0
	for _, rs := range jeton.SecurityEventReasons {
		series += len(rs)
	}
	if n := testutil.CollectAndCount(reg, "jeton_security_events_total"); n != series+2 {
		t.Errorf("%d series, want %d known + 2 other", n, series)
	}
	for _, c := range []struct {
		kind, reason string
		want         float64
	}{
		{string(jeton.EventReplayRefused), jeton.EventReasonCode, 1},
		{string(jeton.EventReplayRefused), jeton.EventReasonAssertionJTI, 0},
		{string(jeton.EventLockout), "none", 1},
		{string(jeton.EventRateLimited), "other", 1},
		{"other", "other", 1},
	} {
		got := gatherValue(t, reg, "jeton_security_events_total", map[string]string{"kind": c.kind, "reason": c.reason})
		if got != c.want {
			t.Errorf("%s/%s = %v, want %v", c.kind, c.reason, got, c.want)
		}
	}
	text := exposition(t, reg)
	for _, secret := range []string{"client-secret-id", "inst-1", "alice", "bob", "made-up"} {
		if strings.Contains(text, secret) {
			t.Errorf("%q became a label", secret)
		}
	}
}

// gatherValue is the counter or gauge value of the series name{labels}, or -1.
func gatherValue(t testing.TB, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	switch m := series(t, reg, name, labels); {
	case m == nil:
		return -1
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	default:
		return m.GetGauge().GetValue()
	}
}

func exposition(t testing.TB, reg *prometheus.Registry) string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, mf := range mfs {
		fmt.Fprintln(&b, mf.String())
	}
	return b.String()
}

// Watched caches report their own counts at each scrape.
func TestCaches(t *testing.T) {
	set, reg := newSet(t)
	var c ttlcache.Cache[string, int]
	c.TTL = time.Minute
	set.WatchCache("client", c.Stats)
	now := time.Now()
	load := func() (int, error) { return 1, nil }
	c.Load("a", now, load)
	c.Load("a", now, load)
	c.Load("a", now, load)
	if got := gatherValue(t, reg, "jeton_cache_requests_total", map[string]string{"cache": "client", "result": "hit"}); got != 2 {
		t.Errorf("hits %v, want 2", got)
	}
	if got := gatherValue(t, reg, "jeton_cache_requests_total", map[string]string{"cache": "client", "result": "miss"}); got != 1 {
		t.Errorf("misses %v, want 1", got)
	}
}

type depth struct{ busy, waiting int }

func (d depth) Busy() int    { return d.busy }
func (d depth) Waiting() int { return d.waiting }

// The pool, LISTEN and janitor metrics record what their components report.
func TestPoolListenJanitor(t *testing.T) {
	set, reg := newSet(t)
	set.WatchHashPool(depth{busy: 2, waiting: 5})
	set.HashPool().Waited(30 * time.Millisecond)
	set.HashPool().Refused()
	l := set.Listen("client")
	if got := gatherValue(t, reg, "jeton_listen_up", map[string]string{"cache": "client"}); got != 0 {
		t.Errorf("listen up before connecting: %v", got)
	}
	l.Up(true)
	l.Received()
	l.Received()
	set.Janitor().Pass(7, nil)
	set.Janitor().Pass(3, errors.New("disk full"))
	for name, want := range map[string]float64{
		"jeton_password_pool_busy": 2, "jeton_password_pool_waiting": 5, "jeton_password_pool_refused_total": 1,
		"jeton_listen_up": 1, "jeton_cache_invalidations_received_total": 2, "jeton_janitor_deleted_rows_total": 10,
	} {
		if got := gatherValue(t, reg, name, nil); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if got := gatherValue(t, reg, "jeton_janitor_passes_total", map[string]string{"result": "error"}); got != 1 {
		t.Errorf("failed passes %v", got)
	}
	if got := gatherValue(t, reg, "jeton_janitor_last_success_timestamp_seconds", nil); got < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("last success %v", got)
	}
	if n := histogramCount(t, reg, "jeton_password_pool_wait_seconds", "", ""); n != 1 {
		t.Errorf("pool waits observed %d times, want 1", n)
	}
}
