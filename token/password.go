package token

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/password"
	"github.com/jeton/jeton/reqlog"
)

// DefaultLockout is the lockout policy when none is configured: 5 failed sign-ins
// within 15 minutes lock the customer for 15 minutes.
var DefaultLockout = jeton.LockoutPolicy{MaxFailures: 5, Window: 15 * time.Minute, Cooldown: 15 * time.Minute}

// PasswordConfig wires the password grant.
type PasswordConfig struct {
	Customers jeton.CustomerStore
	Audit     jeton.AuditStore
	Hasher    *HashPool
	// Lockout: zero fields take DefaultLockout's values.
	Lockout jeton.LockoutPolicy
	// Limit, when set, spends the password-check budgets of the request's address
	// and of the customer (institution, username) before anything is looked up or
	// verified; its error (jeton.CodeRateLimited) is the answer (ratelimit.Limiter).
	Limit func(ctx context.Context, institutionID, username string) error
	// Events, when set, is told of each lockout (jeton.EventLockout).
	Events jeton.SecurityObserver
}

// Password is the resource owner password credentials grant (RFC 6749 §4.3): a
// customer of the request's institution signs in with username and password through a
// client registered for the grant (the engine refuses other clients in step 2).
//
// Every refusal that concerns the customer — unknown username, wrong password, locked,
// disabled — is the same invalid_grant answer (RFC 6749 §5.2), and each costs exactly
// one argon2id run (a verification, or a dummy or decoy of the same cost where the
// password must not or cannot be checked), so neither the answer nor its timing tells
// a caller whether a username exists or is locked. The finer reason goes only to the
// log.
type Password struct {
	customers jeton.CustomerStore
	audit     jeton.AuditStore
	hasher    *HashPool
	lockout   jeton.LockoutPolicy
	limit     func(ctx context.Context, institutionID, username string) error
	events    jeton.SecurityObserver
}

// NewPassword returns the password grant.
func NewPassword(cfg PasswordConfig) (*Password, error) {
	if cfg.Customers == nil || cfg.Audit == nil || cfg.Hasher == nil {
		return nil, errors.New("password grant: Customers, Audit and Hasher are required")
	}
	l := cfg.Lockout
	if l.MaxFailures < 0 || l.Window < 0 || l.Cooldown < 0 {
		return nil, fmt.Errorf("password grant: negative lockout setting %+v", l)
	}
	if l.MaxFailures == 0 {
		l.MaxFailures = DefaultLockout.MaxFailures
	}
	if l.Window == 0 {
		l.Window = DefaultLockout.Window
	}
	if l.Cooldown == 0 {
		l.Cooldown = DefaultLockout.Cooldown
	}
	return &Password{customers: cfg.Customers, audit: cfg.Audit, hasher: cfg.Hasher, lockout: l, limit: cfg.Limit, events: cfg.Events}, nil
}

// Type implements Grant.
func (*Password) Type() string { return jeton.GrantPassword }

// Lockout returns the effective lockout policy.
func (g *Password) Lockout() jeton.LockoutPolicy { return g.lockout }

// badCredentials is the one answer for every refusal concerning the customer.
func badCredentials(reason jeton.Reason, cause error) *jeton.Error {
	return jeton.Errorf(jeton.CodeInvalidGrant, reason, "invalid username or password").WithCause(cause)
}

// Handle implements Grant.
func (g *Password) Handle(ctx context.Context, req *ClientRequest) (*Authorization, error) {
	// RFC 6749 §4.3.2: username and password are REQUIRED.
	if req.Username == "" {
		return nil, jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonMissingParameter, "missing username").WithParam("username")
	}
	if req.Password == "" {
		return nil, jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonMissingParameter, "missing password").WithParam("password")
	}
	// No stored password can be this long (password.Validate), so it cannot match; say
	// so without spending a hash on it. This reveals nothing about the username.
	if len(req.Password) > password.MaxLen {
		return nil, badCredentials(jeton.ReasonBadCredentials, errors.New("password longer than password.MaxLen"))
	}

	cu, err := g.SignIn(ctx, req.Client.ID, req.Institution, req.Username, req.Password, req.Now)
	if err != nil {
		return nil, err
	}
	return &Authorization{
		Subject:       cu.ID,
		InstitutionID: cu.InstitutionID,
		Scope:         req.Scope,
		AuthTime:      req.Now,
		Refresh:       req.Client.AllowsGrant(jeton.GrantRefreshToken),
	}, nil
}

// SignIn checks a customer's username and password in institutionID at now, with the
// grant's rules: every refusal is the same invalid_grant answer and costs exactly one
// argon2id run; wrong passwords count towards the lockout (audited as actor, the
// client's id). The authorization endpoint's login page uses it too (issue 4: "same
// lockout, argon2id pool and timing rules as the password grant"). The caller bounds
// the length of pw (password.MaxLen).
//
// Lockout (RFC 6749 §4.3.2: the server "MUST protect the endpoint against brute force
// attacks"): an attempt is reserved in the store (one atomic call) BEFORE its password
// is verified, and a run of attempts may hold at most MaxFailures reservations and
// failures together. So at most MaxFailures wrong passwords are ever verified per
// customer and window, however many attempts arrive at once: the hash pool bounds how
// many run, not how many count. An attempt the store refuses (locked, or the budget is
// held by attempts in flight) is refused without verifying its password — the right
// one included — after spending what a verification costs (HashPool.Spend), so time
// does not reveal the refusal. A right password is accepted only if the customer is not
// locked when it settles.
//
// Cost: a sign-in writes twice (the reservation and its settlement), where it wrote
// nothing before when there were no failures to clear. Both are small single-row
// updates, next to tens of milliseconds of argon2id.
//
// A rate limit (Limit) is checked first: it refuses before any lookup, the same way
// for a known and an unknown username, so it tells nothing about either.
func (g *Password) SignIn(ctx context.Context, actor, institutionID, username, pw string, now time.Time) (jeton.Customer, error) {
	if g.limit != nil {
		if err := g.limit(ctx, institutionID, username); err != nil {
			return jeton.Customer{}, err
		}
	}
	cu, err := g.customers.GetCustomerByUsername(ctx, institutionID, username)
	if errors.Is(err, jeton.ErrNotFound) {
		// Spend what a known username costs, so time does not tell them apart.
		if err := g.hasher.VerifyDummy(ctx, pw); err != nil {
			return jeton.Customer{}, err
		}
		return jeton.Customer{}, badCredentials(jeton.ReasonBadCredentials, errors.New("unknown username"))
	}
	if err != nil {
		return jeton.Customer{}, jeton.ServerError(fmt.Errorf("look up customer: %w", err))
	}
	if cu.Status != jeton.CustomerActive {
		// Never signs in and is not counted; one verification, as for everyone.
		if _, err := g.hasher.Verify(ctx, pw, cu.PasswordHash); err != nil {
			return jeton.Customer{}, err
		}
		return jeton.Customer{}, badCredentials(jeton.ReasonCustomerInactive, fmt.Errorf("customer %s is %s", cu.ID, cu.Status))
	}
	reserved, admitted, err := g.customers.ReserveLoginAttempt(ctx, cu.InstitutionID, cu.ID, now, g.lockout)
	if err != nil {
		return jeton.Customer{}, jeton.ServerError(fmt.Errorf("reserve login attempt: %w", err))
	}
	if !admitted {
		if err := g.hasher.Spend(ctx, pw, cu.PasswordHash); err != nil {
			return jeton.Customer{}, err
		}
		return jeton.Customer{}, badCredentials(jeton.ReasonLocked, refusedCause(reserved, now))
	}
	ok, err := g.hasher.Verify(ctx, pw, cu.PasswordHash)
	if err != nil {
		return jeton.Customer{}, g.unverified(ctx, reserved, err)
	}
	// The settlement must happen even if the caller has gone away meanwhile: an
	// unsettled reservation holds a slot of the budget until the window ends.
	settle := context.WithoutCancel(ctx)
	if !ok {
		return jeton.Customer{}, g.failed(settle, actor, now, reserved)
	}
	passed, err := g.customers.PassLoginAttempt(settle, reserved, now)
	if err != nil {
		return jeton.Customer{}, jeton.ServerError(fmt.Errorf("pass login attempt: %w", err))
	}
	if !passed {
		return jeton.Customer{}, badCredentials(jeton.ReasonLocked, fmt.Errorf("customer %s was locked during the sign-in", cu.ID))
	}
	return cu, nil
}

// refusedCause says, for the log only, why the store refused an attempt.
func refusedCause(c jeton.Customer, now time.Time) error {
	if c.Locked(now) {
		return fmt.Errorf("customer %s is locked", c.ID)
	}
	return fmt.Errorf("customer %s: the lockout budget is held by %d failures and %d attempts in flight",
		c.ID, c.FailedAttempts, c.AttemptsInFlight)
}

// unverified gives back the reservation of an attempt whose password was not verified
// (the pool was full, the caller went away, a corrupt hash) and returns err, the
// reason, with a failed release added to its cause for the log.
func (g *Password) unverified(ctx context.Context, reserved jeton.Customer, err error) error {
	rerr := g.customers.ReleaseLoginAttempt(context.WithoutCancel(ctx), reserved)
	if rerr == nil {
		return err
	}
	pe := *jeton.AsError(err)
	return pe.WithCause(errors.Join(pe.Cause, fmt.Errorf("release login attempt: %w", rerr)))
}

// failed counts a verified wrong password (one atomic store call) and, if that failure
// locked the customer, records the lock in the audit log.
func (g *Password) failed(ctx context.Context, actor string, now time.Time, reserved jeton.Customer) *jeton.Error {
	locked, err := g.customers.FailLoginAttempt(ctx, reserved, now, g.lockout)
	if err != nil {
		return jeton.ServerError(fmt.Errorf("record login failure: %w", err))
	}
	// The store reports the one failure per run that set the lock, so racing failures
	// do not audit the same lock twice.
	if !locked {
		return badCredentials(jeton.ReasonBadCredentials, fmt.Errorf("customer %s: wrong password", reserved.ID))
	}
	lockedUntil := now.Add(g.lockout.Cooldown).UTC().Format(time.RFC3339)
	ev := jeton.AuditEvent{
		ID: jeton.NewID(), At: now, InstitutionID: reserved.InstitutionID,
		Actor: actor, Action: jeton.ActionCustomerLocked, Subject: reserved.ID,
		Details: map[string]string{
			"client_id":    actor,
			"locked_until": lockedUntil,
			"max_failures": strconv.Itoa(g.lockout.MaxFailures),
			"window":       g.lockout.Window.String(),
		},
	}
	if a := reqlog.From(ctx).ClientAddr; a.IsValid() {
		ev.Details["client_addr"] = a.String() // the address of the attempt that locked
	}
	if g.events != nil {
		g.events.SecurityEvent(ctx, jeton.SecurityEvent{Kind: jeton.EventLockout, At: now,
			InstitutionID: reserved.InstitutionID, ClientID: actor, Subject: reserved.ID})
	}
	cause := fmt.Errorf("customer %s: wrong password; locked until %s", reserved.ID, lockedUntil)
	if err := g.audit.AppendAudit(ctx, ev); err != nil {
		// The lock stands; the answer is the same. The failed append reaches the log
		// through the error's cause.
		cause = fmt.Errorf("%w (audit customer.locked failed: %v)", cause, err)
	}
	return badCredentials(jeton.ReasonBadCredentials, cause)
}
