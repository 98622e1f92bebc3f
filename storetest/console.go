package storetest

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

func newConsoleUser(id, username, institutionID string) jeton.ConsoleUser {
	u := jeton.ConsoleUser{ID: id, Username: username, Role: jeton.ConsoleOperator,
		PasswordHash: "$argon2id$hash-" + id, TOTPSealed: []byte("sealed-totp-" + id), CreatedAt: at(0)}
	if institutionID != "" {
		u.Role, u.InstitutionID = jeton.ConsoleInstitutionAdmin, institutionID
	}
	return u
}

func recoveryDigest(code string) []byte { d := sha256.Sum256([]byte(code)); return d[:] }

var consolePolicy = jeton.LockoutPolicy{MaxFailures: 3, Window: 10 * time.Minute, Cooldown: 15 * time.Minute}

// consoleTests pin jeton.ConsoleStore: users round-trip, the sign-in budget locks
// after MaxFailures and recovers, TOTP steps and recovery codes are single-use, and
// sessions expire when idle.
var consoleTests = []subtest{
	{"Console/UsersRoundTrip", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "")
		op, adm := newConsoleUser("u-1", "alice", ""), newConsoleUser("u-2", "bob", "inst-a")
		ok(t, "create operator", s.CreateConsoleUser(ctx, op, [][]byte{recoveryDigest("r1")}))
		ok(t, "create admin", s.CreateConsoleUser(ctx, adm, nil))
		got, err := s.GetConsoleUser(ctx, "u-2")
		ok(t, "get", err)
		same(t, "admin", got, adm)
		got, err = s.GetConsoleUserByUsername(ctx, "alice")
		ok(t, "get by username", err)
		same(t, "operator", got, op)
		is(t, "taken username", s.CreateConsoleUser(ctx, newConsoleUser("u-3", "alice", ""), nil), jeton.ErrConflict)
		is(t, "unknown institution", s.CreateConsoleUser(ctx, newConsoleUser("u-4", "carol", "nope"), nil), jeton.ErrNotFound)
		_, err = s.GetConsoleUserByUsername(ctx, "nobody")
		is(t, "unknown username", err, jeton.ErrNotFound)
	}},
	{"Console/SignInLockout", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		ok(t, "create", s.CreateConsoleUser(ctx, newConsoleUser("u-1", "alice", ""), nil))
		for i := range consolePolicy.MaxFailures {
			u, admitted, err := s.ReserveConsoleSignIn(ctx, "alice", at(time.Duration(i)*time.Second), consolePolicy)
			ok(t, "reserve", err)
			if !admitted || u.FailedAttempts != i+1 {
				t.Fatalf("attempt %d: admitted %v, failures %d", i, admitted, u.FailedAttempts)
			}
		}
		u, admitted, err := s.ReserveConsoleSignIn(ctx, "alice", at(time.Minute), consolePolicy)
		ok(t, "reserve while locked", err)
		if admitted || !u.LockedUntil.Equal(at(2*time.Second+consolePolicy.Cooldown)) {
			t.Fatalf("locked user: admitted %v, locked until %v", admitted, u.LockedUntil)
		}
		// After the cooldown a new run starts with one attempt counted.
		u, admitted, err = s.ReserveConsoleSignIn(ctx, "alice", at(time.Hour), consolePolicy)
		ok(t, "reserve after cooldown", err)
		if !admitted || u.FailedAttempts != 1 || !u.LockedUntil.IsZero() {
			t.Fatalf("after cooldown: admitted %v, %+v", admitted, u)
		}
		ok(t, "pass", s.PassConsoleSignIn(ctx, "u-1", at(time.Hour)))
		u, err = s.GetConsoleUser(ctx, "u-1")
		ok(t, "get", err)
		if u.FailedAttempts != 0 || !u.FailureWindowStart.IsZero() {
			t.Fatalf("after pass: %+v", u)
		}
		// An operator unlock ends a lock at once.
		for range consolePolicy.MaxFailures {
			_, _, err = s.ReserveConsoleSignIn(ctx, "alice", at(2*time.Hour), consolePolicy)
			ok(t, "reserve", err)
		}
		ok(t, "unlock", s.UnlockConsoleUser(ctx, "u-1"))
		_, admitted, err = s.ReserveConsoleSignIn(ctx, "alice", at(2*time.Hour), consolePolicy)
		ok(t, "reserve after unlock", err)
		if !admitted {
			t.Fatal("unlocked user not admitted")
		}
		_, _, err = s.ReserveConsoleSignIn(ctx, "nobody", at(0), consolePolicy)
		is(t, "unknown user", err, jeton.ErrNotFound)
		is(t, "unlock unknown", s.UnlockConsoleUser(ctx, "nobody"), jeton.ErrNotFound)
	}},
	{"Console/TOTPStepOnce", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		ok(t, "create", s.CreateConsoleUser(ctx, newConsoleUser("u-1", "alice", ""), nil))
		ok(t, "step 100", s.UseConsoleTOTPStep(ctx, "u-1", 100))
		is(t, "step 100 again", s.UseConsoleTOTPStep(ctx, "u-1", 100), jeton.ErrAlreadyUsed)
		is(t, "an earlier step", s.UseConsoleTOTPStep(ctx, "u-1", 99), jeton.ErrAlreadyUsed)
		ok(t, "step 101", s.UseConsoleTOTPStep(ctx, "u-1", 101))
		u, err := s.GetConsoleUser(ctx, "u-1")
		ok(t, "get", err)
		if u.TOTPStep != 101 {
			t.Fatalf("TOTPStep = %d, want 101", u.TOTPStep)
		}
	}},
	{"Console/RecoveryCodeOnce", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		ok(t, "create", s.CreateConsoleUser(ctx, newConsoleUser("u-1", "alice", ""), [][]byte{recoveryDigest("r1"), recoveryDigest("r2")}))
		ok(t, "create other", s.CreateConsoleUser(ctx, newConsoleUser("u-2", "bob", ""), [][]byte{recoveryDigest("r3")}))
		ok(t, "r1", s.UseConsoleRecoveryCode(ctx, "u-1", recoveryDigest("r1"), at(0)))
		is(t, "r1 again", s.UseConsoleRecoveryCode(ctx, "u-1", recoveryDigest("r1"), at(0)), jeton.ErrAlreadyUsed)
		is(t, "another user's code", s.UseConsoleRecoveryCode(ctx, "u-1", recoveryDigest("r3"), at(0)), jeton.ErrAlreadyUsed)
		is(t, "unknown code", s.UseConsoleRecoveryCode(ctx, "u-1", recoveryDigest("zz"), at(0)), jeton.ErrAlreadyUsed)
		ok(t, "r2", s.UseConsoleRecoveryCode(ctx, "u-1", recoveryDigest("r2"), at(0)))
	}},
	{"Console/SessionsIdle", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		ok(t, "create", s.CreateConsoleUser(ctx, newConsoleUser("u-1", "alice", ""), nil))
		sess := jeton.ConsoleSession{Digest: recoveryDigest("cookie"), UserID: "u-1", CSRF: "csrf-1", CreatedAt: at(0), LastSeen: at(0)}
		ok(t, "create session", s.CreateConsoleSession(ctx, sess))
		got, err := s.TouchConsoleSession(ctx, sess.Digest, at(time.Minute), at(-time.Minute))
		ok(t, "touch", err)
		sess.LastSeen = at(time.Minute)
		same(t, "session", got, sess)
		_, err = s.TouchConsoleSession(ctx, sess.Digest, at(time.Hour), at(time.Minute))
		is(t, "idle session", err, jeton.ErrNotFound)
		_, err = s.TouchConsoleSession(ctx, recoveryDigest("other"), at(time.Minute), at(0))
		is(t, "unknown session", err, jeton.ErrNotFound)
		ok(t, "sign out", s.DeleteConsoleSession(ctx, sess.Digest))
		_, err = s.TouchConsoleSession(ctx, sess.Digest, at(time.Minute), at(-time.Hour))
		is(t, "signed out session", err, jeton.ErrNotFound)
		ok(t, "create again", s.CreateConsoleSession(ctx, sess))
		n, err := s.DeleteConsoleSessions(ctx, at(2*time.Minute))
		ok(t, "delete idle", err)
		if n != 1 {
			t.Fatalf("deleted %d idle sessions, want 1", n)
		}
	}},
	{"Race/ConsoleSignInBudget", raceConsoleSignIn},
	{"Race/ConsoleTOTPStep", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		ok(t, "create", s.CreateConsoleUser(ctx, newConsoleUser("u-1", "alice", ""), nil))
		oneWinner(t, race(func(int) error { return s.UseConsoleTOTPStep(ctx, "u-1", 5000) }))
	}},
	{"Race/ConsoleRecoveryCode", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		ok(t, "create", s.CreateConsoleUser(ctx, newConsoleUser("u-1", "alice", ""), [][]byte{recoveryDigest("r1")}))
		oneWinner(t, race(func(int) error { return s.UseConsoleRecoveryCode(ctx, "u-1", recoveryDigest("r1"), at(0)) }))
	}},
}

// raceConsoleSignIn: however many attempts race, exactly MaxFailures are admitted
// (so at most that many passwords are verified) and the user ends locked.
func raceConsoleSignIn(t *testing.T, s jeton.Store) {
	ctx := t.Context()
	ok(t, "create", s.CreateConsoleUser(ctx, newConsoleUser("u-1", "alice", ""), nil))
	var admitted atomic.Int32
	for i, err := range race(func(int) error {
		_, yes, err := s.ReserveConsoleSignIn(ctx, "alice", at(0), consolePolicy)
		if yes {
			admitted.Add(1)
		}
		return err
	}) {
		if err != nil && !errors.Is(err, jeton.ErrNotFound) {
			t.Errorf("racer %d: %v", i, err)
		} else if err != nil {
			t.Errorf("racer %d: %v", i, fmt.Errorf("user vanished: %w", err))
		}
	}
	if n := int(admitted.Load()); n != consolePolicy.MaxFailures {
		t.Fatalf("%d attempts admitted, want exactly %d", n, consolePolicy.MaxFailures)
	}
	u, err := s.GetConsoleUser(ctx, "u-1")
	ok(t, "get", err)
	if u.FailedAttempts != consolePolicy.MaxFailures || !u.LockedUntil.Equal(at(consolePolicy.Cooldown)) {
		t.Fatalf("after the race: %d failures, locked until %v", u.FailedAttempts, u.LockedUntil)
	}
}
