package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// matrixClient is one registered client and how it proves itself.
type matrixClient struct {
	adminapi.CreatedClient
	method jeton.AuthMethod
	key    *ecdsa.PrivateKey // private_key_jwt
}

// assertion signs a fresh RFC 7523 client assertion (new jti each call).
func (c matrixClient) assertion(t *testing.T, aud string) string {
	t.Helper()
	var sk jose.SigningKey
	if c.method == jeton.AuthPrivateKey {
		sk = jose.SigningKey{Algorithm: jose.ES256, Key: c.key}
	} else {
		sk = jose.SigningKey{Algorithm: jose.HS256, Key: []byte(c.ClientSecret)}
	}
	signer, err := jose.NewSigner(sk, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	raw, err := jwt.Signed(signer).Claims(jwt.Claims{Issuer: c.ClientID, Subject: c.ClientID, Audience: jwt.Audience{aud},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Minute)), ID: jeton.NewID()}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// post sends a form with this client's credentials to path.
func (c matrixClient) post(t *testing.T, s *liveServer, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	switch c.method {
	case jeton.AuthSecretPost:
		form.Set("client_id", c.ClientID)
		form.Set("client_secret", c.ClientSecret)
	case jeton.AuthPrivateKey, jeton.AuthSecretJWT:
		form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
		form.Set("client_assertion", c.assertion(t, s.app.Issuer+"/oauth2/token"))
	}
	req, _ := http.NewRequest(http.MethodPost, s.public+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c.method == jeton.AuthSecretBasic {
		req.SetBasicAuth(url.QueryEscape(c.ClientID), url.QueryEscape(c.ClientSecret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func registerMatrixClient(t *testing.T, s *liveServer, inst string, m jeton.AuthMethod) matrixClient {
	t.Helper()
	in := adminapi.ClientInput{InstitutionID: inst, Name: string(m), AuthMethod: m,
		Grants: []string{jeton.GrantClientCredentials, jeton.GrantPassword, jeton.GrantRefreshToken},
		Scopes: []string{"accounts:read", "payments:write"}}
	c := matrixClient{method: m}
	if m == jeton.AuthPrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
		in.PublicKeys = []jeton.ClientKey{{Format: jeton.KeyPEM, Data: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}}
		c.key = k
	}
	created, err := s.admin.CreateClient(context.Background(), in)
	if err != nil {
		t.Fatalf("register %s: %v", m, err)
	}
	c.CreatedClient = created
	return c
}

// TestAuthMethodsByGrants runs every client authentication method against every grant
// on a live server, then introspects and revokes what it got.
func TestAuthMethodsByGrants(t *testing.T) {
	s := startServer(t, "--argon2-memory", "64", "--argon2-passes", "1")
	ctx := context.Background()
	inst, err := s.admin.CreateInstitution(ctx, "First Credit Union")
	if err != nil {
		t.Fatal(err)
	}
	cust, err := s.admin.CreateCustomer(ctx, inst.ID, adminapi.CustomerInput{Username: "ada", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	tokenURL := s.public + "/oauth2/token"
	for _, m := range []jeton.AuthMethod{jeton.AuthSecretBasic, jeton.AuthSecretPost, jeton.AuthPrivateKey, jeton.AuthSecretJWT} {
		t.Run(string(m), func(t *testing.T) {
			c := registerMatrixClient(t, s, inst.ID, m)
			var cc, pw, refreshed map[string]any
			if style, ok := map[jeton.AuthMethod]oauth2.AuthStyle{jeton.AuthSecretBasic: oauth2.AuthStyleInHeader, jeton.AuthSecretPost: oauth2.AuthStyleInParams}[m]; ok {
				cc, pw, refreshed = viaLibrary(t, c, tokenURL, style)
			} else {
				cc, pw, refreshed = viaRawRequests(t, s, c)
			}
			if cc["refresh_token"] != nil || cc["scope"] != "accounts:read payments:write" {
				t.Errorf("client_credentials: %v", cc)
			}
			if pw["refresh_token"] == nil || refreshed["refresh_token"] == pw["refresh_token"] {
				t.Errorf("password must give a refresh token and refresh must rotate it: %v → %v", pw["refresh_token"], refreshed["refresh_token"])
			}
			claims := verifyAccessToken(t, refreshed["access_token"].(string), fetchJWKS(t, s.public), jose.ES256)
			if claims.Subject != cust.ID || claims.InstitutionID != inst.ID {
				t.Errorf("customer token claims %+v", claims)
			}
			// Introspect the refreshed access token, revoke the family, introspect again.
			if st, in := c.post(t, s, "/oauth2/introspect", url.Values{"token": {refreshed["access_token"].(string)}}); st != 200 || in["active"] != true || in["sub"] != cust.ID {
				t.Fatalf("introspection: %d %v", st, in)
			}
			if st, _ := c.post(t, s, "/oauth2/revoke", url.Values{"token": {refreshed["refresh_token"].(string)}}); st != 200 {
				t.Fatalf("revocation: %d", st)
			}
			if _, in := c.post(t, s, "/oauth2/introspect", url.Values{"token": {refreshed["access_token"].(string)}}); in["active"] != false {
				t.Errorf("access token of a revoked family still active: %v", in)
			}
			if _, in := c.post(t, s, "/oauth2/introspect", url.Values{"token": {cc["access_token"].(string)}}); in["active"] != true {
				t.Errorf("revoking one family touched a client_credentials token: %v", in)
			}
		})
	}
	assertNoSecretsLogged(t, s)
}

// viaLibrary uses golang.org/x/oauth2 for the three grants.
func viaLibrary(t *testing.T, c matrixClient, tokenURL string, style oauth2.AuthStyle) (cc, pw, refreshed map[string]any) {
	t.Helper()
	ctx := context.Background()
	ccTok, err := (&clientcredentials.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, TokenURL: tokenURL, AuthStyle: style}).Token(ctx)
	if err != nil {
		t.Fatalf("client_credentials: %v", err)
	}
	conf := &oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, Endpoint: oauth2.Endpoint{TokenURL: tokenURL, AuthStyle: style}}
	pwTok, err := conf.PasswordCredentialsToken(ctx, "ada", "correct horse battery")
	if err != nil {
		t.Fatalf("password: %v", err)
	}
	expired := *pwTok
	expired.Expiry = time.Now().Add(-time.Minute) // make the TokenSource refresh
	newTok, err := conf.TokenSource(ctx, &expired).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	asMap := func(tok *oauth2.Token) map[string]any {
		m := map[string]any{"access_token": tok.AccessToken}
		if tok.RefreshToken != "" {
			m["refresh_token"] = tok.RefreshToken
		}
		if sc, ok := tok.Extra("scope").(string); ok {
			m["scope"] = sc
		}
		return m
	}
	return asMap(ccTok), asMap(pwTok), asMap(newTok)
}

// viaRawRequests sends the three grants with fresh client assertions (x/oauth2 has no
// JWT client authentication).
func viaRawRequests(t *testing.T, s *liveServer, c matrixClient) (cc, pw, refreshed map[string]any) {
	t.Helper()
	grant := func(form url.Values) map[string]any {
		t.Helper()
		st, body := c.post(t, s, "/oauth2/token", form)
		if st != 200 {
			t.Fatalf("%s: %d %v", form.Get("grant_type"), st, body)
		}
		return body
	}
	cc = grant(url.Values{"grant_type": {"client_credentials"}})
	pw = grant(url.Values{"grant_type": {"password"}, "username": {"ada"}, "password": {"correct horse battery"}})
	refreshed = grant(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {pw["refresh_token"].(string)}})
	return cc, pw, refreshed
}
