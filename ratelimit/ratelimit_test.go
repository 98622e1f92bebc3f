package ratelimit

import (
	"context"
	"net/netip"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/internal/eventtest"
	"github.com/jeton/jeton/internal/testclock"
	"github.com/jeton/jeton/reqlog"
	"github.com/jeton/jeton/token"
)

func from(addr string) context.Context {
	return reqlog.With(context.Background(), &reqlog.Info{ClientAddr: netip.MustParseAddr(addr)})
}

func newLimiter(t *testing.T, cfg Config, o Overrides) (*Limiter, *testclock.Clock) {
	t.Helper()
	clock := testclock.New(time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC))
	l, err := New(cfg, o, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	return l, clock
}

func wantLimited(t *testing.T, err error, reason jeton.Reason) {
	t.Helper()
	e, ok := err.(*jeton.Error)
	if !ok || e.Code != jeton.CodeRateLimited || e.Reason != reason || e.RetryAfter < time.Second || e.Status != 429 {
		t.Fatalf("got %v, want rate_limited %s with RetryAfter", err, reason)
	}
}

func TestAddressBudget(t *testing.T) {
	l, clock := newLimiter(t, Config{Address: Budget{Rate: 1, Burst: 3}}, nil)
	ctx := from("198.51.100.7")
	for i := 0; i < 3; i++ {
		if err := l.Admit(ctx, token.Request{}); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	err := l.Admit(ctx, token.Request{})
	wantLimited(t, err, jeton.ReasonRateAddress)
	if err := l.Admit(from("198.51.100.8"), token.Request{}); err != nil {
		t.Fatalf("another address was limited: %v", err)
	}
	clock.Advance(time.Second)
	if err := l.Admit(ctx, token.Request{}); err != nil {
		t.Fatalf("after a refill: %v", err)
	}
}

// One IPv6 subscriber (a /64) is one address.
func TestIPv6SharesSlash64(t *testing.T) {
	l, _ := newLimiter(t, Config{Address: Budget{Rate: 1, Burst: 1}}, nil)
	if err := l.Admit(from("2001:db8:1:2::1"), token.Request{}); err != nil {
		t.Fatal(err)
	}
	wantLimited(t, l.Admit(from("2001:db8:1:2:ffff::9"), token.Request{}), jeton.ReasonRateAddress)
	if err := l.Admit(from("2001:db8:1:3::1"), token.Request{}); err != nil {
		t.Fatalf("another /64 was limited: %v", err)
	}
}

// Failed authentications are charged only when they fail, and once spent refuse the
// address and the presented client id before authentication.
func TestFailedAuthBudget(t *testing.T) {
	l, clock := newLimiter(t, Config{FailedAuthAddress: Budget{Rate: 0.5, Burst: 2}, FailedAuthClient: Budget{Rate: 0.5, Burst: 4}}, nil)
	ctx := from("198.51.100.7")
	req := token.Request{Credentials: clientauth.Credentials{ClientID: "victim"}}
	for i := 0; i < 10; i++ { // successes cost nothing
		if err := l.Admit(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	l.AuthFailed(ctx, req)
	l.AuthFailed(ctx, req)
	err := l.Admit(ctx, token.Request{Credentials: clientauth.Credentials{ClientID: "other"}})
	wantLimited(t, err, jeton.ReasonRateFailedAuth)
	if e := err.(*jeton.Error); e.RetryAfter != 2*time.Second {
		t.Errorf("RetryAfter %v, want 2s (one token at 0.5/s)", e.RetryAfter)
	}
	// The client id has budget left from another address ...
	other := from("203.0.113.1")
	if err := l.Admit(other, req); err != nil {
		t.Fatal(err)
	}
	l.AuthFailed(other, req)
	l.AuthFailed(other, req)
	// ... until it is spent: then the id is refused from everywhere.
	wantLimited(t, l.Admit(from("203.0.113.2"), req), jeton.ReasonRateFailedAuth)
	clock.Advance(2 * time.Second)
	if err := l.Admit(ctx, req); err != nil {
		t.Fatalf("after a refill: %v", err)
	}
}

type fixedOverrides map[string]Budget

func (f fixedOverrides) ClientBudget(_ context.Context, inst, client string, _ time.Time) (Budget, bool) {
	if b, ok := f[client]; ok {
		return b, true
	}
	b, ok := f[inst]
	return b, ok
}

func TestClientBudgetAndOverrides(t *testing.T) {
	o := fixedOverrides{"tight": {Rate: 1, Burst: 1}, "inst-b": {Rate: 1, Burst: 2}, "free": {}}
	l, _ := newLimiter(t, Config{Client: Budget{Rate: 1, Burst: 3}}, o)
	check := func(inst, id string) error {
		return l.Check(context.Background(), &token.ClientRequest{Client: &jeton.Client{ID: id, InstitutionID: inst}, Now: time.Now()})
	}
	count := func(inst, id string) int {
		n := 0
		for ; n < 10 && check(inst, id) == nil; n++ {
		}
		return n
	}
	if got := count("inst-a", "plain"); got != 3 {
		t.Errorf("global budget admitted %d, want 3", got)
	}
	wantLimited(t, check("inst-a", "plain"), jeton.ReasonRateClient)
	if got := count("inst-a", "tight"); got != 1 {
		t.Errorf("client override admitted %d, want 1", got)
	}
	if got := count("inst-b", "member"); got != 2 {
		t.Errorf("institution override admitted %d, want 2", got)
	}
	if got := count("inst-b", "free"); got != 10 {
		t.Errorf("a zero override (no limit) admitted %d, want all 10", got)
	}
}

func TestPasswordBudget(t *testing.T) {
	l, _ := newLimiter(t, Config{PasswordAddress: Budget{Rate: 1, Burst: 5}, PasswordCustomer: Budget{Rate: 1, Burst: 2}}, nil)
	ctx := from("198.51.100.7")
	for i := 0; i < 2; i++ {
		if err := l.Password(ctx, "inst", "alice"); err != nil {
			t.Fatal(err)
		}
	}
	wantLimited(t, l.Password(from("203.0.113.1"), "inst", "alice"), jeton.ReasonRatePassword)
	if err := l.Password(ctx, "other-inst", "alice"); err != nil {
		t.Fatalf("the same username at another institution is another customer: %v", err)
	}
	for i := 0; i < 2; i++ {
		_ = l.Password(ctx, "inst", "bob")
	}
	wantLimited(t, l.Password(ctx, "inst", "carol"), jeton.ReasonRatePassword) // the address's 5
}

// Buckets are bounded: a flood of distinct addresses never grows a map past MaxKeys.
func TestBoundedMemory(t *testing.T) {
	l, _ := newLimiter(t, Config{Address: Budget{Rate: 1, Burst: 1}, MaxKeys: 100}, nil)
	for i := 0; i < 1000; i++ {
		a := netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
		_ = l.Admit(reqlog.With(context.Background(), &reqlog.Info{ClientAddr: a}), token.Request{})
	}
	if n := l.address.Len(); n > 100 {
		t.Fatalf("%d buckets kept, bound 100", n)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{{Address: Budget{Rate: -1}}, {Client: Budget{Rate: 5}}} {
		if _, err := New(c, nil, nil); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if err := Defaults.Validate(); err != nil {
		t.Fatal(err)
	}
}

type countingStore struct {
	jeton.RateLimitStore
	reads int
	rows  map[string]jeton.RateLimit
}

func (s *countingStore) GetRateLimit(_ context.Context, scope jeton.RateLimitScope, id string) (jeton.RateLimit, error) {
	s.reads++
	if l, ok := s.rows[string(scope)+":"+id]; ok {
		return l, nil
	}
	return jeton.RateLimit{}, jeton.ErrNotFound
}

// Overrides are read once per TTL, absent ones too, and an invalidation applies at once.
func TestCachedOverrides(t *testing.T) {
	st := &countingStore{rows: map[string]jeton.RateLimit{"institution:inst": {Rate: 7, Burst: 8}}}
	c := NewCached(st, time.Minute)
	now := time.Now()
	for i := 0; i < 5; i++ {
		b, ok := c.ClientBudget(context.Background(), "inst", "cli", now)
		if !ok || b != (Budget{Rate: 7, Burst: 8}) {
			t.Fatalf("got %+v %v, want the institution's override", b, ok)
		}
	}
	if st.reads != 2 {
		t.Fatalf("%d store reads for 5 lookups, want 2 (client miss, institution)", st.reads)
	}
	st.rows["client:cli"] = jeton.RateLimit{Rate: 1, Burst: 1}
	c.Invalidate(jeton.RateLimitClient, "cli")
	if b, _ := c.ClientBudget(context.Background(), "inst", "cli", now); b != (Budget{Rate: 1, Burst: 1}) {
		t.Fatalf("after invalidation got %+v, want the client's override", b)
	}
	if _, ok := c.ClientBudget(context.Background(), "other", "x", now.Add(2*time.Minute)); ok {
		t.Fatal("an override for nobody")
	}
}

// Every refusal is reported as a security event naming its budget, with only what
// authentication verified: the client of a client budget, the institution of a
// password check, never a presented client id or username.
func TestEveryBudgetReportsItsRefusals(t *testing.T) {
	events := &eventtest.Recorder{}
	one := Budget{Rate: 0.001, Burst: 1}
	l, _ := newLimiter(t, Config{Address: one, Client: one, FailedAuthAddress: one, FailedAuthClient: one,
		PasswordAddress: one, PasswordCustomer: one, Events: events}, nil)
	tripped := func(reason string, f func() error) {
		t.Helper()
		before := len(events.Events())
		if err := f(); err != nil {
			t.Fatalf("%s: the first request was refused: %v", reason, err)
		}
		if err := f(); err == nil {
			t.Fatalf("%s: the second request was admitted", reason)
		}
		ev := events.Events()
		if len(ev) != before+1 || ev[before].Kind != jeton.EventRateLimited || ev[before].Reason != reason {
			t.Fatalf("%s: events %+v", reason, ev[before:])
		}
	}
	presented := token.Request{Credentials: clientauth.Credentials{ClientID: "presented-id"}}
	tripped(jeton.EventReasonAddress, func() error { return l.Admit(from("198.51.100.1"), token.Request{}) })
	client := &token.ClientRequest{Client: &jeton.Client{ID: "app", InstitutionID: "inst"}, Now: time.Now()}
	tripped(jeton.EventReasonClient, func() error { return l.Check(context.Background(), client) })
	fails := func(addr string, req token.Request) func() error {
		return func() error {
			err := l.Admit(from(addr), req)
			l.AuthFailed(from(addr), req)
			return err
		}
	}
	l.cfg.Address = Budget{} // the address budget is spent: test the others alone
	tripped(jeton.EventReasonFailedAuthAddress, fails("198.51.100.2", token.Request{}))
	tripped(jeton.EventReasonFailedAuthClient, func() error {
		err := l.Admit(from("198.51.100.3"), presented)
		l.AuthFailed(from("198.51.100.4"), presented) // charged from elsewhere: only the id's budget
		return err
	})
	tripped(jeton.EventReasonPasswordAddress, func() error { return l.Password(from("198.51.100.5"), "inst", jeton.NewID()) })
	tripped(jeton.EventReasonPasswordCustomer, func() error { return l.Password(from(randomAddr()), "inst", "alice") })
	for _, e := range events.Events() {
		switch {
		case e.ClientID == "presented-id" || e.Subject != "":
			t.Errorf("%s: an unverified identity was reported: %+v", e.Reason, e)
		case e.Reason == jeton.EventReasonClient && (e.ClientID != "app" || e.InstitutionID != "inst"):
			t.Errorf("client budget: %+v", e)
		case (e.Reason == jeton.EventReasonPasswordAddress || e.Reason == jeton.EventReasonPasswordCustomer) && e.InstitutionID != "inst":
			t.Errorf("%s: %+v", e.Reason, e)
		}
	}
}

var addrs atomic.Int32

// randomAddr is a fresh address of TEST-NET-3.
func randomAddr() string { return "203.0.113." + strconv.Itoa(int(addrs.Add(1))) }
