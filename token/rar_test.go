package token_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/clientcache"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/rar"
	"github.com/jeton/jeton/sqlite/sqlitetest"
	"github.com/jeton/jeton/token"
)

const ccDetails = `[{"type":"account_information","actions":["read_balances"]}]`

// The password grant takes no authorization_details: no customer would have seen
// them. The request is refused in step 3, before any password is checked.
func TestPasswordRefusesAuthorizationDetails(t *testing.T) {
	f := newPasswordFixture(t, pwOptions{})
	req := pwRequest("app", "alice", alicePassword)
	req.AuthorizationDetails = ccDetails
	_, err := f.engine.Token(context.Background(), req)
	if e := jeton.AsError(err); e.Code != jeton.CodeInvalidAuthorizationDetails {
		t.Fatalf("got %v, want invalid_authorization_details", err)
	}
	if n := f.verifies.Load(); n != 0 {
		t.Errorf("%d password checks ran for a refused request", n)
	}
}

// An opaque token keeps its details in the store; introspection returns them (RFC
// 9396 §9.2), as it does a JWT's claim.
func TestOpaqueTokenCarriesAuthorizationDetails(t *testing.T) {
	ctx := context.Background()
	s := sqlitetest.New(t)
	km := keys.NewManager(s, make([]byte, 32), keys.Config{Algs: []string{"ES256"}})
	if err := km.Load(ctx); err != nil {
		t.Fatal(err)
	}
	reg, err := rar.Default()
	if err != nil {
		t.Fatal(err)
	}
	cache := clientcache.New(s, 0, nil)
	e := token.NewEngine(token.EngineConfig{Details: reg,
		Auth: &clientauth.Authenticator{Clients: cache, Now: time.Now,
			Methods: map[jeton.AuthMethod]clientauth.Method{jeton.AuthSecretBasic: clientauth.Secret{Now: time.Now}}},
		Grants: []token.Grant{token.ClientCredentials{}},
		Issuer: &token.Issuer{Issuer: "https://as.example", Audience: []string{"https://api.example"}, AccessTokens: s,
			Signer: func(alg string) (token.Signer, error) { return km.Signer(alg) }},
	})
	now := time.Now()
	if err := s.CreateInstitution(ctx, jeton.Institution{ID: "bank-a", Name: "a", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	for _, format := range []jeton.TokenFormat{jeton.FormatOpaque, jeton.FormatJWT} {
		c := jeton.Client{ID: "robot-" + string(format), InstitutionID: "bank-a", Name: "robot", Status: jeton.ClientActive,
			AuthMethod: jeton.AuthSecretBasic, SecretDigest: jeton.Digest("pw"), Grants: []string{jeton.GrantClientCredentials},
			Scopes: []string{"a"}, DefaultScopes: []string{"a"}, TokenFormat: format, AccessTokenTTL: 10 * time.Minute,
			SigningAlg: "ES256", AuthorizationDetailsTypes: []string{rar.TypeAccountInformation}, CreatedAt: now, UpdatedAt: now}
		if err := s.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
		req := token.Request{GrantType: jeton.GrantClientCredentials, AuthorizationDetails: ccDetails,
			Credentials: clientauth.Credentials{Presented: clientauth.PresentedBasic, ClientID: c.ID, Secret: "pw"}}
		res, err := e.Token(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if string(res.AuthorizationDetails) != ccDetails {
			t.Errorf("%s: result details %s", format, res.AuthorizationDetails)
		}
		intro := &token.Introspector{Issuer: "https://as.example", KeySet: km.KeySet, Store: s, Clients: cache}
		info, err := intro.Introspect(ctx, &c, res.AccessToken, "")
		if err != nil || !info.Active {
			t.Fatalf("%s: introspection %+v %v", format, info, err)
		}
		var got, want any
		_ = json.Unmarshal(info.AuthorizationDetails, &got)
		_ = json.Unmarshal([]byte(ccDetails), &want)
		if g, _ := json.Marshal(got); string(g) != string(mustMarshal(want)) {
			t.Errorf("%s: introspected details %s", format, info.AuthorizationDetails)
		}
		// A type the client is not registered for is refused, and nothing issued.
		req.AuthorizationDetails = `[{"type":"payment_initiation"}]`
		if res, err := e.Token(ctx, req); jeton.AsError(err).Code != jeton.CodeInvalidAuthorizationDetails || res != nil {
			t.Errorf("%s: unregistered type: %v", format, err)
		}
	}
}

func mustMarshal(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
