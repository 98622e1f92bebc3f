package storetest

import (
	"sync"
	"sync/atomic"
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
	c.FailedAttempts, c.AttemptsInFlight, c.FailureWindowStart, c.LockedUntil = 0, 0, time.Time{}, time.Time{}
	ok(t, "create customer", s.CreateCustomer(t.Context(), c))
	return c
}

// lockoutRun is the part of a customer the lockout methods keep.
type lockoutRun struct {
	Failed, InFlight int
	Start, Until     time.Time
}

func runOf(c jeton.Customer) lockoutRun {
	return lockoutRun{c.FailedAttempts, c.AttemptsInFlight, c.FailureWindowStart, c.LockedUntil}
}

// wantRun checks the stored customer's run.
func wantRun(t *testing.T, s jeton.Store, what string, want lockoutRun) {
	t.Helper()
	c, err := s.GetCustomer(t.Context(), "inst-a", "cust-1")
	ok(t, "get customer", err)
	same(t, what, runOf(c), want)
}

// reserve reserves an attempt at when and checks whether it was admitted.
func reserve(t *testing.T, s jeton.Store, when time.Time, admitted bool) jeton.Customer {
	t.Helper()
	c, got, err := s.ReserveLoginAttempt(t.Context(), "inst-a", "cust-1", when, lockoutPolicy)
	ok(t, "reserve", err)
	if got != admitted {
		t.Fatalf("reserve at %v: admitted %v, want %v (%+v)", when, got, admitted, runOf(c))
	}
	return c
}

// fail settles r as a wrong password and checks whether that locked.
func fail(t *testing.T, s jeton.Store, r jeton.Customer, when time.Time, locked bool) {
	t.Helper()
	got, err := s.FailLoginAttempt(t.Context(), r, when, lockoutPolicy)
	ok(t, "fail", err)
	if got != locked {
		t.Fatalf("fail at %v: locked %v, want %v", when, got, locked)
	}
}

func pass(t *testing.T, s jeton.Store, r jeton.Customer, when time.Time, passed bool) {
	t.Helper()
	got, err := s.PassLoginAttempt(t.Context(), r, when)
	ok(t, "pass", err)
	if got != passed {
		t.Fatalf("pass at %v: %v, want %v", when, got, passed)
	}
}

var lockoutTests = []subtest{
	{"Lockout/CountLockAndClear", func(t *testing.T, s jeton.Store) {
		freshCustomer(t, s)
		r := reserve(t, s, at(0), true)
		same(t, "first reservation", runOf(r), lockoutRun{InFlight: 1, Start: at(0)})
		fail(t, s, r, at(0), false)
		wantRun(t, s, "first failure", lockoutRun{Failed: 1, Start: at(0)})
		fail(t, s, reserve(t, s, at(time.Minute), true), at(time.Minute), false)
		fail(t, s, reserve(t, s, at(2*time.Minute), true), at(2*time.Minute), true)
		// The lock keeps the run's failures: the store shows exactly MaxFailures.
		wantRun(t, s, "third failure locks", lockoutRun{Failed: 3, Start: at(0), Until: at(12 * time.Minute)})
		c, err := s.GetCustomer(t.Context(), "inst-a", "cust-1")
		ok(t, "get", err)
		if !c.Locked(at(11*time.Minute)) || c.Locked(at(12*time.Minute)) {
			t.Error("Locked() boundaries")
		}
		// Locked: refused, and the refusal writes nothing.
		refused := reserve(t, s, at(5*time.Minute), false)
		same(t, "refusal returns the customer as it is", runOf(refused), runOf(c))
		wantRun(t, s, "after a refusal", runOf(c))
		// The lock's end ends the run: the next attempt starts a new one.
		r = reserve(t, s, at(12*time.Minute), true)
		same(t, "after the lock", runOf(r), lockoutRun{InFlight: 1, Start: at(12 * time.Minute)})
		ok(t, "clear", s.ClearLoginFailures(t.Context(), "inst-a", "cust-1"))
		wantRun(t, s, "after clear", lockoutRun{})
		// A reservation of the cleared run is not counted when it settles.
		fail(t, s, r, at(13*time.Minute), false)
		wantRun(t, s, "stale failure after clear", lockoutRun{})
	}},
	{"Lockout/BudgetHeldInFlight", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		freshCustomer(t, s)
		r1, r2, r3 := reserve(t, s, at(0), true), reserve(t, s, at(0), true), reserve(t, s, at(0), true)
		// Three attempts in flight hold the whole budget: a fourth is refused unchecked.
		reserve(t, s, at(time.Second), false)
		wantRun(t, s, "budget held", lockoutRun{InFlight: 3, Start: at(0)})
		ok(t, "release", s.ReleaseLoginAttempt(ctx, r1))
		r4 := reserve(t, s, at(time.Second), true)
		// A right password clears the failures; the others in flight keep their slots.
		pass(t, s, r2, at(time.Second), true)
		wantRun(t, s, "after a pass", lockoutRun{InFlight: 2, Start: at(0)})
		fail(t, s, r3, at(time.Second), false)
		fail(t, s, r4, at(time.Second), false)
		wantRun(t, s, "two failures", lockoutRun{Failed: 2, Start: at(0)})
		fail(t, s, reserve(t, s, at(time.Second), true), at(time.Second), true)
		wantRun(t, s, "locked", lockoutRun{Failed: 3, Start: at(0), Until: at(time.Second + 10*time.Minute)})
	}},
	{"Lockout/PassClosesRunUnlessLocked", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		freshCustomer(t, s)
		fail(t, s, reserve(t, s, at(0), true), at(0), false)
		pass(t, s, reserve(t, s, at(time.Minute), true), at(time.Minute), true)
		wantRun(t, s, "a pass with nothing else in flight closes the run", lockoutRun{})
		// A lock set while the attempt was in flight (here by an administrator)
		// refuses even the right password, and the pass changes nothing.
		r := reserve(t, s, at(2*time.Minute), true)
		c, err := s.GetCustomer(ctx, "inst-a", "cust-1")
		ok(t, "get", err)
		c.LockedUntil = at(time.Hour)
		ok(t, "lock", s.UpdateCustomer(ctx, c))
		pass(t, s, r, at(3*time.Minute), false)
		wantRun(t, s, "refused pass", runOf(c))
		// A released attempt is not counted and closes an empty run.
		ok(t, "clear", s.ClearLoginFailures(ctx, "inst-a", "cust-1"))
		ok(t, "release", s.ReleaseLoginAttempt(ctx, reserve(t, s, at(4*time.Minute), true)))
		wantRun(t, s, "after a release", lockoutRun{})
	}},
	{"Lockout/WindowRestarts", func(t *testing.T, s jeton.Store) {
		freshCustomer(t, s)
		old := reserve(t, s, at(0), true)
		fail(t, s, reserve(t, s, at(time.Minute), true), at(time.Minute), false)
		// The window (15 min from the run's first attempt) has passed: the run starts
		// over, and what was in flight in the old run is not counted in the new one.
		r := reserve(t, s, at(15*time.Minute), true)
		same(t, "new run", runOf(r), lockoutRun{InFlight: 1, Start: at(15 * time.Minute)})
		fail(t, s, old, at(15*time.Minute), false)
		ok(t, "release old", s.ReleaseLoginAttempt(t.Context(), old))
		wantRun(t, s, "old run's settlements", lockoutRun{InFlight: 1, Start: at(15 * time.Minute)})
		fail(t, s, r, at(16*time.Minute), false)
		wantRun(t, s, "new run's failure", lockoutRun{Failed: 1, Start: at(15 * time.Minute)})
	}},
	{"Lockout/ScopedAndNotFound", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		c := freshCustomer(t, s)
		ok(t, "create inst-b", s.CreateInstitution(ctx, newInstitution("inst-b")))
		_, _, err := s.ReserveLoginAttempt(ctx, "inst-b", "cust-1", at(0), lockoutPolicy)
		is(t, "reserve in another institution", err, jeton.ErrNotFound)
		_, _, err = s.ReserveLoginAttempt(ctx, "inst-a", "nobody", at(0), lockoutPolicy)
		is(t, "unknown customer", err, jeton.ErrNotFound)
		other := c
		other.InstitutionID, other.FailureWindowStart = "inst-b", at(0)
		_, err = s.FailLoginAttempt(ctx, other, at(0), lockoutPolicy)
		is(t, "fail in another institution", err, jeton.ErrNotFound)
		_, err = s.PassLoginAttempt(ctx, other, at(0))
		is(t, "pass in another institution", err, jeton.ErrNotFound)
		is(t, "release in another institution", s.ReleaseLoginAttempt(ctx, other), jeton.ErrNotFound)
		is(t, "clear in another institution", s.ClearLoginFailures(ctx, "inst-b", "cust-1"), jeton.ErrNotFound)
	}},
}

// raceLoginReservations: 50 attempts reserve at once; exactly MaxFailures are admitted.
// Settled at once as wrong passwords, they lock the customer exactly once, and the
// store shows exactly MaxFailures verified failures.
func raceLoginReservations(t *testing.T, s jeton.Store) {
	ctx := t.Context()
	freshCustomer(t, s)
	p := jeton.LockoutPolicy{MaxFailures: 5, Window: time.Hour, Cooldown: time.Hour}
	var mu sync.Mutex
	var admitted []jeton.Customer
	errs := race(func(int) error {
		r, ok, err := s.ReserveLoginAttempt(ctx, "inst-a", "cust-1", at(0), p)
		if ok {
			mu.Lock()
			admitted = append(admitted, r)
			mu.Unlock()
		}
		return err
	})
	noErrors(t, errs)
	if len(admitted) != p.MaxFailures {
		t.Fatalf("%d of %d racing reservations admitted; want %d", len(admitted), racers, p.MaxFailures)
	}
	var locks atomic.Int32
	var wg sync.WaitGroup
	for _, r := range admitted {
		wg.Go(func() {
			locked, err := s.FailLoginAttempt(ctx, r, at(time.Second), p)
			if err != nil {
				t.Error(err)
			}
			if locked {
				locks.Add(1)
			}
		})
	}
	wg.Wait()
	if n := locks.Load(); n != 1 {
		t.Errorf("%d failures reported setting the lock; want 1", n)
	}
	wantRun(t, s, "after the race", lockoutRun{Failed: p.MaxFailures, Start: at(0), Until: at(time.Second + time.Hour)})
}

// raceLoginAttempts: 50 sign-ins at once, each reserving and, if admitted, settling as
// a wrong password at once: exactly MaxFailures are admitted, however the reservations
// and settlements interleave.
func raceLoginAttempts(t *testing.T, s jeton.Store) {
	ctx := t.Context()
	freshCustomer(t, s)
	p := jeton.LockoutPolicy{MaxFailures: 5, Window: time.Hour, Cooldown: time.Hour}
	var admitted, locks atomic.Int32
	noErrors(t, race(func(int) error {
		r, ok, err := s.ReserveLoginAttempt(ctx, "inst-a", "cust-1", at(0), p)
		if err != nil || !ok {
			return err
		}
		admitted.Add(1)
		locked, err := s.FailLoginAttempt(ctx, r, at(0), p)
		if locked {
			locks.Add(1)
		}
		return err
	}))
	if a, l := admitted.Load(), locks.Load(); a != int32(p.MaxFailures) || l != 1 {
		t.Errorf("%d admitted, %d locks; want %d and 1", a, l, p.MaxFailures)
	}
	wantRun(t, s, "after the race", lockoutRun{Failed: p.MaxFailures, Start: at(0), Until: at(time.Hour)})
}

func noErrors(t *testing.T, errs []error) {
	t.Helper()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("racer %d: %v", i, err)
		}
	}
}
