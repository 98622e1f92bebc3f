package token_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/clientcache"
	"github.com/jeton/jeton/internal/tracing"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/sqlite"
	"github.com/jeton/jeton/sqlite/sqlitetest"
	"github.com/jeton/jeton/token"
)

// policyFunc adapts a function to token.Policy.
type policyFunc func(context.Context, *token.ClientRequest) error

func (f policyFunc) Check(ctx context.Context, r *token.ClientRequest) error { return f(ctx, r) }

type fixture struct {
	store  *sqlite.Store
	engine *token.Engine
	keys   *keys.Manager
}

func newFixture(t *testing.T, policies ...token.Policy) *fixture {
	t.Helper()
	return newTracedFixture(t, nil, policies...)
}

// newTracedFixture is newFixture with an engine that makes spans with tr.
func newTracedFixture(t *testing.T, tr *tracing.Tracer, policies ...token.Policy) *fixture {
	t.Helper()
	ctx := context.Background()
	s := sqlitetest.New(t)
	km := keys.NewManager(s, make([]byte, 32), keys.Config{Algs: []string{"ES256"}})
	if err := km.Load(ctx); err != nil {
		t.Fatal(err)
	}
	sec := clientauth.Secret{Now: time.Now}
	e := token.NewEngine(token.EngineConfig{
		Auth: &clientauth.Authenticator{Clients: clientcache.New(s, 0, nil), Now: time.Now,
			Methods: map[jeton.AuthMethod]clientauth.Method{jeton.AuthSecretBasic: sec}},
		Grants:   []token.Grant{token.ClientCredentials{}},
		Policies: policies,
		Tracer:   tr,
		Issuer: &token.Issuer{Issuer: "https://as.example", Audience: []string{"https://api.example"},
			Signer: func(alg string) (token.Signer, error) { return km.Signer(alg) }},
	})
	now := time.Now()
	for _, id := range []string{"bank-a", "bank-b", "bank-c"} {
		if err := s.CreateInstitution(ctx, jeton.Institution{ID: id, Name: id, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	err := s.CreateClient(ctx, jeton.Client{
		ID: "partner", InstitutionID: "bank-a", Name: "partner", Status: jeton.ClientActive, AuthMethod: jeton.AuthSecretBasic,
		SecretDigest: jeton.Digest("pw"), Institutions: []string{"bank-a", "bank-b"}, Grants: []string{jeton.GrantClientCredentials},
		Scopes: []string{"a", "b", "c"}, DefaultScopes: []string{"a"}, TokenFormat: jeton.FormatJWT,
		AccessTokenTTL: 10 * time.Minute, SigningAlg: "ES256", CreatedAt: now, UpdatedAt: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{store: s, engine: e, keys: km}
}

func ccRequest(scope []string, institution string) token.Request {
	return token.Request{GrantType: jeton.GrantClientCredentials, Scope: scope, InstitutionID: institution,
		Credentials: clientauth.Credentials{Presented: clientauth.PresentedBasic, ClientID: "partner", Secret: "pw"}}
}

func TestEngineScopeAndInstitution(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name       string
		req        token.Request
		wantScope  []string
		wantInst   string
		wantErr    jeton.Code
		wantReason jeton.Reason
	}{
		{"default scope, own institution", ccRequest(nil, ""), []string{"a"}, "bank-a", "", ""},
		{"requested subset", ccRequest([]string{"c", "b"}, ""), []string{"c", "b"}, "bank-a", "", ""},
		{"scope outside the allowed set", ccRequest([]string{"a", "z"}, ""), nil, "", jeton.CodeInvalidScope, ""},
		{"partner institution", ccRequest(nil, "bank-b"), []string{"a"}, "bank-b", "", ""},
		{"institution not enabled", ccRequest(nil, "bank-c"), nil, "", jeton.CodeUnauthorizedClient, jeton.ReasonInstitution},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := f.engine.Token(context.Background(), tt.req)
			if tt.wantErr != "" {
				var e *jeton.Error
				if !errors.As(err, &e) || e.Code != tt.wantErr || e.Reason != tt.wantReason {
					t.Fatalf("err = %v, want %s/%s", err, tt.wantErr, tt.wantReason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Scope, tt.wantScope) || res.InstitutionID != tt.wantInst || res.Subject != "partner" {
				t.Errorf("scope %v institution %s subject %s", res.Scope, res.InstitutionID, res.Subject)
			}
			if res.ExpiresIn != 10*time.Minute || res.TokenType != "Bearer" || res.RefreshToken != "" {
				t.Errorf("result %+v", res)
			}
		})
	}
}

// TestEngineOrder: an unknown grant is refused before authentication (it reveals
// nothing); authentication comes before policy, so a policy never sees an
// unauthenticated client; a policy's refusal stops the grant.
func TestEngineOrder(t *testing.T) {
	var seen []string
	f := newFixture(t, policyFunc(func(_ context.Context, r *token.ClientRequest) error {
		seen = append(seen, r.Client.ID)
		if slices.Contains(r.Scope, "b") {
			return jeton.Errorf(jeton.CodeTemporarilyUnavailable, jeton.ReasonNone, "outside working hours")
		}
		return nil
	}))
	ctx := context.Background()
	bad := ccRequest(nil, "")
	bad.Credentials.Secret = "wrong"
	bad.GrantType = "urn:unknown"
	if _, err := f.engine.Token(ctx, bad); jeton.AsError(err).Code != jeton.CodeUnsupportedGrantType {
		t.Errorf("unknown grant with bad credentials: %v", err)
	}
	bad.GrantType = jeton.GrantClientCredentials
	if _, err := f.engine.Token(ctx, bad); jeton.AsError(err).Code != jeton.CodeInvalidClient {
		t.Errorf("bad credentials: %v", err)
	}
	if len(seen) != 0 {
		t.Fatalf("policy ran for an unauthenticated request: %v", seen)
	}
	if _, err := f.engine.Token(ctx, ccRequest([]string{"b"}, "")); jeton.AsError(err).Code != jeton.CodeTemporarilyUnavailable {
		t.Errorf("policy refusal: %v", err)
	}
	if _, err := f.engine.Token(ctx, ccRequest([]string{"a"}, "")); err != nil {
		t.Errorf("policy allows: %v", err)
	}
	if len(seen) != 2 {
		t.Errorf("policy ran %d times, want 2", len(seen))
	}
}

func TestIssuerCapsLifetime(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	capped := token.NewEngine(token.EngineConfig{
		Auth: &clientauth.Authenticator{Clients: clientcache.New(f.store, 0, nil), Now: time.Now,
			Methods: map[jeton.AuthMethod]clientauth.Method{jeton.AuthSecretBasic: clientauth.Secret{Now: time.Now}}},
		Grants: []token.Grant{token.ClientCredentials{}},
		Issuer: &token.Issuer{Issuer: "https://as.example", Audience: []string{"x"}, MaxTTL: time.Minute,
			Signer: func(alg string) (token.Signer, error) { return f.keys.Signer(alg) }},
	})
	res, err := capped.Token(ctx, ccRequest(nil, ""))
	if err != nil {
		t.Fatal(err)
	}
	if res.ExpiresIn != time.Minute {
		t.Errorf("expires_in %v, want the 1m cap below the client's 10m", res.ExpiresIn)
	}
}

func TestEngineUnauthorizedGrant(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c, err := f.store.GetClient(ctx, "partner")
	if err != nil {
		t.Fatal(err)
	}
	c.Grants = []string{jeton.GrantPassword}
	if err := f.store.UpdateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	_, err = f.engine.Token(ctx, ccRequest(nil, ""))
	if e := jeton.AsError(err); e.Code != jeton.CodeUnauthorizedClient || e.Param != "grant_type" {
		t.Errorf("err = %v, want unauthorized_client", err)
	}
}
