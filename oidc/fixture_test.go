package oidc_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/clientcache"
	"github.com/jeton/jeton/dialect/oauth2"
	"github.com/jeton/jeton/dpop"
	"github.com/jeton/jeton/httpapi"
	"github.com/jeton/jeton/internal/eventtest"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/oidc"
	"github.com/jeton/jeton/password"
	"github.com/jeton/jeton/rar"
	"github.com/jeton/jeton/sqlite"
	"github.com/jeton/jeton/sqlite/sqlitetest"
	"github.com/jeton/jeton/token"
)

const (
	secret      = "web-secret"
	alicePass   = "correct horse battery staple"
	redirectURI = "https://app.example/cb"
)

var cheap = password.Params{MemoryKiB: 64, Passes: 1, Lanes: 1}

// server is a real public server (token endpoint, discovery, authorize, PAR, userinfo)
// over a real SQLite store, on a loopback port.
type server struct {
	url    string
	store  *sqlite.Store
	alice  jeton.Customer
	events eventtest.Recorder
	// signerKey is the registered request-object key of the client "signer" (and
	// "web"); strangerKey is registered nowhere.
	signerKey, strangerKey *ecdsa.PrivateKey
	// rsaKey is the FAPI 2.0 clients' second registered key (kid k2, RS256): an
	// algorithm the FAPI 2.0 profile refuses (fapi2_test.go).
	rsaKey *rsa.PrivateKey
	// dpop verifies proofs at the token endpoint, PAR and userinfo (nonces off until
	// a test turns them on).
	dpop *dpop.Verifier
}

// Clients in bank-a: web (confidential), spa (public), first (first-party), pushy
// (requires PAR), other (confidential). Customer: alice.
func newServer(t testing.TB) *server { return newServerWith(t, cheap) }

// newServerWith hashes customer passwords with params.
func newServerWith(t testing.TB, params password.Params) *server {
	t.Helper()
	return newServerLimited(t, params, nil)
}

// newServerLimited checks password budgets with limit (ratelimit.Limiter.Password)
// when it is set.
func newServerLimited(t testing.TB, params password.Params, limit func(context.Context, string, string) error) *server {
	t.Helper()
	ctx := context.Background()
	ts := httptest.NewUnstartedServer(nil)
	s := &server{url: "http://" + ts.Listener.Addr().String(), store: sqlitetest.New(t)}
	s.signerKey, s.strangerKey, s.rsaKey = newECKey(t), newECKey(t), testRSAKey(t)
	km := keys.NewManager(s.store, make([]byte, 32), keys.Config{Algs: []string{"ES256"}})
	must(t, km.Load(ctx))
	seed(t, s, params)
	pool, err := token.NewHashPool(token.HashPoolConfig{Params: params})
	must(t, err)
	pw, err := token.NewPassword(token.PasswordConfig{Customers: s.store, Audit: s.store, Hasher: pool, Limit: limit})
	must(t, err)
	signer := func(alg string) (token.Signer, error) { return km.Signer(alg) }
	cache := clientcache.New(s.store, 0, nil)
	details, err := rar.Default()
	must(t, err)
	objects, err := clientauth.NewRequestObjects(clientauth.RequestObjectConfig{Issuer: s.url, Replay: s.store,
		Keys: clientauth.NewKeys(clientauth.KeysConfig{}), Events: &s.events})
	must(t, err)
	assertion, err := clientauth.NewAssertion(clientauth.AssertionConfig{Audiences: []string{s.url, s.url + "/oauth2/token"},
		Replay: s.store, Keys: clientauth.NewKeys(clientauth.KeysConfig{})})
	must(t, err)
	s.dpop = &dpop.Verifier{Replay: s.store, Nonces: &dpop.Nonces{Key: dpop.DeriveNonceKey(make([]byte, 32))}}
	engine := token.NewEngine(token.EngineConfig{Details: details,
		Auth: &clientauth.Authenticator{Clients: cache, Methods: map[jeton.AuthMethod]clientauth.Method{
			jeton.AuthSecretBasic: clientauth.Secret{}, jeton.AuthNone: clientauth.None{}, jeton.AuthPrivateKey: assertion}},
		Grants: []token.Grant{&token.AuthorizationCode{Store: s.store}, token.ClientCredentials{},
			&token.RefreshGrant{Store: s.store, Key: token.DeriveRefreshKey(make([]byte, 32))}},
		DPoP: s.dpop,
		Issuer: &token.Issuer{Issuer: s.url, Audience: []string{s.url}, Signer: signer, RefreshFamilies: s.store, AccessTokens: s.store,
			IDTokens: &token.IDTokenIssuer{Issuer: s.url, Signer: signer}},
	})
	intro := &token.Introspector{Issuer: s.url, KeySet: km.KeySet, Store: s.store, Clients: cache}
	h, err := oidc.New(oidc.Config{Issuer: s.url, Store: s.store, Clients: cache, Engine: engine, SignIn: pw.SignIn,
		Introspector: intro, CookieKey: oidc.SessionKey(make([]byte, 32)), SigningAlgs: []string{"ES256"}, Events: &s.events,
		RequestObjects: objects, Details: details, DPoP: s.dpop})
	must(t, err)
	std, err := oauth2.New(oauth2.Config{Engine: engine, Issuer: s.url, JWKS: km.JWKS,
		AuthMethods: []jeton.AuthMethod{jeton.AuthSecretBasic, jeton.AuthNone, jeton.AuthPrivateKey}, Metadata: h.Metadata(),
		DPoP: s.dpop, Introspector: intro, Revoker: &token.Revoker{Tokens: intro, Store: s.store}})
	must(t, err)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ts.Config.Handler = httpapi.New(httpapi.Config{Logger: logger, Ready: func(context.Context) error { return nil },
		Mounts: []httpapi.Mount{{Dialect: std}, {Dialect: h}}})
	ts.Start()
	t.Cleanup(ts.Close)
	return s
}

func seed(t testing.TB, s *server, params password.Params) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	must(t, s.store.CreateInstitution(ctx, jeton.Institution{ID: "bank-a", Name: "First Credit Union", CreatedAt: now, UpdatedAt: now}))
	for _, c := range []jeton.Client{
		{ID: "web", Name: "Budget Buddy", AuthMethod: jeton.AuthSecretBasic},
		{ID: "spa", Name: "Pocket App", AuthMethod: jeton.AuthNone},
		{ID: "first", Name: "Mobile Banking", AuthMethod: jeton.AuthSecretBasic, FirstParty: true},
		{ID: "pushy", Name: "Strict App", AuthMethod: jeton.AuthSecretBasic, RequirePAR: true},
		{ID: "other", Name: "Other App", AuthMethod: jeton.AuthSecretBasic},
		// Issue 18: must sign its requests (RFC 9101 §10.5).
		{ID: "signer", Name: "Signed Payments", AuthMethod: jeton.AuthSecretBasic, RequireSignedRequestObject: true},
		{ID: "machine", Name: "Payments Robot", AuthMethod: jeton.AuthSecretBasic},
	} {
		c.PublicKeys = []jeton.ClientKey{jwks(t, &s.signerKey.PublicKey)}
		c.AuthorizationDetailsTypes = []string{rar.TypePaymentInitiation, rar.TypeAccountInformation}
		if c.ID == "other" {
			c.AuthorizationDetailsTypes = []string{rar.TypeAccountInformation}
		}
		c.InstitutionID, c.Status, c.SecretDigest = "bank-a", jeton.ClientActive, jeton.Digest(secret)
		c.Grants = []string{jeton.GrantAuthorizationCode, jeton.GrantRefreshToken}
		c.Scopes = []string{"openid", "profile", "email", "phone", "offline_access", "accounts"}
		c.DefaultScopes = []string{"openid"}
		c.RedirectURIs = []string{redirectURI, "https://app.example/other"}
		if c.ID == "machine" {
			c.Grants, c.RedirectURIs = []string{jeton.GrantClientCredentials}, nil
		}
		c.TokenFormat, c.AccessTokenTTL, c.RefreshTokenTTL, c.SigningAlg = jeton.FormatJWT, 10*time.Minute, time.Hour, "ES256"
		c.CreatedAt, c.UpdatedAt = now, now
		must(t, s.store.CreateClient(ctx, c))
	}
	seedFAPI2(t, s, now)
	hash, err := password.Hash(alicePass, params)
	must(t, err)
	s.alice = jeton.Customer{ID: "cust-alice", InstitutionID: "bank-a", Username: "alice", PasswordHash: hash,
		Status: jeton.CustomerActive, CreatedAt: now, UpdatedAt: now,
		Claims: map[string]any{"name": "Alice Martin", "email": "alice@example.com", "email_verified": true}}
	must(t, s.store.CreateCustomer(ctx, s.alice))
}

func newECKey(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	return k
}

// jwks registers pub as a one-key JWK Set with kid "k1".
func jwks(t testing.TB, pub *ecdsa.PublicKey) jeton.ClientKey {
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: pub, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	must(t, err)
	return jeton.ClientKey{Format: jeton.KeyJWKS, Data: string(b)}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// browser is a cookie-keeping user agent that does not follow redirects, so each step
// of the flow can be checked.
type browser struct {
	t testing.TB
	c *http.Client
}

func newBrowser(t testing.TB) *browser {
	jar, err := cookiejar.New(nil)
	must(t, err)
	return &browser{t: t, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) get(u string) page {
	b.t.Helper()
	resp, err := b.c.Get(u)
	must(b.t, err)
	return read(b.t, resp)
}

func (b *browser) post(u string, form url.Values) page {
	b.t.Helper()
	resp, err := b.c.PostForm(u, form)
	must(b.t, err)
	return read(b.t, resp)
}

func read(t testing.TB, resp *http.Response) page {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	must(t, err)
	return page{resp.StatusCode, resp.Header, string(body)}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (p page) csrf(t testing.TB) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF field in page (status %d):\n%s", p.status, p.body)
	}
	return m[1]
}

// location parses the redirect's Location and checks it goes to redirectURI.
func (p page) location(t testing.TB) url.Values {
	t.Helper()
	if p.status != http.StatusSeeOther {
		t.Fatalf("status %d, want 303 to the client; body:\n%s", p.status, p.body)
	}
	u, err := url.Parse(p.header.Get("Location"))
	must(t, err)
	if base := u.Scheme + "://" + u.Host + u.Path; base != redirectURI {
		t.Fatalf("redirected to %s, want %s", base, redirectURI)
	}
	return u.Query()
}

func (p page) isLogin() bool   { return p.status == 200 && strings.Contains(p.body, `name="password"`) }
func (p page) isConsent() bool { return p.status == 200 && strings.Contains(p.body, `value="allow"`) }

// authURL builds an authorization request for client with extra parameters.
func (s *server) authURL(client string, extra url.Values) string {
	q := url.Values{"client_id": {client}, "response_type": {"code"}, "redirect_uri": {redirectURI},
		"scope": {"openid email"}, "state": {"st-1"}, "nonce": {"n-1"}}
	if client == "spa" {
		q.Set("code_challenge", token.S256Challenge(verifier))
		q.Set("code_challenge_method", "S256")
	}
	for k, v := range extra {
		if v == nil {
			q.Del(k)
		} else {
			q[k] = v
		}
	}
	return s.url + oidc.AuthorizePath + "?" + q.Encode()
}

const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

// signIn walks login (and consent when shown) and returns the client's redirect.
func (s *server) signIn(t testing.TB, b *browser, authURL string) url.Values {
	t.Helper()
	p := b.get(authURL)
	if !p.isLogin() {
		t.Fatalf("want the login page, got %d:\n%s", p.status, p.body)
	}
	p = b.post(s.url+oidc.LoginPath, url.Values{"csrf": {p.csrf(t)}, "username": {"alice"}, "password": {alicePass}})
	if p.isConsent() {
		p = b.post(s.url+oidc.ConsentPath, url.Values{"csrf": {p.csrf(t)}, "decision": {"allow"}})
	}
	return p.location(t)
}
