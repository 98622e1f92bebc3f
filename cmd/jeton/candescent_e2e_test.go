package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/dialect/candescent/candescentmod"
)

// candescentCall is one request to the Candescent dialect of a live server.
type candescentCall struct {
	base, path, auth, institution string
	form                          url.Values
}

func (c candescentCall) do(t *testing.T) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest("POST", c.base+c.path, strings.NewReader(c.form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("transactionId", "9b2e4c1a-7f3d-4e8b-a6c5-0d1e2f3a4b5c")
	if c.institution != "" {
		req.Header.Set("institutionId", c.institution)
	}
	req.Header.Set("Authorization", c.auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s answered %d %q", c.path, resp.StatusCode, b)
	}
	return resp.StatusCode, out
}

func basicHeader(id, secret string) string {
	r, _ := http.NewRequest("GET", "/", nil)
	r.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	return r.Header.Get("Authorization")
}

// TestCandescentCodeMintingEndToEnd is Candescent's server-side OIDC flow against a real
// `jeton serve`, set up through the admin API: the minter's client_credentials token →
// client-authorization → auth-code → the app exchanges the code with its own
// credentials → the id_token verifies with coreos/go-oidc against the server's own
// discovery and JWKS → the app refreshes.
func TestCandescentCodeMintingEndToEnd(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	inst, err := s.admin.CreateInstitution(ctx, "First CU")
	if err != nil {
		t.Fatal(err)
	}
	minter := s.newClient(t, adminapi.ClientInput{InstitutionID: inst.ID, Name: "backend", Scopes: []string{"accounts"}})
	app := s.newClient(t, adminapi.ClientInput{InstitutionID: inst.ID, Name: "oidc app",
		Grants: []string{"authorization_code", "refresh_token"}, RedirectURIs: []string{"https://app.example/cb"},
		Scopes: []string{"openid", "profile", "email", "offline_access"}})
	alice, err := s.admin.CreateCustomer(ctx, inst.ID, adminapi.CustomerInput{Username: "alice", Password: "alice's long password",
		Claims: map[string]any{"given_name": "Alice", "family_name": "Archer", "email": "alice@example.com", "preferred_username": "alice"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := candescentmod.LinkClients(ctx, s.admin, minter.ClientID, app.ClientID); err != nil {
		t.Fatal(err)
	}
	base := s.public + "/candescent"
	minterBasic, appBasic := basicHeader(minter.ClientID, minter.ClientSecret), basicHeader(app.ClientID, app.ClientSecret)

	st, cc := candescentCall{base, "/oauth2/v1/token", minterBasic, inst.ID, url.Values{"grant_type": {"client_credentials"}}}.do(t)
	if st != 200 {
		t.Fatalf("client_credentials: %d %v", st, cc)
	}
	bearer := "Bearer " + cc["access_token"].(string)
	st, ca := candescentCall{base, "/v1/client-authorization", bearer, inst.ID, url.Values{"client_id": {app.ClientID}}}.do(t)
	if st != 200 || ca["appId"] != app.ClientID || ca["scopes"] != "openid,profile,email,offline_access" {
		t.Fatalf("client-authorization: %d %v", st, ca)
	}
	st, ac := candescentCall{base, "/v1/auth-code", bearer, inst.ID, url.Values{"client_id": {app.ClientID}, "username": {"alice"},
		"requested_scopes": {"openid,profile,offline_access"}, "nonce": {"n-0S6_WzA2Mj"}}}.do(t)
	if st != 200 || ac["redirect_uri"] != "https://app.example/cb" {
		t.Fatalf("auth-code: %d %v", st, ac)
	}
	code := ac["code"].(string)
	// The minter itself cannot redeem the code.
	if st, out := (candescentCall{base, "/oauth2/v1/token", minterBasic, inst.ID, url.Values{"grant_type": {"authorization_code"}, "code": {code}}}).do(t); st != 400 || out["code"] != "CMN_90021" {
		t.Fatalf("minter redeeming: %d %v", st, out)
	}
	st, tok := candescentCall{base, "/oauth2/v1/token", appBasic, inst.ID, url.Values{"grant_type": {"authorization_code"}, "code": {code}}}.do(t)
	if st != 200 || tok["refresh_token"] == nil || tok["token_type"] != "Bearer" || tok["expires_in"] != float64(3600) {
		t.Fatalf("exchange: %d %v", st, tok)
	}

	provider, err := oidc.NewProvider(ctx, s.public)
	if err != nil {
		t.Fatal(err)
	}
	// The algs come from discovery's id_token_signing_alg_values_supported.
	verifier := provider.Verifier(&oidc.Config{ClientID: app.ClientID})
	idt, err := verifier.Verify(ctx, tok["id_token"].(string))
	if err != nil {
		t.Fatalf("id_token does not verify: %v", err)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if idt.Subject != alice.ID || idt.Nonce != "n-0S6_WzA2Mj" || claims["given_name"] != "Alice" || claims["preferred_username"] != "alice" {
		t.Fatalf("id_token claims %v", claims)
	}
	if _, hasEmail := claims["email"]; hasEmail {
		t.Errorf("email claim without the email scope: %v", claims)
	}
	if d := idt.Expiry.Sub(idt.IssuedAt); d.Seconds() != 300 {
		t.Errorf("id_token lives %v, want 300 s", d)
	}
	if err := idt.VerifyAccessToken(tok["access_token"].(string)); err != nil {
		t.Errorf("at_hash: %v", err)
	}

	st, ref := candescentCall{base, "/oauth2/v1/token", appBasic, "", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}}}.do(t)
	if st != 200 || ref["refresh_token"] == tok["refresh_token"] || ref["refresh_token_expires_in"] == nil || ref["access_token"] == nil {
		t.Fatalf("refresh: %d %v", st, ref)
	}
	// The code was single-use.
	if st, out := (candescentCall{base, "/oauth2/v1/token", appBasic, inst.ID, url.Values{"grant_type": {"authorization_code"}, "code": {code}}}).do(t); st != 401 || out["code"] != "CMN_90018" {
		t.Fatalf("second exchange: %d %v", st, out)
	}
}
