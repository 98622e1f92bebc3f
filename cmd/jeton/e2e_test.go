package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/keys"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// atClaims are the RFC 9068 §2.2 claims jeton puts in an access token.
type atClaims struct {
	jwt.Claims
	ClientID      string `json:"client_id"`
	Scope         string `json:"scope"`
	InstitutionID string `json:"institution_id"`
}

func fetchJWKS(t *testing.T, base string) jose.JSONWebKeySet {
	t.Helper()
	var meta struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	getJSON(t, base+"/.well-known/openid-configuration", &meta)
	var set jose.JSONWebKeySet
	getJSON(t, meta.JWKSURI, &set)
	return set
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// verifyAccessToken checks signature (against the published JWKS), header and claims.
func verifyAccessToken(t *testing.T, raw string, set jose.JSONWebKeySet, alg jose.SignatureAlgorithm) atClaims {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{alg})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	h := tok.Headers[0]
	if h.ExtraHeaders["typ"] != "at+jwt" { // RFC 9068 §2.1
		t.Errorf("typ = %v, want at+jwt", h.ExtraHeaders["typ"])
	}
	keys := set.Key(h.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q: %d keys in the JWKS", h.KeyID, len(keys))
	}
	var c atClaims
	if err := tok.Claims(keys[0].Key, &c); err != nil {
		t.Fatalf("signature: %v", err)
	}
	return c
}

func TestClientCredentialsEndToEnd(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	tests := []struct {
		name   string
		method jeton.AuthMethod
		style  oauth2.AuthStyle
		alg    string
	}{
		{"client_secret_basic ES256", jeton.AuthSecretBasic, oauth2.AuthStyleInHeader, "ES256"},
		{"client_secret_post RS256", jeton.AuthSecretPost, oauth2.AuthStyleInParams, "RS256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := s.newClient(t, adminapi.ClientInput{AuthMethod: tt.method, SigningAlg: tt.alg,
				Scopes: []string{"accounts:read", "accounts:write"}, DefaultScopes: []string{"accounts:read"}})
			cc := clientcredentials.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret,
				TokenURL: s.public + "/oauth2/token", Scopes: []string{"accounts:write"}, AuthStyle: tt.style}
			tok, err := cc.Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if tok.TokenType != "Bearer" || tok.RefreshToken != "" {
				t.Errorf("token_type %q refresh %q", tok.TokenType, tok.RefreshToken)
			}
			claims := verifyAccessToken(t, tok.AccessToken, fetchJWKS(t, s.public), jose.SignatureAlgorithm(tt.alg))
			err = claims.Validate(jwt.Expected{Issuer: s.app.Issuer, Subject: c.ClientID,
				AnyAudience: jwt.Audience{s.app.Issuer}, Time: time.Now()})
			if err != nil {
				t.Error(err)
			}
			if claims.ClientID != c.ClientID || claims.Scope != "accounts:write" || claims.InstitutionID != c.InstitutionID || claims.ID == "" {
				t.Errorf("claims %+v", claims)
			}
			if ttl := claims.Expiry.Time().Sub(claims.IssuedAt.Time()); ttl != time.Hour {
				t.Errorf("exp - iat = %v, want the client's 1h", ttl)
			}
		})
	}
	assertNoSecretsLogged(t, s)
}

// assertNoSecretsLogged: DESIGN rule 5, no secret ever reaches a log line.
func assertNoSecretsLogged(t *testing.T, s *liveServer) {
	t.Helper()
	logs := s.logs.String()
	if !strings.Contains(logs, `"msg":"request"`) {
		t.Fatal("no access log lines captured; the check below would prove nothing")
	}
	if strings.Contains(logs, s.token) {
		t.Error("the admin token appears in the logs")
	}
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "eyJ") { // a JWS header
			t.Errorf("a JWT appears in the logs: %s", line)
		}
	}
}

func TestSecretNeverLogged(t *testing.T) {
	s := startServer(t)
	c := s.newClient(t, adminapi.ClientInput{Scopes: []string{"accounts:read"}})
	postForm(t, s.public+"/oauth2/token", "grant_type=client_credentials", c.ClientID, c.ClientSecret)
	postForm(t, s.public+"/oauth2/token", "grant_type=client_credentials", c.ClientID, c.ClientSecret+"x")
	if strings.Contains(s.logs.String(), c.ClientSecret) {
		t.Fatal("a client secret appears in the logs")
	}
	assertNoSecretsLogged(t, s)
}

func postForm(t *testing.T, url, body, id, secret string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(id, secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestClientChangesTakeEffectAtOnce: the client cache is invalidated by the admin API,
// so disabling, deleting and rotating secrets are felt by the very next request.
func TestClientChangesTakeEffectAtOnce(t *testing.T) {
	s := startServer(t, "--client-cache-ttl", "1h")
	ctx := context.Background()
	c := s.newClient(t, adminapi.ClientInput{Scopes: []string{"accounts:read"}})
	token := func(secret string) int {
		st, _ := postForm(t, s.public+"/oauth2/token", "grant_type=client_credentials", c.ClientID, secret)
		return st
	}
	if st := token(c.ClientSecret); st != 200 {
		t.Fatalf("fresh client: %d", st)
	}
	if _, err := s.admin.DisableClient(ctx, c.ClientID); err != nil {
		t.Fatal(err)
	}
	if st := token(c.ClientSecret); st != 401 {
		t.Errorf("disabled client: %d, want 401", st)
	}
	if _, err := s.admin.EnableClient(ctx, c.ClientID); err != nil {
		t.Fatal(err)
	}
	rotated, err := s.admin.RotateSecret(ctx, c.ClientID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if token(c.ClientSecret) != 200 || token(rotated.ClientSecret) != 200 {
		t.Error("during the grace period both the old and the new secret must work")
	}
	again, err := s.admin.RotateSecret(ctx, c.ClientID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if token(rotated.ClientSecret) != 401 || token(again.ClientSecret) != 200 {
		t.Error("with no grace only the newest secret may work")
	}
	if err := s.admin.DeleteClient(ctx, c.ClientID); err != nil {
		t.Fatal(err)
	}
	if st := token(again.ClientSecret); st != 401 {
		t.Errorf("deleted client: %d, want 401", st)
	}
}

// TestKeyRotationKeepsOldTokensVerifiable: after a rotation, a token signed by the old
// key still verifies against the JWKS, the successor is published at once, and (with a
// publish delay) the old key keeps signing.
func TestKeyRotationKeepsOldTokensVerifiable(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	c := s.newClient(t, adminapi.ClientInput{Scopes: []string{"accounts:read"}})
	cc := clientcredentials.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, TokenURL: s.public + "/oauth2/token"}
	before, err := cc.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	next, err := s.admin.RotateKey(ctx, "ES256")
	if err != nil {
		t.Fatal(err)
	}
	set := fetchJWKS(t, s.public)
	if len(set.Key(next.ID)) != 1 {
		t.Fatalf("successor %s is not published at once", next.ID)
	}
	verifyAccessToken(t, before.AccessToken, set, jose.ES256)
	after, err := cc.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := jwt.ParseSigned(after.AccessToken, []jose.SignatureAlgorithm{jose.ES256})
	if tok.Headers[0].KeyID == next.ID {
		t.Error("the successor signed before its publish delay passed")
	}
	verifyAccessToken(t, after.AccessToken, set, jose.ES256)
}

// TestRestartKeepsKeysAndRefusesWrongKEK: keys survive a restart; a wrong
// key-encryption key fails the start with a clear message.
func TestRestartKeepsKeysAndRefusesWrongKEK(t *testing.T) {
	s := startServer(t)
	dir := s.dataDir
	first := fetchJWKS(t, s.public)
	if err := s.stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	s2 := startServerIn(t, dir)
	second := fetchJWKS(t, s2.public)
	kids := func(set jose.JSONWebKeySet) (out []string) {
		for _, k := range set.Keys {
			out = append(out, k.KeyID)
		}
		return out
	}
	if n := len(keys.DefaultAlgs()); len(first.Keys) != n || !slices.Equal(kids(first), kids(second)) {
		t.Errorf("keys changed across a restart (or not one per alg): %v → %v", kids(first), kids(second))
	}
	if err := s2.stop(); err != nil {
		t.Fatal(err)
	}
	t.Setenv("JETON_KEK", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	_, err := startApp(context.Background(), testServeConfig(t, dir), discardLogger(t))
	if err == nil || !strings.Contains(err.Error(), "wrong key-encryption key") {
		t.Fatalf("start with a wrong KEK: %v", err)
	}
}
