// Package testclock is the injected clock of jeton's tests (DESIGN rule 6): time moves
// only when a test says so. Safe for concurrent use.
package testclock

import (
	"sync"
	"time"
)

// Clock is a settable clock; pass its Now wherever a component takes a clock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// New returns a clock standing at t.
func New(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d (backward for a negative d).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
