package token_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/clientcache"
	"github.com/jeton/jeton/internal/eventtest"
	"github.com/jeton/jeton/internal/testclock"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/reqlog"
	"github.com/jeton/jeton/sqlite"
	"github.com/jeton/jeton/sqlite/sqlitetest"
	"github.com/jeton/jeton/token"
)

const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" // RFC 7636 Appendix B

// codeFixture: bank-a with the confidential client "web" (refresh allowed), the public
// client "spa" and the confidential "other"; customer alice with profile claims.
type codeFixture struct {
	store  *sqlite.Store
	engine *token.Engine
	intro  *token.Introspector
	clock  *testclock.Clock
	keys   *keys.Manager
	alice  jeton.Customer
	events eventtest.Recorder
}

func newCodeFixture(t *testing.T) *codeFixture {
	t.Helper()
	ctx := context.Background()
	f := &codeFixture{store: sqlitetest.New(t), clock: testclock.New(time.Now().UTC().Truncate(time.Second))}
	f.keys = keys.NewManager(f.store, make([]byte, 32), keys.Config{Algs: []string{"ES256", "EdDSA"}})
	if err := f.keys.Load(ctx); err != nil {
		t.Fatal(err)
	}
	now := f.clock.Now()
	must(t, f.store.CreateInstitution(ctx, jeton.Institution{ID: "bank-a", Name: "Bank A", CreatedAt: now, UpdatedAt: now}))
	for _, c := range []struct {
		id     string
		method jeton.AuthMethod
		alg    string
	}{{"web", jeton.AuthSecretBasic, "ES256"}, {"spa", jeton.AuthNone, "EdDSA"}, {"other", jeton.AuthSecretBasic, "ES256"}} {
		must(t, f.store.CreateClient(ctx, jeton.Client{
			ID: c.id, InstitutionID: "bank-a", Name: c.id, Status: jeton.ClientActive, AuthMethod: c.method,
			SecretDigest: jeton.Digest(appSecret), Grants: []string{jeton.GrantAuthorizationCode, jeton.GrantRefreshToken},
			Scopes: []string{"openid", "profile", "email", "offline_access"}, RedirectURIs: []string{"https://app.example/cb"},
			TokenFormat: jeton.FormatJWT, AccessTokenTTL: 10 * time.Minute, RefreshTokenTTL: time.Hour, SigningAlg: c.alg,
			CreatedAt: now, UpdatedAt: now,
		}))
	}
	f.alice = jeton.Customer{ID: "cust-alice", InstitutionID: "bank-a", Username: "alice", PasswordHash: "x",
		Status: jeton.CustomerActive, CreatedAt: now, UpdatedAt: now,
		Claims: map[string]any{"name": "Alice Martin", "email": "alice@example.com", "email_verified": true, "phone_number": "+33 1"}}
	must(t, f.store.CreateCustomer(ctx, f.alice))
	signer := func(alg string) (token.Signer, error) { return f.keys.Signer(alg) }
	f.engine = token.NewEngine(token.EngineConfig{
		Auth: &clientauth.Authenticator{Clients: clientcache.New(f.store, 0, nil), Now: f.clock.Now,
			Methods: map[jeton.AuthMethod]clientauth.Method{jeton.AuthSecretBasic: clientauth.Secret{Now: f.clock.Now}, jeton.AuthNone: clientauth.None{}}},
		Grants: []token.Grant{&token.AuthorizationCode{Store: f.store, Events: &f.events},
			&token.RefreshGrant{Store: f.store, Key: token.DeriveRefreshKey(make([]byte, 32))}},
		Issuer: &token.Issuer{Issuer: "https://as.example", Audience: []string{"https://api.example"}, Signer: signer,
			RefreshFamilies: f.store, IDTokens: &token.IDTokenIssuer{Issuer: "https://as.example", Signer: signer}},
		Now: f.clock.Now,
	})
	f.intro = &token.Introspector{Issuer: "https://as.example", KeySet: f.keys.KeySet, Store: f.store,
		Clients: clientcache.New(f.store, 0, nil), Now: f.clock.Now}
	return f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// code mints a code for alice and client with the given scope and PKCE challenge.
func (f *codeFixture) code(t *testing.T, client, challenge string, scope ...string) string {
	t.Helper()
	c, err := token.IssueCode(context.Background(), f.store, jeton.AuthorizationCode{
		ClientID: client, InstitutionID: "bank-a", Subject: f.alice.ID, RedirectURI: "https://app.example/cb",
		Scope: scope, Nonce: "n-0S6_WzA2Mj", CodeChallenge: challenge, AuthTime: f.clock.Now().Add(-time.Minute),
	}, f.clock.Now())
	must(t, err)
	return c
}

func codeRequest(client, code, verifier string) token.Request {
	cred := clientauth.Credentials{Presented: clientauth.PresentedBasic, ClientID: client, Secret: appSecret}
	if client == "spa" {
		cred = clientauth.Credentials{Presented: clientauth.PresentedClientID, ClientID: client}
	}
	return token.Request{GrantType: jeton.GrantAuthorizationCode, Code: code, RedirectURI: "https://app.example/cb",
		CodeVerifier: verifier, Credentials: cred}
}

func TestAuthorizationCodeSuccess(t *testing.T) {
	f := newCodeFixture(t)
	for _, client := range []string{"web", "spa"} {
		t.Run(client, func(t *testing.T) {
			code := f.code(t, client, token.S256Challenge(verifier), "openid", "email", "offline_access")
			res, err := f.engine.Token(context.Background(), codeRequest(client, code, verifier))
			must(t, err)
			if res.RefreshToken == "" {
				t.Error("offline_access granted but no refresh token")
			}
			claims := verifyIDToken(t, f, res.IDToken)
			want := map[string]any{"iss": "https://as.example", "sub": f.alice.ID, "aud": client, "azp": client, "client_id": client,
				"nonce": "n-0S6_WzA2Mj", "email": "alice@example.com", "email_verified": true,
				"auth_time": float64(f.clock.Now().Add(-time.Minute).Unix())}
			for k, v := range want {
				if claims[k] != v {
					t.Errorf("id_token %s = %v, want %v", k, claims[k], v)
				}
			}
			if _, ok := claims["name"]; ok {
				t.Error("name without the profile scope")
			}
			if _, ok := claims["phone_number"]; ok {
				t.Error("phone_number without the phone scope")
			}
			if claims["at_hash"] != atHash(t, client, res.AccessToken) {
				t.Errorf("at_hash %v does not match the access token", claims["at_hash"])
			}
		})
	}
}

func atHash(t *testing.T, client, at string) string {
	t.Helper()
	if client == "spa" { // EdDSA: SHA-512
		h, err := token.AccessTokenHash("EdDSA", at)
		must(t, err)
		return h
	}
	sum := sha256.Sum256([]byte(at))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

func verifyIDToken(t *testing.T, f *codeFixture, raw string) map[string]any {
	t.Helper()
	jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA})
	must(t, err)
	ks := f.keys.KeySet()
	k := ks.Key(jws.Signatures[0].Header.KeyID)
	if len(k) == 0 {
		t.Fatal("id_token kid not published")
	}
	if _, err := jws.Verify(k[0].Key); err != nil {
		t.Fatal(err)
	}
	return jwtClaims(t, raw)
}

func TestAuthorizationCodeNoOfflineAccessNoRefresh(t *testing.T) {
	f := newCodeFixture(t)
	res, err := f.engine.Token(context.Background(), codeRequest("web", f.code(t, "web", "", "openid", "profile"), ""))
	must(t, err)
	if res.RefreshToken != "" {
		t.Error("refresh token without offline_access")
	}
	if c := verifyIDToken(t, f, res.IDToken); c["name"] != "Alice Martin" {
		t.Errorf("profile claims missing: %v", c)
	}
	res, err = f.engine.Token(context.Background(), codeRequest("web", f.code(t, "web", "", "profile"), ""))
	must(t, err)
	if res.IDToken != "" {
		t.Error("id_token without the openid scope")
	}
}

func TestAuthorizationCodeRefusals(t *testing.T) {
	f := newCodeFixture(t)
	s256 := token.S256Challenge(verifier)
	tests := []struct {
		name   string
		req    func() token.Request
		code   jeton.Code
		reason jeton.Reason
	}{
		{"missing code", func() token.Request { return codeRequest("web", "", "") }, jeton.CodeInvalidRequest, jeton.ReasonMissingParameter},
		{"missing redirect_uri", func() token.Request {
			r := codeRequest("web", f.code(t, "web", ""), "")
			r.RedirectURI = ""
			return r
		}, jeton.CodeInvalidRequest, jeton.ReasonMissingParameter},
		{"unknown code", func() token.Request { return codeRequest("web", "nope", "") }, jeton.CodeInvalidGrant, jeton.ReasonNone},
		{"code from another client", func() token.Request { return codeRequest("other", f.code(t, "web", ""), "") }, jeton.CodeInvalidGrant, jeton.ReasonWrongClient},
		{"other redirect_uri", func() token.Request {
			r := codeRequest("web", f.code(t, "web", ""), "")
			r.RedirectURI = "https://app.example/cb/other"
			return r
		}, jeton.CodeInvalidGrant, jeton.ReasonNone},
		{"expired code", func() token.Request {
			c := f.code(t, "web", "")
			f.clock.Advance(token.CodeTTL)
			return codeRequest("web", c, "")
		}, jeton.CodeInvalidGrant, jeton.ReasonExpired},
		{"missing verifier", func() token.Request { return codeRequest("web", f.code(t, "web", s256), "") }, jeton.CodeInvalidGrant, jeton.ReasonNone},
		{"wrong verifier", func() token.Request {
			return codeRequest("web", f.code(t, "web", s256), "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx")
		}, jeton.CodeInvalidGrant, jeton.ReasonNone},
		{"verifier is the challenge (plain)", func() token.Request { return codeRequest("web", f.code(t, "web", s256), s256) }, jeton.CodeInvalidGrant, jeton.ReasonNone},
		{"verifier without challenge", func() token.Request { return codeRequest("web", f.code(t, "web", ""), verifier) }, jeton.CodeInvalidGrant, jeton.ReasonNone},
		{"public client without PKCE", func() token.Request { return codeRequest("spa", f.code(t, "spa", ""), "") }, jeton.CodeInvalidGrant, jeton.ReasonNone},
		{"public client claiming a confidential client's code", func() token.Request {
			r := codeRequest("spa", f.code(t, "web", s256), verifier)
			return r
		}, jeton.CodeInvalidGrant, jeton.ReasonWrongClient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := f.engine.Token(context.Background(), tt.req())
			pe := jeton.AsError(err)
			if err == nil || pe.Code != tt.code || pe.Reason != tt.reason {
				t.Fatalf("got %+v, %v; want %s/%s", res, err, tt.code, tt.reason)
			}
		})
	}
}

func TestAuthorizationCodeReuseRevokes(t *testing.T) {
	f := newCodeFixture(t)
	ctx := context.Background()
	code := f.code(t, "web", "", "openid", "offline_access")
	res, err := f.engine.Token(ctx, codeRequest("web", code, ""))
	must(t, err)
	caller, err := f.store.GetClient(ctx, "web")
	must(t, err)
	for _, tok := range []string{res.AccessToken, res.RefreshToken} {
		info, err := f.intro.Introspect(ctx, &caller, tok, "")
		must(t, err)
		if !info.Active {
			t.Fatalf("token inactive before the replay: %v", info.Reason)
		}
	}
	f.clock.Advance(time.Second)
	_, err = f.engine.Token(ctx, codeRequest("web", code, ""))
	if pe := jeton.AsError(err); err == nil || pe.Code != jeton.CodeInvalidGrant || pe.Reason != jeton.ReasonReplay {
		t.Fatalf("replay: got %v, want invalid_grant/replay", err)
	}
	for _, tok := range []string{res.AccessToken, res.RefreshToken} {
		info, err := f.intro.Introspect(ctx, &caller, tok, "")
		must(t, err)
		if info.Active {
			t.Error("token issued from the code still active after the code's replay")
		}
	}
	// The replay is reported twice: refused, and its grant's family revoked.
	ev := f.events.Events()
	if len(ev) != 2 || ev[0].Kind != jeton.EventReplayRefused || ev[0].Reason != jeton.EventReasonCode ||
		ev[1].Kind != jeton.EventFamilyRevoked || ev[1].Reason != jeton.EventReasonCodeReplay {
		t.Fatalf("security events %+v", ev)
	}
	for _, e := range ev {
		if e.ClientID != "web" || e.InstitutionID != "bank-a" || e.Subject != f.alice.ID {
			t.Errorf("event %+v: want client web, bank-a, alice", e)
		}
	}
	// What the first exchange sent: a JWT access token, a new refresh token, an ID token.
	if want := reqlog.TokenAccessJWT | reqlog.TokenRefresh | reqlog.TokenID; res.Issued != want {
		t.Errorf("Issued = %b, want %b", res.Issued, want)
	}
}

func TestAuthorizationCodeDisabledCustomer(t *testing.T) {
	f := newCodeFixture(t)
	code := f.code(t, "web", "", "openid")
	cu := f.alice
	cu.Status = jeton.CustomerDisabled
	must(t, f.store.UpdateCustomer(context.Background(), cu))
	_, err := f.engine.Token(context.Background(), codeRequest("web", code, ""))
	if pe := jeton.AsError(err); err == nil || pe.Reason != jeton.ReasonCustomerInactive {
		t.Fatalf("got %v, want invalid_grant/customer_inactive", err)
	}
}

func TestPKCE(t *testing.T) {
	// RFC 7636 Appendix B.
	if got := token.S256Challenge(verifier); got != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" {
		t.Errorf("S256Challenge = %s", got)
	}
	for v, ok := range map[string]bool{verifier: true, "short": false, verifier + "!": false, string(make([]byte, 129)): false} {
		if token.ValidCodeVerifier(v) != ok {
			t.Errorf("ValidCodeVerifier(%q) != %v", v, ok)
		}
	}
	if !token.ValidCodeChallenge(token.S256Challenge(verifier)) || token.ValidCodeChallenge(verifier[:42]) || token.ValidCodeChallenge("+"+verifier[1:]) {
		t.Error("ValidCodeChallenge")
	}
}

func TestPublicClientCannotIntrospect(t *testing.T) {
	f := newCodeFixture(t)
	ctx := context.Background()
	res, err := f.engine.Token(ctx, codeRequest("spa", f.code(t, "spa", token.S256Challenge(verifier), "openid"), verifier))
	must(t, err)
	spa, err := f.store.GetClient(ctx, "spa")
	must(t, err)
	info, err := f.intro.Introspect(ctx, &spa, res.AccessToken, "")
	must(t, err)
	if info.Active {
		t.Error("a public client introspected a token")
	}
	if info, err := f.intro.Bearer(ctx, res.AccessToken); err != nil || !info.Active {
		t.Errorf("Bearer(access token) = %+v, %v; want active", info, err)
	}
}

// TestCodeMintedWithoutRedirect: a code minted by other means than the authorize
// endpoint (another dialect's server-side sign-in) may have no redirect URI; its
// exchange then needs none, and one sent anyway does not match.
func TestCodeMintedWithoutRedirect(t *testing.T) {
	f := newCodeFixture(t)
	ctx := context.Background()
	mint := func() string {
		c, err := token.IssueCode(ctx, f.store, jeton.AuthorizationCode{ClientID: "web", InstitutionID: "bank-a",
			Subject: f.alice.ID, Scope: []string{"openid"}, AuthTime: f.clock.Now()}, f.clock.Now())
		must(t, err)
		return c
	}
	req := codeRequest("web", mint(), "")
	req.RedirectURI = ""
	res, err := f.engine.Token(ctx, req)
	must(t, err)
	if c := verifyIDToken(t, f, res.IDToken); c["sub"] != f.alice.ID {
		t.Errorf("id_token %v", c)
	}
	if _, err := f.engine.Token(ctx, codeRequest("web", mint(), "")); jeton.AsError(err).Code != jeton.CodeInvalidGrant {
		t.Errorf("redirect_uri sent for a code without one: %v", err)
	}
}

// TestAuthorizationCodeReplayRace: several exchanges of one code at once (RFC 6749
// §4.1.2). Whatever the interleaving, once one of them was refused as a replay no
// token issued from the code is usable: the replay may run before the first exchange
// has started the refresh family, which must then fail rather than start live.
func TestAuthorizationCodeReplayRace(t *testing.T) {
	f := newCodeFixture(t)
	ctx := context.Background()
	caller, err := f.store.GetClient(ctx, "web")
	must(t, err)
	const rounds, racers = 200, 4
	live := 0
	for range rounds {
		code := f.code(t, "web", "", "openid", "offline_access")
		results := make([]*token.Result, racers)
		errs := make([]error, racers)
		var wg sync.WaitGroup
		for i := range racers {
			wg.Go(func() { results[i], errs[i] = f.engine.Token(ctx, codeRequest("web", code, "")) })
		}
		wg.Wait()
		for i, err := range errs {
			if pe := jeton.AsError(err); err != nil && (pe.Code != jeton.CodeInvalidGrant || pe.Reason != jeton.ReasonReplay) {
				t.Fatalf("racer %d: got %v, want a token or invalid_grant/replay", i, err)
			}
		}
		for _, res := range results {
			if res == nil {
				continue
			}
			for _, tok := range []string{res.AccessToken, res.RefreshToken} {
				info, err := f.intro.Introspect(ctx, &caller, tok, "")
				must(t, err)
				if info.Active {
					live++
				}
			}
			cred := codeRequest("web", "", "").Credentials
			if _, err := f.engine.Token(ctx, token.Request{GrantType: jeton.GrantRefreshToken,
				Credentials: cred, RefreshToken: res.RefreshToken}); err == nil {
				t.Error("refresh token issued from a replayed code was accepted by the refresh grant")
			}
		}
	}
	if live > 0 {
		t.Errorf("%d tokens issued from replayed codes are still active", live)
	}
}

// TestAuthorizationCodeForeignClient: RFC 6749 §4.1.3, the code must have been issued
// to the authenticated client. Another client's presentation is invalid_grant and
// changes nothing: an unused code stays usable by its owner, and a used one does not
// revoke the owner's grant.
func TestAuthorizationCodeForeignClient(t *testing.T) {
	f := newCodeFixture(t)
	ctx := context.Background()
	web, err := f.store.GetClient(ctx, "web")
	must(t, err)
	foreign := func(code string) {
		t.Helper()
		_, err := f.engine.Token(ctx, codeRequest("other", code, ""))
		if pe := jeton.AsError(err); err == nil || pe.Code != jeton.CodeInvalidGrant || pe.Reason != jeton.ReasonWrongClient {
			t.Fatalf("foreign client: got %v, want invalid_grant/wrong_client", err)
		}
	}
	code := f.code(t, "web", "", "openid", "offline_access")
	foreign(code)
	res, err := f.engine.Token(ctx, codeRequest("web", code, ""))
	if err != nil {
		t.Fatalf("owner's exchange after a foreign presentation: %v", err)
	}
	foreign(code)
	for _, tok := range []string{res.AccessToken, res.RefreshToken} {
		info, err := f.intro.Introspect(ctx, &web, tok, "")
		must(t, err)
		if !info.Active {
			t.Errorf("owner's token inactive after a foreign client presented the used code: %v", info.Reason)
		}
	}
}
