package storetest

import (
	"testing"
	"time"

	"github.com/jeton/jeton"
)

// Case is one named check against a fresh store of type S. A vendor module's
// conformance suite is a list of cases over its own store interface, run on both
// backends with RunCases and the helpers below.
type Case[S any] struct {
	Name string
	Run  func(t *testing.T, s S)
}

// RunCases runs each case as a subtest on its own store made by newStore (which must
// be fresh, migrated and empty, as for Run).
func RunCases[S any](t *testing.T, newStore func(t *testing.T) S, cases []Case[S]) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) { c.Run(t, newStore(t)) })
	}
}

// At returns the suite's fixed "now" shifted by d.
func At(d time.Duration) time.Time { return at(d) }

// Same fails the test unless got and want are equal at the precision stores keep.
func Same[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	same(t, what, got, want)
}

// OK fails the test now if err is not nil.
func OK(t *testing.T, what string, err error) {
	t.Helper()
	ok(t, what, err)
}

// Is fails the test unless errors.Is(err, target).
func Is(t *testing.T, what string, err, target error) {
	t.Helper()
	is(t, what, err, target)
}

// Seed creates the institution instID and, unless clientID is "", a client of it.
func Seed(t *testing.T, s jeton.Store, instID, clientID string) {
	t.Helper()
	seed(t, s, instID, clientID)
}

// NewClient returns a valid client of institutionID.
func NewClient(id, institutionID string) jeton.Client { return newClient(id, institutionID) }

// Race calls fn(i) on 50 goroutines released together and returns each call's error.
func Race(fn func(i int) error) []error { return race(fn) }

// Racers is how many goroutines Race starts.
const Racers = racers

// OneWinner checks that exactly one raced call returned nil and every other one
// jeton.ErrAlreadyUsed; it returns the winner's index.
func OneWinner(t *testing.T, errs []error) int {
	t.Helper()
	return oneWinner(t, errs)
}
