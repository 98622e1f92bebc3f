// Package ratelimit is jeton's rate limiter (docs/rate-limits.md): token buckets
// (golang.org/x/time/rate) in memory, per replica, for
//
//   - every token request from one client address (checked before authentication),
//   - every authenticated token request of one client,
//   - failed client authentications, per address and per presented client id: a
//     tighter budget, charged only when authentication fails (a success pays nothing
//     for it) and checked before authentication, so a flood of wrong secrets is
//     refused before its secrets are even looked at,
//   - password checks (the password grant and the sign-in page), per address and per
//     customer, charged before the argon2id verification.
//
// The address is the one httpapi resolved (reqlog.Info.ClientAddr, trusted proxies
// applied); IPv6 addresses share one bucket per /64, the smallest block a subscriber
// is usually given. Over budget is jeton.CodeRateLimited: 429 with Retry-After (the
// time until the bucket holds a token again) in each dialect's own shape.
//
// Buckets live in bounded ttlcache maps; a bucket is dropped once unused long enough
// to have refilled, so forgetting it changes nothing.
package ratelimit

import (
	"context"
	"fmt"
	"math"
	"net/netip"
	"time"

	"golang.org/x/time/rate"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/internal/ttlcache"
	"github.com/jeton/jeton/reqlog"
	"github.com/jeton/jeton/token"
)

// Budget is one token bucket: Rate requests per second on average, Burst at once.
// A zero Rate is no limit.
type Budget struct {
	Rate  float64 `json:"rate"`
	Burst int     `json:"burst"`
}

// Off reports whether b limits nothing.
func (b Budget) Off() bool { return b.Rate <= 0 }

// Validate refuses a negative rate, or a positive rate whose burst cannot admit one
// request.
func (b Budget) Validate() error {
	switch {
	case b.Rate < 0 || math.IsNaN(b.Rate) || math.IsInf(b.Rate, 0):
		return fmt.Errorf("rate %v: must be a non-negative number", b.Rate)
	case b.Rate > 0 && b.Burst < 1:
		return fmt.Errorf("burst %d: must be at least 1 when a rate is set", b.Burst)
	}
	return nil
}

// refill is how long an emptied bucket takes to be full again: an entry unused for
// that long can be forgotten.
func (b Budget) refill() time.Duration {
	return time.Duration(float64(b.Burst)/b.Rate*float64(time.Second)) + time.Second
}

// Config holds the global budgets (serve flags).
type Config struct {
	Address           Budget // every token request from one address
	Client            Budget // every authenticated token request of one client
	FailedAuthAddress Budget // failed client authentications from one address
	FailedAuthClient  Budget // failed client authentications naming one client id
	PasswordAddress   Budget // password checks from one address
	PasswordCustomer  Budget // password checks for one customer (institution, username)
	// MaxKeys bounds each map of buckets (0: 100,000).
	MaxKeys int
	// Events, when set, is told of every request a budget refuses
	// (jeton.EventRateLimited, the budget as reason). It must not block: under a
	// flood it is called once per refused request.
	Events jeton.SecurityObserver
}

// Defaults are generous: no benchmark in bench/ comes near them (all of bench's load
// comes from 127.0.0.1 and one client), while a flood of wrong secrets is refused
// after 100 attempts.
var Defaults = Config{
	Address:           Budget{Rate: 50000, Burst: 50000},
	Client:            Budget{Rate: 50000, Burst: 50000},
	FailedAuthAddress: Budget{Rate: 10, Burst: 100},
	FailedAuthClient:  Budget{Rate: 10, Burst: 100},
	PasswordAddress:   Budget{Rate: 200, Burst: 200},
	PasswordCustomer:  Budget{Rate: 100, Burst: 100},
}

// Validate checks every budget.
func (c Config) Validate() error {
	for name, b := range map[string]Budget{"address": c.Address, "client": c.Client,
		"failed-auth-address": c.FailedAuthAddress, "failed-auth-client": c.FailedAuthClient,
		"password-address": c.PasswordAddress, "password-customer": c.PasswordCustomer} {
		if err := b.Validate(); err != nil {
			return fmt.Errorf("rate limit %s: %w", name, err)
		}
	}
	return nil
}

// Overrides gives the client budget of one client: its own override, else its
// institution's, else ok false (the global budget). It is called on the hot path, so
// it must not read a store per call (Cached).
type Overrides interface {
	ClientBudget(ctx context.Context, institutionID, clientID string, now time.Time) (Budget, bool)
}

// Limiter holds the buckets. It is a token.Gate: put it among the engine's Policies.
type Limiter struct {
	cfg       Config
	overrides Overrides // nil: global budgets only
	now       func() time.Time

	address, failedAddress, pwAddress *ttlcache.Cache[netip.Addr, *bucket]
	client, failedClient, pwCustomer  *ttlcache.Cache[string, *bucket]
}

// bucket is one token bucket.
type bucket struct{ lim *rate.Limiter }

// New returns a limiter with cfg's budgets; overrides may be nil.
func New(cfg Config, overrides Overrides, now func() time.Time) (*Limiter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	max := cfg.MaxKeys
	if max == 0 {
		max = 100000
	}
	l := &Limiter{cfg: cfg, overrides: overrides, now: now}
	l.address, l.failedAddress, l.pwAddress = &ttlcache.Cache[netip.Addr, *bucket]{Max: max}, &ttlcache.Cache[netip.Addr, *bucket]{Max: max}, &ttlcache.Cache[netip.Addr, *bucket]{Max: max}
	l.client, l.failedClient, l.pwCustomer = &ttlcache.Cache[string, *bucket]{Max: max}, &ttlcache.Cache[string, *bucket]{Max: max}, &ttlcache.Cache[string, *bucket]{Max: max}
	return l, nil
}

// addressKey is the bucket key of a: the address itself for IPv4, its /64 for IPv6.
func addressKey(a netip.Addr) netip.Addr {
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a
}

// take spends one token of k's bucket under budget b, making the bucket if needed.
// It returns 0, or how long until a token is there again.
func take[K comparable](c *ttlcache.Cache[K, *bucket], k K, b Budget, now time.Time) time.Duration {
	bk := c.GetOrPutUntil(k, now, now.Add(b.refill()), func() *bucket {
		return &bucket{lim: rate.NewLimiter(rate.Limit(b.Rate), b.Burst)}
	})
	if bk.lim.Limit() != rate.Limit(b.Rate) || bk.lim.Burst() != b.Burst {
		// The budget changed since the bucket was made (an override was set or
		// deleted): it applies at once, with a full bucket of the new size.
		bk = &bucket{lim: rate.NewLimiter(rate.Limit(b.Rate), b.Burst)}
		c.Put(k, bk, now.Add(b.refill()), now)
	}
	if bk.lim.AllowN(now, 1) {
		return 0
	}
	return wait(bk.lim, now)
}

// empty reports how long until k's bucket holds a token, without spending one: 0
// when it has one or does not exist (nothing was charged to it).
func empty[K comparable](c *ttlcache.Cache[K, *bucket], k K, now time.Time) time.Duration {
	bk, ok := c.Get(k, now)
	if !ok || bk.lim.TokensAt(now) >= 1 {
		return 0
	}
	return wait(bk.lim, now)
}

// wait is the time until lim holds one token, at least a second (Retry-After counts
// whole seconds, RFC 9110 §10.2.3).
func wait(lim *rate.Limiter, now time.Time) time.Duration {
	missing := 1 - lim.TokensAt(now)
	d := time.Duration(missing / float64(lim.Limit()) * float64(time.Second))
	return max(d, time.Second)
}

// limited is the refusal of a request over a budget.
func limited(reason jeton.Reason, retry time.Duration, what string) *jeton.Error {
	e := jeton.Errorf(jeton.CodeRateLimited, reason, "too many requests; retry later")
	e.RetryAfter = retry
	e.Cause = fmt.Errorf("rate limit: %s", what)
	return e
}

// tripped reports a refusal by budget to the security observer. Only what was
// verified goes into the event: a presented client id or username is a stranger's
// word until authentication, so it is left out; the password budgets run after the
// client and its institution were checked.
func (l *Limiter) tripped(ctx context.Context, budget string, now time.Time, institutionID, clientID string) {
	if l.cfg.Events != nil {
		l.cfg.Events.SecurityEvent(ctx, jeton.SecurityEvent{Kind: jeton.EventRateLimited, Reason: budget, At: now,
			InstitutionID: institutionID, ClientID: clientID})
	}
}

// Admit implements token.Gate: before authentication, the address's budget is spent
// and the failed-authentication budgets of the address and of the presented client
// id must not be empty.
func (l *Limiter) Admit(ctx context.Context, req token.Request) error {
	now := l.now()
	if a := reqlog.From(ctx).ClientAddr; a.IsValid() {
		k := addressKey(a)
		if !l.cfg.Address.Off() {
			if d := take(l.address, k, l.cfg.Address, now); d > 0 {
				l.tripped(ctx, jeton.EventReasonAddress, now, "", "")
				return limited(jeton.ReasonRateAddress, d, "requests from "+k.String())
			}
		}
		if !l.cfg.FailedAuthAddress.Off() {
			if d := empty(l.failedAddress, k, now); d > 0 {
				l.tripped(ctx, jeton.EventReasonFailedAuthAddress, now, "", "")
				return limited(jeton.ReasonRateFailedAuth, d, "failed client authentications from "+k.String())
			}
		}
	}
	if id := req.Credentials.ClientID; id != "" && !l.cfg.FailedAuthClient.Off() {
		if d := empty(l.failedClient, id, now); d > 0 {
			l.tripped(ctx, jeton.EventReasonFailedAuthClient, now, "", "")
			return limited(jeton.ReasonRateFailedAuth, d, "failed client authentications of the presented client id")
		}
	}
	return nil
}

// AuthFailed implements token.Gate: one failed authentication is charged to the
// address and to the client id it presented.
func (l *Limiter) AuthFailed(ctx context.Context, req token.Request) {
	now := l.now()
	if a := reqlog.From(ctx).ClientAddr; a.IsValid() && !l.cfg.FailedAuthAddress.Off() {
		take(l.failedAddress, addressKey(a), l.cfg.FailedAuthAddress, now)
	}
	if id := req.Credentials.ClientID; id != "" && !l.cfg.FailedAuthClient.Off() {
		take(l.failedClient, id, l.cfg.FailedAuthClient, now)
	}
}

// Check implements token.Policy: the authenticated client's budget (its override,
// else its institution's, else the global one). It runs after authentication, so a
// stranger cannot spend a client's budget.
func (l *Limiter) Check(ctx context.Context, cr *token.ClientRequest) error {
	now := cr.Now
	b := l.cfg.Client
	if l.overrides != nil {
		if o, ok := l.overrides.ClientBudget(ctx, cr.Client.InstitutionID, cr.Client.ID, now); ok {
			b = o
		}
	}
	if b.Off() {
		return nil
	}
	if d := take(l.client, cr.Client.ID, b, now); d > 0 {
		l.tripped(ctx, jeton.EventReasonClient, now, cr.Client.InstitutionID, cr.Client.ID)
		return limited(jeton.ReasonRateClient, d, "requests of client "+cr.Client.ID)
	}
	return nil
}

// Password spends one password check of the request's address and of the customer
// (institutionID, username) before the password is verified; the password grant and
// the sign-in page call it (token.Password.Limit).
func (l *Limiter) Password(ctx context.Context, institutionID, username string) error {
	now := l.now()
	if a := reqlog.From(ctx).ClientAddr; a.IsValid() && !l.cfg.PasswordAddress.Off() {
		if d := take(l.pwAddress, addressKey(a), l.cfg.PasswordAddress, now); d > 0 {
			l.tripped(ctx, jeton.EventReasonPasswordAddress, now, institutionID, "")
			return limited(jeton.ReasonRatePassword, d, "password checks from "+addressKey(a).String())
		}
	}
	if !l.cfg.PasswordCustomer.Off() {
		if d := take(l.pwCustomer, institutionID+"\x00"+username, l.cfg.PasswordCustomer, now); d > 0 {
			l.tripped(ctx, jeton.EventReasonPasswordCustomer, now, institutionID, "")
			return limited(jeton.ReasonRatePassword, d, "password checks of one customer")
		}
	}
	return nil
}

var _ token.Gate = (*Limiter)(nil)
