package oidc_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dpop/dpoptest"
	"github.com/jeton/jeton/fapi2"
	"github.com/jeton/jeton/oidc"
)

var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
)

// testRSAKey is one RSA key for every test server: generating one per server would
// slow every test of the package.
func testRSAKey(t testing.TB) *rsa.PrivateKey {
	rsaOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		must(t, err)
		rsaKey = k
	})
	return rsaKey
}

// seedFAPI2 registers the FAPI 2.0 clients: "fapi" in bank-a with its own profile,
// and in bank-f, whose default_profile is fapi2, "inherit" (private_key_jwt, profile
// "") and "legacy" (client_secret_basic, stored directly as a client registered
// before the default changed would be). Each registers signerKey (kid k1, ES256) and
// rsaKey (kid k2, RS256).
func seedFAPI2(t testing.TB, s *server, now time.Time) {
	t.Helper()
	ctx := context.Background()
	must(t, s.store.CreateInstitution(ctx, jeton.Institution{ID: "bank-f", Name: "FAPI Bank", DefaultProfile: fapi2.Name, CreatedAt: now, UpdatedAt: now}))
	set, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &s.signerKey.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"},
		{Key: &s.rsaKey.PublicKey, KeyID: "k2", Algorithm: "RS256", Use: "sig"},
	}})
	must(t, err)
	for _, c := range []jeton.Client{
		{ID: "fapi", InstitutionID: "bank-a", AuthMethod: jeton.AuthPrivateKey, Profile: fapi2.Name},
		{ID: "inherit", InstitutionID: "bank-f", AuthMethod: jeton.AuthPrivateKey},
		{ID: "legacy", InstitutionID: "bank-f", AuthMethod: jeton.AuthSecretBasic, SecretDigest: jeton.Digest(secret)},
	} {
		c.Name, c.Status = "FAPI "+c.ID, jeton.ClientActive
		c.PublicKeys = []jeton.ClientKey{{Format: jeton.KeyJWKS, Data: string(set)}}
		c.Grants = []string{jeton.GrantAuthorizationCode, jeton.GrantRefreshToken}
		c.Scopes, c.DefaultScopes = []string{"openid", "offline_access", "accounts"}, []string{"openid"}
		c.RedirectURIs = []string{redirectURI}
		c.TokenFormat, c.AccessTokenTTL, c.RefreshTokenTTL, c.SigningAlg = jeton.FormatJWT, 10*time.Minute, time.Hour, "ES256"
		c.CreatedAt, c.UpdatedAt = now, now
		must(t, s.store.CreateClient(ctx, c))
	}
}

// assertion is a private_key_jwt client assertion (RFC 7523 §3) of client for the
// token endpoint, signed with key under kid and alg.
func (s *server) assertion(t testing.TB, client string, key any, kid string, alg jose.SignatureAlgorithm) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, nil)
	must(t, err)
	now := time.Now()
	raw, err := jwt.Signed(sig).Claims(jwt.Claims{Issuer: client, Subject: client, Audience: jwt.Audience{s.url + "/oauth2/token"},
		ID: jeton.NewID(), IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Minute))}).Serialize()
	must(t, err)
	return raw
}

// goodAssertion is client's assertion with an algorithm FAPI 2.0 allows (ES256).
func (s *server) goodAssertion(t testing.TB, client string) string {
	return s.assertion(t, client, s.signerKey, "k1", jose.ES256)
}

// rsaDPoP is a DPoP proof (RFC 9449 §4.2) for POST path signed RS256, an algorithm
// DPoP accepts and FAPI 2.0 §5.4 does not.
func (s *server) rsaDPoP(t testing.TB, path string) string {
	t.Helper()
	opts := (&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt")
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: s.rsaKey}, opts)
	must(t, err)
	raw, err := jwt.Signed(sig).Claims(map[string]any{"jti": jeton.NewID(), "htm": "POST", "htu": s.url + path, "iat": time.Now().Unix()}).Serialize()
	must(t, err)
	return raw
}

// fapiPost POSTs form to path as client authenticated by assertion (none when ""),
// with the DPoP proofs given.
func (s *server) fapiPost(t testing.TB, path, client, assertion string, form url.Values, proofs ...string) rawAnswer {
	t.Helper()
	form.Set("client_id", client)
	if assertion != "" {
		form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
		form.Set("client_assertion", assertion)
	}
	req, err := http.NewRequest(http.MethodPost, s.url+path, strings.NewReader(form.Encode()))
	must(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	p := read(t, resp)
	return rawAnswer{p.status, p.header, p.body}
}

// parForm is a FAPI 2.0 pushed authorization request: code, PKCE S256.
func parForm() url.Values {
	return url.Values{"response_type": {"code"}, "redirect_uri": {redirectURI}, "scope": {"openid offline_access"},
		"state": {"st-f"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
}

// fapiCode pushes a FAPI 2.0 request for client (with the DPoP proofs given), signs
// alice in and returns the code; it checks the response carries iss (RFC 9207).
func (s *server) fapiCode(t *testing.T, client string, proofs ...string) string {
	t.Helper()
	a := s.fapiPost(t, oidc.PARPath, client, s.goodAssertion(t, client), parForm(), proofs...)
	if a.status != http.StatusCreated {
		t.Fatalf("PAR: %d %s", a.status, a.body)
	}
	var body struct {
		RequestURI string `json:"request_uri"`
	}
	must(t, json.Unmarshal([]byte(a.body), &body))
	got := s.signIn(t, newBrowser(t), s.url+oidc.AuthorizePath+"?"+url.Values{"client_id": {client}, "request_uri": {body.RequestURI}}.Encode())
	if got.Get("code") == "" || got.Get("iss") != s.url || got.Get("state") != "st-f" {
		t.Fatalf("authorization response %v: want a code, iss %s and state", got, s.url)
	}
	return got.Get("code")
}

func codeForm(code string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}, "code_verifier": {verifier}}
}

// answer decodes a token-endpoint answer.
func answer(t *testing.T, a rawAnswer) tokenAnswer {
	t.Helper()
	out := tokenAnswer{status: a.status, header: a.header}
	_ = json.Unmarshal([]byte(a.body), &out)
	return out
}

// refusedFAPI checks a refusal: the status, the OAuth error code, a description that
// names the FAPI 2.0 rule, and nothing issued.
func refusedFAPI(t *testing.T, what string, a rawAnswer, status int, code, rule string) {
	t.Helper()
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		AccessToken string `json:"access_token"`
		RequestURI  string `json:"request_uri"`
	}
	_ = json.Unmarshal([]byte(a.body), &body)
	if a.status != status || body.Error != code || !strings.HasPrefix(body.Description, "FAPI 2.0: ") ||
		!strings.Contains(body.Description, rule) || body.AccessToken != "" || body.RequestURI != "" {
		t.Fatalf("%s: %d %s, want %d %s naming %q", what, a.status, a.body, status, code, rule)
	}
}

// TestFAPI2Flow is the FAPI 2.0 happy path through the real handlers on SQLite: PAR
// with private_key_jwt (ES256), PKCE S256 and a DPoP proof, sign-in, the code with
// iss, the exchange for a DPoP-bound token, and a refresh that does not rotate the
// refresh token (FAPI 2.0 §5.3.2.1), which therefore still works afterwards.
func TestFAPI2Flow(t *testing.T) {
	s := newServer(t)
	key := dpoptest.NewKey(t)
	code := s.fapiCode(t, "fapi", s.proof(t, key, oidc.PARPath))
	tok := answer(t, s.fapiPost(t, "/oauth2/token", "fapi", s.goodAssertion(t, "fapi"), codeForm(code), s.proof(t, key, "/oauth2/token")))
	if tok.status != 200 || tok.TokenType != "DPoP" || cnf(t, tok.AccessToken)["jkt"] != key.JKT(t) || tok.RefreshToken == "" {
		t.Fatalf("exchange: %+v", tok)
	}
	refresh := func() tokenAnswer {
		return answer(t, s.fapiPost(t, "/oauth2/token", "fapi", s.goodAssertion(t, "fapi"),
			url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, s.proof(t, key, "/oauth2/token")))
	}
	for i := range 2 {
		r := refresh()
		if r.status != 200 || r.TokenType != "DPoP" || r.RefreshToken != tok.RefreshToken {
			t.Fatalf("refresh %d: %+v (the refresh token must not rotate)", i, r)
		}
	}
}

// TestFAPI2Refusals tries each shortcut the FAPI 2.0 profile forbids; each is refused
// with its OAuth error naming the rule, and nothing is issued.
func TestFAPI2Refusals(t *testing.T) {
	s := newServer(t)
	key := dpoptest.NewKey(t)
	tokenPath := "/oauth2/token"

	t.Run("authorize without PAR", func(t *testing.T) {
		got := newBrowser(t).get(s.authURL("fapi", url.Values{"scope": {"openid"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}})).location(t)
		if got.Get("error") != "invalid_request" || !strings.Contains(got.Get("error_description"), "FAPI 2.0: pushed authorization request required") || got.Get("code") != "" {
			t.Fatalf("authorize without PAR: %v", got)
		}
	})
	t.Run("PAR without PKCE", func(t *testing.T) {
		form := parForm()
		form.Del("code_challenge")
		form.Del("code_challenge_method")
		refusedFAPI(t, "no PKCE", s.fapiPost(t, oidc.PARPath, "fapi", s.goodAssertion(t, "fapi"), form), 400, "invalid_request", "PKCE with S256 required")
	})
	t.Run("PAR with PKCE plain", func(t *testing.T) {
		form := parForm()
		form.Set("code_challenge", verifier)
		form.Set("code_challenge_method", "plain")
		a := s.fapiPost(t, oidc.PARPath, "fapi", s.goodAssertion(t, "fapi"), form)
		if a.status != 400 || !strings.Contains(a.body, `"invalid_request"`) || strings.Contains(a.body, "request_uri") {
			t.Fatalf("plain PKCE: %d %s", a.status, a.body)
		}
	})
	t.Run("PAR without redirect_uri", func(t *testing.T) {
		form := parForm()
		form.Del("redirect_uri")
		a := s.fapiPost(t, oidc.PARPath, "fapi", s.goodAssertion(t, "fapi"), form)
		if a.status != 400 || !strings.Contains(a.body, "redirect_uri is missing") || strings.Contains(a.body, "request_uri") {
			t.Fatalf("no redirect_uri: %d %s", a.status, a.body)
		}
	})
	t.Run("PAR without client authentication", func(t *testing.T) {
		a := s.fapiPost(t, oidc.PARPath, "fapi", "", parForm())
		if a.status != 401 || !strings.Contains(a.body, `"invalid_client"`) || strings.Contains(a.body, "request_uri") {
			t.Fatalf("unauthenticated PAR: %d %s", a.status, a.body)
		}
	})
	t.Run("PAR response_type token", func(t *testing.T) {
		form := parForm()
		form.Set("response_type", "token")
		a := s.fapiPost(t, oidc.PARPath, "fapi", s.goodAssertion(t, "fapi"), form)
		if a.status != 400 || !strings.Contains(a.body, `"unsupported_response_type"`) || strings.Contains(a.body, "request_uri") {
			t.Fatalf("response_type token: %d %s", a.status, a.body)
		}
	})
	t.Run("PAR assertion RS256", func(t *testing.T) {
		a := s.fapiPost(t, oidc.PARPath, "fapi", s.assertion(t, "fapi", s.rsaKey, "k2", jose.RS256), parForm())
		refusedFAPI(t, "RS256 assertion", a, 401, "invalid_client", "PS256, ES256 or EdDSA")
	})
	t.Run("PAR DPoP proof RS256", func(t *testing.T) {
		a := s.fapiPost(t, oidc.PARPath, "fapi", s.goodAssertion(t, "fapi"), parForm(), s.rsaDPoP(t, oidc.PARPath))
		refusedFAPI(t, "RS256 proof", a, 400, "invalid_dpop_proof", "PS256, ES256 or EdDSA")
	})
	t.Run("PAR request object RS256", func(t *testing.T) {
		claims := s.objectClaims("fapi")
		for k, v := range parForm() {
			claims[k] = v[0]
		}
		sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: s.rsaKey},
			(&jose.SignerOptions{}).WithType("oauth-authz-req+jwt").WithHeader("kid", "k2"))
		must(t, err)
		obj, err := jwt.Signed(sig).Claims(claims).Serialize()
		must(t, err)
		a := s.fapiPost(t, oidc.PARPath, "fapi", s.goodAssertion(t, "fapi"), url.Values{"request": {obj}})
		refusedFAPI(t, "RS256 request object", a, 400, "invalid_request_object", "PS256, ES256 or EdDSA")
	})
	t.Run("token without sender constraint", func(t *testing.T) {
		code := s.fapiCode(t, "fapi")
		a := s.fapiPost(t, tokenPath, "fapi", s.goodAssertion(t, "fapi"), codeForm(code))
		refusedFAPI(t, "bearer token", a, 400, "invalid_request", "sender-constrained access tokens required")
		// Nothing was spent: the same code is exchanged once a proof comes with it.
		ok := answer(t, s.fapiPost(t, tokenPath, "fapi", s.goodAssertion(t, "fapi"), codeForm(code), s.proof(t, key, tokenPath)))
		if ok.status != 200 || ok.TokenType != "DPoP" {
			t.Fatalf("exchange after the refusal: %+v", ok)
		}
	})
	t.Run("token assertion RS256", func(t *testing.T) {
		code := s.fapiCode(t, "fapi")
		a := s.fapiPost(t, tokenPath, "fapi", s.assertion(t, "fapi", s.rsaKey, "k2", jose.RS256), codeForm(code), s.proof(t, key, tokenPath))
		refusedFAPI(t, "RS256 assertion", a, 401, "invalid_client", "PS256, ES256 or EdDSA")
	})
	t.Run("token DPoP proof RS256", func(t *testing.T) {
		code := s.fapiCode(t, "fapi")
		a := s.fapiPost(t, tokenPath, "fapi", s.goodAssertion(t, "fapi"), codeForm(code), s.rsaDPoP(t, tokenPath))
		refusedFAPI(t, "RS256 proof", a, 400, "invalid_dpop_proof", "PS256, ES256 or EdDSA")
	})
	t.Run("institution default: client secret", func(t *testing.T) {
		// legacy follows bank-f's default: its client_secret_basic is refused at PAR
		// and at the token endpoint, though its secret is right.
		req := func(path string, form url.Values) rawAnswer {
			r, err := http.NewRequest(http.MethodPost, s.url+path, strings.NewReader(form.Encode()))
			must(t, err)
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.SetBasicAuth("legacy", secret)
			r.Header.Set("DPoP", s.proof(t, key, path))
			resp, err := http.DefaultClient.Do(r)
			must(t, err)
			p := read(t, resp)
			return rawAnswer{p.status, p.header, p.body}
		}
		refusedFAPI(t, "legacy PAR", req(oidc.PARPath, parForm()), 401, "invalid_client", "client authentication must be private_key_jwt")
		refusedFAPI(t, "legacy token", req(tokenPath, codeForm("whatever")), 401, "invalid_client", "client authentication must be private_key_jwt")
		refusedFAPI(t, "legacy introspection", req("/oauth2/introspect", url.Values{"token": {"x"}}), 401, "invalid_client", "client authentication must be private_key_jwt")
		refusedFAPI(t, "legacy revocation", req("/oauth2/revoke", url.Values{"token": {"x"}}), 401, "invalid_client", "client authentication must be private_key_jwt")
	})
	t.Run("institution default: PKCE", func(t *testing.T) {
		form := parForm()
		form.Del("code_challenge")
		form.Del("code_challenge_method")
		refusedFAPI(t, "inherit without PKCE", s.fapiPost(t, oidc.PARPath, "inherit", s.goodAssertion(t, "inherit"), form), 400, "invalid_request", "PKCE with S256 required")
	})
}

// TestFAPI2StoredRS256Client: a client registered with signing_alg RS256 while its
// institution (bank-a, alice's) had no default, whose institution's default became
// fapi2 afterwards (written to the store directly, as a database from before the admin
// API checked the switch holds it), gets no RS256 token: its code exchange and its PAR
// are refused with unauthorized_client naming FAPI 2.0 §5.4's rule, and nothing is
// issued: the code stays unspent, and once the operator gives the client ES256 it is
// exchanged for ES256 tokens.
func TestFAPI2StoredRS256Client(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	now := time.Now()
	set, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &s.signerKey.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	must(t, err)
	must(t, s.store.CreateClient(ctx, jeton.Client{ID: "rs-tokens", InstitutionID: "bank-a", Name: "RS256 tokens", Status: jeton.ClientActive,
		AuthMethod: jeton.AuthPrivateKey, PublicKeys: []jeton.ClientKey{{Format: jeton.KeyJWKS, Data: string(set)}},
		Grants: []string{jeton.GrantAuthorizationCode, jeton.GrantRefreshToken}, Scopes: []string{"openid", "offline_access"},
		DefaultScopes: []string{"openid"}, RedirectURIs: []string{redirectURI}, TokenFormat: jeton.FormatJWT,
		AccessTokenTTL: 10 * time.Minute, RefreshTokenTTL: time.Hour, SigningAlg: "RS256", CreatedAt: now, UpdatedAt: now}))
	code := s.fapiCode(t, "rs-tokens") // before the switch: not a FAPI 2.0 client yet

	inst, err := s.store.GetInstitution(ctx, "bank-a")
	must(t, err)
	inst.DefaultProfile = fapi2.Name
	must(t, s.store.UpdateInstitution(ctx, inst))

	key := dpoptest.NewKey(t)
	const rule = "the client's tokens must be signed with PS256, ES256 or EdDSA"
	tok := s.fapiPost(t, "/oauth2/token", "rs-tokens", s.goodAssertion(t, "rs-tokens"), codeForm(code), s.proof(t, key, "/oauth2/token"))
	refusedFAPI(t, "code exchange", tok, 400, "unauthorized_client", rule)
	par := s.fapiPost(t, oidc.PARPath, "rs-tokens", s.goodAssertion(t, "rs-tokens"), parForm(), s.proof(t, key, oidc.PARPath))
	refusedFAPI(t, "PAR", par, 400, "unauthorized_client", rule)

	c, err := s.store.GetClient(ctx, "rs-tokens")
	must(t, err)
	c.SigningAlg = "ES256"
	must(t, s.store.UpdateClient(ctx, c))
	ok := answer(t, s.fapiPost(t, "/oauth2/token", "rs-tokens", s.goodAssertion(t, "rs-tokens"), codeForm(code), s.proof(t, key, "/oauth2/token")))
	if ok.status != 200 || ok.TokenType != "DPoP" || ok.IDToken == "" {
		t.Fatalf("the unspent code once the client signs ES256: %+v", ok)
	}
	for name, raw := range map[string]string{"access token": ok.AccessToken, "ID token": ok.IDToken} {
		if _, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256}); err != nil {
			t.Errorf("%s is not ES256: %v", name, err)
		}
	}
}
