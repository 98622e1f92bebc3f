package oauth2_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/clientcache"
	"github.com/jeton/jeton/dialect/oauth2"
	"github.com/jeton/jeton/httpapi"
	"github.com/jeton/jeton/internal/goldenfile"
	"github.com/jeton/jeton/internal/testclock"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/sqlite"
	"github.com/jeton/jeton/sqlite/sqlitetest"
	"github.com/jeton/jeton/token"
	"github.com/jeton/jeton/token/tokentest"
)

// tokenServer is the standard dialect with refresh, introspection and revocation over
// the real engine, a real SQLite store and real keys, behind the public middleware,
// whose log lines it keeps.
type tokenServer struct {
	srv   *httptest.Server
	store *sqlite.Store
	clock *testclock.Clock
	logMu sync.Mutex
	logs  bytes.Buffer
}

func (s *tokenServer) Write(p []byte) (int, error) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return s.logs.Write(p)
}

func (s *tokenServer) logText() string {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return s.logs.String()
}

const (
	tsInstA    = "bank-a"
	tsInstB    = "bank-b"
	tsCustomer = "cust-1"
)

func newTokenServer(t *testing.T) *tokenServer {
	t.Helper()
	ctx := context.Background()
	s := &tokenServer{store: sqlitetest.New(t), clock: testclock.New(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))}
	kek := make([]byte, 32)
	km := keys.NewManager(s.store, kek, keys.Config{Algs: []string{"ES256"}, Now: s.clock.Now})
	if err := km.Load(ctx); err != nil {
		t.Fatal(err)
	}
	clients := clientcache.New(s.store, 0, nil)
	sec := clientauth.Secret{Now: s.clock.Now}
	methods := []jeton.AuthMethod{jeton.AuthSecretBasic, jeton.AuthSecretPost}
	engine := token.NewEngine(token.EngineConfig{
		Auth: &clientauth.Authenticator{Clients: clients, Now: s.clock.Now,
			Methods: map[jeton.AuthMethod]clientauth.Method{jeton.AuthSecretBasic: sec, jeton.AuthSecretPost: sec}},
		Grants: []token.Grant{tokentest.SeedGrant{}, &token.RefreshGrant{Store: s.store, Key: token.DeriveRefreshKey(kek)}},
		Issuer: &token.Issuer{Issuer: "https://as.example", Audience: []string{"https://api.example"},
			Signer:       func(alg string) (token.Signer, error) { return km.Signer(alg) },
			AccessTokens: s.store, RefreshFamilies: s.store},
		Now: s.clock.Now,
	})
	intro := &token.Introspector{Issuer: "https://as.example", KeySet: km.KeySet, Store: s.store, Clients: clients, Now: s.clock.Now}
	d, err := oauth2.New(oauth2.Config{Engine: engine, Issuer: "https://as.example", JWKS: km.JWKS, JWKSMaxAge: 300,
		AuthMethods: methods, Introspector: intro, Revoker: &token.Revoker{Tokens: intro, Store: s.store}})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewJSONHandler(s, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s.srv = httptest.NewServer(httpapi.New(httpapi.Config{Logger: logger, Ready: func(context.Context) error { return nil },
		Mounts: []httpapi.Mount{{Dialect: d}}}))
	t.Cleanup(s.srv.Close)
	now := s.clock.Now()
	for _, id := range []string{tsInstA, tsInstB} {
		if err := s.store.CreateInstitution(ctx, jeton.Institution{ID: id, Name: id, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	s.addClient(t, "app", tsInstA, jeton.AuthSecretBasic, jeton.FormatJWT)
	s.addClient(t, "post-app", tsInstA, jeton.AuthSecretPost, jeton.FormatOpaque)
	s.addClient(t, "other-app", tsInstA, jeton.AuthSecretBasic, jeton.FormatJWT)
	s.addClient(t, "b-app", tsInstB, jeton.AuthSecretBasic, jeton.FormatJWT)
	err = s.store.CreateCustomer(ctx, jeton.Customer{ID: tsCustomer, InstitutionID: tsInstA, Username: tsCustomer,
		PasswordHash: "$argon2id$unused", Status: jeton.CustomerActive, CreatedAt: now, UpdatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *tokenServer) addClient(t *testing.T, id, inst string, m jeton.AuthMethod, f jeton.TokenFormat) {
	t.Helper()
	now := s.clock.Now()
	err := s.store.CreateClient(context.Background(), jeton.Client{
		ID: id, InstitutionID: inst, Name: id, Status: jeton.ClientActive, AuthMethod: m, SecretDigest: jeton.Digest(secret),
		Institutions: []string{inst}, Grants: []string{tokentest.GrantSeed, jeton.GrantRefreshToken},
		Scopes: []string{"accounts:read", "payments"}, DefaultScopes: []string{"accounts:read"}, TokenFormat: f,
		AccessTokenTTL: time.Hour, SigningAlg: "ES256", CreatedAt: now, UpdatedAt: now,
	})
	if err != nil {
		t.Fatal(err)
	}
}

// post sends a form to path with Basic credentials of client ("" for none).
func (s *tokenServer) post(t *testing.T, path, client string, form url.Values) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if client != "" {
		req.Header.Set("Authorization", basicAuth(client, secret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
}

// seed gets a first access and refresh token for the customer (Basic clients only).
func (s *tokenServer) seed(t *testing.T, client string) tokenAnswer {
	t.Helper()
	form := url.Values{"grant_type": {tokentest.GrantSeed}, "username": {tsCustomer}}
	var resp *http.Response
	if client == "post-app" {
		form.Set("client_id", client)
		form.Set("client_secret", secret)
		resp = s.post(t, oauth2.TokenPath, "", form)
	} else {
		resp = s.post(t, oauth2.TokenPath, client, form)
	}
	defer resp.Body.Close()
	var a tokenAnswer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || resp.StatusCode != 200 || a.RefreshToken == "" {
		t.Fatalf("seed: status %d, %v", resp.StatusCode, err)
	}
	return a
}

// introspect returns the introspection answer's members (post-app authenticates in
// the form, the others with Basic).
func (s *tokenServer) introspect(t *testing.T, client, tok string) map[string]any {
	t.Helper()
	form := url.Values{"token": {tok}}
	if client == "post-app" {
		form.Set("client_id", client)
		form.Set("client_secret", secret)
		client = ""
	}
	resp := s.post(t, oauth2.IntrospectPath, client, form)
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" ||
		resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("introspection: status %d, headers %v", resp.StatusCode, resp.Header)
	}
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return body
}

func (s *tokenServer) isActive(t *testing.T, client, tok string) bool {
	t.Helper()
	body := s.introspect(t, client, tok)
	if body["active"] == false && len(body) != 1 {
		t.Errorf("an inactive answer must be {\"active\":false} alone, got %v", body)
	}
	return body["active"] == true
}

func TestIntrospectionAnswers(t *testing.T) {
	s := newTokenServer(t)
	now := s.clock.Now()
	jwtTok := s.seed(t, "app")
	opaque := s.seed(t, "post-app")
	base := map[string]any{"active": true, "client_id": "app", "sub": tsCustomer, "iss": "https://as.example",
		"scope": "accounts:read", "institution_id": tsInstA, "iat": float64(now.Unix())}
	// Access tokens are introspected by another client of the institution (a resource
	// server); a refresh token only by the client it was issued to.
	tests := []struct {
		name, caller, tok string
		want              map[string]any
	}{
		{"jwt access token", "other-app", jwtTok.AccessToken, map[string]any{"token_type": "Bearer", "aud": "https://api.example", "exp": float64(now.Add(time.Hour).Unix())}},
		{"opaque access token", "other-app", opaque.AccessToken, map[string]any{"client_id": "post-app", "token_type": "Bearer", "aud": "https://api.example", "exp": float64(now.Add(time.Hour).Unix())}},
		{"refresh token", "app", jwtTok.RefreshToken, map[string]any{"token_type": "refresh_token", "exp": float64(now.Add(7 * 24 * time.Hour).Unix())}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := map[string]any{}
			for k, v := range base {
				want[k] = v
			}
			for k, v := range tt.want {
				want[k] = v
			}
			got := s.introspect(t, tt.caller, tt.tok)
			if jti, ok := got["jti"].(string); ok && jti != "" {
				want["jti"] = jti // random; present for access tokens only
			}
			if tt.want["token_type"] == "Bearer" && got["jti"] == nil {
				t.Error("access tokens carry their jti")
			}
			gotJSON, _ := json.Marshal(got)
			wantJSON, _ := json.Marshal(want)
			if string(gotJSON) != string(wantJSON) {
				t.Errorf("got  %s\nwant %s", gotJSON, wantJSON)
			}
		})
	}
	t.Run("another institution", func(t *testing.T) {
		for _, tok := range []string{jwtTok.AccessToken, opaque.AccessToken, jwtTok.RefreshToken} {
			if s.isActive(t, "b-app", tok) {
				t.Error("another institution's token must be inactive")
			}
		}
	})
	t.Run("unknown and expired", func(t *testing.T) {
		if s.isActive(t, "app", jeton.NewSecret()) || s.isActive(t, "app", "not.a.jwt") {
			t.Error("unknown token active")
		}
		s.clock.Advance(time.Hour)
		if s.isActive(t, "app", jwtTok.AccessToken) || s.isActive(t, "app", opaque.AccessToken) {
			t.Error("expired token active")
		}
	})
	if logs := s.logText(); strings.Contains(logs, jwtTok.AccessToken) || strings.Contains(logs, opaque.AccessToken) ||
		strings.Contains(logs, jwtTok.RefreshToken) || strings.Contains(logs, secret) {
		t.Error("a token or secret reached the log")
	}
	if !strings.Contains(s.logText(), `"reason":"institution_not_allowed"`) {
		t.Error("the log should say why a token was inactive")
	}
}

// TestIntrospectionRefreshTokenOnlyForItsClient: over HTTP, a client_credentials-only
// client of the institution (a resource server) gets exactly {"active":false} for
// another client's refresh token, the log says wrong_client, and the token's own
// client still sees it active; access tokens stay introspectable by the resource server.
func TestIntrospectionRefreshTokenOnlyForItsClient(t *testing.T) {
	s := newTokenServer(t)
	now := s.clock.Now()
	err := s.store.CreateClient(context.Background(), jeton.Client{
		ID: "rs", InstitutionID: tsInstA, Name: "rs", Status: jeton.ClientActive, AuthMethod: jeton.AuthSecretBasic,
		SecretDigest: jeton.Digest(secret), Institutions: []string{tsInstA}, Grants: []string{jeton.GrantClientCredentials},
		Scopes: []string{"accounts:read"}, TokenFormat: jeton.FormatJWT, AccessTokenTTL: time.Hour, SigningAlg: "ES256",
		CreatedAt: now, UpdatedAt: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	tok := s.seed(t, "app")
	for _, caller := range []string{"rs", "other-app"} {
		for _, hint := range []string{"", "refresh_token"} {
			resp := s.post(t, oauth2.IntrospectPath, caller, url.Values{"token": {tok.RefreshToken}, "token_type_hint": {hint}})
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != `{"active":false}` {
				t.Errorf("%s introspected app's refresh token (hint %q): %d %s", caller, hint, resp.StatusCode, body)
			}
		}
	}
	if !strings.Contains(s.logText(), `"reason":"wrong_client"`) {
		t.Error("the log should say the refresh token belongs to another client")
	}
	if got := s.introspect(t, "app", tok.RefreshToken); got["active"] != true || got["sub"] != tsCustomer {
		t.Errorf("the token's own client: %v", got)
	}
	if got := s.introspect(t, "rs", tok.AccessToken); got["active"] != true || got["sub"] != tsCustomer {
		t.Errorf("the resource server lost access-token introspection: %v", got)
	}
}

// TestIntrospectionAndRevocationErrorsGolden: every error answer of the two endpoints.
func TestIntrospectionAndRevocationErrorsGolden(t *testing.T) {
	s := newTokenServer(t)
	tok := "token=" + jeton.NewSecret()
	basic := basicAuth("app", secret)
	cases := []struct {
		name string
		c    call
	}{
		{"method_not_allowed", call{method: http.MethodGet, authz: basic}},
		{"content_type", call{body: `{"token":"x"}`, contentType: "application/json", authz: basic}},
		{"body_too_large", call{body: tok + "&pad=" + strings.Repeat("x", 70<<10), authz: basic}},
		{"malformed_body", call{body: "token=%zz", authz: basic}},
		{"duplicate_token", call{body: tok + "&" + tok, authz: basic}},
		{"invalid_characters", call{body: "token=%01", authz: basic}},
		{"missing_token", call{body: "token_type_hint=access_token", authz: basic}},
		{"two_auth_methods", call{body: tok + "&client_secret=" + secret, authz: basic}},
		{"client_id_mismatch", call{body: tok + "&client_id=other-app", authz: basic}},
		{"invalid_client", call{body: tok, authz: basicAuth("app", "wrong")}},
		{"invalid_client_unknown", call{body: tok, authz: basicAuth("no-such-client", secret)}},
		{"invalid_client_wrong_method", call{body: tok + "&client_id=app&client_secret=" + secret}},
		{"invalid_client_no_credentials", call{body: tok}},
	}
	for _, ep := range []struct{ name, path string }{{"introspect", oauth2.IntrospectPath}, {"revoke", oauth2.RevokePath}} {
		for _, tt := range cases {
			t.Run(ep.name+"_"+tt.name, func(t *testing.T) {
				goldenfile.Check(t, ep.name+"_error_"+tt.name, render(t, s.do(t, ep.path, tt.c)))
			})
		}
	}
	// Answers that reveal nothing: an inactive token and a revocation are the same
	// whatever the token was.
	for _, tt := range []struct{ golden, path string }{{"introspect_inactive", oauth2.IntrospectPath}, {"revoke_ok", oauth2.RevokePath}} {
		goldenfile.Check(t, tt.golden, render(t, s.do(t, tt.path, call{body: tok, authz: basic})))
	}
}

// do is endpoint.do for any path of the token server.
func (s *tokenServer) do(t *testing.T, path string, c call) *http.Response {
	t.Helper()
	if c.method == "" {
		c.method = http.MethodPost
	}
	if c.contentType == "" {
		c.contentType = "application/x-www-form-urlencoded"
	}
	req, _ := http.NewRequest(c.method, s.srv.URL+path, strings.NewReader(c.body))
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

// TestIntrospectionNotMountedUnlessEnabled: deny by default (DESIGN rule 4).
func TestIntrospectionNotMountedUnlessEnabled(t *testing.T) {
	engine := token.NewEngine(token.EngineConfig{Grants: []token.Grant{token.ClientCredentials{}}})
	d, err := oauth2.New(oauth2.Config{Engine: engine, Issuer: "https://as.example", JWKS: func() []byte { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Logger: slog.New(slog.DiscardHandler), Ready: func(context.Context) error { return nil },
		Mounts: []httpapi.Mount{{Dialect: d}}}))
	defer srv.Close()
	for _, p := range []string{oauth2.IntrospectPath, oauth2.RevokePath} {
		resp, err := http.Post(srv.URL+p, "application/x-www-form-urlencoded", strings.NewReader("token=x"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s answered %d without being enabled", p, resp.StatusCode)
		}
	}
	resp, err := http.Get(srv.URL + oauth2.OIDCPath)
	if err != nil {
		t.Fatal(err)
	}
	var md map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&md)
	resp.Body.Close()
	for _, k := range []string{"introspection_endpoint", "revocation_endpoint", "introspection_endpoint_auth_methods_supported"} {
		if _, ok := md[k]; ok {
			t.Errorf("discovery lists %s while it is not enabled", k)
		}
	}
}
