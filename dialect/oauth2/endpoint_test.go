package oauth2_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"log/slog"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/clientcache"
	"github.com/jeton/jeton/dialect/oauth2"
	"github.com/jeton/jeton/httpapi"
	"github.com/jeton/jeton/internal/goldenfile"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/sqlite"
	"github.com/jeton/jeton/sqlite/sqlitetest"
	"github.com/jeton/jeton/token"
)

// endpoint is the standard dialect over the real engine, a real SQLite store and real
// keys, behind the public middleware.
type endpoint struct {
	srv   *httptest.Server
	store *sqlite.Store
	inst  string
}

const secret = "s3cret-for-tests-only"

func newEndpoint(t *testing.T) *endpoint {
	t.Helper()
	ctx := context.Background()
	store := sqlitetest.New(t)
	km := keys.NewManager(store, make([]byte, 32), keys.Config{Algs: []string{"ES256"}})
	if err := km.Load(ctx); err != nil {
		t.Fatal(err)
	}
	secretAuth := clientauth.Secret{Now: time.Now}
	methods := map[jeton.AuthMethod]clientauth.Method{jeton.AuthSecretBasic: secretAuth, jeton.AuthSecretPost: secretAuth}
	engine := token.NewEngine(token.EngineConfig{
		Auth:   &clientauth.Authenticator{Clients: clientcache.New(store, 0, nil), Methods: methods, Now: time.Now},
		Grants: []token.Grant{token.ClientCredentials{}},
		Issuer: &token.Issuer{Issuer: "https://as.example", Audience: []string{"https://api.example"},
			Signer: func(alg string) (token.Signer, error) { return km.Signer(alg) }},
	})
	intro := &token.Introspector{Issuer: "https://as.example", KeySet: km.KeySet, Store: store, Clients: clientcache.New(store, 0, nil), Now: time.Now}
	d, err := oauth2.New(oauth2.Config{Engine: engine, Issuer: "https://as.example", JWKS: km.JWKS, JWKSMaxAge: 300,
		AuthMethods:  []jeton.AuthMethod{jeton.AuthSecretBasic, jeton.AuthSecretPost},
		Introspector: intro, Revoker: &token.Revoker{Tokens: intro, Store: store}})
	if err != nil {
		t.Fatal(err)
	}
	h := httpapi.New(httpapi.Config{Logger: slog.New(slog.DiscardHandler), Ready: func(context.Context) error { return nil },
		Mounts: []httpapi.Mount{{Dialect: d}}})
	e := &endpoint{srv: httptest.NewServer(h), store: store, inst: "inst-1"}
	t.Cleanup(e.srv.Close)
	now := time.Now()
	if err := store.CreateInstitution(ctx, jeton.Institution{ID: e.inst, Name: "First Credit Union", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	e.addClient(t, "basic-client", jeton.AuthSecretBasic, jeton.ClientActive, jeton.GrantClientCredentials)
	e.addClient(t, "post-client", jeton.AuthSecretPost, jeton.ClientActive, jeton.GrantClientCredentials)
	e.addClient(t, "disabled-client", jeton.AuthSecretBasic, jeton.ClientDisabled, jeton.GrantClientCredentials)
	e.addClient(t, "deleted-client", jeton.AuthSecretBasic, jeton.ClientDeleted, jeton.GrantClientCredentials)
	e.addClient(t, "password-only", jeton.AuthSecretBasic, jeton.ClientActive, jeton.GrantPassword)
	return e
}

func (e *endpoint) addClient(t *testing.T, id string, m jeton.AuthMethod, st jeton.ClientStatus, grant string) {
	t.Helper()
	now := time.Now()
	err := e.store.CreateClient(context.Background(), jeton.Client{
		ID: id, InstitutionID: e.inst, Name: id, Status: st, AuthMethod: m, SecretDigest: jeton.Digest(secret),
		Institutions: []string{e.inst}, Grants: []string{grant}, Scopes: []string{"accounts:read", "accounts:write"},
		DefaultScopes: []string{"accounts:read"}, TokenFormat: jeton.FormatJWT, AccessTokenTTL: time.Hour,
		RefreshTokenTTL: 24 * time.Hour, SigningAlg: "ES256", CreatedAt: now, UpdatedAt: now,
	})
	if err != nil {
		t.Fatal(err)
	}
}

func basicAuth(id, pw string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(pw)))
}

type call struct {
	method, body, authz, contentType string
}

func (e *endpoint) do(t *testing.T, c call) *http.Response {
	t.Helper()
	if c.method == "" {
		c.method = http.MethodPost
	}
	if c.contentType == "" {
		c.contentType = "application/x-www-form-urlencoded"
	}
	req, _ := http.NewRequest(c.method, e.srv.URL+oauth2.TokenPath, strings.NewReader(c.body))
	req.Header.Set("Content-Type", c.contentType)
	if c.authz != "" {
		req.Header.Set("Authorization", c.authz)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// render is the golden form of an answer: status, the headers a client relies on, body.
func render(t *testing.T, resp *http.Response) string {
	t.Helper()
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d\n", resp.StatusCode)
	for _, h := range []string{"Allow", "Cache-Control", "Content-Type", "Pragma", "Www-Authenticate"} {
		if v := resp.Header.Get(h); v != "" {
			fmt.Fprintf(&b, "%s: %s\n", h, v)
		}
	}
	fmt.Fprintf(&b, "\n%s\n", body)
	return b.String()
}

func TestTokenEndpointErrorsGolden(t *testing.T) {
	e := newEndpoint(t)
	cc := "grant_type=client_credentials"
	tests := []struct {
		golden string
		call   call
	}{
		{"error_body_too_large", call{body: cc + "&pad=" + strings.Repeat("x", 70<<10), authz: basicAuth("basic-client", secret)}},
		{"error_content_type", call{body: `{"grant_type":"client_credentials"}`, contentType: "application/json", authz: basicAuth("basic-client", secret)}},
		{"error_missing_grant_type", call{body: "scope=accounts:read", authz: basicAuth("basic-client", secret)}},
		{"error_duplicate_grant_type", call{body: cc + "&" + cc, authz: basicAuth("basic-client", secret)}},
		{"error_unsupported_grant_type", call{body: "grant_type=urn:example:unknown", authz: basicAuth("basic-client", secret)}},
		{"error_unauthorized_client", call{body: cc, authz: basicAuth("password-only", secret)}},
		{"error_invalid_scope", call{body: cc + "&scope=payments:write", authz: basicAuth("basic-client", secret)}},
		{"error_malformed_scope", call{body: cc + "&scope=a%5Cb", authz: basicAuth("basic-client", secret)}},
		{"error_invalid_characters", call{body: cc + "&scope=%01", authz: basicAuth("basic-client", secret)}},
		{"error_not_utf8", call{body: cc + "&client_id=%C3%28&client_secret=x"}},
		{"error_two_auth_methods", call{body: cc + "&client_secret=" + secret, authz: basicAuth("basic-client", secret)}},
		{"error_method_not_allowed", call{method: http.MethodGet}},
		{"error_invalid_client", call{body: cc, authz: basicAuth("basic-client", "wrong")}},
		{"error_invalid_client_post", call{body: cc + "&client_id=post-client&client_secret=wrong"}},
		{"error_invalid_client_no_credentials", call{body: cc}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			goldenfile.Check(t, tt.golden, render(t, e.do(t, tt.call)))
		})
	}
}

// TestInvalidClientRevealsNothing: unknown id, wrong secret, disabled, deleted and
// wrong-method clients get byte-identical answers, so an error never tells a stranger
// whether a client id exists.
func TestInvalidClientRevealsNothing(t *testing.T) {
	e := newEndpoint(t)
	cc := "grant_type=client_credentials"
	calls := map[string]call{
		"unknown client":    {body: cc, authz: basicAuth("no-such-client", secret)},
		"wrong secret":      {body: cc, authz: basicAuth("basic-client", "wrong")},
		"disabled client":   {body: cc, authz: basicAuth("disabled-client", secret)},
		"deleted client":    {body: cc, authz: basicAuth("deleted-client", secret)},
		"post client basic": {body: cc, authz: basicAuth("post-client", secret)},
		"basic client post": {body: cc + "&client_id=basic-client&client_secret=" + secret},
		"empty secret":      {body: cc, authz: basicAuth("basic-client", "")},
	}
	want := render(t, e.do(t, calls["unknown client"]))
	for name, c := range calls {
		if got := render(t, e.do(t, c)); got != want {
			t.Errorf("%s answered\n%s\nbut an unknown client answered\n%s", name, got, want)
		}
	}
	if !strings.HasPrefix(want, "HTTP 401\n") || !strings.Contains(want, "Www-Authenticate: Basic") {
		t.Errorf("invalid_client must be 401 with a Basic challenge, got\n%s", want)
	}
}

func TestTokenSuccessShape(t *testing.T) {
	e := newEndpoint(t)
	for _, c := range []call{
		{body: "grant_type=client_credentials", authz: basicAuth("basic-client", secret)},
		{body: "grant_type=client_credentials&client_id=post-client&client_secret=" + url.QueryEscape(secret)},
	} {
		resp := e.do(t, c)
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Pragma") != "no-cache" {
			t.Fatalf("status %d, headers %v", resp.StatusCode, resp.Header)
		}
		keysGot := make([]string, 0, len(body))
		for k := range body {
			keysGot = append(keysGot, k)
		}
		slices.Sort(keysGot)
		// RFC 6749 §5.1 and §4.4.3: no refresh token for client_credentials.
		if want := []string{"access_token", "expires_in", "scope", "token_type"}; !slices.Equal(keysGot, want) {
			t.Errorf("fields %v, want %v", keysGot, want)
		}
		if body["token_type"] != "Bearer" || body["expires_in"] != float64(3600) || body["scope"] != "accounts:read" {
			t.Errorf("answer %v", body)
		}
	}
}

func TestDiscoveryListsWhatIsEnabled(t *testing.T) {
	e := newEndpoint(t)
	for _, path := range []string{oauth2.OIDCPath, oauth2.RFC8414Path} {
		resp, err := http.Get(e.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		goldenfile.Check(t, "discovery"+strings.ReplaceAll(strings.TrimPrefix(path, "/.well-known"), "/", "_"), render(t, resp))
	}
}
