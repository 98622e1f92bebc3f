package oauth2_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/clientcache"
	"github.com/jeton/jeton/dialect/oauth2"
	"github.com/jeton/jeton/dialect/wire"
	"github.com/jeton/jeton/httpapi"
	"github.com/jeton/jeton/internal/goldenfile"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/sqlite/sqlitetest"
	"github.com/jeton/jeton/token"
)

// TestAssertionEndToEnd runs private_key_jwt and client_secret_jwt through the real
// engine, store and HTTP stack: a good assertion gets a token, and every bad one gets
// the single invalid_client answer (golden), byte-identical to an unknown client's.
func TestAssertionEndToEnd(t *testing.T) {
	ctx := context.Background()
	store := sqlitetest.New(t)
	kek := make([]byte, keys.KEKSize)
	km := keys.NewManager(store, kek, keys.Config{Algs: []string{"ES256"}})
	if err := km.Load(ctx); err != nil {
		t.Fatal(err)
	}
	const iss = "https://as.example"
	sealer, _ := keys.NewSecretSealer(kek)
	a, err := clientauth.NewAssertion(clientauth.AssertionConfig{
		Audiences: []string{iss, iss + oauth2.TokenPath}, Replay: store,
		Keys: clientauth.NewKeys(clientauth.KeysConfig{}), OpenSecret: sealer.Open,
	})
	if err != nil {
		t.Fatal(err)
	}
	methods := map[jeton.AuthMethod]clientauth.Method{jeton.AuthPrivateKey: a, jeton.AuthSecretJWT: a}
	engine := token.NewEngine(token.EngineConfig{
		Auth:   &clientauth.Authenticator{Clients: clientcache.New(store, 0, nil), Methods: methods, Now: time.Now},
		Grants: []token.Grant{token.ClientCredentials{}},
		Issuer: &token.Issuer{Issuer: iss, Audience: []string{"https://api.example"},
			Signer: func(alg string) (token.Signer, error) { return km.Signer(alg) }},
	})
	d, err := oauth2.New(oauth2.Config{Engine: engine, Issuer: iss, JWKS: km.JWKS, JWKSMaxAge: 300,
		AuthMethods: []jeton.AuthMethod{jeton.AuthPrivateKey, jeton.AuthSecretJWT}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Logger: slog.New(slog.DiscardHandler),
		Ready: func(context.Context) error { return nil }, Mounts: []httpapi.Mount{{Dialect: d}}}))
	defer srv.Close()

	now := time.Now()
	if err := store.CreateInstitution(ctx, jeton.Institution{ID: "inst", Name: "Bank", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(ec.Public())
	secret := jeton.NewSecret()
	sealed, _ := keys.SealSecret(kek, "hs-client", secret)
	for _, c := range []jeton.Client{
		{ID: "pk-client", AuthMethod: jeton.AuthPrivateKey, PublicKeys: []jeton.ClientKey{{Format: jeton.KeyPEM,
			Data: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}}},
		{ID: "hs-client", AuthMethod: jeton.AuthSecretJWT, SecretDigest: jeton.Digest(secret), SecretSealed: sealed},
	} {
		c.InstitutionID, c.Name, c.Status, c.Institutions = "inst", c.ID, jeton.ClientActive, []string{"inst"}
		c.Grants, c.Scopes, c.DefaultScopes = []string{jeton.GrantClientCredentials}, []string{"accounts:read"}, []string{"accounts:read"}
		c.TokenFormat, c.AccessTokenTTL, c.RefreshTokenTTL, c.SigningAlg = jeton.FormatJWT, time.Hour, time.Hour, "ES256"
		c.CreatedAt, c.UpdatedAt = now, now
		if err := store.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	assertion := func(alg jose.SignatureAlgorithm, key any, sub string, mod func(*jwt.Claims)) string {
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, nil)
		if err != nil {
			t.Fatal(err)
		}
		cl := jwt.Claims{Issuer: sub, Subject: sub, Audience: jwt.Audience{iss + oauth2.TokenPath}, ID: jeton.NewID(),
			IssuedAt: jwt.NewNumericDate(time.Now()), Expiry: jwt.NewNumericDate(time.Now().Add(time.Minute))}
		if mod != nil {
			mod(&cl)
		}
		out, err := jwt.Signed(s).Claims(cl).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	post := func(clientID, a string) *http.Response {
		form := url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {wire.JWTBearerAssertion}, "client_assertion": {a}}
		if clientID != "" {
			form.Set("client_id", clientID)
		}
		resp, err := http.PostForm(srv.URL+oauth2.TokenPath, form)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}

	for _, ok := range []struct{ name, client, a string }{
		{"private_key_jwt ES256", "pk-client", assertion(jose.ES256, ec, "pk-client", nil)},
		{"private_key_jwt without client_id", "", assertion(jose.ES256, ec, "pk-client", nil)},
		{"client_secret_jwt HS256", "hs-client", assertion(jose.HS256, []byte(secret), "hs-client", nil)},
	} {
		resp := post(ok.client, ok.a)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"access_token"`) {
			t.Fatalf("%s: %d %s", ok.name, resp.StatusCode, body)
		}
	}

	replayed := assertion(jose.ES256, ec, "pk-client", nil)
	post("pk-client", replayed).Body.Close()
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	bad := []struct{ name, client, a string }{
		{"replayed", "pk-client", replayed},
		{"expired", "pk-client", assertion(jose.ES256, ec, "pk-client", func(c *jwt.Claims) {
			c.Expiry = jwt.NewNumericDate(time.Now().Add(-time.Hour))
			c.IssuedAt = jwt.NewNumericDate(time.Now().Add(-2 * time.Hour))
		})},
		{"wrong key", "pk-client", assertion(jose.ES256, other, "pk-client", nil)},
		{"HS256 for a key client", "pk-client", assertion(jose.HS256, []byte(secret), "pk-client", nil)},
		{"ES256 for a secret client", "hs-client", assertion(jose.ES256, ec, "hs-client", nil)},
		{"wrong audience", "pk-client", assertion(jose.ES256, ec, "pk-client", func(c *jwt.Claims) { c.Audience = jwt.Audience{"https://other.example"} })},
		{"unknown client in sub", "", assertion(jose.ES256, ec, "no-such-client", nil)},
		{"garbled, no client_id", "", "not.a.jws!"},
		{"client_id disagrees with sub", "hs-client", assertion(jose.ES256, ec, "pk-client", nil)},
	}
	var first string
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			got := render(t, post(tt.client, tt.a))
			if first == "" {
				first = got
				goldenfile.Check(t, "error_invalid_client_assertion", got)
			} else if got != first {
				t.Errorf("answer differs from the others:\n%s\nvs\n%s", got, first)
			}
		})
	}
}
