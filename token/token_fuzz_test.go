package token

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/jeton/jeton"
)

// FuzzParseScope: a scope parameter (RFC 6749 §3.3) is refused with invalid_scope
// naming the parameter, or is at most MaxScopes distinct scope tokens, each taken from
// the input in order; joined again with spaces it parses to the same list.
func FuzzParseScope(f *testing.F) {
	for _, s := range []string{"", "a", "a b", "b a b", "a  b", " a", "a\"b", "a\\b", "é", "a\tb", strings.Repeat("s ", 101) + "s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		scope, err := ParseScope(s)
		if err != nil {
			var e *jeton.Error
			if !errors.As(err, &e) || e.Code != jeton.CodeInvalidScope || e.Param != "scope" || scope != nil {
				t.Fatalf("refusal of %q: %v", s, err)
			}
			return
		}
		if (s == "") != (scope == nil) || len(scope) > MaxScopes {
			t.Fatalf("%q parsed as %q", s, scope)
		}
		fields := strings.Split(s, " ")
		for i, sc := range scope {
			if !ValidScopeToken(sc) || !slices.Contains(fields, sc) || slices.Index(scope, sc) != i {
				t.Fatalf("%q parsed as %q", s, scope)
			}
		}
		if again, err := ParseScope(strings.Join(scope, " ")); err != nil || !slices.Equal(again, scope) {
			t.Fatalf("%q parsed as %q, joined again as %q (%v)", s, scope, again, err)
		}
	})
}

// FuzzPKCE: a code_verifier verifies against its own S256 challenge exactly when it is
// a valid verifier (RFC 7636 §4.1, §4.6), never against a challenge that differs, and
// every challenge S256Challenge makes is one ValidCodeChallenge accepts.
func FuzzPKCE(f *testing.F) {
	for _, v := range []string{"dBjftJeZ4CVP-mJ92K27uhbUJU1p1r_wW1gFWFOEjXk", "short", strings.Repeat("~", 128), strings.Repeat("a", 129), "dBjftJeZ4CVP-mJ92K27uhbUJU1p1r_wW1gFWFOEjX+"} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		c := S256Challenge(v)
		if !ValidCodeChallenge(c) {
			t.Fatalf("S256Challenge(%q) = %q is not a valid challenge", v, c)
		}
		if VerifyPKCE(v, c) != ValidCodeVerifier(v) {
			t.Fatalf("VerifyPKCE(%q, own challenge) = %v, valid verifier %v", v, !ValidCodeVerifier(v), ValidCodeVerifier(v))
		}
		other := []byte(c)
		other[0] ^= 1
		if VerifyPKCE(v, string(other)) {
			t.Fatalf("%q verifies against another challenge %q", v, other)
		}
	})
}

// FuzzCodeChallenge: a code_challenge accepted at the authorization endpoint is the
// canonical base64url (no padding) of a 32-byte SHA-256 (RFC 7636 §4.2), so that some
// verifier's S256Challenge can equal it; a non-canonical spelling of the same bytes
// would let a code be issued that no verifier can ever redeem.
func FuzzCodeChallenge(f *testing.F) {
	for _, c := range []string{"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN",
		"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c=", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM", ""} {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, c string) {
		if !ValidCodeChallenge(c) {
			return
		}
		b, err := base64.RawURLEncoding.DecodeString(c)
		if err != nil || len(b) != 32 || base64.RawURLEncoding.EncodeToString(b) != c {
			t.Fatalf("accepted challenge %q is not the canonical encoding of 32 bytes", c)
		}
	})
}

// FuzzIntrospectJWT: a presented token is an active JWT access token only when it is
// a JWS of one of the access-token algs signed by a published key of that alg, typed
// at+jwt (RFC 9068 §2.1), with this issuer and every claim jeton sets; anything else is
// inactive, never a panic.
func FuzzIntrospectJWT(f *testing.F) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	const iss = "https://as.example"
	pub := jose.JSONWebKey{Key: key.Public(), KeyID: "k1", Algorithm: string(jose.ES256), Use: "sig"}
	i := &Introspector{Issuer: iss, KeySet: func() jose.JSONWebKeySet { return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{pub}} }}
	now := time.Unix(1_900_000_000, 0)
	claims := map[string]any{"iss": iss, "sub": "c", "aud": "https://api.example", "exp": now.Add(time.Hour).Unix(),
		"iat": now.Unix(), "jti": "j", "client_id": "c", "scope": "a b", "institution_id": "i"}
	sign := func(k *ecdsa.PrivateKey, typ string, cl map[string]any) string {
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k}, (&jose.SignerOptions{}).WithType(jose.ContentType(typ)).WithHeader("kid", "k1"))
		if err != nil {
			f.Fatal(err)
		}
		b, _ := json.Marshal(cl)
		jws, err := s.Sign(b)
		if err != nil {
			f.Fatal(err)
		}
		out, _ := jws.CompactSerialize()
		return out
	}
	noJTI := map[string]any{}
	for k, v := range claims {
		if k != "jti" {
			noJTI[k] = v
		}
	}
	f.Add(sign(key, "at+jwt", claims))
	f.Add(sign(key, "JWT", claims))
	f.Add(sign(other, "at+jwt", claims))
	f.Add(sign(key, "application/at+jwt", noJTI))
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, tok string) {
		info := i.findJWT(tok, now)
		if !info.Active {
			if info.ClientID != "" || info.Subject != "" {
				t.Fatalf("inactive answer carries claims: %+v", info)
			}
			return
		}
		jws, err := jose.ParseSignedCompact(tok, accessTokenAlgs)
		if err != nil || len(jws.Signatures) != 1 {
			t.Fatalf("active %q is not one compact JWS: %v", tok, err)
		}
		payload, err := jws.Verify(key.Public())
		typ, _ := jws.Signatures[0].Protected.ExtraHeaders[jose.HeaderType].(string)
		var cl jwtClaims
		switch {
		case err != nil:
			t.Fatalf("active %q does not verify with the published key", tok)
		case !strings.EqualFold(typ, "at+jwt") && !strings.EqualFold(typ, "application/at+jwt"):
			t.Fatalf("active %q is typed %q", tok, typ)
		case json.Unmarshal(payload, &cl) != nil || cl.Issuer != iss || cl.ExpiresAt == nil || cl.JTI == "" || cl.ClientID == "" ||
			cl.Subject == "" || cl.InstitutionID == "" || info.ClientID != cl.ClientID || info.JTI != cl.JTI:
			t.Fatalf("active %q with claims %s as %+v", tok, payload, info)
		}
	})
}
