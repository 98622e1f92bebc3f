package token_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/password"
	"github.com/jeton/jeton/postgres"
	"github.com/jeton/jeton/postgres/pgtest"
	"github.com/jeton/jeton/sqlite/sqlitetest"
	"github.com/jeton/jeton/token"
)

func TestPasswordParallelGuessesSQLite(t *testing.T) {
	parallelGuesses(t, sqlitetest.New(t))
}

func TestPasswordParallelGuessesPostgres(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	ctx := context.Background()
	s, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	parallelGuesses(t, s)
}

// parallelGuesses: 50 sign-ins of one customer at once, the right password among
// them, cannot get past the lockout. The first MaxFailures wrong guesses are held in
// their argon2id verification while the other attempts arrive, so the attempt budget
// of the window is spent: every later attempt — the right password included — must be
// refused without its password being verified, and once the held guesses fail the
// customer is locked with exactly MaxFailures verified failures. Every attempt still
// costs exactly one argon2id run, and every refusal is the same answer.
func parallelGuesses(t *testing.T, s jeton.Store) {
	const attempts = 50
	policy := jeton.LockoutPolicy{MaxFailures: 5, Window: 10 * time.Minute, Cooldown: 15 * time.Minute}
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	if err := s.CreateInstitution(ctx, jeton.Institution{ID: "bank-a", Name: "bank-a", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	h, err := password.Hash(alicePassword, cheap)
	if err != nil {
		t.Fatal(err)
	}
	alice := jeton.Customer{ID: jeton.NewID(), InstitutionID: "bank-a", Username: "alice", PasswordHash: h,
		Status: jeton.CustomerActive, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateCustomer(ctx, alice); err != nil {
		t.Fatal(err)
	}
	pool := mustPool(t, token.HashPoolConfig{Params: cheap, Workers: policy.MaxFailures + 2, Queue: attempts})
	var runs atomic.Int32
	held, release := make(chan struct{}, attempts), make(chan struct{})
	token.SetHashPoolHooks(pool, nil, func() {
		if runs.Add(1) <= int32(policy.MaxFailures) {
			held <- struct{}{}
			<-release
		}
	})
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	grant, err := token.NewPassword(token.PasswordConfig{Customers: s, Audit: s, Hasher: pool, Lockout: policy})
	if err != nil {
		t.Fatal(err)
	}
	signIn := func(pw string) error {
		_, err := grant.SignIn(ctx, "app", "bank-a", "alice", pw, now)
		return err
	}

	errs := make([]error, attempts)
	var first, rest sync.WaitGroup
	for i := range policy.MaxFailures {
		first.Go(func() { errs[i] = signIn("a wrong password") })
	}
	for range policy.MaxFailures {
		recv(t, held, "held verification")
	}
	start := make(chan struct{})
	for i := policy.MaxFailures; i < attempts; i++ {
		pw := "another wrong password"
		if i%5 == 0 {
			pw = alicePassword
		}
		rest.Go(func() { <-start; errs[i] = signIn(pw) })
	}
	close(start)
	rest.Wait()
	close(release)
	first.Wait()

	reasons := map[jeton.Reason]int{}
	for i, err := range errs {
		if err == nil {
			t.Errorf("attempt %d signed in after the window's attempts were spent", i)
			continue
		}
		pe := jeton.AsError(err)
		if pe.Code != jeton.CodeInvalidGrant || pe.Description != sameRefusal.Description || pe.Status != sameRefusal.Status {
			t.Errorf("attempt %d: %#v; want the one refusal", i, pe)
		}
		reasons[pe.Reason]++
	}
	if reasons[jeton.ReasonBadCredentials] != policy.MaxFailures {
		t.Errorf("refusals by reason %v; want exactly %d verified wrong passwords", reasons, policy.MaxFailures)
	}
	if n := runs.Load(); n != attempts {
		t.Errorf("%d argon2id runs for %d attempts; want one each", n, attempts)
	}
	cu, err := s.GetCustomer(ctx, "bank-a", alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !cu.Locked(now) || cu.FailedAttempts != policy.MaxFailures {
		t.Errorf("after the race: locked %v with %d failures; want locked with exactly %d", cu.Locked(now), cu.FailedAttempts, policy.MaxFailures)
	}
	// The lock was audited once, and the right password is refused while it lasts.
	page, err := s.ListAudit(ctx, jeton.AuditFilter{Action: "customer.locked"})
	ev := page.Events
	if err != nil || len(ev) != 1 {
		t.Errorf("lock events %d (%v); want 1", len(ev), err)
	}
	wantRefusal(t, signIn(alicePassword), jeton.ReasonLocked)
}
