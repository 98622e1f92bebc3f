package token

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/password"
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
}

// Password is the resource owner password credentials grant (RFC 6749 §4.3): a
// customer of the request's institution signs in with username and password through a
// client registered for the grant (the engine refuses other clients in step 2).
//
// Every refusal that concerns the customer — unknown username, wrong password, locked,
// disabled — is the same invalid_grant answer (RFC 6749 §5.2), and each costs exactly
// one argon2id verification, so neither the answer nor its timing tells a caller
// whether a username exists or is locked. The finer reason goes only to the log.
type Password struct {
	customers jeton.CustomerStore
	audit     jeton.AuditStore
	hasher    *HashPool
	lockout   jeton.LockoutPolicy
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
	return &Password{customers: cfg.Customers, audit: cfg.Audit, hasher: cfg.Hasher, lockout: l}, nil
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
// argon2id verification; wrong passwords count towards the lockout (audited as actor,
// the client's id). The authorization endpoint's login page uses it too (issue 4:
// "same lockout, argon2id pool and timing rules as the password grant"). The caller
// bounds the length of pw (password.MaxLen).
func (g *Password) SignIn(ctx context.Context, actor, institutionID, username, pw string, now time.Time) (jeton.Customer, error) {
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

	// One verification for every known customer, locked and disabled ones included,
	// against their own hash, so the answer takes what a wrong password takes.
	ok, err := g.hasher.Verify(ctx, pw, cu.PasswordHash)
	if err != nil {
		return jeton.Customer{}, err
	}
	switch {
	case cu.Status != jeton.CustomerActive:
		return jeton.Customer{}, badCredentials(jeton.ReasonCustomerInactive, fmt.Errorf("customer %s is %s", cu.ID, cu.Status))
	case cu.Locked(now):
		// A locked customer's attempts are not counted: the lock ends when the cooldown
		// does, however often someone tries meanwhile.
		return jeton.Customer{}, badCredentials(jeton.ReasonLocked, fmt.Errorf("customer %s is locked", cu.ID))
	case !ok:
		return jeton.Customer{}, g.failed(ctx, actor, now, cu)
	}

	// Success: clear the failure run, but write only when there is one (or an expired
	// lock), not once per sign-in.
	if cu.FailedAttempts > 0 || !cu.LockedUntil.IsZero() {
		if err := g.customers.ClearLoginFailures(ctx, cu.InstitutionID, cu.ID); err != nil {
			return jeton.Customer{}, jeton.ServerError(fmt.Errorf("clear login failures: %w", err))
		}
	}
	return cu, nil
}

// failed counts a wrong password (one atomic store call) and, if that failure locked
// the customer, records the lock in the audit log.
func (g *Password) failed(ctx context.Context, actor string, now time.Time, cu jeton.Customer) *jeton.Error {
	after, err := g.customers.RecordLoginFailure(ctx, cu.InstitutionID, cu.ID, now, g.lockout)
	if err != nil {
		return jeton.ServerError(fmt.Errorf("record login failure: %w", err))
	}
	// The store's contract: the failure that locks sets LockedUntil and resets the
	// count to 0; any later failure counts from 1. So "locked with no count" is this
	// call's doing, and a racing failure does not audit the same lock twice.
	if !after.Locked(now) || after.FailedAttempts != 0 {
		return badCredentials(jeton.ReasonBadCredentials, fmt.Errorf("customer %s: wrong password", cu.ID))
	}
	ev := jeton.AuditEvent{
		ID: jeton.NewID(), At: now, InstitutionID: cu.InstitutionID,
		Actor: actor, Action: "customer.locked", Subject: cu.ID,
		Details: map[string]string{
			"locked_until": after.LockedUntil.UTC().Format(time.RFC3339),
			"max_failures": strconv.Itoa(g.lockout.MaxFailures),
			"window":       g.lockout.Window.String(),
		},
	}
	cause := fmt.Errorf("customer %s: wrong password; locked until %s", cu.ID, after.LockedUntil.UTC().Format(time.RFC3339))
	if err := g.audit.AppendAudit(ctx, ev); err != nil {
		// The lock stands; the answer is the same. The failed append reaches the log
		// through the error's cause.
		cause = fmt.Errorf("%w (audit customer.locked failed: %v)", cause, err)
	}
	return badCredentials(jeton.ReasonBadCredentials, cause)
}
