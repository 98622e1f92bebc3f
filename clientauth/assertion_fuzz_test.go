package clientauth_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
)

// fuzzWebsite is the iss the Profile below requires (CardCore's rule).
const fuzzWebsite = "https://fintech.example"

// cardcoreClaims are claims as CardCore's guide writes them: quoted dates, no jti.
type cardcoreClaims struct {
	Iss string `json:"iss"`
	Sub string `json:"sub"`
	Aud string `json:"aud"`
	Iat string `json:"iat"`
	Exp string `json:"exp"`
}

// verifiedBy reports whether assertion is a JWS of alg whose signature verifies with
// one of keys, and returns its claims: the check of an accepted assertion made with
// go-jose alone, apart from the code under test.
func verifiedBy(assertion string, alg jose.SignatureAlgorithm, keys ...any) (map[string]any, bool) {
	tok, err := jwt.ParseSigned(assertion, []jose.SignatureAlgorithm{alg})
	if err != nil {
		return nil, false
	}
	for _, k := range keys {
		var cl map[string]any
		if tok.Claims(k, &cl) == nil {
			return cl, true
		}
	}
	return nil, false
}

// FuzzAssertion: a client assertion (RFC 7523 §2.2) for a private_key_jwt client (ES256
// JWK, RS256 PEM), a client_secret_jwt client (HS256, current and previous secret) or
// under CardCore's Profile is refused with invalid_client (401; the one answer, or the
// Profile's stated cause), never a server error; or it is one whose signature verifies
// with that client's own key (checked with go-jose alone), for an alg the method allows,
// with sub the client, iss the client (the Profile's website), an aud of this server
// and an exp not yet past. Nothing is written: the replay record stays pending.
func FuzzAssertion(f *testing.F) {
	fx := newFixtureWith(f, nil)
	now := fx.clock()
	profile, err := clientauth.NewAssertion(clientauth.AssertionConfig{
		Audiences: []string{tokenURL}, Now: fx.clock, Replay: fx.store, Keys: clientauth.NewKeys(clientauth.KeysConfig{Now: fx.clock}),
		Profile: &clientauth.Profile{Issuer: func(context.Context, *jeton.Client, clientauth.Credentials) (string, error) {
			return fuzzWebsite, nil
		}},
	})
	if err != nil {
		f.Fatal(err)
	}
	cc := cardcoreClaims{Iss: fuzzWebsite, Sub: "es-client", Aud: tokenURL,
		Iat: "1904281689", Exp: "1904281989"} // now and now + 5 min as quoted epoch seconds
	if cc.Iat != "1904281689" || now.Unix() != 1904281689 {
		f.Fatalf("the fixture's clock moved (%d): update the CardCore seed", now.Unix())
	}
	old := valid("hs-client", now)
	f.Add(uint8(0), sign(f, jose.ES256, ecA, "ec-1", nil, valid("es-client", now)))
	f.Add(uint8(0), sign(f, jose.ES256, ecA, "", map[jose.HeaderKey]any{"crit": []string{"exp"}}, valid("es-client", now)))
	f.Add(uint8(1), sign(f, jose.RS256, rsaA, "", nil, valid("rs-client", now)))
	f.Add(uint8(1), sign(f, jose.PS256, rsaA, "", nil, valid("rs-client", now)))
	f.Add(uint8(1), sign(f, jose.HS256, []byte("the RSA public key as an HMAC key, 32+ bytes"), "", nil, valid("rs-client", now)))
	f.Add(uint8(2), sign(f, jose.HS256, []byte(fx.secret), "", nil, valid("hs-client", now)))
	f.Add(uint8(2), sign(f, jose.HS256, []byte(fx.old), "", nil, old))
	f.Add(uint8(3), sign(f, jose.ES256, ecA, "", nil, cc))
	f.Add(uint8(3), "eyJhbGciOiJub25lIn0.eyJzdWIiOiJlcy1jbGllbnQifQ.")
	type target struct {
		client string
		alg    []jose.SignatureAlgorithm
		keys   []any
		iss    string
	}
	targets := []target{
		{"es-client", []jose.SignatureAlgorithm{jose.ES256}, []any{ecA.Public()}, "es-client"},
		{"rs-client", []jose.SignatureAlgorithm{jose.RS256, jose.PS256}, []any{rsaA.Public()}, "rs-client"},
		{"hs-client", []jose.SignatureAlgorithm{jose.HS256}, []any{[]byte(fx.secret), []byte(fx.old)}, "hs-client"},
		{"es-client", []jose.SignatureAlgorithm{jose.ES256}, []any{ecA.Public()}, fuzzWebsite},
	}
	f.Fuzz(func(t *testing.T, which uint8, assertion string) {
		tg := targets[int(which)%len(targets)]
		ctx := context.Background()
		cred := clientauth.Credentials{Presented: clientauth.PresentedAssertion, ClientID: tg.client, Assertion: assertion,
			AssertionType: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}
		var err error
		if tg.iss == fuzzWebsite {
			c, gerr := fx.store.GetClient(ctx, tg.client)
			if gerr != nil {
				t.Fatal(gerr)
			}
			_, err = profile.Verify(ctx, &c, cred)
		} else {
			_, _, err = fx.auth.Authenticate(ctx, cred)
		}
		if err != nil {
			var e *jeton.Error
			switch {
			case !errors.As(err, &e) || e.Code != jeton.CodeInvalidClient || e.Status != 401:
				t.Fatalf("refusal %v is not invalid_client", err)
			case tg.iss != fuzzWebsite && e.Description != "client authentication failed":
				t.Fatalf("refusal tells more than the one answer: %q", e.Description)
			case tg.iss == fuzzWebsite && !strings.HasPrefix(e.Description, "client assertion: ") && e.Description != "client authentication failed":
				t.Fatalf("Profile refusal %q", e.Description)
			}
			return
		}
		var cl map[string]any
		ok := false
		for _, alg := range tg.alg {
			if cl, ok = verifiedBy(assertion, alg, tg.keys...); ok {
				break
			}
		}
		if !ok {
			t.Fatalf("accepted %q for %s: it does not verify with the client's key", assertion, tg.client)
		}
		aud := cl["aud"]
		if s, isString := aud.(string); isString {
			aud = []any{s}
		}
		auds, _ := aud.([]any)
		exp, err := expiry(cl["exp"])
		switch {
		case cl["sub"] != tg.client || cl["iss"] != tg.iss:
			t.Fatalf("accepted claims %v for %s", cl, tg.client)
		case !slices.ContainsFunc(auds, func(a any) bool { return a == tokenURL || a == issuer }):
			t.Fatalf("accepted aud %v", cl["aud"])
		case err != nil || !exp.After(now.Add(-clientauth.DefaultAssertionSkew)):
			t.Fatalf("accepted exp %v (%v)", cl["exp"], err)
		}
	})
}

// expiry reads exp as a number or, under the Profile, a quoted number.
func expiry(v any) (time.Time, error) {
	switch x := v.(type) {
	case float64:
		return time.Unix(int64(x), 0), nil
	case string:
		sec, err := strconv.ParseFloat(x, 64)
		return time.Unix(int64(sec), 0), err
	}
	return time.Time{}, errors.New("no exp")
}
