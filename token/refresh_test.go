package token_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/clientcache"
	"github.com/jeton/jeton/internal/eventtest"
	"github.com/jeton/jeton/internal/testclock"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/postgres"
	"github.com/jeton/jeton/postgres/pgtest"
	"github.com/jeton/jeton/reqlog"
	"github.com/jeton/jeton/sqlite/sqlitetest"
	"github.com/jeton/jeton/token"
	"github.com/jeton/jeton/token/tokentest"
)

// rtWorld is a real engine, introspector and revoker over a real store and real keys,
// with one injected clock.
type rtWorld struct {
	store      jeton.Store
	clock      *testclock.Clock
	keys       *keys.Manager
	engine     *token.Engine
	intro      *token.Introspector
	revoker    *token.Revoker
	refreshKey []byte
	events     *eventtest.Recorder
}

const (
	rtInstA    = "bank-a"
	rtInstB    = "bank-b"
	rtCustomer = "cust-1"
	rtSecret   = "client-secret"
)

func newRTWorld(t *testing.T, store jeton.Store, algs ...string) *rtWorld {
	t.Helper()
	ctx := context.Background()
	w := &rtWorld{store: store, clock: testclock.New(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)), events: &eventtest.Recorder{}}
	kek := make([]byte, 32)
	if len(algs) == 0 {
		algs = []string{"ES256"}
	}
	w.refreshKey = token.DeriveRefreshKey(kek)
	w.keys = keys.NewManager(store, kek, keys.Config{Algs: algs, Now: w.clock.Now})
	if err := w.keys.Load(ctx); err != nil {
		t.Fatal(err)
	}
	clients := clientcache.New(store, 0, nil)
	w.engine = w.newEngine(&token.RefreshGrant{Store: store, Key: w.refreshKey, MaxTokenTTL: 24 * time.Hour, Events: w.events})
	w.intro = &token.Introspector{Issuer: "https://as.example", KeySet: w.keys.KeySet, Store: store, Clients: clients, Now: w.clock.Now}
	w.revoker = &token.Revoker{Tokens: w.intro, Store: store, MaxTokenTTL: 24 * time.Hour}
	now := w.clock.Now()
	for _, id := range []string{rtInstA, rtInstB} {
		if err := store.CreateInstitution(ctx, jeton.Institution{ID: id, Name: id, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	w.addClient(t, "app", rtInstA, nil)
	w.addClient(t, "other-app", rtInstA, nil)
	w.addClient(t, "opaque-app", rtInstA, func(c *jeton.Client) { c.TokenFormat = jeton.FormatOpaque })
	w.addClient(t, "no-rotation", rtInstA, func(c *jeton.Client) { c.RefreshRotationOff = true })
	w.addClient(t, "short-family", rtInstA, func(c *jeton.Client) { c.RefreshTokenTTL = 10 * 24 * time.Hour })
	w.addClient(t, "b-app", rtInstB, nil)
	w.addCustomer(t, rtCustomer, rtInstA)
	return w
}

// newEngine builds an engine over the world's store, keys and clock with refresh as
// its refresh grant, as a replica (or a restarted process) with other settings.
func (w *rtWorld) newEngine(refresh *token.RefreshGrant) *token.Engine {
	sec := clientauth.Secret{Now: w.clock.Now}
	return token.NewEngine(token.EngineConfig{
		Auth: &clientauth.Authenticator{Clients: clientcache.New(w.store, 0, nil), Now: w.clock.Now,
			Methods: map[jeton.AuthMethod]clientauth.Method{jeton.AuthSecretBasic: sec, jeton.AuthSecretPost: sec}},
		Grants: []token.Grant{tokentest.SeedGrant{}, token.ClientCredentials{}, refresh},
		Issuer: &token.Issuer{Issuer: "https://as.example", Audience: []string{"https://api.example"},
			Signer:       func(alg string) (token.Signer, error) { return w.keys.Signer(alg) },
			AccessTokens: w.store, RefreshFamilies: w.store, MaxTTL: 24 * time.Hour},
		Now: w.clock.Now,
	})
}

func (w *rtWorld) addClient(t *testing.T, id, inst string, edit func(*jeton.Client)) {
	t.Helper()
	now := w.clock.Now()
	c := jeton.Client{
		ID: id, InstitutionID: inst, Name: id, Status: jeton.ClientActive, AuthMethod: jeton.AuthSecretBasic,
		SecretDigest: jeton.Digest(rtSecret), Institutions: []string{inst},
		Grants: []string{tokentest.GrantSeed, jeton.GrantRefreshToken, jeton.GrantClientCredentials},
		Scopes: []string{"accounts:read", "accounts:write", "payments"}, DefaultScopes: []string{"accounts:read"},
		TokenFormat: jeton.FormatJWT, AccessTokenTTL: time.Hour, SigningAlg: "ES256", CreatedAt: now, UpdatedAt: now,
	}
	if edit != nil {
		edit(&c)
	}
	if err := w.store.CreateClient(context.Background(), c); err != nil {
		t.Fatal(err)
	}
}

func (w *rtWorld) addCustomer(t *testing.T, id, inst string) {
	t.Helper()
	now := w.clock.Now()
	err := w.store.CreateCustomer(context.Background(), jeton.Customer{ID: id, InstitutionID: inst, Username: id,
		PasswordHash: "$argon2id$unused", Status: jeton.CustomerActive, CreatedAt: now, UpdatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
}

func rtCreds(client string) clientauth.Credentials {
	return clientauth.Credentials{Presented: clientauth.PresentedBasic, ClientID: client, Secret: rtSecret}
}

// seed starts a family for the customer at client with scope (nil: the default).
func (w *rtWorld) seed(t *testing.T, client string, scope ...string) *token.Result {
	t.Helper()
	res, err := w.engine.Token(context.Background(), token.Request{GrantType: tokentest.GrantSeed, Credentials: rtCreds(client),
		Username: rtCustomer, Scope: scope})
	if err != nil {
		t.Fatal(err)
	}
	if res.RefreshToken == "" {
		t.Fatal("seed grant got no refresh token")
	}
	return res
}

func (w *rtWorld) refresh(client, rt string, scope ...string) (*token.Result, error) {
	return w.engine.Token(context.Background(), token.Request{GrantType: jeton.GrantRefreshToken,
		Credentials: rtCreds(client), RefreshToken: rt, Scope: scope})
}

func (w *rtWorld) mustRefresh(t *testing.T, client, rt string, scope ...string) *token.Result {
	t.Helper()
	res, err := w.refresh(client, rt, scope...)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	return res
}

// wantProtoErr checks a protocol error's code and reason.
func wantProtoErr(t *testing.T, err error, code jeton.Code, reason jeton.Reason) {
	t.Helper()
	var pe *jeton.Error
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want %s (%s)", err, code, reason)
	}
	if pe.Code != code || pe.Reason != reason {
		t.Fatalf("got %s (%s), want %s (%s)", pe.Code, pe.Reason, code, reason)
	}
}

// active introspects tok as the "app" client.
func (w *rtWorld) active(t *testing.T, tok string) bool {
	t.Helper()
	c := w.client(t, "app")
	res, err := w.intro.Introspect(context.Background(), &c, tok, "")
	if err != nil {
		t.Fatal(err)
	}
	return res.Active
}

func (w *rtWorld) client(t *testing.T, id string) jeton.Client {
	t.Helper()
	c, err := w.store.GetClient(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (w *rtWorld) family(t *testing.T, rt string) (jeton.RefreshToken, jeton.RefreshFamily) {
	t.Helper()
	tok, fam, err := w.store.GetRefreshToken(context.Background(), jeton.RefreshTokenKey(rt))
	if err != nil {
		t.Fatal(err)
	}
	return tok, fam
}

func TestRefreshFamilyStartsWithTheGrant(t *testing.T) {
	w := newRTWorld(t, sqlitetest.New(t))
	res := w.seed(t, "app", "accounts:read", "payments")
	tok, fam := w.family(t, res.RefreshToken)
	now := w.clock.Now()
	if fam.ClientID != "app" || fam.Subject != rtCustomer || fam.InstitutionID != rtInstA ||
		!slices.Equal(fam.Scope, []string{"accounts:read", "payments"}) || !fam.AuthTime.Equal(now) {
		t.Errorf("family %+v", fam)
	}
	// Absolute lifetime: the 30-day default (the client sets none); idle: 7 days.
	if !fam.ExpiresAt.Equal(now.Add(30*24*time.Hour)) || !tok.ExpiresAt.Equal(now.Add(7*24*time.Hour)) {
		t.Errorf("family expires %v, token %v", fam.ExpiresAt, tok.ExpiresAt)
	}
	// 64 characters: the family's id and 256 random bits (jeton.NewRefreshToken).
	if res.RefreshTTL != 7*24*time.Hour || len(res.RefreshToken) != 64 {
		t.Errorf("refresh TTL %v, token length %d", res.RefreshTTL, len(res.RefreshToken))
	}
	// The access token names the family, so a family revocation reaches it.
	info, err := w.intro.Introspect(context.Background(), ptrTo(w.client(t, "app")), res.AccessToken, "")
	if err != nil || !info.Active || info.FamilyID != fam.ID || info.Subject != rtCustomer {
		t.Fatalf("introspection %+v, %v", info, err)
	}
	// client_credentials starts no family (RFC 6749 §4.4.3).
	cc, err := w.engine.Token(context.Background(), token.Request{GrantType: jeton.GrantClientCredentials, Credentials: rtCreds("app")})
	if err != nil || cc.RefreshToken != "" {
		t.Fatalf("client_credentials: %+v, %v", cc, err)
	}
}

func TestRefreshIdleNeverPastAbsolute(t *testing.T) {
	w := newRTWorld(t, sqlitetest.New(t))
	res := w.seed(t, "short-family") // 10-day family
	w.clock.Advance(6 * 24 * time.Hour)
	res = w.mustRefresh(t, "short-family", res.RefreshToken)
	// Idle would reach day 13; the family ends on day 10.
	if res.RefreshTTL != 4*24*time.Hour {
		t.Errorf("refresh TTL %v, want the 4 days left of the family", res.RefreshTTL)
	}
	w.clock.Advance(4*24*time.Hour - time.Second)
	res = w.mustRefresh(t, "short-family", res.RefreshToken)
	w.clock.Advance(time.Second)
	_, err := w.refresh("short-family", res.RefreshToken)
	wantProtoErr(t, err, jeton.CodeInvalidGrant, jeton.ReasonExpired)
}

func TestRefreshRotates(t *testing.T) {
	w := newRTWorld(t, sqlitetest.New(t))
	first := w.seed(t, "app")
	_, fam := w.family(t, first.RefreshToken)
	w.clock.Advance(10 * time.Minute)
	second := w.mustRefresh(t, "app", first.RefreshToken)
	if second.RefreshToken == first.RefreshToken || second.RefreshToken == "" {
		t.Fatal("rotation must return a new refresh token")
	}
	if second.Subject != rtCustomer || second.InstitutionID != rtInstA || !slices.Equal(second.Scope, []string{"accounts:read"}) {
		t.Errorf("result %+v", second)
	}
	used, _ := w.family(t, first.RefreshToken)
	next, fam2 := w.family(t, second.RefreshToken)
	if used.UsedAt.IsZero() || !jeton.RefreshKeyEqual(second.RefreshToken, used.SuccessorDigest) || fam2.ID != fam.ID {
		t.Errorf("rotation bookkeeping: used %+v, next %+v", used, next)
	}
	if !next.ExpiresAt.Equal(w.clock.Now().Add(7 * 24 * time.Hour)) {
		t.Errorf("successor idle expiry %v", next.ExpiresAt)
	}
	// The new access token still belongs to the family; the old one too.
	if !w.active(t, second.AccessToken) || !w.active(t, first.AccessToken) {
		t.Error("both access tokens should be active")
	}
	// The rotated token is no longer active; its successor is.
	if w.active(t, first.RefreshToken) || !w.active(t, second.RefreshToken) {
		t.Error("rotated token must be inactive, successor active")
	}
	third := w.mustRefresh(t, "app", second.RefreshToken)
	if third.RefreshToken == second.RefreshToken {
		t.Fatal("no rotation")
	}
}

func TestRefreshRetryWithinGraceGetsTheSameSuccessor(t *testing.T) {
	w := newRTWorld(t, sqlitetest.New(t))
	first := w.seed(t, "app")
	second := w.mustRefresh(t, "app", first.RefreshToken)
	w.clock.Advance(29 * time.Second)
	retry := w.mustRefresh(t, "app", first.RefreshToken) // the client lost the first answer
	if retry.RefreshToken != second.RefreshToken {
		t.Fatal("a retry within the grace must return the same successor")
	}
	if retry.AccessToken == second.AccessToken || retry.JTI == second.JTI {
		t.Error("a retry gets a fresh access token")
	}
	if !w.active(t, second.RefreshToken) || !w.active(t, retry.AccessToken) {
		t.Error("family must stay live")
	}
	// And the successor works on.
	w.mustRefresh(t, "app", retry.RefreshToken)
}

// TestRefreshRetryAcrossAKEKChange: a token rotated by a process under the old KEK
// and retried within the grace on one under the new KEK (a restart or another replica
// during a KEK rotation) gets the same successor, because the new process keeps the
// old KEK's successor key among PreviousKeys; without it the retry is reuse.
func TestRefreshRetryAcrossAKEKChange(t *testing.T) {
	w := newRTWorld(t, sqlitetest.New(t))
	newKey := token.DeriveRefreshKey(bytes.Repeat([]byte{7}, 32))
	first := w.seed(t, "app")
	second := w.mustRefresh(t, "app", first.RefreshToken) // under the old KEK
	w.clock.Advance(10 * time.Second)

	after := w.newEngine(&token.RefreshGrant{Store: w.store, Key: newKey, PreviousKeys: [][]byte{w.refreshKey}, MaxTokenTTL: 24 * time.Hour})
	retry, err := after.Token(context.Background(), token.Request{GrantType: jeton.GrantRefreshToken,
		Credentials: rtCreds("app"), RefreshToken: first.RefreshToken})
	if err != nil {
		t.Fatalf("retry under the new KEK: %v", err)
	}
	if retry.RefreshToken != second.RefreshToken {
		t.Fatal("a retry under the new KEK must return the successor made under the old one")
	}
	// New rotations use the new key.
	third, err := after.Token(context.Background(), token.Request{GrantType: jeton.GrantRefreshToken,
		Credentials: rtCreds("app"), RefreshToken: second.RefreshToken})
	if err != nil {
		t.Fatal(err)
	}
	if w.mustRefresh(t, "app", third.RefreshToken).RefreshToken == "" || third.RefreshToken == second.RefreshToken {
		t.Fatal("rotation under the new key failed")
	}

	// Without the previous key the same retry is taken for reuse.
	other := w.seed(t, "app")
	w.mustRefresh(t, "app", other.RefreshToken)
	bare := w.newEngine(&token.RefreshGrant{Store: w.store, Key: newKey, MaxTokenTTL: 24 * time.Hour})
	_, err = bare.Token(context.Background(), token.Request{GrantType: jeton.GrantRefreshToken,
		Credentials: rtCreds("app"), RefreshToken: other.RefreshToken})
	wantProtoErr(t, err, jeton.CodeInvalidGrant, jeton.ReasonReplay)
}

func TestRefreshReuseAfterGraceRevokesTheFamily(t *testing.T) {
	w := newRTWorld(t, sqlitetest.New(t))
	ctx := context.Background()
	first := w.seed(t, "app")
	bystander := w.seed(t, "app") // another family of the same client and customer
	_, fam := w.family(t, first.RefreshToken)
	second := w.mustRefresh(t, "app", first.RefreshToken)
	w.clock.Advance(30 * time.Second) // the grace is over exactly now

	_, err := w.refresh("app", first.RefreshToken)
	wantProtoErr(t, err, jeton.CodeInvalidGrant, jeton.ReasonReplay)

	_, fam = w.family(t, first.RefreshToken)
	if fam.RevokedAt.IsZero() {
		t.Fatal("family not revoked")
	}
	if revoked, err := w.store.IsRevoked(ctx, jeton.RevokeFamily, fam.ID); err != nil || !revoked {
		t.Fatalf("family revocation not recorded: %v %v", revoked, err)
	}
	_, err = w.refresh("app", second.RefreshToken)
	wantProtoErr(t, err, jeton.CodeInvalidGrant, jeton.ReasonRevoked)
	for name, tok := range map[string]string{"first access": first.AccessToken, "second access": second.AccessToken, "successor": second.RefreshToken} {
		if w.active(t, tok) {
			t.Errorf("%s still active after reuse", name)
		}
	}
	page, err := w.store.ListAudit(ctx, jeton.AuditFilter{Action: token.AuditRefreshReuse})
	events := page.Events
	if err != nil || len(events) != 1 {
		t.Fatalf("audit %v %v", events, err)
	}
	if e := events[0]; e.Actor != "app" || e.Subject != fam.ID || e.InstitutionID != rtInstA {
		t.Errorf("audit event %+v", e)
	}
	if ev := w.events.Events(); len(ev) != 1 || ev[0].Kind != jeton.EventFamilyRevoked || ev[0].Reason != jeton.EventReasonReuse ||
		ev[0].ClientID != "app" || ev[0].InstitutionID != rtInstA || ev[0].Subject != fam.Subject {
		t.Errorf("security events %+v; want one family revoked for reuse", ev)
	}
	// Nothing else changed: the other family lives on.
	if !w.active(t, bystander.AccessToken) || !w.active(t, bystander.RefreshToken) {
		t.Error("reuse in one family must not touch another")
	}
	w.mustRefresh(t, "app", bystander.RefreshToken)
}

// A retry within the grace whose successor was already used is not a lost answer but
// a second holder of the token: the family is revoked.
func TestRefreshRetryAfterSuccessorUsedRevokes(t *testing.T) {
	w := newRTWorld(t, sqlitetest.New(t))
	first := w.seed(t, "app")
	second := w.mustRefresh(t, "app", first.RefreshToken)
	w.mustRefresh(t, "app", second.RefreshToken)
	w.clock.Advance(5 * time.Second)
	_, err := w.refresh("app", first.RefreshToken)
	wantProtoErr(t, err, jeton.CodeInvalidGrant, jeton.ReasonReplay)
	if _, fam := w.family(t, first.RefreshToken); fam.RevokedAt.IsZero() {
		t.Fatal("family not revoked")
	}
}

func TestRefreshBadInput(t *testing.T) {
	tests := []struct {
		name   string
		run    func(t *testing.T, w *rtWorld, rt string) error
		code   jeton.Code
		reason jeton.Reason
		// familyLive: the family must still work afterwards (the failure changed
		// nothing).
		familyLive bool
	}{
		{"missing", func(t *testing.T, w *rtWorld, _ string) error {
			_, err := w.refresh("app", "")
			return err
		}, jeton.CodeInvalidRequest, jeton.ReasonMissingParameter, true},
		{"unknown", func(t *testing.T, w *rtWorld, _ string) error {
			_, err := w.refresh("app", jeton.NewSecret())
			return err
		}, jeton.CodeInvalidGrant, jeton.ReasonNone, true},
		{"another client's", func(t *testing.T, w *rtWorld, rt string) error {
			_, err := w.refresh("other-app", rt)
			return err
		}, jeton.CodeInvalidGrant, jeton.ReasonWrongClient, true},
		{"scope widening", func(t *testing.T, w *rtWorld, rt string) error {
			_, err := w.refresh("app", rt, "accounts:read", "payments")
			return err
		}, jeton.CodeInvalidScope, jeton.ReasonScopeWidened, true},
		{"scope beyond the client", func(t *testing.T, w *rtWorld, rt string) error {
			_, err := w.refresh("app", rt, "admin")
			return err
		}, jeton.CodeInvalidScope, jeton.ReasonNone, true},
		{"idle expired", func(t *testing.T, w *rtWorld, rt string) error {
			w.clock.Advance(7 * 24 * time.Hour)
			_, err := w.refresh("app", rt)
			return err
		}, jeton.CodeInvalidGrant, jeton.ReasonExpired, false},
		{"absolute expired", func(t *testing.T, w *rtWorld, rt string) error {
			for range 5 { // every 6 days 23 hours: idle never runs out, the family (30 days) does
				w.clock.Advance(7*24*time.Hour - time.Hour)
				res, err := w.refresh("app", rt)
				if err != nil {
					return err
				}
				rt = res.RefreshToken
			}
			t.Fatal("family outlived 30 days")
			return nil
		}, jeton.CodeInvalidGrant, jeton.ReasonExpired, false},
		{"revoked", func(t *testing.T, w *rtWorld, rt string) error {
			c := w.client(t, "app")
			if r, err := w.revoker.Revoke(context.Background(), &c, rt, "refresh_token"); err != nil || !r.Revoked {
				t.Fatalf("revoke: %+v %v", r, err)
			}
			_, err := w.refresh("app", rt)
			return err
		}, jeton.CodeInvalidGrant, jeton.ReasonRevoked, false},
		{"customer locked", func(t *testing.T, w *rtWorld, rt string) error {
			cust, err := w.store.GetCustomer(context.Background(), rtInstA, rtCustomer)
			if err != nil {
				t.Fatal(err)
			}
			cust.LockedUntil = w.clock.Now().Add(time.Minute)
			if err := w.store.UpdateCustomer(context.Background(), cust); err != nil {
				t.Fatal(err)
			}
			_, err = w.refresh("app", rt)
			return err
		}, jeton.CodeInvalidGrant, jeton.ReasonLocked, false},
		{"customer disabled", func(t *testing.T, w *rtWorld, rt string) error {
			cust, err := w.store.GetCustomer(context.Background(), rtInstA, rtCustomer)
			if err != nil {
				t.Fatal(err)
			}
			cust.Status = jeton.CustomerDisabled
			if err := w.store.UpdateCustomer(context.Background(), cust); err != nil {
				t.Fatal(err)
			}
			_, err = w.refresh("app", rt)
			return err
		}, jeton.CodeInvalidGrant, jeton.ReasonCustomerInactive, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newRTWorld(t, sqlitetest.New(t))
			res := w.seed(t, "app", "accounts:read")
			bystander := w.seed(t, "app")
			err := tt.run(t, w, res.RefreshToken)
			wantProtoErr(t, err, tt.code, tt.reason)
			if strings.Contains(err.Error(), res.RefreshToken) {
				t.Error("an error must never carry the token")
			}
			if tt.familyLive {
				w.mustRefresh(t, "app", res.RefreshToken)
			}
			// No failure touches another family (unless time ran out for all).
			if tt.reason != jeton.ReasonExpired && tt.reason != jeton.ReasonLocked && tt.reason != jeton.ReasonCustomerInactive {
				w.mustRefresh(t, "app", bystander.RefreshToken)
			}
		})
	}
}

func TestRefreshNarrowsScopeButFamilyKeepsIt(t *testing.T) {
	w := newRTWorld(t, sqlitetest.New(t))
	res := w.seed(t, "app", "accounts:read", "payments")
	narrow := w.mustRefresh(t, "app", res.RefreshToken, "payments")
	if !slices.Equal(narrow.Scope, []string{"payments"}) {
		t.Fatalf("narrowed scope %v", narrow.Scope)
	}
	full := w.mustRefresh(t, "app", narrow.RefreshToken)
	if !slices.Equal(full.Scope, []string{"accounts:read", "payments"}) {
		t.Fatalf("scope after narrowing %v, want the family's", full.Scope)
	}
}

// A rotation sends a new refresh token, and the metrics count it (Result.Issued).
func TestRefreshRotationIssuesARefreshToken(t *testing.T) {
	w := newRTWorld(t, sqlitetest.New(t))
	first := w.seed(t, "app")
	next := w.mustRefresh(t, "app", first.RefreshToken)
	if want := reqlog.TokenAccessJWT | reqlog.TokenRefresh; first.Issued != want || next.Issued != want {
		t.Errorf("Issued = %b then %b, want %b", first.Issued, next.Issued, want)
	}
}

func TestRefreshWithoutRotationRestartsIdle(t *testing.T) {
	w := newRTWorld(t, sqlitetest.New(t))
	res := w.seed(t, "no-rotation")
	rt := res.RefreshToken
	for range 3 { // 18 days of use every 6 days: idle (7 days) keeps restarting
		w.clock.Advance(6 * 24 * time.Hour)
		got := w.mustRefresh(t, "no-rotation", rt)
		if got.RefreshToken != rt || got.RefreshTTL != 7*24*time.Hour {
			t.Fatalf("got token changed=%v TTL %v", got.RefreshToken != rt, got.RefreshTTL)
		}
		if got.Issued != reqlog.TokenAccessJWT { // the refresh token is the client's own, not a new one
			t.Fatalf("Issued = %b, want the access token only", got.Issued)
		}
	}
	tok, _ := w.family(t, rt)
	if !tok.UsedAt.IsZero() || !tok.ExpiresAt.Equal(w.clock.Now().Add(7*24*time.Hour)) {
		t.Errorf("token %+v", tok)
	}
	w.clock.Advance(7 * 24 * time.Hour)
	_, err := w.refresh("no-rotation", rt)
	wantProtoErr(t, err, jeton.CodeInvalidGrant, jeton.ReasonExpired)
}

func TestDeriveRefreshKey(t *testing.T) {
	a, b := token.DeriveRefreshKey(make([]byte, 32)), token.DeriveRefreshKey([]byte("another key-encryption key......"))
	if len(a) != 32 || slices.Equal(a, b) || slices.Equal(a, make([]byte, 32)) {
		t.Fatalf("derived keys %x %x", a, b)
	}
	if !slices.Equal(a, token.DeriveRefreshKey(make([]byte, 32))) {
		t.Fatal("derivation must be deterministic (every replica derives the same key)")
	}
}

// TestConcurrentRefresh: 50 parallel refreshes of one token all get the same successor,
// the store holds exactly one successor, and the family stays live (the spec: "never
// two live successors").
func TestConcurrentRefreshSQLite(t *testing.T) {
	s := sqlitetest.New(t)
	countTokens := func(t *testing.T, familyID string) int {
		var n int
		if err := s.DB().QueryRow(`SELECT count(*) FROM refresh_tokens WHERE family_id = ?`, familyID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	concurrentRefresh(t, s, countTokens)
}

func TestConcurrentRefreshPostgres(t *testing.T) {
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
	countTokens := func(t *testing.T, familyID string) int {
		var n int
		if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM refresh_tokens WHERE family_id = $1`, familyID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	concurrentRefresh(t, s, countTokens)
}

func concurrentRefresh(t *testing.T, s jeton.Store, countTokens func(*testing.T, string) int) {
	w := newRTWorld(t, s)
	first := w.seed(t, "app")
	_, fam := w.family(t, first.RefreshToken)
	const n = 50
	results := make([]*token.Result, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			results[i], errs[i] = w.refresh("app", first.RefreshToken)
		})
	}
	close(start)
	wg.Wait()
	successor := ""
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("refresh %d: %v", i, errs[i])
		}
		if successor == "" {
			successor = results[i].RefreshToken
		}
		if results[i].RefreshToken != successor {
			t.Fatalf("refresh %d got a different successor", i)
		}
	}
	if got := countTokens(t, fam.ID); got != 2 {
		t.Fatalf("family holds %d tokens, want the first and exactly one successor", got)
	}
	next, fam2 := w.family(t, successor)
	if !fam2.RevokedAt.IsZero() || !next.UsedAt.IsZero() {
		t.Fatalf("family revoked or successor used: %+v %+v", fam2, next)
	}
	w.mustRefresh(t, "app", successor)
}

func ptrTo[T any](v T) *T { return &v }

// A refresh token issued before issue 16 (43 characters, stored under its digest
// alone) still refreshes; its successor names the family (64 characters), a retry
// within the grace gets that same successor, and introspection finds both.
func TestRefreshOfATokenMadeBeforeFamilyKeys(t *testing.T) {
	w := newRTWorld(t, sqlitetest.New(t))
	now := w.clock.Now()
	fam := jeton.RefreshFamily{ID: jeton.NewTimeID(now), ClientID: "app", InstitutionID: rtInstA, Subject: rtCustomer,
		Scope: []string{"accounts:read"}, AuthTime: now, CreatedAt: now, ExpiresAt: now.Add(30 * 24 * time.Hour)}
	old := jeton.NewSecret()
	err := w.store.CreateRefreshFamily(context.Background(), fam, jeton.RefreshToken{Digest: jeton.Digest(old),
		FamilyID: fam.ID, CreatedAt: now, ExpiresAt: now.Add(7 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if !w.active(t, old) {
		t.Fatal("introspection: the old token is not active")
	}
	w.clock.Advance(time.Minute)
	res := w.mustRefresh(t, "app", old)
	if len(res.RefreshToken) != 64 {
		t.Fatalf("successor of %d characters, want 64", len(res.RefreshToken))
	}
	if _, f := w.family(t, res.RefreshToken); f.ID != fam.ID {
		t.Fatalf("successor in family %s, want %s", f.ID, fam.ID)
	}
	w.clock.Advance(time.Second)
	if again := w.mustRefresh(t, "app", old); again.RefreshToken != res.RefreshToken {
		t.Fatal("a retry within the grace got another successor")
	}
	if !w.active(t, res.RefreshToken) {
		t.Fatal("introspection: the successor is not active")
	}
}
