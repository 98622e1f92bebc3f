package token_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/clientcache"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/sqlite"
	"github.com/jeton/jeton/sqlite/sqlitetest"
	"github.com/jeton/jeton/token"
)

const overlapAud = "https://as.example/oauth2/token"

// overlapFixture is an engine whose client_credentials grant starts refresh families
// (as CardCore's does), with private_key_jwt clients: "app" and "capped" (at most two
// live access tokens).
type overlapFixture struct {
	store  *sqlite.Store
	engine *token.Engine
	key    *ecdsa.PrivateKey
}

func newOverlapFixture(t testing.TB) *overlapFixture {
	t.Helper()
	ctx := context.Background()
	s := sqlitetest.New(t)
	km := keys.NewManager(s, make([]byte, 32), keys.Config{Algs: []string{"ES256"}})
	if err := km.Load(ctx); err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	pub := jeton.ClientKey{Format: jeton.KeyPEM, Data: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}
	a, err := clientauth.NewAssertion(clientauth.AssertionConfig{Audiences: []string{overlapAud}, Replay: s,
		Keys: clientauth.NewKeys(clientauth.KeysConfig{})})
	if err != nil {
		t.Fatal(err)
	}
	e := token.NewEngine(token.EngineConfig{
		Auth: &clientauth.Authenticator{Clients: clientcache.New(s, 0, nil), Now: time.Now,
			Methods: map[jeton.AuthMethod]clientauth.Method{jeton.AuthPrivateKey: a}},
		Grants: []token.Grant{token.ClientCredentials{WithRefresh: true}},
		Issuer: &token.Issuer{Issuer: "https://as.example", Audience: []string{"https://api.example"},
			RefreshFamilies: s, Slots: s,
			Signer: func(alg string) (token.Signer, error) { return km.Signer(alg) }},
	})
	now := time.Now()
	if err := s.CreateInstitution(ctx, jeton.Institution{ID: "bank", Name: "Bank", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	for id, limit := range map[string]int{"app": 0, "capped": 2} {
		err := s.CreateClient(ctx, jeton.Client{
			ID: id, InstitutionID: "bank", Name: id, Status: jeton.ClientActive, AuthMethod: jeton.AuthPrivateKey,
			PublicKeys: []jeton.ClientKey{pub}, Institutions: []string{"bank"},
			Grants: []string{jeton.GrantClientCredentials, jeton.GrantRefreshToken}, Scopes: []string{"a"},
			TokenFormat: jeton.FormatJWT, AccessTokenTTL: 10 * time.Minute, SigningAlg: "ES256",
			MaxActiveTokens: limit, CreatedAt: now, UpdatedAt: now,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return &overlapFixture{store: s, engine: e, key: key}
}

// assertion signs a fresh ES256 client assertion for clientID.
func (f *overlapFixture) assertion(t testing.TB, clientID string) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: f.key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	out, err := jwt.Signed(sig).Claims(jwt.Claims{Issuer: clientID, Subject: clientID, Audience: jwt.Audience{overlapAud},
		Expiry: jwt.NewNumericDate(now.Add(time.Minute)), IssuedAt: jwt.NewNumericDate(now), ID: jeton.NewID()}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (f *overlapFixture) token(clientID, assertion string) (*token.Result, error) {
	return f.engine.Token(context.Background(), token.Request{GrantType: jeton.GrantClientCredentials,
		Credentials: clientauth.Credentials{Presented: clientauth.PresentedAssertion, ClientID: clientID,
			Assertion: assertion, AssertionType: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}})
}

func (f *overlapFixture) families(t *testing.T, clientID string) (all, live int) {
	t.Helper()
	err := f.store.DB().QueryRow(`SELECT count(*), count(*) FILTER (WHERE revoked_at IS NULL)
		FROM refresh_families WHERE client_id = ?`, clientID).Scan(&all, &live)
	if err != nil {
		t.Fatal(err)
	}
	return all, live
}

func wantReplay(t *testing.T, err error) {
	t.Helper()
	e := jeton.AsError(err)
	if e == nil || e.Code != jeton.CodeInvalidClient || e.Reason != jeton.ReasonReplay {
		t.Fatalf("replayed assertion: err = %v, want invalid_client (replay)", err)
	}
}

// A client_credentials request issues while its assertion's replay record commits
// (Engine.Token); a replay is still refused, and the family made for it is revoked.
func TestOverlappedReplayIssuesNothing(t *testing.T) {
	f := newOverlapFixture(t)
	a := f.assertion(t, "app")
	res, err := f.token("app", a)
	if err != nil || res.RefreshToken == "" {
		t.Fatalf("first use: %+v, %v", res, err)
	}
	res, err = f.token("app", a)
	if res != nil {
		t.Fatalf("replay answered %+v", res)
	}
	wantReplay(t, err)
	if all, live := f.families(t, "app"); all != 2 || live != 1 {
		t.Fatalf("families: %d made, %d live; want the replay's made and revoked (2, 1)", all, live)
	}
}

// A capped client waits for the replay record before step 5: a replay must not use up
// one of its token slots.
func TestOverlapKeepsCappedClientsSlots(t *testing.T) {
	f := newOverlapFixture(t)
	a := f.assertion(t, "capped")
	if _, err := f.token("capped", a); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		_, err := f.token("capped", a)
		wantReplay(t, err)
	}
	if _, err := f.token("capped", f.assertion(t, "capped")); err != nil {
		t.Fatalf("second slot taken by a replay: %v", err)
	}
	if all, _ := f.families(t, "capped"); all != 2 {
		t.Fatalf("%d families for the capped client, want 2 (replays start none)", all)
	}
}

// BenchmarkOverlappedClientCredentials is the hot path the overlap is for: a
// private_key_jwt client_credentials request whose grant starts a refresh family
// (CardCore's), on SQLite. Run with -benchmem: the replay record must not add
// allocations.
func BenchmarkOverlappedClientCredentials(b *testing.B) {
	f := newOverlapFixture(b)
	as := make([]string, b.N)
	for i := range as {
		as[i] = f.assertion(b, "app")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := f.token("app", as[i]); err != nil {
			b.Fatal(err)
		}
	}
}
