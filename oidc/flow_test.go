package oidc_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/jeton/jeton"
	"github.com/jeton/jeton/oidc"
	"golang.org/x/oauth2"
)

func (s *server) oauth2Config(client string, scopes ...string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: client, ClientSecret: secret, RedirectURL: redirectURI, Scopes: scopes,
		Endpoint: oauth2.Endpoint{AuthURL: s.url + oidc.AuthorizePath, TokenURL: s.url + "/oauth2/token", AuthStyle: oauth2.AuthStyleInHeader},
	}
}

// TestCodeFlowWithOAuth2AndGoOIDC runs the whole flow with golang.org/x/oauth2's PKCE
// helpers and verifies the ID token and userinfo with coreos/go-oidc.
func TestCodeFlowWithOAuth2AndGoOIDC(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	provider, err := gooidc.NewProvider(ctx, s.url)
	must(t, err)
	cfg := s.oauth2Config("web", gooidc.ScopeOpenID, "email", "profile", gooidc.ScopeOfflineAccess)
	cfg.Endpoint = provider.Endpoint()
	cfg.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	v := oauth2.GenerateVerifier()
	b := newBrowser(t)
	got := s.signIn(t, b, cfg.AuthCodeURL("state-42", oauth2.S256ChallengeOption(v), gooidc.Nonce("nonce-42")))
	if got.Get("state") != "state-42" || got.Get("iss") != s.url {
		t.Fatalf("redirect lacks state or iss (RFC 9207): %v", got)
	}
	tok, err := cfg.Exchange(ctx, got.Get("code"), oauth2.VerifierOption(v))
	must(t, err)
	if tok.RefreshToken == "" {
		t.Error("offline_access granted but no refresh token")
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&gooidc.Config{ClientID: "web"}).Verify(ctx, raw)
	must(t, err)
	if idt.Nonce != "nonce-42" || idt.Subject != s.alice.ID {
		t.Errorf("id_token nonce %q sub %q", idt.Nonce, idt.Subject)
	}
	must(t, idt.VerifyAccessToken(tok.AccessToken))
	var claims struct {
		Email    string `json:"email"`
		Name     string `json:"name"`
		AuthTime int64  `json:"auth_time"`
		AZP      string `json:"azp"`
	}
	must(t, idt.Claims(&claims))
	if claims.Email != "alice@example.com" || claims.Name != "Alice Martin" || claims.AuthTime == 0 || claims.AZP != "web" {
		t.Errorf("id_token claims %+v", claims)
	}
	ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	must(t, err)
	if ui.Email != "alice@example.com" || ui.Subject != s.alice.ID {
		t.Errorf("userinfo %+v", ui)
	}

	// The code is single-use: a replay is refused and revokes what the first use gave.
	if _, err := cfg.Exchange(ctx, got.Get("code"), oauth2.VerifierOption(v)); err == nil {
		t.Fatal("code accepted twice")
	}
	if _, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
		t.Error("access token still valid at userinfo after the code's replay")
	}

	// Signed in and consented: the next request goes straight back with a code.
	p := b.get(cfg.AuthCodeURL("state-43", oauth2.S256ChallengeOption(v)))
	if q := p.location(t); q.Get("code") == "" || q.Get("state") != "state-43" {
		t.Errorf("second authorization did not skip login and consent: %v", q)
	}
}

func TestCodeExchangeRefusals(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	web := s.oauth2Config("web", "openid")
	code := func() string {
		return s.signIn(t, newBrowser(t), web.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier))).Get("code")
	}
	tests := []struct {
		name string
		cfg  *oauth2.Config
		opts []oauth2.AuthCodeOption
	}{
		{"missing verifier", web, nil},
		{"wrong verifier", web, []oauth2.AuthCodeOption{oauth2.VerifierOption(oauth2.GenerateVerifier())}},
		{"code from another client", s.oauth2Config("other", "openid"), []oauth2.AuthCodeOption{oauth2.VerifierOption(verifier)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.cfg.Exchange(ctx, code(), tt.opts...)
			var re *oauth2.RetrieveError
			if err == nil || !asRetrieve(err, &re) || re.ErrorCode != "invalid_grant" {
				t.Fatalf("got %v, want invalid_grant", err)
			}
		})
	}
}

func asRetrieve(err error, re **oauth2.RetrieveError) bool {
	r, ok := err.(*oauth2.RetrieveError)
	*re = r
	return ok
}

func TestPublicClientFlow(t *testing.T) {
	s := newServer(t)
	cfg := s.oauth2Config("spa", "openid")
	cfg.ClientSecret = ""
	cfg.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	b := newBrowser(t)
	q := s.signIn(t, b, s.authURL("spa", nil))
	tok, err := cfg.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
	must(t, err)
	if tok.RefreshToken != "" {
		t.Error("refresh token without offline_access")
	}
}

// TestPARFlow pushes the request (RFC 9126), then signs in with the request_uri.
func TestPARFlow(t *testing.T) {
	s := newServer(t)
	for _, client := range []string{"web", "pushy"} {
		t.Run(client, func(t *testing.T) {
			uri := s.push(t, client, url.Values{"state": {"par-state"}})
			b := newBrowser(t)
			q := s.signIn(t, b, s.url+oidc.AuthorizePath+"?"+url.Values{"client_id": {client}, "request_uri": {uri}}.Encode())
			if q.Get("state") != "par-state" {
				t.Errorf("state %q", q.Get("state"))
			}
			tok, err := s.oauth2Config(client, "openid").Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
			must(t, err)
			if tok.Extra("id_token") == nil {
				t.Error("no id_token")
			}
			// Single use: the same request_uri again is refused on jeton's own page,
			// and reported as a replay.
			before := len(s.events.Of(jeton.EventReplayRefused, jeton.EventReasonRequestURI))
			p := newBrowser(t).get(s.url + oidc.AuthorizePath + "?" + url.Values{"client_id": {client}, "request_uri": {uri}}.Encode())
			if p.status != http.StatusBadRequest || p.header.Get("Location") != "" {
				t.Errorf("reused request_uri: status %d, Location %q", p.status, p.header.Get("Location"))
			}
			ev := s.events.Of(jeton.EventReplayRefused, jeton.EventReasonRequestURI)
			if len(ev) != before+1 || ev[len(ev)-1].ClientID != client || ev[len(ev)-1].InstitutionID != "bank-a" {
				t.Errorf("security events %+v; want a request_uri replay of %s", ev, client)
			}
		})
	}
	t.Run("required", func(t *testing.T) {
		q := newBrowser(t).get(s.authURL("pushy", url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"}})).location(t)
		if q.Get("error") != "invalid_request" {
			t.Errorf("unpushed request of a PAR-only client: %v", q)
		}
	})
	t.Run("refusals", func(t *testing.T) {
		for name, form := range map[string]url.Values{
			"unregistered redirect": {"redirect_uri": {"https://evil.example/cb"}},
			"plain PKCE":            {"code_challenge_method": {"plain"}},
			"request_uri pushed":    {"request_uri": {"urn:x"}},
		} {
			resp := s.pushRaw(t, "web", secret, form)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("%s: status %d, want 400", name, resp.StatusCode)
			}
		}
		if resp := s.pushRaw(t, "web", "wrong", nil); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("wrong secret: status %d, want 401", resp.StatusCode)
		}
	})
}

// TestPARForeignClient: a request_uri is bound to the client that pushed it (RFC 9126
// §2.2). Another client presenting it on /authorize gets the error page, and the
// request_uri stays usable: seeing the front-channel URL must not let anyone burn it.
func TestPARForeignClient(t *testing.T) {
	s := newServer(t)
	uri := s.push(t, "web", url.Values{"state": {"par-state"}})
	foreign := newBrowser(t).get(s.url + oidc.AuthorizePath + "?" + url.Values{"client_id": {"other"}, "request_uri": {uri}}.Encode())
	if foreign.status != http.StatusBadRequest || foreign.header.Get("Location") != "" ||
		!strings.Contains(foreign.body, "request_uri is unknown, expired or already used") {
		t.Fatalf("foreign client: status %d, Location %q, body:\n%s", foreign.status, foreign.header.Get("Location"), foreign.body)
	}
	q := s.signIn(t, newBrowser(t), s.url+oidc.AuthorizePath+"?"+url.Values{"client_id": {"web"}, "request_uri": {uri}}.Encode())
	if q.Get("state") != "par-state" || q.Get("code") == "" {
		t.Fatalf("the pushing client after a foreign attempt: %v", q)
	}
	_, err := s.oauth2Config("web", "openid").Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
	must(t, err)
}

func (s *server) pushRaw(t *testing.T, client, sec string, extra url.Values) *http.Response {
	t.Helper()
	form := url.Values{"response_type": {"code"}, "redirect_uri": {redirectURI}, "scope": {"openid"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	for k, v := range extra {
		form[k] = v
	}
	req, err := http.NewRequest(http.MethodPost, s.url+oidc.PARPath, strings.NewReader(form.Encode()))
	must(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(client, sec)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func (s *server) push(t *testing.T, client string, extra url.Values) string {
	t.Helper()
	resp := s.pushRaw(t, client, secret, extra)
	var body struct {
		RequestURI string `json:"request_uri"`
		ExpiresIn  int    `json:"expires_in"`
	}
	must(t, json.NewDecoder(resp.Body).Decode(&body))
	if resp.StatusCode != http.StatusCreated || !strings.HasPrefix(body.RequestURI, "urn:ietf:params:oauth:request-uri:") || body.ExpiresIn != 60 {
		t.Fatalf("PAR answer %d %+v", resp.StatusCode, body)
	}
	return body.RequestURI
}

var challenge = oauth2.S256ChallengeFromVerifier(verifier)

func TestDiscoveryAndUserinfoPost(t *testing.T) {
	s := newServer(t)
	resp, err := http.Get(s.url + "/.well-known/openid-configuration")
	must(t, err)
	var md map[string]any
	must(t, json.NewDecoder(resp.Body).Decode(&md))
	resp.Body.Close()
	for k, want := range map[string]any{
		"authorization_endpoint":                         s.url + oidc.AuthorizePath,
		"pushed_authorization_request_endpoint":          s.url + oidc.PARPath,
		"userinfo_endpoint":                              s.url + oidc.UserinfoPath,
		"authorization_response_iss_parameter_supported": true,
	} {
		if md[k] != want {
			t.Errorf("discovery %s = %v, want %v", k, md[k], want)
		}
	}
	if fmt.Sprint(md["code_challenge_methods_supported"]) != "[S256]" || fmt.Sprint(md["response_types_supported"]) != "[code]" {
		t.Errorf("discovery PKCE/response types: %v %v", md["code_challenge_methods_supported"], md["response_types_supported"])
	}
	if !strings.Contains(fmt.Sprint(md["grant_types_supported"]), "authorization_code") {
		t.Errorf("grant_types_supported %v", md["grant_types_supported"])
	}
	// Userinfo also takes the token in a form body (RFC 6750 §2.2).
	cfg := s.oauth2Config("spa", "openid")
	cfg.ClientSecret, cfg.Endpoint.AuthStyle = "", oauth2.AuthStyleInParams
	q := s.signIn(t, newBrowser(t), s.authURL("spa", nil))
	tok, err := cfg.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
	must(t, err)
	resp, err = http.PostForm(s.url+oidc.UserinfoPath, url.Values{"access_token": {tok.AccessToken}})
	must(t, err)
	var claims map[string]any
	must(t, json.NewDecoder(resp.Body).Decode(&claims))
	resp.Body.Close()
	if resp.StatusCode != 200 || claims["sub"] != s.alice.ID || claims["email"] != "alice@example.com" {
		t.Errorf("userinfo POST: %d %v", resp.StatusCode, claims)
	}
}
