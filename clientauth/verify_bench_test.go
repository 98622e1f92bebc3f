package clientauth_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/clientcache"
	"github.com/jeton/jeton/sqlite/sqlitetest"
)

// BenchmarkAuthenticateRS256 is what a private_key_jwt request spends on its
// assertion before the replay record (which it does not write): the dialect's peek at
// sub, then Authenticate (a cached client, its parsed keys, the JWS and its claims).
// "rsa-only" is the RS256 verification alone, the part no server can avoid.
func BenchmarkAuthenticateRS256(b *testing.B) {
	testKeys(b)
	ctx := context.Background()
	s := sqlitetest.New(b)
	now := time.Now()
	if err := s.CreateInstitution(ctx, jeton.Institution{ID: "inst", Name: "Bank", CreatedAt: now, UpdatedAt: now}); err != nil {
		b.Fatal(err)
	}
	if err := s.CreateClient(ctx, jeton.Client{ID: "rs-client", InstitutionID: "inst", Name: "rs", Status: jeton.ClientActive,
		AuthMethod: jeton.AuthPrivateKey, PublicKeys: []jeton.ClientKey{pemKey(b, rsaA.Public())}, Institutions: []string{"inst"},
		Grants: []string{jeton.GrantClientCredentials}, Scopes: []string{"a"}, TokenFormat: jeton.FormatJWT,
		AccessTokenTTL: time.Hour, SigningAlg: "ES256", CreatedAt: now, UpdatedAt: now}); err != nil {
		b.Fatal(err)
	}
	a, err := clientauth.NewAssertion(clientauth.AssertionConfig{Audiences: []string{tokenURL}, Replay: s,
		Keys: clientauth.NewKeys(clientauth.KeysConfig{})})
	if err != nil {
		b.Fatal(err)
	}
	auth := &clientauth.Authenticator{Clients: clientcache.New(s, time.Minute, time.Now), Now: time.Now,
		Methods: map[jeton.AuthMethod]clientauth.Method{jeton.AuthPrivateKey: a}}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: rsaA}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		b.Fatal(err)
	}
	assertion, err := jwt.Signed(signer).Claims(jwt.Claims{Issuer: "rs-client", Subject: "rs-client",
		Audience: jwt.Audience{tokenURL}, IssuedAt: jwt.NewNumericDate(now),
		Expiry: jwt.NewNumericDate(now.Add(time.Hour)), ID: jeton.NewID()}).Serialize()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("peek+authenticate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			cred := clientauth.Credentials{Presented: clientauth.PresentedAssertion, Assertion: assertion,
				AssertionType: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}
			id, err := cred.PeekClientID()
			if err != nil {
				b.Fatal(err)
			}
			cred.ClientID = id
			if _, _, err := auth.Authenticate(ctx, cred); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rsa-only", func(b *testing.B) {
		jws, err := jose.ParseSignedCompact(assertion, []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			b.Fatal(err)
		}
		sig := jws.Signatures[0].Signature
		input := assertion[:strings.LastIndexByte(assertion, '.')]
		for b.Loop() {
			d := sha256.Sum256([]byte(input))
			if err := rsa.VerifyPKCS1v15(&rsaA.PublicKey, crypto.SHA256, d[:], sig); err != nil {
				b.Fatal(err)
			}
		}
	})
}
