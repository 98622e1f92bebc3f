package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

var lockoutPolicy = jeton.LockoutPolicy{MaxFailures: 3, Window: 15 * time.Minute, Cooldown: 10 * time.Minute}

// freshCustomer creates a customer with no failures in inst-a.
func freshCustomer(t *testing.T, s jeton.Store) jeton.Customer {
	t.Helper()
	seed(t, s, "inst-a", "")
	c := newCustomer("cust-1", "inst-a", "ada")
	c.FailedAttempts, c.FailureWindowStart, c.LockedUntil = 0, time.Time{}, time.Time{}
	ok(t, "create customer", s.CreateCustomer(t.Context(), c))
	return c
}

var lockoutTests = []subtest{
	{"Lockout/CountLockAndClear", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		freshCustomer(t, s)
		fail := func(when time.Time) jeton.Customer {
			t.Helper()
			c, err := s.RecordLoginFailure(ctx, "inst-a", "cust-1", when, lockoutPolicy)
			ok(t, "record failure", err)
			return c
		}
		c := fail(at(0))
		if c.FailedAttempts != 1 || !c.FailureWindowStart.Equal(at(0)) || !c.LockedUntil.IsZero() {
			t.Fatalf("first failure: %+v", c)
		}
		c = fail(at(time.Minute))
		if c.FailedAttempts != 2 || !c.FailureWindowStart.Equal(at(0)) {
			t.Fatalf("second failure keeps the window start: %+v", c)
		}
		c = fail(at(2 * time.Minute))
		if !c.LockedUntil.Equal(at(12*time.Minute)) || c.FailedAttempts != 0 || !c.FailureWindowStart.IsZero() {
			t.Fatalf("third failure within the window locks for the cooldown: %+v", c)
		}
		if !c.Locked(at(11*time.Minute)) || c.Locked(at(12*time.Minute)) {
			t.Error("Locked() boundaries")
		}
		ok(t, "clear", s.ClearLoginFailures(ctx, "inst-a", "cust-1"))
		got, err := s.GetCustomer(ctx, "inst-a", "cust-1")
		ok(t, "get", err)
		if got.FailedAttempts != 0 || !got.LockedUntil.IsZero() || !got.FailureWindowStart.IsZero() {
			t.Errorf("after clear: %+v", got)
		}
	}},
	{"Lockout/WindowRestarts", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		freshCustomer(t, s)
		for _, d := range []time.Duration{0, time.Minute} {
			_, err := s.RecordLoginFailure(ctx, "inst-a", "cust-1", at(d), lockoutPolicy)
			ok(t, "record failure", err)
		}
		// The window (15 min from the first failure) has passed: the run starts over.
		c, err := s.RecordLoginFailure(ctx, "inst-a", "cust-1", at(15*time.Minute), lockoutPolicy)
		ok(t, "record failure after window", err)
		if c.FailedAttempts != 1 || !c.FailureWindowStart.Equal(at(15*time.Minute)) || !c.LockedUntil.IsZero() {
			t.Errorf("a failure after the window starts a new run: %+v", c)
		}
	}},
	{"Lockout/ScopedAndNotFound", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		freshCustomer(t, s)
		ok(t, "create inst-b", s.CreateInstitution(ctx, newInstitution("inst-b")))
		_, err := s.RecordLoginFailure(ctx, "inst-b", "cust-1", at(0), lockoutPolicy)
		is(t, "failure in another institution", err, jeton.ErrNotFound)
		is(t, "clear in another institution", s.ClearLoginFailures(ctx, "inst-b", "cust-1"), jeton.ErrNotFound)
		_, err = s.RecordLoginFailure(ctx, "inst-a", "nobody", at(0), lockoutPolicy)
		is(t, "unknown customer", err, jeton.ErrNotFound)
	}},
}

// raceLoginFailures: 50 concurrent failures count 50 (RecordLoginFailure is atomic).
func raceLoginFailures(t *testing.T, s jeton.Store) {
	ctx := t.Context()
	freshCustomer(t, s)
	const n = 50
	policy := jeton.LockoutPolicy{MaxFailures: 1000, Window: time.Hour, Cooldown: time.Minute}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.RecordLoginFailure(ctx, "inst-a", "cust-1", at(0), policy)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(errors.Join(errors.New("concurrent failure"), err))
		}
	}
	c, err := s.GetCustomer(ctx, "inst-a", "cust-1")
	ok(t, "get", err)
	if c.FailedAttempts != n {
		t.Errorf("%d concurrent failures counted %d", n, c.FailedAttempts)
	}
}
