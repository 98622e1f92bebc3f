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

// nothingStored fails the test on any write: the issuer must refuse before it starts a
// refresh family or stores a token.
type nothingStored struct{ t *testing.T }

func (n nothingStored) CreateRefreshFamily(context.Context, jeton.RefreshFamily, jeton.RefreshToken) error {
	n.t.Error("a refresh family was started for a refused client")
	return nil
}
func (n nothingStored) RevokeRefreshFamily(context.Context, string, time.Time) error { return nil }
func (n nothingStored) CreateAccessToken(context.Context, jeton.AccessToken) error {
	n.t.Error("an access token was stored for a refused client")
	return nil
}

// TestIssuerFAPI2SigningAlg: whatever path reaches the issuers, a FAPI 2.0 client whose
// signing_alg is RS256 gets no token signed (FAPI 2.0 §5.4): neither access nor ID
// token, in either format, and nothing is stored; the same client without the profile
// gets its RS256 tokens.
func TestIssuerFAPI2SigningAlg(t *testing.T) {
	ctx := context.Background()
	s := sqlitetest.New(t)
	km := keys.NewManager(s, make([]byte, 32), keys.Config{Algs: []string{"ES256", "RS256"}})
	if err := km.Load(ctx); err != nil {
		t.Fatal(err)
	}
	signer := func(alg string) (token.Signer, error) { return km.Signer(alg) }
	ids := &token.IDTokenIssuer{Issuer: "https://as.example", Signer: signer}
	iss := &token.Issuer{Issuer: "https://as.example", Audience: []string{"https://api.example"}, Signer: signer,
		AccessTokens: nothingStored{t}, RefreshFamilies: nothingStored{t}, IDTokens: ids}
	alice := jeton.Customer{ID: "alice"}
	authz := func() *token.Authorization {
		return &token.Authorization{Subject: "alice", InstitutionID: "bank", Scope: []string{"openid"}, Refresh: true,
			OpenID: &token.OpenIDRequest{Customer: alice}}
	}
	for _, c := range []jeton.Client{
		{ID: "own", Profile: fapi2.Name, SigningAlg: "RS256", TokenFormat: jeton.FormatJWT, AccessTokenTTL: time.Minute},
		{ID: "inherits", InstitutionProfile: fapi2.Name, SigningAlg: "RS256", TokenFormat: jeton.FormatOpaque, AccessTokenTTL: time.Minute},
	} {
		res, err := iss.Issue(ctx, &token.ClientRequest{Client: &c, Now: time.Now()}, authz())
		if e := jeton.AsError(err); res != nil || e.Code != jeton.CodeUnauthorizedClient || !strings.Contains(e.Description, "FAPI 2.0: the client's tokens must be signed") {
			t.Errorf("%s: Issue gave %+v, %v", c.ID, res, err)
		}
		tok, err := ids.IDToken(token.IDTokenParams{Client: &c, Customer: &alice, IssuedAt: time.Now()})
		if e := jeton.AsError(err); tok != "" || e.Code != jeton.CodeUnauthorizedClient {
			t.Errorf("%s: IDToken gave %q, %v", c.ID, tok, err)
		}
	}
	plain := jeton.Client{ID: "plain", SigningAlg: "RS256", TokenFormat: jeton.FormatJWT, AccessTokenTTL: time.Minute}
	iss.RefreshFamilies = s
	res, err := iss.Issue(ctx, &token.ClientRequest{Client: &plain, Now: time.Now()}, &token.Authorization{Subject: "plain", InstitutionID: "bank"})
	if err != nil {
		t.Fatalf("a client without the profile: %v", err)
	}
	if _, err := jwt.ParseSigned(res.AccessToken, []jose.SignatureAlgorithm{jose.RS256}); err != nil {
		t.Fatalf("a client without the profile: its access token is not RS256: %v", err)
	}
}
