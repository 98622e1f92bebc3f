package candescent_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/clientcache"
	"github.com/jeton/jeton/dialect/candescent"
	"github.com/jeton/jeton/dialect/candescent/candescentstore"
	"github.com/jeton/jeton/httpapi"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/password"
	"github.com/jeton/jeton/sqlite"
	"github.com/jeton/jeton/sqlite/sqlitetest"
	"github.com/jeton/jeton/token"
)

const (
	secret   = "s3cret-for-tests-only"
	txID     = "3f2b8c1e-9d4a-4f6b-8e2a-1c5d7e9f0a3b"
	fi       = "fi-1"  // the partner app's own FI
	otherFI  = "fi-2"  // an FI the partner app is enabled for too
	closedFI = "fi-3"  // an FI outside its working hours (a test policy)
	strange  = "fi-9"  // an FI no test client acts for
	alias    = "01234" // fi-1's numeric alias
	alicePW  = "alice's long password"
	issuer   = "https://as.example"
)

var cheap = password.Params{MemoryKiB: 64, Passes: 1, Lanes: 1}

// endpoint is the Candescent dialect over the real engine (every grant but
// authorization_code), a real SQLite store and real keys, behind the public middleware.
type endpoint struct {
	srv    *httptest.Server
	store  *sqlite.Store
	keys   *keys.Manager
	intro  *token.Introspector
	alice  jeton.Customer
	prefix string
}

// closedHours stands in for issue 7's working hours: it refuses one FI with the
// engine's temporarily_unavailable and a Retry-After, as that policy does.
type closedHours struct{}

func (closedHours) Check(_ context.Context, req *token.ClientRequest) error {
	if req.Institution != closedFI {
		return nil
	}
	e := jeton.Errorf(jeton.CodeTemporarilyUnavailable, jeton.ReasonNone, "institution is closed")
	e.RetryAfter = 90 * time.Second
	return e
}

func newEndpoint(t *testing.T) *endpoint {
	t.Helper()
	ctx := context.Background()
	store := sqlitetest.New(t)
	km := keys.NewManager(store, make([]byte, 32), keys.Config{Algs: []string{"ES256"}})
	if err := km.Load(ctx); err != nil {
		t.Fatal(err)
	}
	e := &endpoint{store: store, keys: km, prefix: candescent.DefaultPrefix}
	pool, err := token.NewHashPool(token.HashPoolConfig{Workers: 2, Params: cheap})
	if err != nil {
		t.Fatal(err)
	}
	pw, err := token.NewPassword(token.PasswordConfig{Customers: store, Audit: store, Hasher: pool,
		Lockout: jeton.LockoutPolicy{MaxFailures: 2, Window: time.Hour, Cooldown: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	cache := clientcache.New(store, 0, nil)
	signer := func(alg string) (token.Signer, error) { return km.Signer(alg) }
	sec := clientauth.Secret{Now: time.Now}
	engine := token.NewEngine(token.EngineConfig{
		Auth: &clientauth.Authenticator{Clients: cache, Now: time.Now,
			Methods: map[jeton.AuthMethod]clientauth.Method{jeton.AuthSecretBasic: sec}},
		Grants: []token.Grant{token.ClientCredentials{}, pw,
			&token.RefreshGrant{Store: store, Key: token.DeriveRefreshKey(make([]byte, 32))},
			&token.AuthorizationCode{Store: store}},
		Policies: []token.Policy{closedHours{}},
		Issuer: &token.Issuer{Issuer: issuer, Audience: []string{"https://api.example"}, Signer: signer,
			IDTokens: &token.IDTokenIssuer{Issuer: issuer, Signer: signer}, RefreshFamilies: store, AccessTokens: store},
	})
	e.intro = &token.Introspector{Issuer: issuer, KeySet: km.KeySet, Store: store, Clients: cache, Now: time.Now}
	d, err := candescent.New(candescent.Config{Engine: engine, Revoker: &token.Revoker{Tokens: e.intro, Store: store},
		Settings: store, Customers: store, AliasTTL: -1,
		Minter: &candescent.Minter{Tokens: e.intro, Clients: cache, Links: store, Codes: store, Customers: store}})
	if err != nil {
		t.Fatal(err)
	}
	h := httpapi.New(httpapi.Config{Logger: slog.New(slog.DiscardHandler), Ready: func(context.Context) error { return nil },
		Mounts: []httpapi.Mount{{Prefix: e.prefix, Dialect: d}}})
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	e.seed(t)
	return e
}

func (e *endpoint) seed(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	for _, id := range []string{fi, otherFI, closedFI, strange} {
		if err := e.store.CreateInstitution(ctx, jeton.Institution{ID: id, Name: id, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	must(t, e.store.PutCandescentSettings(ctx, candescentstore.Settings{InstitutionID: fi, Alias: alias, V1Enabled: true, UpdatedAt: now}))
	all := []string{jeton.GrantClientCredentials, jeton.GrantPassword, jeton.GrantRefreshToken}
	e.addClient(t, "partner", jeton.ClientActive, all)
	e.addClient(t, "machine", jeton.ClientActive, []string{jeton.GrantClientCredentials})
	e.addClient(t, "dormant", jeton.ClientDisabled, []string{jeton.GrantClientCredentials})
	e.addClient(t, "oidc-app", jeton.ClientActive, []string{jeton.GrantAuthorizationCode, jeton.GrantRefreshToken})
	e.addClient(t, "unlinked-app", jeton.ClientActive, []string{jeton.GrantAuthorizationCode})
	must(t, e.store.LinkClients(ctx, candescentstore.ClientLink{MinterID: "partner", ClientID: "oidc-app", CreatedAt: now}))
	e.alice = e.addCustomer(t, "alice", alicePW, map[string]any{"member_number": "M-1001", "given_name": "Alice",
		"family_name": "Archer", "email": "alice@example.com", "preferred_username": "alice"})
	locked := e.addCustomer(t, "lucy", "lucy's long password", nil)
	locked.LockedUntil = now.Add(time.Hour)
	must(t, e.store.UpdateCustomer(ctx, locked))
}

func (e *endpoint) addClient(t *testing.T, id string, st jeton.ClientStatus, grants []string) {
	t.Helper()
	now := time.Now()
	must(t, e.store.CreateClient(context.Background(), jeton.Client{
		ID: id, InstitutionID: fi, Name: id, Status: st, AuthMethod: jeton.AuthSecretBasic, SecretDigest: jeton.Digest(secret),
		Institutions: []string{fi, otherFI, closedFI}, Grants: grants,
		Scopes: []string{"accounts", "openid", "profile", "offline_access"}, DefaultScopes: []string{"accounts"},
		RedirectURIs: []string{"https://" + id + ".example/cb"}, TokenFormat: jeton.FormatJWT,
		AccessTokenTTL: time.Hour, RefreshTokenTTL: 30 * 24 * time.Hour, SigningAlg: "ES256", CreatedAt: now, UpdatedAt: now,
	}))
}

func (e *endpoint) addCustomer(t *testing.T, username, pw string, claims map[string]any) jeton.Customer {
	t.Helper()
	h, err := password.Hash(pw, cheap)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	c := jeton.Customer{ID: "cust-" + username, InstitutionID: fi, Username: username, PasswordHash: h, Claims: claims,
		Status: jeton.CustomerActive, CreatedAt: now, UpdatedAt: now}
	must(t, e.store.CreateCustomer(context.Background(), c))
	return c
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func basic(id, pw string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(pw)))
}

// call is one request; zero fields take the defaults of a well-formed V2 request.
type call struct {
	method, path, body, contentType string
	headers                         map[string]string // "" value: remove the header
	twice                           string            // a header sent twice
}

func (e *endpoint) do(t *testing.T, c call) *http.Response {
	t.Helper()
	if c.method == "" {
		c.method = http.MethodPost
	}
	if c.path == "" {
		c.path = candescent.TokenPath
	}
	req, err := http.NewRequest(c.method, e.srv.URL+e.prefix+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "transactionId": txID,
		"institutionId": fi, "Authorization": basic("partner", secret)}
	if c.contentType != "" {
		h["Content-Type"] = c.contentType
	}
	for k, v := range c.headers {
		h[k] = v
	}
	for k, v := range h {
		if v != "" {
			req.Header[k] = []string{v}
		}
	}
	if c.twice != "" {
		req.Header[c.twice] = append(req.Header[c.twice], req.Header[c.twice]...)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// secrets are the token values an answer carries; golden files show their shape only.
// A minted code is long; CMN codes are short and stay.
var secrets = regexp.MustCompile(`("(?:access_token|refresh_token|id_token)":"|"code":")[^"]{20,}(")|(<(?:access_token|refresh_token)>)[^<]*(</)`)

// render is the golden form of an answer: status, the headers a client relies on, and
// the body with token values replaced by <token>.
func render(t *testing.T, resp *http.Response) string {
	t.Helper()
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d\n", resp.StatusCode)
	for _, h := range []string{"Allow", "Cache-Control", "Content-Type", "Pragma", "Retry-After", "transactionId", "di_tid", "Www-Authenticate"} {
		if v := resp.Header.Values(h); len(v) > 0 {
			fmt.Fprintf(&b, "%s: %s\n", h, strings.Join(v, ", "))
		} else if v := resp.Header[h]; len(v) > 0 {
			fmt.Fprintf(&b, "%s: %s\n", h, strings.Join(v, ", "))
		}
	}
	fmt.Fprintf(&b, "\n%s\n", secrets.ReplaceAllString(string(body), "$1$3<token>$2$4"))
	return b.String()
}
