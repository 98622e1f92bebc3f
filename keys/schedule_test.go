package keys

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/internal/eventtest"
	"github.com/jeton/jeton/internal/testclock"
)

const testInterval = 90 * 24 * time.Hour

func newTestScheduler(t *testing.T, m *Manager, ev jeton.SecurityObserver) *Scheduler {
	t.Helper()
	s, err := NewScheduler(m, ScheduleConfig{Interval: testInterval, Events: ev})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// auditedRotations returns the store's scheduled key.rotate events (the in-memory
// double keeps them itself).
func auditedRotations(t *testing.T, store jeton.KeyStore) []jeton.AuditEvent {
	t.Helper()
	if mem, ok := store.(*memKeyStore); ok {
		mem.mu.Lock()
		defer mem.mu.Unlock()
		return slices.DeleteFunc(slices.Clone(mem.audit), func(e jeton.AuditEvent) bool { return e.Action != AuditKeyRotate })
	}
	evs, err := store.(jeton.AuditStore).ListAudit(t.Context(), jeton.AuditFilter{Action: AuditKeyRotate, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return evs.Events
}

// TestScheduledRotation: nothing happens before the key is due; when it is, the
// successor is published at once, signs only after the publish delay, is audited
// (actor "schedule") and reported; and it is not itself due until a full interval
// after its creation.
func TestScheduledRotation(t *testing.T) { forEachStore(t, testScheduledRotation) }

func testScheduledRotation(t *testing.T, store jeton.KeyStore) {
	ctx := t.Context()
	m, clk := newTestManagerOn(t, store, "ES256")
	seen := &eventtest.Recorder{}
	s := newTestScheduler(t, m, seen)
	first, _ := m.Signer("ES256")
	if at, ok := s.NextRotation("ES256"); !ok || !at.Equal(clk.Now().Truncate(time.Second).Add(testInterval)) {
		t.Fatalf("NextRotation = %v, %v; want creation + interval", at, ok)
	}

	clk.Advance(testInterval - time.Second)
	if made, err := s.RotateDue(ctx); err != nil || len(made) != 0 {
		t.Fatalf("RotateDue a second early = %v, %v; want nothing", made, err)
	}
	clk.Advance(time.Second)
	made, err := s.RotateDue(ctx)
	if err != nil || len(made) != 1 {
		t.Fatalf("RotateDue when due = %v, %v; want one successor", made, err)
	}
	next := made[0]
	if got := kids(jwks(t, m)); !slices.Contains(got, next.ID) || !slices.Contains(got, first.KeyID()) {
		t.Fatalf("JWKS right after the rotation = %v, want both %s and %s", got, first.KeyID(), next.ID)
	}
	if _, kid := sign(t, m, "ES256", "at+jwt"); kid != first.KeyID() {
		t.Fatalf("the successor signs before its publish delay (signer %s)", kid)
	}
	clk.Advance(10 * time.Minute)
	if _, kid := sign(t, m, "ES256", "at+jwt"); kid != next.ID {
		t.Fatalf("signer after the publish delay = %s, want the successor %s", kid, next.ID)
	}

	audit := auditedRotations(t, store)
	if len(audit) != 1 || audit[0].Actor != ScheduleActor || audit[0].Subject != next.ID ||
		audit[0].Details["alg"] != "ES256" || audit[0].Details["predecessor"] != first.KeyID() {
		t.Fatalf("audit = %+v, want one key.rotate by %q of %s", audit, ScheduleActor, next.ID)
	}
	if got := seen.Events(); len(got) != 1 || got[0].Kind != jeton.EventKeyRotated || got[0].Reason != "schedule" {
		t.Fatalf("events = %+v, want one %s with reason schedule", got, jeton.EventKeyRotated)
	}

	if made, err := s.RotateDue(ctx); err != nil || len(made) != 0 {
		t.Fatalf("RotateDue right after a rotation = %v, %v; want nothing", made, err)
	}
	if at, _ := s.NextRotation("ES256"); !at.Equal(next.CreatedAt.Add(testInterval)) {
		t.Fatalf("NextRotation after the rotation = %v, want %v", at, next.CreatedAt.Add(testInterval))
	}
	clk.Advance(testInterval)
	if made, err := s.RotateDue(ctx); err != nil || len(made) != 1 {
		t.Fatalf("RotateDue an interval later = %v, %v; want the next successor", made, err)
	}
}

// TestScheduledRotationExactlyOnce: many replicas (Managers on one real database, as
// serve processes on one PostgreSQL or one SQLite file) find the same keys due at the
// same moment and race: every alg gets exactly one successor, one audit row and one
// event, and every replica ends up publishing it.
func TestScheduledRotationExactlyOnce(t *testing.T) { forEachSharedStore(t, testExactlyOnce) }

func testExactlyOnce(t *testing.T, store jeton.Store) {
	const replicas = 8
	algs := []string{"ES256", "EdDSA"}
	ctx := t.Context()
	clk := newClock()
	seen := &eventtest.Recorder{}
	var ms []*Manager
	var ss []*Scheduler
	for range replicas {
		m := NewManager(store, testKEK, Config{Now: clk.Now, Algs: algs})
		if err := m.Load(ctx); err != nil {
			t.Fatal(err)
		}
		ms, ss = append(ms, m), append(ss, newTestScheduler(t, m, seen))
	}
	clk.Advance(testInterval + time.Minute)

	start := make(chan struct{})
	made := make([][]jeton.SigningKey, replicas)
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() {
			<-start
			made[i], errs[i] = ss[i].RotateDue(ctx)
		})
	}
	close(start)
	wg.Wait()

	successors := map[string][]string{}
	for i := range replicas {
		if errs[i] != nil {
			t.Errorf("replica %d: %v", i, errs[i])
		}
		for _, k := range made[i] {
			successors[k.Alg] = append(successors[k.Alg], k.ID)
		}
	}
	keys, err := store.ListSigningKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, alg := range algs {
		if len(successors[alg]) != 1 {
			t.Errorf("%s: replicas made %d successors %v, want exactly one", alg, len(successors[alg]), successors[alg])
		}
		if n := len(slices.DeleteFunc(slices.Clone(keys), func(k jeton.SigningKey) bool { return k.Alg != alg })); n != 2 {
			t.Errorf("%s: %d keys stored, want the first and one successor", alg, n)
		}
	}
	if audit := auditedRotations(t, store); len(audit) != len(algs) {
		t.Errorf("%d key.rotate audit rows, want %d (one per alg)", len(audit), len(algs))
	}
	if got := seen.Events(); len(got) != len(algs) {
		t.Errorf("%d events, want %d (one per alg)", len(got), len(algs))
	}
	// Losers reloaded on their conflict: every replica publishes every successor.
	for i, m := range ms {
		for _, alg := range algs {
			if len(successors[alg]) == 1 && !slices.Contains(kids(jwks(t, m)), successors[alg][0]) {
				t.Errorf("replica %d does not publish the %s successor", i, alg)
			}
		}
	}
}

// TestScheduleYieldsToAnAdminRotation: a replica whose snapshot is stale (it has not
// reloaded since an admin rotated on another replica) still finds the old key due,
// but its replacement is refused; it reloads and makes no second successor.
func TestScheduleYieldsToAnAdminRotation(t *testing.T) { forEachStore(t, testYieldsToAdmin) }

func testYieldsToAdmin(t *testing.T, store jeton.KeyStore) {
	ctx := t.Context()
	a, clk := newTestManagerOn(t, store, "ES256")
	b := NewManager(store, testKEK, Config{Now: clk.Now, Algs: []string{"ES256"}})
	if err := b.Load(ctx); err != nil {
		t.Fatal(err)
	}
	clk.Advance(testInterval)
	manual, err := b.Rotate(ctx, "ES256")
	if err != nil {
		t.Fatal(err)
	}
	made, err := newTestScheduler(t, a, nil).RotateDue(ctx)
	if err != nil || len(made) != 0 {
		t.Fatalf("RotateDue on a stale replica = %v, %v; want nothing", made, err)
	}
	keys, _ := store.ListSigningKeys(ctx)
	if len(keys) != 2 {
		t.Fatalf("%d keys stored, want the first and the admin's successor", len(keys))
	}
	if !slices.Contains(kids(jwks(t, a)), manual.ID) {
		t.Error("the stale replica did not reload after its refused rotation")
	}
}

func TestScheduleConfig(t *testing.T) {
	m, _, clk := newTestManager(t, "ES256")
	if _, err := NewScheduler(m, ScheduleConfig{Interval: 10 * time.Minute}); err == nil || !strings.Contains(err.Error(), "publish delay") {
		t.Fatalf("an interval equal to the publish delay = %v, want an error", err)
	}
	if _, err := NewScheduler(m, ScheduleConfig{Interval: -time.Hour}); err == nil {
		t.Fatal("a negative interval was accepted")
	}
	off, err := NewScheduler(m, ScheduleConfig{})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(10 * 365 * 24 * time.Hour)
	if made, err := off.RotateDue(t.Context()); err != nil || len(made) != 0 || off.Enabled() {
		t.Fatalf("a disabled schedule rotated: %v, %v", made, err)
	}
	if _, ok := off.NextRotation("ES256"); ok {
		t.Fatal("a disabled schedule reports a next rotation")
	}
}

// TestKeyMetrics: the two gauges, per alg, from the snapshot and the clock.
func TestKeyMetrics(t *testing.T) {
	store := &memKeyStore{}
	clk := testclock.New(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	m := NewManager(store, testKEK, Config{Now: clk.Now, Algs: []string{"ES256", "EdDSA"}})
	if err := m.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	created := clk.Now()
	s := newTestScheduler(t, m, nil)
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(s.Collector()); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	want := map[string]float64{
		"jeton_signing_key_age_seconds/ES256":                     3600,
		"jeton_signing_key_age_seconds/EdDSA":                     3600,
		"jeton_signing_key_next_rotation_timestamp_seconds/ES256": float64(created.Add(testInterval).Unix()),
		"jeton_signing_key_next_rotation_timestamp_seconds/EdDSA": float64(created.Add(testInterval).Unix()),
	}
	if got := gather(t, reg); !maps.Equal(got, want) {
		t.Fatalf("metrics = %v, want %v", got, want)
	}
	// During a successor's publish delay the age is still the signer's, and the next
	// rotation is the successor's.
	clk.Advance(testInterval)
	made, err := s.RotateDue(t.Context())
	if err != nil || len(made) != 2 {
		t.Fatal(made, err)
	}
	got := gather(t, reg)
	if got["jeton_signing_key_age_seconds/ES256"] != (testInterval + time.Hour).Seconds() {
		t.Errorf("age during the publish delay = %v, want the old key's", got["jeton_signing_key_age_seconds/ES256"])
	}
	if got["jeton_signing_key_next_rotation_timestamp_seconds/ES256"] != float64(clk.Now().Add(testInterval).Unix()) {
		t.Errorf("next rotation = %v, want the successor's creation + interval", got["jeton_signing_key_next_rotation_timestamp_seconds/ES256"])
	}
	clk.Advance(10 * time.Minute)
	if got := gather(t, reg)["jeton_signing_key_age_seconds/ES256"]; got != 600 {
		t.Errorf("age once the successor signs = %v, want 600", got)
	}
	// Without a schedule only the ages remain.
	off, _ := NewScheduler(m, ScheduleConfig{})
	reg = prometheus.NewPedanticRegistry()
	reg.MustRegister(off.Collector())
	if got := gather(t, reg); len(got) != 2 {
		t.Errorf("metrics without a schedule = %v, want the two ages only", got)
	}
}

func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			out[fmt.Sprintf("%s/%s", mf.GetName(), m.GetLabel()[0].GetValue())] = m.GetGauge().GetValue()
		}
	}
	return out
}
