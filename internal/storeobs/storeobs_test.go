package storeobs_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/internal/storeobs"
	"github.com/jeton/jeton/internal/storeobs/storegen"
	"github.com/jeton/jeton/sqlite/sqlitetest"
	"github.com/jeton/jeton/storetest"
	"github.com/jeton/jeton/storetest/stores"
)

// recorder is a Hook that records every call, checks each Begin is ended once, and
// hands the call a context of its own.
type recorder struct {
	name string
	mu   sync.Mutex
	log  *[]string // shared by layered recorders: their order
	ops  map[string]int
	errs map[string]error // the last error each op ended with
	open int
}

type ctxKey struct{}

func newRecorder(name string, log *[]string) *recorder {
	return &recorder{name: name, log: log, ops: map[string]int{}, errs: map[string]error{}}
}

func (r *recorder) Begin(ctx context.Context, op string) (context.Context, func(error)) {
	r.mu.Lock()
	r.ops[op]++
	r.open++
	if r.log != nil {
		*r.log = append(*r.log, r.name+" begin "+op)
	}
	r.mu.Unlock()
	ended := false
	return context.WithValue(ctx, ctxKey{}, r.name), func(err error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if ended {
			panic("ended twice: " + op)
		}
		ended = true
		r.open--
		r.errs[op] = err
		if r.log != nil {
			*r.log = append(*r.log, r.name+" end "+op)
		}
	}
}

func TestGeneratedIsCurrent(t *testing.T) {
	if err := storegen.Stale("."); err != nil {
		t.Fatal(err)
	}
}

// The store suite passes through the decorator: every argument and result crosses
// it unchanged, and every observed call is ended. The generated code does not depend
// on the backend, so SQLite is enough here; what differs per backend is which
// optional interfaces survive (TestWrapKeepsOptionalInterfaces).
func TestStoreSuiteThroughWrap(t *testing.T) {
	rec := newRecorder("r", nil)
	storetest.Run(t, func(t *testing.T) jeton.Store { return storeobs.Wrap(sqlitetest.New(t), rec) })
	if rec.open != 0 {
		t.Errorf("%d calls begun and never ended", rec.open)
	}
	methods := reflect.TypeFor[jeton.Store]().NumMethod()
	if len(rec.ops) < methods/2 {
		t.Errorf("only %d ops observed: %v", len(rec.ops), rec.ops)
	}
	for op := range rec.ops {
		_, core := reflect.TypeFor[jeton.Store]().MethodByName(op)
		_, limits := reflect.TypeFor[jeton.RateLimitStore]().MethodByName(op)
		if !core && !limits {
			t.Errorf("op %q is not a store method", op)
		}
	}
}

// Every method of jeton.Store that takes a context and returns an error is observed
// under its own name, with the context the hook returned and the error it returned.
func TestEveryMethodObservedByName(t *testing.T) {
	inner := sqlitetest.New(t)
	rec := newRecorder("r", nil)
	s := storeobs.Wrap(inner, rec)
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // every call fails fast, and touches nothing
	sv := reflect.ValueOf(s)
	it := reflect.TypeFor[jeton.Store]()
	ctxType := reflect.TypeFor[context.Context]()
	errType := reflect.TypeFor[error]()
	observed := 0
	for i := range it.NumMethod() {
		m := it.Method(i)
		ft := m.Type
		if ft.NumIn() == 0 || ft.In(0) != ctxType || ft.NumOut() == 0 || ft.Out(ft.NumOut()-1) != errType {
			continue
		}
		args := []reflect.Value{reflect.ValueOf(ctx)}
		for j := 1; j < ft.NumIn(); j++ {
			if in := ft.In(j); in.Kind() == reflect.Pointer {
				args = append(args, reflect.New(in.Elem()))
			} else {
				args = append(args, reflect.Zero(in))
			}
		}
		before := rec.ops[m.Name]
		out := sv.MethodByName(m.Name).Call(args)
		got, _ := out[len(out)-1].Interface().(error)
		if rec.ops[m.Name] != before+1 {
			t.Errorf("%s: not observed as op %q", m.Name, m.Name)
			continue
		}
		if !errors.Is(rec.errs[m.Name], got) || (got == nil) != (rec.errs[m.Name] == nil) {
			t.Errorf("%s: hook ended with %v, call returned %v", m.Name, rec.errs[m.Name], got)
		}
		observed++
	}
	if observed < it.NumMethod()-1 { // all but Close
		t.Errorf("only %d of %d methods observed", observed, it.NumMethod())
	}
	if rec.open != 0 {
		t.Errorf("%d calls never ended", rec.open)
	}
}

// ctxStore is a real store whose GetClient also reports the context it was given.
type ctxStore struct {
	jeton.Store
	got context.Context
}

func (s *ctxStore) GetClient(ctx context.Context, id string) (jeton.Client, error) {
	s.got = ctx
	return s.Store.GetClient(ctx, id)
}

// Hooks layer in order (the first outermost), each call runs under the context the
// hooks returned, and Inner/Hooks undo the layers.
func TestLayersAndUnwrap(t *testing.T) {
	base := &ctxStore{Store: sqlitetest.New(t)}
	if got := storeobs.Wrap(base); got != jeton.Store(base) {
		t.Fatal("Wrap without hooks must return the store unchanged")
	}
	var log []string
	a, b := newRecorder("a", &log), newRecorder("b", &log)
	s := storeobs.Wrap(base, a, b)
	if _, err := s.GetClient(t.Context(), "nobody"); !errors.Is(err, jeton.ErrNotFound) {
		t.Fatalf("GetClient: %v", err)
	}
	want := []string{"a begin GetClient", "b begin GetClient", "b end GetClient", "a end GetClient"}
	if !slices.Equal(log, want) {
		t.Errorf("hook order %v, want %v", log, want)
	}
	if base.got.Value(ctxKey{}) != "b" {
		t.Error("the store did not get the innermost hook's context")
	}
	if !errors.Is(a.errs["GetClient"], jeton.ErrNotFound) {
		t.Errorf("the hook saw %v", a.errs["GetClient"])
	}
	if storeobs.Inner(s) != jeton.Store(base) {
		t.Error("Inner does not reach the backend")
	}
	if hs := storeobs.Hooks(s); len(hs) != 2 || hs[0] != storeobs.Hook(a) || hs[1] != storeobs.Hook(b) {
		t.Errorf("Hooks = %v", hs)
	}
	if storeobs.Hooks(base) != nil {
		t.Error("a bare store has no hooks")
	}
	// A vendor's view: the backend, observed by the same hooks.
	var gotHooks []storeobs.Hook
	observe := func(v jeton.RateLimitStore, hs ...storeobs.Hook) jeton.RateLimitStore { gotHooks = hs; return v }
	if _, ok := storeobs.As(s, observe); ok {
		t.Error("As found an interface the backend lacks")
	}
	rs := sqlitetest.New(t)
	v, ok := storeobs.As(storeobs.Wrap(rs, a, b), observe)
	if !ok || v != jeton.RateLimitStore(rs) || len(gotHooks) != 2 || gotHooks[0] != storeobs.Hook(a) {
		t.Errorf("As = %v, %v with hooks %v", v, ok, gotHooks)
	}
}

// The decorator keeps the optional interfaces the backend has: rate-limit overrides
// on both, and SQLite's queued assertion record, observed from start to wait.
func TestWrapKeepsOptionalInterfaces(t *testing.T) {
	rec := newRecorder("r", nil)
	s := storeobs.Wrap(sqlitetest.New(t), rec)
	if _, ok := s.(jeton.RateLimitStore); !ok {
		t.Error("wrapped SQLite lost jeton.RateLimitStore")
	}
	st, ok := s.(clientauth.ReplayStarter)
	if !ok {
		t.Fatal("wrapped SQLite lost clientauth.ReplayStarter")
	}
	now := time.Now()
	for i, want := range []error{nil, jeton.ErrAlreadyUsed} {
		wait := st.StartUseAssertionID(t.Context(), "c", "jti", now.Add(time.Hour), now)
		if err := wait(); !errors.Is(err, want) {
			t.Fatalf("use %d: %v, want %v", i, err, want)
		}
		if rec.ops["UseAssertionID"] != i+1 || !errors.Is(rec.errs["UseAssertionID"], want) || rec.open != 0 {
			t.Fatalf("use %d observed as %v / %v, %d open", i, rec.ops, rec.errs, rec.open)
		}
	}
	if _, ok := storeobs.Wrap(&ctxStore{Store: sqlitetest.New(t)}, rec).(clientauth.ReplayStarter); ok {
		t.Error("a store without StartUseAssertionID must not gain one")
	}
	t.Run("postgres", func(t *testing.T) {
		pg := stores.Postgres(t)(t)
		s := storeobs.Wrap(pg, rec)
		if _, ok := s.(jeton.RateLimitStore); !ok {
			t.Error("wrapped PostgreSQL lost jeton.RateLimitStore")
		}
		if _, ok := s.(clientauth.ReplayStarter); ok {
			t.Error("wrapped PostgreSQL gained StartUseAssertionID")
		}
		if _, ok := storeobs.Inner(s).(interface {
			ListenClientChanges(context.Context, func(string)) error
		}); !ok {
			t.Error("LISTEN is not reachable under the decorator")
		}
		if _, err := s.(jeton.RateLimitStore).ListRateLimits(t.Context()); err != nil || rec.ops["ListRateLimits"] == 0 {
			t.Errorf("ListRateLimits: %v, observed %d times", err, rec.ops["ListRateLimits"])
		}
	})
}

// nopHook is the cheapest hook: it measures what the decorator itself costs.
type nopHook struct{ end func(error) }

func (h nopHook) Begin(ctx context.Context, _ string) (context.Context, func(error)) {
	return ctx, h.end
}

// cheapStore answers GetClient from memory, so that what a benchmark or an allocation
// count measures is the decorator alone.
type cheapStore struct{ jeton.Store }

func (cheapStore) GetClient(context.Context, string) (jeton.Client, error) {
	return jeton.Client{}, jeton.ErrNotFound
}

// The decorator allocates nothing of its own per call, started calls included.
func TestNoAllocationPerCall(t *testing.T) {
	s := storeobs.Wrap(cheapStore{}, nopHook{end: func(error) {}})
	ctx := t.Context()
	if n := testing.AllocsPerRun(1000, func() { _, _ = s.GetClient(ctx, "c") }); n != 0 {
		t.Errorf("GetClient: %v allocations", n)
	}
	now := time.Now()
	st := s.(clientauth.ReplayStarter)
	if n := testing.AllocsPerRun(1000, func() { _ = st.StartUseAssertionID(ctx, "c", "j", now, now)() }); n != 0 {
		t.Errorf("StartUseAssertionID: %v allocations", n)
	}
}

// BenchmarkDecorator is the decorator's own cost per call (bare vs one no-op hook).
func BenchmarkDecorator(b *testing.B) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		s    jeton.Store
	}{{"bare", cheapStore{}}, {"wrapped", storeobs.Wrap(cheapStore{}, nopHook{end: func(error) {}})}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = c.s.GetClient(ctx, "c")
			}
		})
	}
}

var recorded = func() error { return nil }

func (cheapStore) StartUseAssertionID(context.Context, string, string, time.Time, time.Time) func() error {
	return recorded
}
