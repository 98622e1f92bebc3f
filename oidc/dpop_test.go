package oidc_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dpop/dpoptest"
	"github.com/jeton/jeton/oidc"
)

// tokenAnswer is a token endpoint answer, success or error.
type tokenAnswer struct {
	status       int
	header       http.Header
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
	Error        string `json:"error"`
}

// postProof POSTs form to path with HTTP Basic client (none when sec is "") and the
// DPoP proofs given.
func (s *server) postProof(t *testing.T, path, client, sec string, form url.Values, proofs ...string) tokenAnswer {
	t.Helper()
	if sec == "" {
		form.Set("client_id", client)
	}
	req, err := http.NewRequest(http.MethodPost, s.url+path, strings.NewReader(form.Encode()))
	must(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if sec != "" {
		req.SetBasicAuth(client, sec)
	}
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	a := tokenAnswer{status: resp.StatusCode, header: resp.Header}
	_ = json.NewDecoder(resp.Body).Decode(&a)
	return a
}

// proof signs a proof for POST to path now.
func (s *server) proof(t *testing.T, k *dpoptest.Key, path string) string {
	return k.New("POST", s.url+path, time.Now()).Sign(t)
}

// boundCode runs the code flow for client with the authorization request extra,
// pushed (with the DPoP proofs given) when par is set, and returns the code.
func (s *server) boundCode(t *testing.T, client string, par bool, extra url.Values, proofs ...string) string {
	t.Helper()
	q := url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "scope": {"openid offline_access"}}
	for k, v := range extra {
		q[k] = v
	}
	var auth string
	if par {
		form := url.Values{"response_type": {"code"}, "redirect_uri": {redirectURI}}
		for k, v := range q {
			form[k] = v
		}
		sec := secret
		if client == "spa" {
			sec = ""
		}
		resp := s.postPAR(t, client, sec, form, proofs...)
		auth = s.url + oidc.AuthorizePath + "?" + url.Values{"client_id": {client}, "request_uri": {resp}}.Encode()
	} else {
		auth = s.authURL(client, q)
	}
	got := s.signIn(t, newBrowser(t), auth)
	if got.Get("code") == "" {
		t.Fatalf("no code: %v", got)
	}
	return got.Get("code")
}

func (s *server) postPAR(t *testing.T, client, sec string, form url.Values, proofs ...string) string {
	t.Helper()
	a := s.postProofRaw(t, oidc.PARPath, client, sec, form, proofs...)
	if a.status != http.StatusCreated {
		t.Fatalf("PAR: %d %s", a.status, a.body)
	}
	var body struct {
		RequestURI string `json:"request_uri"`
	}
	must(t, json.Unmarshal([]byte(a.body), &body))
	return body.RequestURI
}

type rawAnswer struct {
	status int
	header http.Header
	body   string
}

func (s *server) postProofRaw(t *testing.T, path, client, sec string, form url.Values, proofs ...string) rawAnswer {
	t.Helper()
	if sec == "" {
		form.Set("client_id", client)
	}
	req, err := http.NewRequest(http.MethodPost, s.url+path, strings.NewReader(form.Encode()))
	must(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if sec != "" {
		req.SetBasicAuth(client, sec)
	}
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	p := read(t, resp)
	return rawAnswer{p.status, p.header, p.body}
}

func (s *server) exchange(t *testing.T, client, code string, proofs ...string) tokenAnswer {
	t.Helper()
	sec := secret
	if client == "spa" {
		sec = ""
	}
	return s.postProof(t, "/oauth2/token", client, sec, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {redirectURI}, "code_verifier": {verifier}}, proofs...)
}

func wantError(t *testing.T, what string, a tokenAnswer, status int, code string) {
	t.Helper()
	if a.status != status || a.Error != code || a.AccessToken != "" {
		t.Fatalf("%s: %d %q (token issued: %v), want %d %s", what, a.status, a.Error, a.AccessToken != "", status, code)
	}
}

// cnf reads a JWT access token's cnf claim (unverified: the token came from the
// server under test, over loopback).
func cnf(t *testing.T, at string) map[string]any {
	t.Helper()
	parts := strings.Split(at, ".")
	if len(parts) != 3 {
		t.Fatalf("access token %q is not a JWT", at)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	must(t, err)
	var c struct {
		Cnf map[string]any `json:"cnf"`
	}
	must(t, json.Unmarshal(b, &c))
	return c.Cnf
}

// TestDPoPCodeFlowWithPAR: a proof sent to PAR binds the code to its key (RFC 9449
// §10.1); the code is exchanged only with a proof of that key, for a DPoP-bound token
// (cnf.jkt, token_type DPoP) that userinfo accepts only under the DPoP scheme with a
// fresh proof of the key whose ath hashes it (§7).
func TestDPoPCodeFlowWithPAR(t *testing.T) {
	s := newServer(t)
	key, other := dpoptest.NewKey(t), dpoptest.NewKey(t)
	t.Run("code bound: no proof", func(t *testing.T) {
		code := s.boundCode(t, "web", true, nil, s.proof(t, key, oidc.PARPath))
		wantError(t, "exchange without a proof", s.exchange(t, "web", code), 400, "invalid_dpop_proof")
	})
	t.Run("code bound: another key", func(t *testing.T) {
		code := s.boundCode(t, "web", true, nil, s.proof(t, key, oidc.PARPath))
		wantError(t, "exchange with another key", s.exchange(t, "web", code, s.proof(t, other, "/oauth2/token")), 400, "invalid_dpop_proof")
	})
	t.Run("PAR dpop_jkt contradicts the proof", func(t *testing.T) {
		form := url.Values{"response_type": {"code"}, "redirect_uri": {redirectURI}, "code_challenge": {challenge},
			"code_challenge_method": {"S256"}, "dpop_jkt": {other.JKT(t)}}
		a := s.postProofRaw(t, oidc.PARPath, "web", secret, form, s.proof(t, key, oidc.PARPath))
		if a.status != 400 || !strings.Contains(a.body, "invalid_dpop_proof") {
			t.Fatalf("PAR: %d %s", a.status, a.body)
		}
	})
	t.Run("PAR proof for another endpoint", func(t *testing.T) {
		form := url.Values{"response_type": {"code"}, "redirect_uri": {redirectURI}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
		a := s.postProofRaw(t, oidc.PARPath, "web", secret, form, s.proof(t, key, "/oauth2/token"))
		if a.status != 400 || !strings.Contains(a.body, "invalid_dpop_proof") {
			t.Fatalf("PAR: %d %s", a.status, a.body)
		}
	})
	t.Run("dpop_jkt at authorize", func(t *testing.T) {
		code := s.boundCode(t, "web", false, url.Values{"dpop_jkt": {key.JKT(t)}})
		wantError(t, "exchange with another key", s.exchange(t, "web", code, s.proof(t, other, "/oauth2/token")), 400, "invalid_dpop_proof")
		bad := newBrowser(t).get(s.authURL("web", url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "dpop_jkt": {"short"}})).location(t)
		if bad.Get("error") != "invalid_request" {
			t.Fatalf("malformed dpop_jkt: %v", bad)
		}
	})
	code := s.boundCode(t, "web", true, nil, s.proof(t, key, oidc.PARPath))
	tok := s.exchange(t, "web", code, s.proof(t, key, "/oauth2/token"))
	if tok.status != 200 || tok.TokenType != "DPoP" || cnf(t, tok.AccessToken)["jkt"] != key.JKT(t) {
		t.Fatalf("exchange: %d %+v cnf %v", tok.status, tok, cnf(t, tok.AccessToken))
	}
	uri := s.url + oidc.UserinfoPath
	get := func(scheme, proof string) page {
		req, _ := http.NewRequest(http.MethodGet, uri, nil)
		req.Header.Set("Authorization", scheme+" "+tok.AccessToken)
		if proof != "" {
			req.Header.Set("DPoP", proof)
		}
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		return read(t, resp)
	}
	good := key.New("GET", uri, time.Now()).ATH(tok.AccessToken).Sign(t)
	if p := get("DPoP", good); p.status != 200 || !strings.Contains(p.body, `"sub":"cust-alice"`) {
		t.Fatalf("userinfo with DPoP: %d %s", p.status, p.body)
	}
	for name, c := range map[string]struct {
		scheme, proof, challenge string
	}{
		"replayed proof":        {"DPoP", good, `DPoP error="invalid_dpop_proof"`},
		"as a bearer token":     {"Bearer", "", `Bearer error="invalid_token"`},
		"bearer with a proof":   {"Bearer", key.New("GET", uri, time.Now()).ATH(tok.AccessToken).Sign(t), `Bearer error="invalid_token"`},
		"no proof":              {"DPoP", "", `DPoP error="invalid_dpop_proof"`},
		"missing ath":           {"DPoP", key.New("GET", uri, time.Now()).Sign(t), `DPoP error="invalid_dpop_proof"`},
		"another key":           {"DPoP", other.New("GET", uri, time.Now()).ATH(tok.AccessToken).Sign(t), `DPoP error="invalid_dpop_proof"`},
		"wrong htm":             {"DPoP", key.New("POST", uri, time.Now()).ATH(tok.AccessToken).Sign(t), `DPoP error="invalid_dpop_proof"`},
		"stale iat":             {"DPoP", key.New("GET", uri, time.Now().Add(-5*time.Minute)).ATH(tok.AccessToken).Sign(t), `DPoP error="invalid_dpop_proof"`},
		"private key in header": {"DPoP", key.New("GET", uri, time.Now()).ATH(tok.AccessToken).WithPrivateJWK(key).Sign(t), `DPoP error="invalid_dpop_proof"`},
	} {
		p := get(c.scheme, c.proof)
		if p.status != 401 || !strings.HasPrefix(p.header.Get("WWW-Authenticate"), c.challenge) || strings.Contains(p.body, "cust-alice") {
			t.Errorf("%s: %d %q %s", name, p.status, p.header.Get("WWW-Authenticate"), p.body)
		}
	}
}

// TestDPoPPublicClientRefresh: a public client's refresh token is bound to its DPoP
// key (RFC 9449 §5): refreshing without a proof or with another key's is refused and
// does not spend the token; with the key it rotates, for a DPoP-bound access token.
func TestDPoPPublicClientRefresh(t *testing.T) {
	s := newServer(t)
	key, other := dpoptest.NewKey(t), dpoptest.NewKey(t)
	code := s.boundCode(t, "spa", false, nil)
	tok := s.exchange(t, "spa", code, s.proof(t, key, "/oauth2/token"))
	if tok.status != 200 || tok.RefreshToken == "" || tok.TokenType != "DPoP" {
		t.Fatalf("exchange: %+v", tok)
	}
	refresh := func(proofs ...string) tokenAnswer {
		return s.postProof(t, "/oauth2/token", "spa", "", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, proofs...)
	}
	wantError(t, "refresh without a proof", refresh(), 400, "invalid_dpop_proof")
	wantError(t, "refresh with another key", refresh(s.proof(t, other, "/oauth2/token")), 400, "invalid_dpop_proof")
	next := refresh(s.proof(t, key, "/oauth2/token"))
	if next.status != 200 || next.TokenType != "DPoP" || cnf(t, next.AccessToken)["jkt"] != key.JKT(t) || next.RefreshToken == tok.RefreshToken {
		t.Fatalf("refresh with the key: %+v", next)
	}
	// Revocation of the bound refresh token needs a proof of its key too.
	revoke := func(proofs ...string) rawAnswer {
		return s.postProofRaw(t, "/oauth2/revoke", "spa", "", url.Values{"token": {next.RefreshToken}}, proofs...)
	}
	for name, a := range map[string]rawAnswer{"no proof": revoke(), "another key": revoke(s.proof(t, other, "/oauth2/revoke"))} {
		if a.status != 400 || !strings.Contains(a.body, "invalid_dpop_proof") {
			t.Fatalf("revocation, %s: %d %s", name, a.status, a.body)
		}
	}
	if a := revoke(s.proof(t, key, "/oauth2/revoke")); a.status != 200 {
		t.Fatalf("revocation with the key: %d %s", a.status, a.body)
	}
	tok.RefreshToken = next.RefreshToken
	wantError(t, "refresh after revocation", refresh(s.proof(t, key, "/oauth2/token")), 400, "invalid_grant")
	// A confidential client's refresh token is not bound (it authenticates); its new
	// access token is bound to whichever proof comes with the refresh.
	code = s.boundCode(t, "web", false, nil)
	web := s.exchange(t, "web", code, s.proof(t, key, "/oauth2/token"))
	again := s.postProof(t, "/oauth2/token", "web", secret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {web.RefreshToken}})
	if again.status != 200 || again.TokenType != "Bearer" || cnf(t, again.AccessToken) != nil {
		t.Fatalf("confidential refresh without a proof: %+v", again)
	}
}

// TestDPoPClientCredentials: a client registered with dpop_bound_access_tokens is
// refused without a proof (invalid_request, nothing issued); a proof from any client
// binds its token (RFC 9449 §5), and introspection reports cnf.jkt and token_type
// DPoP (§6.2). A replayed proof issues nothing.
func TestDPoPClientCredentials(t *testing.T) {
	s := newServer(t)
	now := time.Now()
	for _, c := range []jeton.Client{
		{ID: "bound", SenderConstraints: jeton.SenderConstraints{DPoPBoundAccessTokens: true}},
		{ID: "optional"},
	} {
		c.Name, c.InstitutionID, c.Status, c.AuthMethod, c.SecretDigest = c.ID, "bank-a", jeton.ClientActive, jeton.AuthSecretBasic, jeton.Digest(secret)
		c.Grants, c.Scopes, c.DefaultScopes = []string{jeton.GrantClientCredentials}, []string{"accounts"}, []string{"accounts"}
		c.TokenFormat, c.AccessTokenTTL, c.SigningAlg, c.CreatedAt, c.UpdatedAt = jeton.FormatOpaque, time.Minute, "ES256", now, now
		must(t, s.store.CreateClient(context.Background(), c))
	}
	key := dpoptest.NewKey(t)
	cc := func(client string, proofs ...string) tokenAnswer {
		return s.postProof(t, "/oauth2/token", client, secret, url.Values{"grant_type": {"client_credentials"}}, proofs...)
	}
	wantError(t, "required, no proof", cc("bound"), 400, "invalid_request")
	if a := cc("optional"); a.status != 200 || a.TokenType != "Bearer" {
		t.Fatalf("optional, no proof: %+v", a)
	}
	p := s.proof(t, key, "/oauth2/token")
	a := cc("optional", p)
	if a.status != 200 || a.TokenType != "DPoP" {
		t.Fatalf("optional, with a proof: %+v", a)
	}
	wantError(t, "replayed proof", cc("bound", p), 400, "invalid_dpop_proof")
	wantError(t, "two proofs", cc("bound", s.proof(t, key, "/oauth2/token"), s.proof(t, key, "/oauth2/token")), 400, "invalid_dpop_proof")
	b := cc("bound", s.proof(t, key, "/oauth2/token"))
	if b.status != 200 || b.TokenType != "DPoP" {
		t.Fatalf("required, with a proof: %+v", b)
	}
	r := s.postProofRaw(t, "/oauth2/introspect", "optional", secret, url.Values{"token": {b.AccessToken}})
	var info struct {
		Active    bool              `json:"active"`
		TokenType string            `json:"token_type"`
		Cnf       map[string]string `json:"cnf"`
	}
	must(t, json.Unmarshal([]byte(r.body), &info))
	if !info.Active || info.TokenType != "DPoP" || info.Cnf["jkt"] != key.JKT(t) {
		t.Fatalf("introspection of a DPoP-bound opaque token: %s", r.body)
	}
}

// TestDPoPNonce: with nonces required, a proof without the server's nonce is
// use_dpop_nonce with a DPoP-Nonce header (RFC 9449 §8); the retry with it succeeds,
// and userinfo answers the same challenge (§9).
func TestDPoPNonce(t *testing.T) {
	s := newServer(t)
	s.dpop.RequireNonce = true
	key := dpoptest.NewKey(t)
	code := s.boundCode(t, "web", false, nil)
	first := s.exchange(t, "web", code, s.proof(t, key, "/oauth2/token"))
	nonce := first.header.Get("DPoP-Nonce")
	if first.status != 400 || first.Error != "use_dpop_nonce" || nonce == "" {
		t.Fatalf("proof without nonce: %+v", first)
	}
	tok := s.exchange(t, "web", code, key.New("POST", s.url+"/oauth2/token", time.Now()).Nonce(nonce).Sign(t))
	if tok.status != 200 || tok.TokenType != "DPoP" {
		t.Fatalf("retry with the nonce: %+v", tok)
	}
	uri := s.url + oidc.UserinfoPath
	req, _ := http.NewRequest(http.MethodGet, uri, nil)
	req.Header.Set("Authorization", "DPoP "+tok.AccessToken)
	req.Header.Set("DPoP", key.New("GET", uri, time.Now()).ATH(tok.AccessToken).Sign(t))
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	p := read(t, resp)
	if p.status != 401 || !strings.HasPrefix(p.header.Get("WWW-Authenticate"), `DPoP error="use_dpop_nonce"`) || p.header.Get("DPoP-Nonce") == "" {
		t.Fatalf("userinfo without nonce: %d %v", p.status, p.header)
	}
}

// TestDPoPDiscovery: discovery lists the proof algorithms (RFC 9449 §5.1), asymmetric
// ones only.
func TestDPoPDiscovery(t *testing.T) {
	s := newServer(t)
	resp, err := http.Get(s.url + "/.well-known/openid-configuration")
	must(t, err)
	defer resp.Body.Close()
	var md struct {
		Algs []string `json:"dpop_signing_alg_values_supported"`
	}
	must(t, json.NewDecoder(resp.Body).Decode(&md))
	joined := " " + strings.Join(md.Algs, " ") + " "
	if !strings.Contains(joined, " ES256 ") || !strings.Contains(joined, " PS256 ") || strings.Contains(joined, "HS") || strings.Contains(joined, "none") {
		t.Fatalf("dpop_signing_alg_values_supported %v", md.Algs)
	}
}
