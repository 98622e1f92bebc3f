// Package storeobs observes store calls: Wrap decorates a jeton.Store so that every
// call that takes a context and returns an error runs through one or more Hooks
// (metrics, traces). The decorator is generated from the interface (store_gen.go, by
// `go generate`), so a new store method is observed once the file is regenerated, and
// TestGeneratedIsCurrent fails until it is.
//
// A vendor module keeps its own store interface (cardcorestore.Store, …): it finds the
// store under the decorator with Inner and observes its own calls with the same hooks
// (Hooks) through a decorator generated the same way in its package.
package storeobs

import (
	"context"
	"sync"
	"time"

	"github.com/jeton/jeton"
)

//go:generate go run github.com/jeton/jeton/internal/storeobs/gen -pkg github.com/jeton/jeton -out store_gen.go -wrap Store=store -wrap RateLimitStore=rateLimits

// Hook observes one store call: Begin runs before it, the returned func after it with its error.
type Hook interface {
	Begin(ctx context.Context, op string) (context.Context, func(err error))
}

// Wrap returns s with every call observed by each hook, the first hook outermost. With
// no hooks it returns s unchanged. When s also keeps rate-limit overrides
// (jeton.RateLimitStore) the result does too, observed alike, and a store that
// records assertion ids in the background (StartUseAssertionID) keeps doing so.
func Wrap(s jeton.Store, hooks ...Hook) jeton.Store {
	for i := len(hooks) - 1; i >= 0; i-- {
		s = wrapOne(s, hooks[i])
	}
	return s
}

func wrapOne(s jeton.Store, h Hook) jeton.Store {
	w := &store{inner: s, hook: h}
	rs, limits := s.(jeton.RateLimitStore)
	rp, starts := s.(replayStarter)
	switch {
	case limits && starts:
		return &storeLimitsStarts{w, &rateLimits{inner: rs, hook: h}, &starter{rp, h}}
	case limits:
		return &storeLimits{w, &rateLimits{inner: rs, hook: h}}
	case starts:
		return &storeStarts{w, &starter{rp, h}}
	}
	return w
}

// The combinations of optional interfaces a wrapped store keeps.
type (
	storeLimits struct {
		*store
		*rateLimits
	}
	storeStarts struct {
		*store
		*starter
	}
	storeLimitsStarts struct {
		*store
		*rateLimits
		*starter
	}
)

// Unwrap returns the store this layer observes.
func (o *store) Unwrap() jeton.Store { return o.inner }

// Inner returns the store under every layer of Wrap: what a caller asserts an
// optional interface of the backend on (LISTEN, a vendor's store interface).
func Inner(s jeton.Store) jeton.Store {
	for {
		u, ok := s.(interface{ Unwrap() jeton.Store })
		if !ok {
			return s
		}
		s = u.Unwrap()
	}
}

// Hooks returns the hooks s was wrapped with, outermost first (nil for a bare store),
// for observing a vendor's calls on Inner(s) the same way.
func Hooks(s jeton.Store) []Hook {
	var hs []Hook
	for {
		w, ok := s.(interface {
			Unwrap() jeton.Store
			observer() Hook
		})
		if !ok {
			return hs
		}
		hs = append(hs, w.observer())
		s = w.Unwrap()
	}
}

func (o *store) observer() Hook { return o.hook }

// As returns the backend under s as a vendor's store interface V, observed by s's
// hooks through observe (the vendor's generated constructor), or false when the
// backend does not implement V.
func As[V any](s jeton.Store, observe func(V, ...Hook) V) (V, bool) {
	v, ok := Inner(s).(V)
	if !ok {
		return v, false
	}
	return observe(v, Hooks(s)...), true
}

// replayStarter is clientauth.ReplayStarter: a store that queues an assertion id's
// record and returns at once (sqlite.Store). The decorator keeps that ability, or
// every assertion would be recorded on a goroutine of its own.
type replayStarter interface {
	StartUseAssertionID(ctx context.Context, clientID, jti string, expiresAt, now time.Time) (wait func() error)
}

type starter struct {
	inner replayStarter
	hook  Hook
}

// StartUseAssertionID is observed as op UseAssertionID, from the start to the end of
// the wait.
func (o *starter) StartUseAssertionID(ctx context.Context, clientID, jti string, expiresAt, now time.Time) func() error {
	ctx, end := o.hook.Begin(ctx, "UseAssertionID")
	w := waits.Get().(*pendingWait)
	w.wait, w.end = o.inner.StartUseAssertionID(ctx, clientID, jti, expiresAt, now), end
	return w.run
}

// pendingWait ends the observation of a started call when its wait returns. They are
// pooled, with run bound once, so observing a started call allocates nothing.
type pendingWait struct {
	wait func() error
	end  func(error)
	run  func() error
}

var waits sync.Pool

func init() { // not in waits' declaration: finish refers to waits
	waits.New = func() any {
		w := new(pendingWait)
		w.run = w.finish
		return w
	}
}

// finish is called once (clientauth.Pending.Wait); the wait is then reused.
func (w *pendingWait) finish() error {
	err := w.wait()
	w.end(err)
	w.wait, w.end = nil, nil
	waits.Put(w)
	return err
}
