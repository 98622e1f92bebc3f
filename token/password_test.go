package token_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/clientcache"
	"github.com/jeton/jeton/internal/eventtest"
	"github.com/jeton/jeton/internal/testclock"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/password"
	"github.com/jeton/jeton/sqlite"
	"github.com/jeton/jeton/sqlite/sqlitetest"
	"github.com/jeton/jeton/token"
)

const (
	appSecret     = "app-secret"
	alicePassword = "alice's long password"
	bobPassword   = "bob's long password"
)

// pwFixture is a real engine with the password grant over a real SQLite store.
// Institutions: bank-a (the client's own), bank-b (the client acts for it too), bank-c
// (no relation). Customers: alice and disabled dave in bank-a, bob in bank-b, carol in
// bank-c.
type pwFixture struct {
	store    *sqlite.Store
	engine   *token.Engine
	pool     *token.HashPool
	clock    *testclock.Clock
	keys     *keys.Manager
	verifies atomic.Int32
	alice    jeton.Customer
	bob      jeton.Customer
	carol    jeton.Customer
	dave     jeton.Customer
	events   eventtest.Recorder
}

type pwOptions struct {
	pool    token.HashPoolConfig
	lockout jeton.LockoutPolicy
}

func newPasswordFixture(t *testing.T, opt pwOptions) *pwFixture {
	t.Helper()
	ctx := context.Background()
	f := &pwFixture{store: sqlitetest.New(t), clock: testclock.New(time.Now().UTC().Truncate(time.Second))}
	f.keys = keys.NewManager(f.store, make([]byte, 32), keys.Config{Algs: []string{"ES256"}})
	if err := f.keys.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if opt.pool.Params == (password.Params{}) {
		opt.pool.Params = cheap
	}
	f.pool = mustPool(t, opt.pool)
	token.SetHashPoolHooks(f.pool, nil, func() { f.verifies.Add(1) })
	grant, err := token.NewPassword(token.PasswordConfig{Customers: f.store, Audit: f.store, Hasher: f.pool, Lockout: opt.lockout, Events: &f.events})
	if err != nil {
		t.Fatal(err)
	}
	f.engine = f.newEngine(grant)

	now := f.clock.Now()
	for _, id := range []string{"bank-a", "bank-b", "bank-c"} {
		if err := f.store.CreateInstitution(ctx, jeton.Institution{ID: id, Name: id, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		id     string
		status jeton.ClientStatus
		grants []string
	}{
		{"app", jeton.ClientActive, []string{jeton.GrantPassword, jeton.GrantRefreshToken}},
		{"app-no-refresh", jeton.ClientActive, []string{jeton.GrantPassword}},
		{"machine", jeton.ClientActive, []string{jeton.GrantClientCredentials}},
		{"disabled-app", jeton.ClientDisabled, []string{jeton.GrantPassword}},
	} {
		err := f.store.CreateClient(ctx, jeton.Client{
			ID: c.id, InstitutionID: "bank-a", Name: c.id, Status: c.status, AuthMethod: jeton.AuthSecretBasic,
			SecretDigest: jeton.Digest(appSecret), Institutions: []string{"bank-a", "bank-b"}, Grants: c.grants,
			Scopes: []string{"accounts", "payments"}, DefaultScopes: []string{"accounts"}, TokenFormat: jeton.FormatJWT,
			AccessTokenTTL: 10 * time.Minute, RefreshTokenTTL: time.Hour, SigningAlg: "ES256", CreatedAt: now, UpdatedAt: now,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	f.alice = f.addCustomer(t, "bank-a", "alice", alicePassword, jeton.CustomerActive)
	f.dave = f.addCustomer(t, "bank-a", "dave", "dave's long password", jeton.CustomerDisabled)
	f.bob = f.addCustomer(t, "bank-b", "bob", bobPassword, jeton.CustomerActive)
	f.carol = f.addCustomer(t, "bank-c", "carol", "carol's long password", jeton.CustomerActive)
	return f
}

func (f *pwFixture) newEngine(grant token.Grant) *token.Engine {
	sec := clientauth.Secret{Now: f.clock.Now}
	return token.NewEngine(token.EngineConfig{
		Auth: &clientauth.Authenticator{Clients: clientcache.New(f.store, 0, nil), Now: f.clock.Now,
			Methods: map[jeton.AuthMethod]clientauth.Method{jeton.AuthSecretBasic: sec}},
		Grants: []token.Grant{token.ClientCredentials{}, grant},
		Issuer: &token.Issuer{Issuer: "https://as.example", Audience: []string{"https://api.example"},
			Signer: func(alg string) (token.Signer, error) { return f.keys.Signer(alg) }, RefreshFamilies: f.store},
		Now: f.clock.Now,
	})
}

func (f *pwFixture) addCustomer(t *testing.T, inst, username, pw string, st jeton.CustomerStatus) jeton.Customer {
	t.Helper()
	h, err := password.Hash(pw, cheap)
	if err != nil {
		t.Fatal(err)
	}
	now := f.clock.Now()
	c := jeton.Customer{ID: jeton.NewID(), InstitutionID: inst, Username: username, PasswordHash: h, Status: st, CreatedAt: now, UpdatedAt: now}
	if err := f.store.CreateCustomer(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *pwFixture) customer(t *testing.T, c jeton.Customer) jeton.Customer {
	t.Helper()
	got, err := f.store.GetCustomer(context.Background(), c.InstitutionID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func pwRequest(client, username, pw string) token.Request {
	return token.Request{GrantType: jeton.GrantPassword, Username: username, Password: pw,
		Credentials: clientauth.Credentials{Presented: clientauth.PresentedBasic, ClientID: client, Secret: appSecret}}
}

// jwtClaims decodes an access token's payload (the signature is the issuer's tests' concern).
func jwtClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %q", tok)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// sameRefusal is the one answer for every refusal concerning the customer.
var sameRefusal = jeton.Error{Code: jeton.CodeInvalidGrant, Description: "invalid username or password", Status: 400}

func TestPasswordGrant(t *testing.T) {
	f := newPasswordFixture(t, pwOptions{})
	ctx := context.Background()
	// Locked until an hour from now (the admin API's unlock clears it in another test).
	erin := f.addCustomer(t, "bank-a", "erin", "erin's long password", jeton.CustomerActive)
	locked := f.customer(t, erin)
	locked.LockedUntil = f.clock.Now().Add(time.Hour)
	if err := f.store.UpdateCustomer(ctx, locked); err != nil {
		t.Fatal(err)
	}

	withInst := func(r token.Request, inst string) token.Request { r.InstitutionID = inst; return r }
	tests := []struct {
		name   string
		req    token.Request
		sub    jeton.Customer // success: the token's subject
		code   jeton.Code     // refusal
		reason jeton.Reason
		param  string
		// verifies is how many argon2id verifications the request costs.
		verifies int32
	}{
		{name: "success", req: pwRequest("app", "alice", alicePassword), sub: f.alice, verifies: 1},
		{name: "customer of a partner institution, named", req: withInst(pwRequest("app", "bob", bobPassword), "bank-b"), sub: f.bob, verifies: 1},
		{name: "missing username", req: pwRequest("app", "", alicePassword), code: jeton.CodeInvalidRequest, reason: jeton.ReasonMissingParameter, param: "username"},
		{name: "empty password", req: pwRequest("app", "alice", ""), code: jeton.CodeInvalidRequest, reason: jeton.ReasonMissingParameter, param: "password"},
		{name: "10 KiB password", req: pwRequest("app", "alice", strings.Repeat("p", 10<<10)), code: jeton.CodeInvalidGrant, reason: jeton.ReasonBadCredentials},
		{name: "password one byte over the maximum", req: pwRequest("app", "alice", strings.Repeat("p", password.MaxLen+1)), code: jeton.CodeInvalidGrant, reason: jeton.ReasonBadCredentials},
		{name: "unknown user", req: pwRequest("app", "mallory", alicePassword), code: jeton.CodeInvalidGrant, reason: jeton.ReasonBadCredentials, verifies: 1},
		{name: "wrong password", req: pwRequest("app", "alice", "not alice's password"), code: jeton.CodeInvalidGrant, reason: jeton.ReasonBadCredentials, verifies: 1},
		{name: "username differs in case", req: pwRequest("app", "Alice", alicePassword), code: jeton.CodeInvalidGrant, reason: jeton.ReasonBadCredentials, verifies: 1},
		{name: "locked user, right password", req: pwRequest("app", "erin", "erin's long password"), code: jeton.CodeInvalidGrant, reason: jeton.ReasonLocked, verifies: 1},
		{name: "disabled customer, right password", req: pwRequest("app", "dave", "dave's long password"), code: jeton.CodeInvalidGrant, reason: jeton.ReasonCustomerInactive, verifies: 1},
		{name: "disabled client", req: pwRequest("disabled-app", "alice", alicePassword), code: jeton.CodeInvalidClient, reason: jeton.ReasonClientInactive},
		{name: "client not registered for the grant", req: pwRequest("machine", "alice", alicePassword), code: jeton.CodeUnauthorizedClient, param: "grant_type"},
		{name: "partner institution's customer through the client's own", req: pwRequest("app", "bob", bobPassword), code: jeton.CodeInvalidGrant, reason: jeton.ReasonBadCredentials, verifies: 1},
		{name: "own customer through the partner institution", req: withInst(pwRequest("app", "alice", alicePassword), "bank-b"), code: jeton.CodeInvalidGrant, reason: jeton.ReasonBadCredentials, verifies: 1},
		{name: "unrelated institution's customer", req: pwRequest("app", "carol", "carol's long password"), code: jeton.CodeInvalidGrant, reason: jeton.ReasonBadCredentials, verifies: 1},
		{name: "unrelated institution, named", req: withInst(pwRequest("app", "carol", "carol's long password"), "bank-c"), code: jeton.CodeUnauthorizedClient, reason: jeton.ReasonInstitution},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.verifies.Store(0)
			res, err := f.engine.Token(ctx, tt.req)
			if got := f.verifies.Load(); got != tt.verifies {
				t.Errorf("%d argon2id verifications; want %d", got, tt.verifies)
			}
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				claims := jwtClaims(t, res.AccessToken)
				if res.Subject != tt.sub.ID || res.InstitutionID != tt.sub.InstitutionID ||
					claims["sub"] != tt.sub.ID || claims["institution_id"] != tt.sub.InstitutionID || claims["client_id"] != "app" {
					t.Fatalf("result %+v, claims %v; want the customer %s of %s", res, claims, tt.sub.ID, tt.sub.InstitutionID)
				}
				if at, _ := claims["auth_time"].(float64); int64(at) != f.clock.Now().Unix() {
					t.Errorf("auth_time %v; want %d", claims["auth_time"], f.clock.Now().Unix())
				}
				if !slices.Equal(res.Scope, []string{"accounts"}) {
					t.Errorf("scope %v", res.Scope)
				}
				// The client is registered for refresh_token: the sign-in starts a family.
				if res.RefreshToken == "" || claims["fid"] == nil {
					t.Errorf("no refresh token (%q) or family (%v) for a refresh client", res.RefreshToken, claims["fid"])
				}
				return
			}
			var pe *jeton.Error
			if !errors.As(err, &pe) || pe.Code != tt.code || pe.Reason != tt.reason || pe.Param != tt.param {
				t.Fatalf("err = %#v; want %s/%s param %q", err, tt.code, tt.reason, tt.param)
			}
			if tt.code == jeton.CodeInvalidGrant && (pe.Description != sameRefusal.Description || pe.Status != sameRefusal.Status) {
				t.Errorf("answer %q (%d) differs from the one refusal", pe.Description, pe.Status)
			}
			if strings.Contains(err.Error(), tt.req.Password) && tt.req.Password != "" {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
	// None of the refusals above counted against alice (only a wrong password does, and
	// that one did once); the lock did not change.
	if a := f.customer(t, f.alice); a.FailedAttempts != 1 || a.Locked(f.clock.Now()) {
		t.Errorf("alice %+v; want one failed attempt, not locked", a)
	}
	if e := f.customer(t, erin); e.FailedAttempts != 0 || !e.LockedUntil.Equal(locked.LockedUntil) {
		t.Errorf("erin %+v; a locked customer's attempts must not count", e)
	}
}

// TestPasswordAuthorization calls the handler directly for what the issuer does with
// its decision: a refresh family only for clients registered for refresh_token.
func TestPasswordAuthorization(t *testing.T) {
	f := newPasswordFixture(t, pwOptions{})
	ctx := context.Background()
	grant, err := token.NewPassword(token.PasswordConfig{Customers: f.store, Audit: f.store, Hasher: f.pool})
	if err != nil {
		t.Fatal(err)
	}
	if grant.Type() != jeton.GrantPassword || grant.Lockout() != token.DefaultLockout {
		t.Fatalf("type %q lockout %+v", grant.Type(), grant.Lockout())
	}
	for _, tc := range []struct {
		client  string
		refresh bool
	}{{"app", true}, {"app-no-refresh", false}} {
		c, err := f.store.GetClient(ctx, tc.client)
		if err != nil {
			t.Fatal(err)
		}
		now := f.clock.Now()
		authz, err := grant.Handle(ctx, &token.ClientRequest{
			Request: pwRequest(tc.client, "alice", alicePassword), Client: &c, Institution: "bank-a",
			Scope: []string{"payments"}, Now: now,
		})
		if err != nil {
			t.Fatal(err)
		}
		want := token.Authorization{Subject: f.alice.ID, InstitutionID: "bank-a", Scope: []string{"payments"}, AuthTime: now, Refresh: tc.refresh}
		if authz.Subject != want.Subject || authz.InstitutionID != want.InstitutionID || !slices.Equal(authz.Scope, want.Scope) ||
			!authz.AuthTime.Equal(want.AuthTime) || authz.Refresh != want.Refresh || authz.FamilyID != "" || authz.RefreshToken != "" {
			t.Errorf("%s: %+v; want %+v", tc.client, authz, want)
		}
	}
	for _, bad := range []token.PasswordConfig{
		{Audit: f.store, Hasher: f.pool},
		{Customers: f.store, Hasher: f.pool},
		{Customers: f.store, Audit: f.store},
		{Customers: f.store, Audit: f.store, Hasher: f.pool, Lockout: jeton.LockoutPolicy{MaxFailures: -1}},
	} {
		if _, err := token.NewPassword(bad); err == nil {
			t.Errorf("NewPassword(%+v) accepted", bad)
		}
	}
}

func lockEvents(t *testing.T, s *sqlite.Store) []jeton.AuditEvent {
	t.Helper()
	page, err := s.ListAudit(context.Background(), jeton.AuditFilter{Action: "customer.locked"})
	ev := page.Events
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func wantRefusal(t *testing.T, err error, reason jeton.Reason) {
	t.Helper()
	var pe *jeton.Error
	if !errors.As(err, &pe) || pe.Code != jeton.CodeInvalidGrant || pe.Reason != reason || pe.Description != sameRefusal.Description {
		t.Fatalf("err = %v; want invalid_grant/%s", err, reason)
	}
}

func TestPasswordLockout(t *testing.T) {
	policy := jeton.LockoutPolicy{MaxFailures: 3, Window: 10 * time.Minute, Cooldown: 15 * time.Minute}
	f := newPasswordFixture(t, pwOptions{lockout: policy})
	ctx := context.Background()
	right, wrong := pwRequest("app", "alice", alicePassword), pwRequest("app", "alice", "a wrong password")

	// Failures short of the maximum, then a success: the run is cleared.
	for range policy.MaxFailures - 1 {
		_, err := f.engine.Token(ctx, wrong)
		wantRefusal(t, err, jeton.ReasonBadCredentials)
	}
	if a := f.customer(t, f.alice); a.FailedAttempts != 2 {
		t.Fatalf("failed attempts %d; want 2", a.FailedAttempts)
	}
	if _, err := f.engine.Token(ctx, right); err != nil {
		t.Fatal(err)
	}
	if a := f.customer(t, f.alice); a.FailedAttempts != 0 || !a.FailureWindowStart.IsZero() {
		t.Fatalf("after a success: %+v; want the run cleared", a)
	}

	// The window restarts: failures further apart than Window do not add up.
	for range policy.MaxFailures - 1 {
		_, err := f.engine.Token(ctx, wrong)
		wantRefusal(t, err, jeton.ReasonBadCredentials)
	}
	f.clock.Advance(policy.Window + time.Second)
	for range policy.MaxFailures - 1 {
		_, err := f.engine.Token(ctx, wrong)
		wantRefusal(t, err, jeton.ReasonBadCredentials)
	}
	if a := f.customer(t, f.alice); a.FailedAttempts != 2 || a.Locked(f.clock.Now()) {
		t.Fatalf("after the window restarted: %+v; want 2 failures, not locked", a)
	}
	if len(lockEvents(t, f.store)) != 0 {
		t.Fatal("lock audited without a lock")
	}

	// The third failure within the window locks, and is audited once.
	_, err := f.engine.Token(ctx, wrong)
	wantRefusal(t, err, jeton.ReasonBadCredentials)
	lockedAt := f.clock.Now()
	a := f.customer(t, f.alice)
	if !a.Locked(lockedAt) || !a.LockedUntil.Equal(lockedAt.Add(policy.Cooldown)) {
		t.Fatalf("after %d failures: %+v; want locked until %v", policy.MaxFailures, a, lockedAt.Add(policy.Cooldown))
	}
	ev := lockEvents(t, f.store)
	if len(ev) != 1 || ev[0].Actor != "app" || ev[0].Subject != f.alice.ID || ev[0].InstitutionID != "bank-a" || !ev[0].At.Equal(lockedAt) {
		t.Fatalf("audit %+v; want one customer.locked by app for alice", ev)
	}
	if b, _ := json.Marshal(ev[0]); strings.Contains(string(b), "wrong password") || strings.Contains(string(b), alicePassword) {
		t.Fatalf("audit event holds a password: %s", b)
	}

	// Locked: even the right password is refused, and tries do not extend the lock.
	f.clock.Advance(policy.Cooldown - time.Second)
	for _, r := range []token.Request{right, wrong, wrong, wrong} {
		_, err := f.engine.Token(ctx, r)
		wantRefusal(t, err, jeton.ReasonLocked)
	}
	if a := f.customer(t, f.alice); !a.LockedUntil.Equal(lockedAt.Add(policy.Cooldown)) || a.FailedAttempts != policy.MaxFailures {
		t.Fatalf("tries during the lock changed it: %+v", a)
	}

	// After the cooldown the right password works and the expired lock is cleared.
	f.clock.Advance(time.Second)
	if _, err := f.engine.Token(ctx, right); err != nil {
		t.Fatalf("after the cooldown: %v", err)
	}
	if a := f.customer(t, f.alice); !a.LockedUntil.IsZero() || a.FailedAttempts != 0 {
		t.Fatalf("after a success past the lock: %+v", a)
	}
	if n := len(lockEvents(t, f.store)); n != 1 {
		t.Fatalf("%d lock events; want 1", n)
	}
	// The lock is reported to the security observers once, like its audit event.
	if ev := f.events.Events(); len(ev) != 1 || ev[0].Kind != jeton.EventLockout || ev[0].Subject != f.alice.ID ||
		ev[0].ClientID != "app" || ev[0].InstitutionID != "bank-a" || !ev[0].At.Equal(lockedAt) {
		t.Fatalf("security events %+v; want one lockout of alice", ev)
	}
}

// TestPasswordLockoutConcurrent: five wrong passwords at once against a budget of
// three. The racers are held at their argon2id run until all five are there, so all
// five passed the customer lookup together: exactly three are admitted by the store
// and verified, the other two are refused unchecked (at the same cost), and the lock
// the three cause is audited exactly once.
func TestPasswordLockoutConcurrent(t *testing.T) {
	policy := jeton.LockoutPolicy{MaxFailures: 3, Window: 10 * time.Minute, Cooldown: 15 * time.Minute}
	f := newPasswordFixture(t, pwOptions{lockout: policy, pool: token.HashPoolConfig{Workers: 5, Queue: 5}})
	ctx := context.Background()
	var arrived atomic.Int32
	all := make(chan struct{})
	token.SetHashPoolHooks(f.pool, nil, func() {
		if arrived.Add(1) == 5 {
			close(all)
		}
		<-all
	})
	var wg sync.WaitGroup
	var mu sync.Mutex
	reasons := map[jeton.Reason]int{}
	for range 5 {
		wg.Go(func() {
			_, err := f.engine.Token(ctx, pwRequest("app", "alice", "a wrong password"))
			pe := jeton.AsError(err)
			if pe.Code != jeton.CodeInvalidGrant {
				t.Errorf("err = %v; want invalid_grant", err)
			}
			mu.Lock()
			reasons[pe.Reason]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if reasons[jeton.ReasonBadCredentials] != 3 || reasons[jeton.ReasonLocked] != 2 {
		t.Errorf("reasons %v; want 3 verified failures and 2 refused unchecked", reasons)
	}
	if a := f.customer(t, f.alice); !a.Locked(f.clock.Now()) || a.FailedAttempts != policy.MaxFailures {
		t.Fatalf("after five racing failures: %+v; want locked with exactly %d failures", a, policy.MaxFailures)
	}
	if n := len(lockEvents(t, f.store)); n != 1 {
		t.Fatalf("%d lock events; want 1", n)
	}
}

// TestPasswordAdminUnlock: a locked customer signs in again at once after the admin
// API's unlock, well before the cooldown ends.
func TestPasswordAdminUnlock(t *testing.T) {
	policy := jeton.LockoutPolicy{MaxFailures: 2, Window: time.Hour, Cooldown: time.Hour}
	f := newPasswordFixture(t, pwOptions{lockout: policy})
	ctx := context.Background()
	for range 2 {
		_, err := f.engine.Token(ctx, pwRequest("app", "alice", "a wrong password"))
		wantRefusal(t, err, jeton.ReasonBadCredentials)
	}
	_, err := f.engine.Token(ctx, pwRequest("app", "alice", alicePassword))
	wantRefusal(t, err, jeton.ReasonLocked)

	srv := httptest.NewServer(adminapi.New(adminapi.Config{Store: f.store, Token: "admin-token", Now: f.clock.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Password: cheap}))
	t.Cleanup(srv.Close)
	admin := adminapi.NewClient(srv.URL, "admin-token", srv.Client())
	cu, err := admin.UnlockCustomer(ctx, "bank-a", f.alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !cu.LockedUntil.IsZero() || cu.FailedAttempts != 0 {
		t.Fatalf("unlock answered %+v", cu)
	}
	if _, err := f.engine.Token(ctx, pwRequest("app", "alice", alicePassword)); err != nil {
		t.Fatalf("after unlock: %v", err)
	}
}

// TestPasswordOverload: with one worker and a queue of one, a third concurrent sign-in
// is refused with 503 and Retry-After, at once and without hashing, and the two
// admitted ones succeed once the worker is free.
func TestPasswordOverload(t *testing.T) {
	f := newPasswordFixture(t, pwOptions{pool: token.HashPoolConfig{Workers: 1, Queue: 1}})
	ctx := context.Background()
	b := blockPool(t, f.pool)
	req := pwRequest("app", "alice", alicePassword)
	results := make(chan error, 2)
	go func() { _, err := f.engine.Token(ctx, req); results <- err }()
	recv(t, b.admitted, "admission")
	recv(t, b.started, "verification")
	go func() {
		_, err := f.engine.Token(ctx, pwRequest("app", "mallory", "unknown user's password"))
		results <- err
	}()
	recv(t, b.admitted, "admission")

	for _, r := range []token.Request{req, pwRequest("app", "nobody", "unknown user's password")} {
		_, err := f.engine.Token(ctx, r)
		wantOverloaded(t, err)
	}
	close(b.release)
	var codes []jeton.Code
	for range 2 {
		if err := recv(t, results, "answer"); err != nil {
			codes = append(codes, jeton.AsError(err).Code)
		} else {
			codes = append(codes, "ok")
		}
	}
	slices.Sort(codes)
	if !slices.Equal(codes, []jeton.Code{jeton.CodeInvalidGrant, "ok"}) {
		t.Fatalf("admitted requests answered %v; want one success and one invalid_grant", codes)
	}
	if n := b.verifies.Load(); n != 2 {
		t.Fatalf("%d verifications; want 2", n)
	}
	// The refused sign-ins of alice gave their lockout reservations back: nothing
	// was verified, so nothing holds a slot of her attempt budget.
	if a := f.customer(t, f.alice); a.AttemptsInFlight != 0 || a.FailedAttempts != 0 || !a.FailureWindowStart.IsZero() {
		t.Fatalf("after the overload: %+v; want no run left", a)
	}
}
