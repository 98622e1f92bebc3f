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

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/oidc"
)

// objectClaims are a valid request object's claims for client (RFC 9101 §4).
func (s *server) objectClaims(client string) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": client, "aud": s.url, "client_id": client, "jti": jeton.NewID(),
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"response_type": "code", "redirect_uri": redirectURI, "scope": "openid email",
		"state": "st-obj", "nonce": "n-obj",
	}
}

// sign signs claims as a request object with key (ES256, kid k1).
func sign(t testing.TB, key any, alg jose.SignatureAlgorithm, claims map[string]any) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key},
		(&jose.SignerOptions{}).WithType("oauth-authz-req+jwt").WithHeader("kid", "k1"))
	must(t, err)
	raw, err := jwt.Signed(sig).Claims(claims).Serialize()
	must(t, err)
	return raw
}

func (s *server) object(t testing.TB, client string, edit func(map[string]any)) string {
	c := s.objectClaims(client)
	if edit != nil {
		edit(c)
	}
	return sign(t, s.signerKey, jose.ES256, c)
}

func (s *server) objectURL(client, obj string, extra url.Values) string {
	q := url.Values{"client_id": {client}, "request": {obj}}
	for k, v := range extra {
		q[k] = v
	}
	return s.url + oidc.AuthorizePath + "?" + q.Encode()
}

// A request object carries the whole request (RFC 9101 §6.3): the flow ends with the
// object's state and a code the token endpoint exchanges.
func TestRequestObjectFlow(t *testing.T) {
	s := newServer(t)
	b := newBrowser(t)
	got := s.signIn(t, b, s.objectURL("signer", s.object(t, "signer", nil), nil))
	if got.Get("state") != "st-obj" || got.Get("code") == "" {
		t.Fatalf("redirect %v", got)
	}
	tok, err := s.oauth2Config("signer").Exchange(context.Background(), got.Get("code"))
	must(t, err)
	if tok.AccessToken == "" {
		t.Fatal("no access token")
	}
	// A parameter outside the object that the object lacks is ignored, not used.
	got = s.signIn(t, newBrowser(t), s.objectURL("signer", s.object(t, "signer", func(c map[string]any) { delete(c, "state") }),
		url.Values{"state": {"from-the-query"}}))
	if got.Has("state") {
		t.Errorf("the query's state was used: %v", got)
	}
}

// RFC 9101 §10.5: a client registered with require_signed_request_object must sign.
func TestRequestObjectRequired(t *testing.T) {
	s := newServer(t)
	got := newBrowser(t).get(s.authURL("signer", nil)).location(t)
	if got.Get("error") != "invalid_request" || !strings.Contains(got.Get("error_description"), "signed request object") {
		t.Errorf("unsigned request: %v", got)
	}
	resp := s.pushRaw(t, "signer", secret, nil)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unsigned push: %d", resp.StatusCode)
	}
}

// Every refusal is shown on jeton's page (the redirect URI of a bad object is not
// trusted) with invalid_request_object, and nothing is issued: no sign-in starts.
func TestRequestObjectRefusals(t *testing.T) {
	s := newServer(t)
	hs256 := func() string {
		return sign(t, []byte(strings.Repeat("k", 32)), jose.HS256, s.objectClaims("signer"))
	}
	tests := []struct {
		name  string
		obj   func() string
		extra url.Values
		want  string
	}{
		{"signed with another key", func() string { return sign(t, s.strangerKey, jose.ES256, s.objectClaims("signer")) }, nil, "signature does not verify"},
		{"expired", func() string {
			return s.object(t, "signer", func(c map[string]any) { c["exp"] = time.Now().Add(-5 * time.Minute).Unix() })
		}, nil, "expired"},
		{"not yet valid", func() string {
			return s.object(t, "signer", func(c map[string]any) { c["nbf"] = time.Now().Add(10 * time.Minute).Unix() })
		}, nil, "in the future"},
		{"lifetime over an hour", func() string {
			return s.object(t, "signer", func(c map[string]any) { c["exp"] = time.Now().Add(2 * time.Hour).Unix() })
		}, nil, "lifetime"},
		{"no exp", func() string { return s.object(t, "signer", func(c map[string]any) { delete(c, "exp") }) }, nil, "exp is missing"},
		{"no jti", func() string { return s.object(t, "signer", func(c map[string]any) { delete(c, "jti") }) }, nil, "jti is missing"},
		{"aud another server", func() string {
			return s.object(t, "signer", func(c map[string]any) { c["aud"] = "https://other.example" })
		}, nil, "aud"},
		{"iss another client", func() string { return s.object(t, "signer", func(c map[string]any) { c["iss"] = "web" }) }, nil, "iss"},
		{"client_id another client", func() string { return s.object(t, "signer", func(c map[string]any) { c["client_id"] = "web" }) }, nil, "client_id"},
		{"query contradicts the object", func() string { return s.object(t, "signer", nil) }, url.Values{"redirect_uri": {"https://app.example/other"}}, "contradicts"},
		{"query scope contradicts", func() string { return s.object(t, "signer", nil) }, url.Values{"scope": {"openid accounts"}}, "contradicts"},
		{"HS256", hs256, nil, "not allowed"},
		{"alg none", func() string {
			hdr := `{"alg":"none","typ":"oauth-authz-req+jwt"}`
			b, _ := json.Marshal(s.objectClaims("signer"))
			return b64(hdr) + "." + b64(string(b)) + "."
		}, nil, "not allowed"},
		{"nested request_uri", func() string {
			return s.object(t, "signer", func(c map[string]any) { c["request_uri"] = "urn:ietf:params:oauth:request-uri:x" })
		}, nil, "must not be inside"},
		{"claims parameter", func() string {
			return s.object(t, "signer", func(c map[string]any) { c["claims"] = map[string]any{"userinfo": nil} })
		}, nil, "claims parameter"},
		{"boolean parameter", func() string { return s.object(t, "signer", func(c map[string]any) { c["prompt"] = true }) }, nil, "must be a string"},
		{"another kind of JWT", func() string {
			sig, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: s.signerKey}, (&jose.SignerOptions{}).WithType("at+jwt"))
			raw, _ := jwt.Signed(sig).Claims(s.objectClaims("signer")).Serialize()
			return raw
		}, nil, "typ"},
		{"encrypted", func() string { return "a.b.c.d.e" }, nil, "encrypted"},
		{"malformed", func() string { return "not-a-jwt" }, nil, "compact serialization"},
		{"oversized", func() string { return strings.Repeat("A", 20<<10) + ".e30.sig" }, nil, "compact serialization"},
		{"with a request_uri", func() string { return s.object(t, "signer", nil) }, url.Values{"request_uri": {"urn:ietf:params:oauth:request-uri:abc"}}, "cannot both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newBrowser(t).get(s.objectURL("signer", tt.obj(), tt.extra))
			if p.status != http.StatusBadRequest || !strings.Contains(p.body, tt.want) || p.isLogin() {
				t.Fatalf("status %d, want 400 with %q:\n%s", p.status, tt.want, p.body)
			}
			if len(p.header.Values("Set-Cookie")) != 0 {
				t.Error("a refused request started a session")
			}
		})
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// A request object is single-use (its jti, one atomic store call): the second
// presentation is refused, and reported as a replay.
func TestRequestObjectReplay(t *testing.T) {
	s := newServer(t)
	u := s.objectURL("signer", s.object(t, "signer", nil), nil)
	if p := newBrowser(t).get(u); !p.isLogin() {
		t.Fatalf("first use: %d\n%s", p.status, p.body)
	}
	p := newBrowser(t).get(u)
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "used before") {
		t.Fatalf("replay: %d\n%s", p.status, p.body)
	}
	if n := len(s.events.Of(jeton.EventReplayRefused, jeton.EventReasonRequestObject)); n != 1 {
		t.Errorf("%d replay events, want 1", n)
	}
}

// RFC 9126 §3: a request object pushed to PAR; the request_uri then counts as signed.
func TestRequestObjectAtPAR(t *testing.T) {
	s := newServer(t)
	uri := s.push(t, "signer", url.Values{"request": {s.object(t, "signer", nil)}, "response_type": nil, "redirect_uri": nil, "scope": nil, "code_challenge": nil, "code_challenge_method": nil})
	p := newBrowser(t).get(s.url + oidc.AuthorizePath + "?" + url.Values{"client_id": {"signer"}, "request_uri": {uri}}.Encode())
	if !p.isLogin() {
		t.Fatalf("pushed signed request: %d\n%s", p.status, p.body)
	}
	resp := s.pushRaw(t, "signer", secret, url.Values{"request": {sign(t, s.strangerKey, jose.ES256, s.objectClaims("signer"))}})
	var e struct{ Error, ErrorDescription string }
	must(t, json.NewDecoder(resp.Body).Decode(&e))
	if resp.StatusCode != http.StatusBadRequest || e.Error != "invalid_request_object" {
		t.Errorf("push with another key's object: %d %+v", resp.StatusCode, e)
	}
	// An object of another client, pushed by this one, is refused.
	resp = s.pushRaw(t, "web", secret, url.Values{"request": {s.object(t, "signer", nil)}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("web pushed signer's object: %d", resp.StatusCode)
	}
}
