package token_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/password"
	"github.com/jeton/jeton/token"
)

// cheap keeps argon2id fast in tests; TestHashPoolDefaults covers the real defaults.
var cheap = password.Params{MemoryKiB: 64, Passes: 1, Lanes: 1}

func mustPool(t *testing.T, cfg token.HashPoolConfig) *token.HashPool {
	t.Helper()
	p, err := token.NewHashPool(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHashPoolVerify(t *testing.T) {
	ctx := context.Background()
	p := mustPool(t, token.HashPoolConfig{Params: cheap})
	h, _ := password.Hash("right password", cheap)
	if ok, err := p.Verify(ctx, "right password", h); !ok || err != nil {
		t.Fatalf("right password: %v, %v", ok, err)
	}
	if ok, err := p.Verify(ctx, "wrong password", h); ok || err != nil {
		t.Fatalf("wrong password: %v, %v", ok, err)
	}
	// A hash made with other parameters verifies with its own (they travel in the PHC
	// string), so raising the configured cost does not lock anyone out.
	other := password.Params{MemoryKiB: 128, Passes: 2, Lanes: 2}
	h2, _ := password.Hash("right password", other)
	if ok, err := p.Verify(ctx, "right password", h2); !ok || err != nil {
		t.Fatalf("hash with other params: %v, %v", ok, err)
	}
	// A corrupt stored hash is a server error (the log sees why), never a match.
	ok, err := p.Verify(ctx, "right password", "$argon2id$v=19$m=64,t=1,p=1$short$x")
	var pe *jeton.Error
	if ok || !errors.As(err, &pe) || pe.Code != jeton.CodeServerError || !errors.Is(err, password.ErrMalformed) {
		t.Fatalf("corrupt hash: %v, %v", ok, err)
	}
	if strings.Contains(err.Error(), "right password") {
		t.Fatalf("error shows the password: %v", err)
	}
	// The dummy matches nothing, and costs a verification.
	var n atomic.Int32
	token.SetHashPoolHooks(p, nil, func() { n.Add(1) })
	if err := p.VerifyDummy(ctx, "anything at all"); err != nil || n.Load() != 1 {
		t.Fatalf("VerifyDummy: %v, %d verifications", err, n.Load())
	}
}

func TestHashPoolDefaults(t *testing.T) {
	p := mustPool(t, token.HashPoolConfig{})
	if p.Params() != password.DefaultParams {
		t.Errorf("params %+v; want %+v", p.Params(), password.DefaultParams)
	}
	if !strings.HasPrefix(token.DummyHash(p), "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("dummy hash %q not made with the default parameters", token.DummyHash(p))
	}
	workers, queue := token.HashPoolSize(p)
	if n := runtime.GOMAXPROCS(0); workers != n || queue != 4*n {
		t.Errorf("workers %d queue %d; want %d and %d", workers, queue, n, 4*n)
	}
	p = mustPool(t, token.HashPoolConfig{Workers: 3, Queue: -1, Params: cheap})
	if workers, queue := token.HashPoolSize(p); workers != 3 || queue != 0 {
		t.Errorf("workers %d queue %d; want 3 and 0", workers, queue)
	}
	if !strings.HasPrefix(token.DummyHash(p), "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("dummy hash %q not made with the configured parameters", token.DummyHash(p))
	}
	if _, err := token.NewHashPool(token.HashPoolConfig{Params: password.Params{MemoryKiB: 64, Passes: 99, Lanes: 1}}); !errors.Is(err, password.ErrParams) {
		t.Errorf("out-of-bounds params: %v", err)
	}
}

// blocker holds the pool's only worker until released, and reports admissions, so the
// overload tests know exactly who runs, who waits and who must be refused — without
// sleeping.
type blocker struct {
	admitted chan struct{} // one value per admitted request
	started  chan struct{} // closed when the first verification starts
	release  chan struct{} // close to let it finish
	verifies atomic.Int32
}

func blockPool(t *testing.T, p *token.HashPool) *blocker {
	b := &blocker{admitted: make(chan struct{}, 16), started: make(chan struct{}), release: make(chan struct{})}
	token.SetHashPoolHooks(p, func() { b.admitted <- struct{}{} }, func() {
		if b.verifies.Add(1) == 1 {
			close(b.started)
			<-b.release
		}
	})
	t.Cleanup(func() {
		select {
		case <-b.release:
		default:
			close(b.release)
		}
	})
	return b
}

// recv waits for a value on ch. The bound only turns a bug (a request that never gets
// there) into a failure instead of a hung test; it never decides a passing run.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(time.Minute):
		t.Fatalf("no %s after a minute", what)
		panic("unreachable")
	}
}

func wantOverloaded(t *testing.T, err error) *jeton.Error {
	t.Helper()
	var pe *jeton.Error
	if !errors.As(err, &pe) || pe.Code != jeton.CodeTemporarilyUnavailable || pe.Reason != jeton.ReasonOverloaded ||
		pe.Status != 503 || pe.RetryAfter != time.Second {
		t.Fatalf("err = %#v; want temporarily_unavailable/overloaded, 503, Retry-After 1s", err)
	}
	return pe
}

func TestHashPoolBounds(t *testing.T) {
	ctx := context.Background()
	p := mustPool(t, token.HashPoolConfig{Workers: 1, Queue: 1, Params: cheap})
	h, _ := password.Hash("right password", cheap)
	b := blockPool(t, p)

	type result struct {
		ok  bool
		err error
	}
	first, second := make(chan result, 1), make(chan result, 1)
	go func() { ok, err := p.Verify(ctx, "right password", h); first <- result{ok, err} }()
	recv(t, b.admitted, "admission")
	recv(t, b.started, "verification") // the first holds the worker
	go func() { ok, err := p.Verify(ctx, "right password", h); second <- result{ok, err} }()
	recv(t, b.admitted, "admission") // the second waits in the queue

	// Worker and queue are full: refused at once, without a verification.
	_, err := p.Verify(ctx, "right password", h)
	wantOverloaded(t, err)
	if err := p.VerifyDummy(ctx, "x"); err == nil {
		t.Fatal("dummy verification admitted beyond capacity")
	}
	if n := b.verifies.Load(); n != 1 {
		t.Fatalf("%d verifications started; want 1", n)
	}

	close(b.release)
	for _, ch := range []chan result{first, second} {
		if r := recv(t, ch, "answer"); !r.ok || r.err != nil {
			t.Fatalf("admitted request: %v, %v", r.ok, r.err)
		}
	}
	// Everyone left: the pool admits again.
	if ok, err := p.Verify(ctx, "right password", h); !ok || err != nil {
		t.Fatalf("after the flood: %v, %v", ok, err)
	}
}

func TestHashPoolCancelWhileWaiting(t *testing.T) {
	p := mustPool(t, token.HashPoolConfig{Workers: 1, Queue: 1, Params: cheap})
	h, _ := password.Hash("right password", cheap)
	b := blockPool(t, p)

	done := make(chan error, 1)
	go func() { _, err := p.Verify(context.Background(), "right password", h); done <- err }()
	recv(t, b.admitted, "admission")
	recv(t, b.started, "verification")

	ctx, cancel := context.WithCancel(context.Background())
	waiting := make(chan error, 1)
	go func() { _, err := p.Verify(ctx, "right password", h); waiting <- err }()
	recv(t, b.admitted, "admission")
	cancel()
	err := recv(t, waiting, "answer")
	if wantOverloaded(t, err); !errors.Is(err, context.Canceled) {
		t.Fatalf("cause = %v; want context.Canceled", err)
	}

	// The cancelled request gave its place back: another can queue.
	third := make(chan error, 1)
	go func() { _, err := p.Verify(context.Background(), "right password", h); third <- err }()
	recv(t, b.admitted, "admission")
	close(b.release)
	if err := recv(t, done, "answer"); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, third, "answer"); err != nil {
		t.Fatalf("request queued after the cancellation: %v", err)
	}
	if n := b.verifies.Load(); n != 2 {
		t.Fatalf("%d verifications; want 2 (the cancelled one never hashed)", n)
	}
}

// poolObserver records what a HashPool reports.
type poolObserver struct {
	waits   atomic.Int64
	waited  atomic.Int64 // longest wait, ns
	refused atomic.Int64
}

func (o *poolObserver) Waited(d time.Duration) {
	o.waits.Add(1)
	if int64(d) > o.waited.Load() {
		o.waited.Store(int64(d))
	}
}
func (o *poolObserver) Refused() { o.refused.Add(1) }

// The pool reports its depth (Busy, Waiting), each wait for a worker, and each
// refusal, so the queue can be watched before it overflows.
func TestHashPoolObserver(t *testing.T) {
	obs := &poolObserver{}
	p := mustPool(t, token.HashPoolConfig{Workers: 1, Queue: 1, Params: cheap, Observer: obs})
	h, _ := password.Hash("pw", cheap)
	release, running, queued := make(chan struct{}), make(chan struct{}, 2), make(chan struct{}, 2)
	token.SetHashPoolHooks(p, func() { queued <- struct{}{} }, func() { running <- struct{}{}; <-release })
	done := make(chan error, 2)
	go func() { _, err := p.Verify(context.Background(), "pw", h); done <- err }()
	<-running
	go func() { _, err := p.Verify(context.Background(), "pw", h); done <- err }()
	<-queued
	<-queued
	if p.Busy() != 1 || p.Waiting() != 1 {
		t.Fatalf("busy %d, waiting %d; want 1 and 1", p.Busy(), p.Waiting())
	}
	if _, err := p.Verify(context.Background(), "pw", h); err == nil || obs.refused.Load() != 1 {
		t.Fatalf("third request: %v, %d refusals reported", err, obs.refused.Load())
	}
	time.Sleep(20 * time.Millisecond) // the queued request waits at least this long
	release <- struct{}{}
	<-running
	release <- struct{}{}
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if obs.waits.Load() != 2 || time.Duration(obs.waited.Load()) < 20*time.Millisecond {
		t.Errorf("%d waits reported, longest %v", obs.waits.Load(), time.Duration(obs.waited.Load()))
	}
	if p.Busy() != 0 || p.Waiting() != 0 {
		t.Errorf("idle pool: busy %d, waiting %d", p.Busy(), p.Waiting())
	}
}
