// Package eventtest records security events for tests (a jeton.SecurityObserver).
package eventtest

import (
	"context"
	"sync"

	"github.com/jeton/jeton"
)

// Recorder keeps every event it is told of. It is safe for concurrent use.
type Recorder struct {
	mu     sync.Mutex
	events []jeton.SecurityEvent
}

// SecurityEvent implements jeton.SecurityObserver.
func (r *Recorder) SecurityEvent(_ context.Context, e jeton.SecurityEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// Events returns the events so far, in order.
func (r *Recorder) Events() []jeton.SecurityEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]jeton.SecurityEvent(nil), r.events...)
}

// Of returns the events of kind with reason.
func (r *Recorder) Of(kind jeton.SecurityEventKind, reason string) []jeton.SecurityEvent {
	var out []jeton.SecurityEvent
	for _, e := range r.Events() {
		if e.Kind == kind && e.Reason == reason {
			out = append(out, e)
		}
	}
	return out
}
