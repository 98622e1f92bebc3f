package token_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/clientcache"
	"github.com/jeton/jeton/dialect/wire"
	"github.com/jeton/jeton/dpop"
	"github.com/jeton/jeton/dpop/dpoptest"
	"github.com/jeton/jeton/fapi2"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/sqlite/sqlitetest"
	"github.com/jeton/jeton/token"
)

// untouchable is a grant the engine must never reach: the profile's refusal comes
// before any grant reads or spends anything.
type untouchable struct {
	t   *testing.T
	typ string
}

func (g untouchable) Type() string { return g.typ }
func (g untouchable) Handle(context.Context, *token.ClientRequest) (*token.Authorization, error) {
	g.t.Errorf("the %s grant ran for a request the FAPI 2.0 profile refuses", g.typ)
	return nil, jeton.Errorf(jeton.CodeInvalidGrant, jeton.ReasonNone, "unexpected")
}

// TestEngineFAPI2PasswordGrant: a FAPI 2.0 client that authenticates correctly
// (private_key_jwt, ES256) with a DPoP proof is still refused the password grant
// (FAPI 2.0 §5.3.2.1), before the grant runs.
func TestEngineFAPI2PasswordGrant(t *testing.T) {
	ctx := context.Background()
	s := sqlitetest.New(t)
	km := keys.NewManager(s, make([]byte, 32), keys.Config{Algs: []string{"ES256"}})
	if err := km.Load(ctx); err != nil {
		t.Fatal(err)
	}
	const iss = "https://as.example"
	assertion, err := clientauth.NewAssertion(clientauth.AssertionConfig{Audiences: []string{iss + "/oauth2/token"},
		Replay: s, Keys: clientauth.NewKeys(clientauth.KeysConfig{})})
	if err != nil {
		t.Fatal(err)
	}
	e := token.NewEngine(token.EngineConfig{
		Auth: &clientauth.Authenticator{Clients: clientcache.New(s, 0, nil), Now: time.Now,
			Methods: map[jeton.AuthMethod]clientauth.Method{jeton.AuthPrivateKey: assertion}},
		Grants: []token.Grant{untouchable{t, jeton.GrantPassword}},
		DPoP:   &dpop.Verifier{Replay: s},
		Issuer: &token.Issuer{Issuer: iss, Audience: []string{"https://api.example"},
			Signer: func(alg string) (token.Signer, error) { return km.Signer(alg) }},
	})
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := s.CreateInstitution(ctx, jeton.Institution{ID: "bank", Name: "bank", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateClient(ctx, jeton.Client{ID: "fapi", InstitutionID: "bank", Name: "fapi", Status: jeton.ClientActive,
		AuthMethod: jeton.AuthPrivateKey, Profile: fapi2.Name, Grants: []string{jeton.GrantPassword},
		PublicKeys: []jeton.ClientKey{{Format: jeton.KeyPEM, Data: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}},
		Scopes:     []string{"a"}, DefaultScopes: []string{"a"}, TokenFormat: jeton.FormatJWT, AccessTokenTTL: time.Minute,
		SigningAlg: "ES256", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(sig).Claims(jwt.Claims{Issuer: "fapi", Subject: "fapi", Audience: jwt.Audience{iss + "/oauth2/token"},
		ID: jeton.NewID(), IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Minute))}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	proof := dpoptest.NewKey(t).New("POST", iss+"/oauth2/token", now).Sign(t)
	res, err := e.Token(ctx, token.Request{GrantType: jeton.GrantPassword, Username: "alice", Password: "pw",
		Credentials: clientauth.Credentials{Presented: clientauth.PresentedAssertion, ClientID: "fapi", Assertion: raw,
			AssertionType: wire.JWTBearerAssertion},
		DPoP: dpop.Request{Proofs: []string{proof}, Method: "POST", URI: iss + "/oauth2/token"}})
	pe := jeton.AsError(err)
	if res != nil || pe.Code != jeton.CodeUnauthorizedClient || !strings.Contains(pe.Description, "FAPI 2.0: the resource owner password credentials grant") {
		t.Fatalf("password grant for a FAPI 2.0 client: %+v %v", res, err)
	}
}
