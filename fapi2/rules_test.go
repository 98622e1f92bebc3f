package fapi2_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/fapi2"
	"github.com/jeton/jeton/token"
)

func jws(header string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(header)) + ".e30.c2ln"
}

func fapiClient(m jeton.AuthMethod) *jeton.Client {
	return &jeton.Client{ID: "c", AuthMethod: m, Profile: fapi2.Name, SigningAlg: "ES256"}
}

// signingWith is a private_key_jwt FAPI 2.0 client whose tokens jeton signs with alg.
func signingWith(alg string) *jeton.Client {
	c := fapiClient(jeton.AuthPrivateKey)
	c.SigningAlg = alg
	return c
}

// TestApplies: the client's own profile wins; "" follows the institution's default.
func TestApplies(t *testing.T) {
	for _, c := range []struct {
		own, inst string
		want      bool
	}{{"", "", false}, {"fapi2", "", true}, {"", "fapi2", true}, {"fapi2", "fapi2", true}} {
		if got := fapi2.Applies(&jeton.Client{Profile: c.own, InstitutionProfile: c.inst}); got != c.want {
			t.Errorf("own %q institution %q: %v, want %v", c.own, c.inst, got, c.want)
		}
	}
	for p, want := range map[string]bool{"": true, "fapi2": true, "FAPI2": false, "fapi1": false, " fapi2": false} {
		if fapi2.Valid(p) != want {
			t.Errorf("Valid(%q) = %v", p, !want)
		}
	}
}

// TestCodeLifetime: §5.3.2.1 wants codes valid at most 60 s; jeton's codes live
// token.CodeTTL for every client.
func TestCodeLifetime(t *testing.T) {
	if token.CodeTTL > fapi2.MaxCodeTTL {
		t.Fatalf("token.CodeTTL %v exceeds FAPI 2.0's %v", token.CodeTTL, fapi2.MaxCodeTTL)
	}
}

// TestTokenRules covers CheckToken's refusals, including headers a stranger can
// forge: malformed, oversized, missing alg, alg of the wrong type, none, HMAC.
func TestTokenRules(t *testing.T) {
	bound := jeton.Confirmation{JKT: "k"}
	good := jws(`{"alg":"ES256"}`)
	for name, c := range map[string]struct {
		client *jeton.Client
		tok    fapi2.Token
		code   jeton.Code
	}{
		"secret basic":       {fapiClient(jeton.AuthSecretBasic), fapi2.Token{Confirmation: bound}, jeton.CodeInvalidClient},
		"client_secret_jwt":  {fapiClient(jeton.AuthSecretJWT), fapi2.Token{Confirmation: bound}, jeton.CodeInvalidClient},
		"public client":      {fapiClient(jeton.AuthNone), fapi2.Token{Confirmation: bound}, jeton.CodeInvalidClient},
		"assertion RS256":    {fapiClient(jeton.AuthPrivateKey), fapi2.Token{Assertion: jws(`{"alg":"RS256"}`), Confirmation: bound}, jeton.CodeInvalidClient},
		"assertion HS256":    {fapiClient(jeton.AuthPrivateKey), fapi2.Token{Assertion: jws(`{"alg":"HS256"}`), Confirmation: bound}, jeton.CodeInvalidClient},
		"assertion none":     {fapiClient(jeton.AuthPrivateKey), fapi2.Token{Assertion: jws(`{"alg":"none"}`), Confirmation: bound}, jeton.CodeInvalidClient},
		"assertion no alg":   {fapiClient(jeton.AuthPrivateKey), fapi2.Token{Assertion: jws(`{"kid":"k"}`), Confirmation: bound}, jeton.CodeInvalidClient},
		"assertion alg type": {fapiClient(jeton.AuthPrivateKey), fapi2.Token{Assertion: jws(`{"alg":["ES256"]}`), Confirmation: bound}, jeton.CodeInvalidClient},
		"assertion garbage":  {fapiClient(jeton.AuthPrivateKey), fapi2.Token{Assertion: "!!!.e30.x", Confirmation: bound}, jeton.CodeInvalidClient},
		"assertion no dot":   {fapiClient(jeton.AuthPrivateKey), fapi2.Token{Assertion: "abc", Confirmation: bound}, jeton.CodeInvalidClient},
		"assertion huge":     {fapiClient(jeton.AuthPrivateKey), fapi2.Token{Assertion: strings.Repeat("A", 5000) + ".e30.x", Confirmation: bound}, jeton.CodeInvalidClient},
		"proof ES384":        {fapiClient(jeton.AuthPrivateKey), fapi2.Token{Assertion: good, DPoPProofs: []string{jws(`{"alg":"ES384"}`)}, Confirmation: bound}, jeton.CodeInvalidDPoPProof},
		"second proof RS256": {fapiClient(jeton.AuthPrivateKey), fapi2.Token{Assertion: good, DPoPProofs: []string{good, jws(`{"alg":"RS256"}`)}, Confirmation: bound}, jeton.CodeInvalidDPoPProof},
		"password grant":     {fapiClient(jeton.AuthPrivateKey), fapi2.Token{GrantType: jeton.GrantPassword, Assertion: good, Confirmation: bound}, jeton.CodeUnauthorizedClient},
		"signing_alg RS256":  {signingWith("RS256"), fapi2.Token{Assertion: good, Confirmation: bound}, jeton.CodeUnauthorizedClient},
		"signing_alg empty":  {signingWith(""), fapi2.Token{Assertion: good, Confirmation: bound}, jeton.CodeUnauthorizedClient},
		"signing_alg HS256":  {signingWith("HS256"), fapi2.Token{Assertion: good, Confirmation: bound}, jeton.CodeUnauthorizedClient},
		"bearer":             {fapiClient(jeton.AuthPrivateKey), fapi2.Token{Assertion: good}, jeton.CodeInvalidRequest},
		"mTLS unbound":       {fapiClient(jeton.AuthTLSClient), fapi2.Token{}, jeton.CodeInvalidRequest},
	} {
		e := fapi2.CheckToken(c.client, c.tok)
		if e == nil || e.Code != c.code || !strings.HasPrefix(e.Description, "FAPI 2.0: ") {
			t.Errorf("%s: %v, want %s naming FAPI 2.0", name, e, c.code)
		}
	}
	for name, c := range map[string]struct {
		client *jeton.Client
		tok    fapi2.Token
	}{
		"private_key_jwt ES256 DPoP": {fapiClient(jeton.AuthPrivateKey), fapi2.Token{Assertion: good, DPoPProofs: []string{jws(`{"alg":"EdDSA","typ":"dpop+jwt"}`)}, Confirmation: bound}},
		"PS256":                      {fapiClient(jeton.AuthPrivateKey), fapi2.Token{Assertion: jws(`{"alg":"PS256"}`), Confirmation: bound}},
		"signing_alg PS256":          {signingWith("PS256"), fapi2.Token{Assertion: good, Confirmation: bound}},
		"signing_alg EdDSA":          {signingWith("EdDSA"), fapi2.Token{Assertion: good, Confirmation: bound}},
		"not FAPI, signing RS256":    {&jeton.Client{AuthMethod: jeton.AuthPrivateKey, SigningAlg: "RS256"}, fapi2.Token{Assertion: jws(`{"alg":"RS256"}`)}},
		"tls_client_auth":            {fapiClient(jeton.AuthTLSClient), fapi2.Token{Confirmation: jeton.Confirmation{X5TS256: "x"}}},
		"self_signed":                {fapiClient(jeton.AuthSelfSignedTLS), fapi2.Token{Confirmation: jeton.Confirmation{X5TS256: "x"}}},
		"not a FAPI client":          {&jeton.Client{AuthMethod: jeton.AuthSecretBasic}, fapi2.Token{}},
	} {
		if e := fapi2.CheckToken(c.client, c.tok); e != nil {
			t.Errorf("%s: refused: %v", name, e)
		}
	}
}

// TestAuthorizeAndPushed covers the authorization and PAR endpoints' rules.
func TestAuthorizeAndPushed(t *testing.T) {
	c := fapiClient(jeton.AuthPrivateKey)
	if e := fapi2.Authorize(c, false, "ch"); e == nil || e.Code != jeton.CodeInvalidRequest || !strings.Contains(e.Description, "pushed authorization request required") {
		t.Errorf("without PAR: %v", e)
	}
	if e := fapi2.Authorize(c, true, ""); e == nil || !strings.Contains(e.Description, "PKCE with S256 required") {
		t.Errorf("without PKCE: %v", e)
	}
	if e := fapi2.Authorize(c, true, "ch"); e != nil {
		t.Errorf("PAR with PKCE: %v", e)
	}
	if e := fapi2.Authorize(&jeton.Client{}, false, ""); e != nil {
		t.Errorf("not a FAPI client: %v", e)
	}
	good := jws(`{"alg":"ES256"}`)
	for name, c2 := range map[string]struct {
		p    fapi2.Pushed
		code jeton.Code
	}{
		"object RS256": {fapi2.Pushed{Assertion: good, RequestObject: jws(`{"alg":"RS256"}`), CodeChallenge: "ch"}, jeton.CodeInvalidRequestObject},
		"object none":  {fapi2.Pushed{Assertion: good, RequestObject: jws(`{"alg":"none"}`), CodeChallenge: "ch"}, jeton.CodeInvalidRequestObject},
		"assertion RS": {fapi2.Pushed{Assertion: jws(`{"alg":"RS512"}`), CodeChallenge: "ch"}, jeton.CodeInvalidClient},
		"proof HS256":  {fapi2.Pushed{Assertion: good, DPoPProofs: []string{jws(`{"alg":"HS256"}`)}, CodeChallenge: "ch"}, jeton.CodeInvalidDPoPProof},
		"no PKCE":      {fapi2.Pushed{Assertion: good}, jeton.CodeInvalidRequest},
	} {
		e := fapi2.CheckPushed(c, c2.p)
		if e == nil || e.Code != c2.code || !strings.HasPrefix(e.Description, "FAPI 2.0: ") {
			t.Errorf("%s: %v, want %s", name, e, c2.code)
		}
	}
	if e := fapi2.CheckPushed(fapiClient(jeton.AuthSecretPost), fapi2.Pushed{CodeChallenge: "ch"}); e == nil || e.Code != jeton.CodeInvalidClient {
		t.Errorf("client_secret_post at PAR: %v", e)
	}
	if e := fapi2.CheckPushed(c, fapi2.Pushed{Assertion: good, RequestObject: jws(`{"alg":"PS256"}`), CodeChallenge: "ch"}); e != nil {
		t.Errorf("good pushed request: %v", e)
	}
	// A client whose tokens would be RS256 is refused before anything is stored.
	if e := fapi2.CheckPushed(signingWith("RS256"), fapi2.Pushed{Assertion: good, CodeChallenge: "ch"}); e == nil ||
		e.Code != jeton.CodeUnauthorizedClient || !strings.Contains(e.Description, "FAPI 2.0: the client's tokens must be signed with PS256, ES256 or EdDSA") {
		t.Errorf("signing_alg RS256 at PAR: %v", e)
	}
}

// TestRegistration: the admin API's rule refuses every method but the three allowed,
// the password grant and a token signing alg but the three allowed, each on its field.
func TestRegistration(t *testing.T) {
	for _, m := range []jeton.AuthMethod{jeton.AuthSecretBasic, jeton.AuthSecretPost, jeton.AuthSecretJWT, jeton.AuthNone} {
		if e := fapi2.Registration(fapiClient(m)); e == nil || e.Code != jeton.CodeInvalidRequest || e.Param != "auth_method" {
			t.Errorf("%s: %v", m, e)
		}
		inherits := &jeton.Client{AuthMethod: m, InstitutionProfile: fapi2.Name, SigningAlg: "ES256"}
		if fapi2.Registration(inherits) == nil {
			t.Errorf("%s through the institution default: accepted", m)
		}
	}
	for _, m := range fapi2.AuthMethods {
		if e := fapi2.Registration(fapiClient(m)); e != nil {
			t.Errorf("%s: %v", m, e)
		}
	}
	pw := fapiClient(jeton.AuthPrivateKey)
	pw.Grants = []string{jeton.GrantAuthorizationCode, jeton.GrantPassword}
	if e := fapi2.Registration(pw); e == nil || e.Param != "grants" || !strings.Contains(e.Description, "password") {
		t.Errorf("password grant: %v", e)
	}
	for _, alg := range []string{"RS256", "", "ES384"} {
		e := fapi2.Registration(signingWith(alg))
		if e == nil || e.Code != jeton.CodeInvalidRequest || e.Param != "signing_alg" ||
			!strings.HasPrefix(e.Description, "FAPI 2.0: the client's tokens must be signed with PS256, ES256 or EdDSA") {
			t.Errorf("signing_alg %q: %v", alg, e)
		}
	}
	for _, alg := range fapi2.Algs {
		if e := fapi2.Registration(signingWith(alg)); e != nil {
			t.Errorf("signing_alg %s: %v", alg, e)
		}
	}
	if e := fapi2.Registration(&jeton.Client{AuthMethod: jeton.AuthSecretBasic, SigningAlg: "RS256", Grants: []string{jeton.GrantPassword}}); e != nil {
		t.Errorf("not a FAPI client: %v", e)
	}
}

// TestViolations lists every rule a client breaks, in field order, for the admin API's
// check of an institution's clients before its default becomes fapi2.
func TestViolations(t *testing.T) {
	c := &jeton.Client{AuthMethod: jeton.AuthSecretBasic, Grants: []string{jeton.GrantPassword}, SigningAlg: "RS256", InstitutionProfile: fapi2.Name}
	var fields []string
	for _, e := range fapi2.Violations(c) {
		if e.Code != jeton.CodeInvalidRequest || !strings.HasPrefix(e.Description, "FAPI 2.0: ") {
			t.Errorf("%s: %v", e.Param, e)
		}
		fields = append(fields, e.Param)
	}
	if strings.Join(fields, ",") != "auth_method,grants,signing_alg" {
		t.Errorf("fields %v, want auth_method, grants, signing_alg", fields)
	}
	if v := fapi2.Violations(fapiClient(jeton.AuthPrivateKey)); len(v) != 0 {
		t.Errorf("a conforming client: %v", v)
	}
}

// TestTokenAlg: the issuers' last check refuses a FAPI 2.0 client's RS256 and nothing
// of a client without the profile.
func TestTokenAlg(t *testing.T) {
	if e := fapi2.TokenAlg(signingWith("RS256")); e == nil || e.Code != jeton.CodeUnauthorizedClient {
		t.Errorf("RS256: %v", e)
	}
	inherits := &jeton.Client{InstitutionProfile: fapi2.Name, SigningAlg: "RS256"}
	if fapi2.TokenAlg(inherits) == nil {
		t.Error("RS256 through the institution default: accepted")
	}
	for _, c := range []*jeton.Client{signingWith("ES256"), signingWith("PS256"), signingWith("EdDSA"), {SigningAlg: "RS256"}} {
		if e := fapi2.TokenAlg(c); e != nil {
			t.Errorf("%s (profile %q): %v", c.SigningAlg, c.Profile, e)
		}
	}
}

// TestFutureSkew: FAPI 2.0 §5.3.2.1 caps a FAPI 2.0 client's future iat/nbf at 59 s
// whatever the operator's skew; a smaller skew is kept (even under 10 s: the
// operator's choice, docs/fapi2.md); other clients keep the skew.
func TestFutureSkew(t *testing.T) {
	fapi, inherits, other := fapiClient(jeton.AuthPrivateKey), &jeton.Client{InstitutionProfile: fapi2.Name}, &jeton.Client{}
	for _, c := range []struct {
		client     *jeton.Client
		skew, want time.Duration
	}{
		{fapi, time.Minute, 59 * time.Second},
		{inherits, time.Minute, 59 * time.Second},
		{fapi, 5 * time.Minute, 59 * time.Second},
		{fapi, 30 * time.Second, 30 * time.Second},
		{fapi, 5 * time.Second, 5 * time.Second},
		{other, time.Minute, time.Minute},
		{other, 5 * time.Minute, 5 * time.Minute},
	} {
		if got := fapi2.FutureSkew(c.client, c.skew); got != c.want {
			t.Errorf("profile %q, skew %v: %v, want %v", c.client.EffectiveProfile(), c.skew, got, c.want)
		}
	}
	if fapi2.MaxFuture >= 60*time.Second || fapi2.MaxFuture < 10*time.Second {
		t.Errorf("MaxFuture %v: FAPI 2.0 §5.3.2.1 wants 10 s accepted and 60 s refused", fapi2.MaxFuture)
	}
}
