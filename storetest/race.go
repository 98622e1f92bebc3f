package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

// racers is how many goroutines hit one row at once in the race subtests.
const racers = 50

// race runs fn(i) for i in [0, racers) on as many goroutines, released together, and
// returns each call's error.
func race(fn func(i int) error) []error {
	errs := make([]error, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// oneWinner checks that exactly one call returned nil and every other one
// ErrAlreadyUsed; it returns the winner's index.
func oneWinner(t *testing.T, errs []error) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("racers %d and %d both won", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, jeton.ErrAlreadyUsed):
			t.Errorf("racer %d: got %v, want nil or ErrAlreadyUsed", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no racer won")
	}
	return winner
}

// raceTests prove the ATOMIC methods of jeton.Store (DESIGN rule 1).
var raceTests = []subtest{
	{"Race/ReserveLoginAttempt", raceLoginReservations},
	{"Race/LoginAttempts", raceLoginAttempts},
	{"Race/UseAssertionID", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		oneWinner(t, race(func(int) error {
			return s.UseAssertionID(ctx, "client-a", "jti-1", at(time.Minute), at(0))
		}))
	}},
	{"Race/RotateRefreshToken", func(t *testing.T, s jeton.Store) { raceRotation(t, s, familyKeys) }},
	{"Race/RotateRefreshToken/Legacy", func(t *testing.T, s jeton.Store) { raceRotation(t, s, legacyKeys) }},
	{"Race/AddFirstSigningKey", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		won := 0
		for i, err := range race(func(i int) error {
			return s.AddFirstSigningKey(ctx, newSigningKey(fmt.Sprintf("es-%02d", i), "ES256", at(0)))
		}) {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, jeton.ErrConflict):
				t.Errorf("racer %d: %v", i, err)
			}
		}
		keys, err := s.ListSigningKeys(ctx)
		ok(t, "list", err)
		if won != 1 || len(keys) != 1 {
			t.Errorf("%d racers stored a first key, %d keys stored; want exactly one", won, len(keys))
		}
	}},
	{"Race/AddSigningKey", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		ok(t, "add other alg", s.AddSigningKey(ctx, newSigningKey("rs", "RS256", at(0)), at(time.Hour)))
		for i, err := range race(func(i int) error {
			k := newSigningKey(fmt.Sprintf("es-%02d", i), "ES256", at(time.Duration(i)*time.Second))
			return s.AddSigningKey(ctx, k, at(time.Hour))
		}) {
			if err != nil {
				t.Errorf("racer %d: %v", i, err)
			}
		}
		keys, err := s.ListSigningKeys(ctx)
		ok(t, "list", err)
		current := map[string]int{}
		for _, k := range keys {
			if k.RetiredAt.IsZero() {
				current[k.Alg]++
			} else if k.UnpublishAt.IsZero() {
				t.Errorf("retired key %s has no UnpublishAt", k.ID)
			}
		}
		if len(keys) != racers+1 || current["ES256"] != 1 || current["RS256"] != 1 {
			t.Errorf("got %d keys with current counts %v, want %d keys and one current key per alg", len(keys), current, racers+1)
		}
	}},
}

// raceRotation rotates one token from many goroutines at once, its family named as k
// names it: exactly one succeeds, and only its successor exists.
func raceRotation(t *testing.T, s jeton.Store, k keys) {
	ctx := t.Context()
	f := seedFamilyWith(t, s, k, "rt-0")
	next := func(i int) jeton.RefreshToken { return newToken(fmt.Sprintf("rt-1-%d", i), f.ID, at(time.Minute)) }
	w := oneWinner(t, race(func(i int) error {
		return s.RotateRefreshToken(ctx, k.key("rt-0", f.ID), next(i), at(time.Minute))
	}))
	old, _, err := s.GetRefreshToken(ctx, k.key("rt-0", f.ID))
	ok(t, "get old", err)
	same(t, "successor digest", old.SuccessorDigest, next(w).Digest)
	for i := range racers {
		_, _, err := s.GetRefreshToken(ctx, next(i).Digest)
		if i == w {
			ok(t, "winner's successor", err)
		} else if !errors.Is(err, jeton.ErrNotFound) {
			t.Errorf("loser %d's successor: got %v, want ErrNotFound", i, err)
		}
	}
}
