package clientauth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/postgres"
	"github.com/jeton/jeton/postgres/pgtest"
	"github.com/jeton/jeton/sqlite/sqlitetest"
)

const roIssuer = "https://as.example"

type roWorld struct {
	v      *clientauth.RequestObjects
	client jeton.Client
	key    *ecdsa.PrivateKey
	now    time.Time
}

func newROWorld(t *testing.T, st jeton.Store) *roWorld {
	t.Helper()
	ctx := context.Background()
	w := &roWorld{now: time.Now().Truncate(time.Second)}
	var err error
	if w.key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &w.key.PublicKey, KeyID: "k1"}}})
	w.client = jeton.Client{ID: "app", InstitutionID: "bank", Name: "app", Status: jeton.ClientActive,
		AuthMethod: jeton.AuthSecretBasic, PublicKeys: []jeton.ClientKey{{Format: jeton.KeyJWKS, Data: string(set)}},
		TokenFormat: jeton.FormatJWT, SigningAlg: "ES256", CreatedAt: w.now, UpdatedAt: w.now}
	if err := st.CreateInstitution(ctx, jeton.Institution{ID: "bank", Name: "Bank", CreatedAt: w.now, UpdatedAt: w.now}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateClient(ctx, w.client); err != nil {
		t.Fatal(err)
	}
	w.v, err = clientauth.NewRequestObjects(clientauth.RequestObjectConfig{Issuer: roIssuer, Replay: st,
		Keys: clientauth.NewKeys(clientauth.KeysConfig{}), Now: func() time.Time { return w.now }})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *roWorld) claims() map[string]any {
	return map[string]any{"iss": "app", "aud": roIssuer, "client_id": "app", "jti": jeton.NewID(),
		"iat": w.now.Unix(), "exp": w.now.Add(5 * time.Minute).Unix(), "response_type": "code", "max_age": 300}
}

func signRO(t *testing.T, key any, alg jose.SignatureAlgorithm, typ string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithHeader("kid", "k1")
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestRequestObjectVerify(t *testing.T) {
	w := newROWorld(t, sqlitetest.New(t))
	ctx := context.Background()
	got, err := w.v.Verify(ctx, &w.client, signRO(t, w.key, jose.ES256, "oauth-authz-req+jwt", w.claims()))
	if err != nil {
		t.Fatal(err)
	}
	if got["response_type"] != "code" || got["max_age"] != json.Number("300") {
		t.Errorf("claims %v", got)
	}
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	bad := map[string]func() string{
		"another key": func() string { return signRO(t, edKey, jose.EdDSA, "", w.claims()) },
		"HS256 with a public key's bytes": func() string {
			return signRO(t, []byte("0123456789abcdef0123456789abcdef"), jose.HS256, "", w.claims())
		},
		"typ dpop+jwt": func() string { return signRO(t, w.key, jose.ES256, "dpop+jwt", w.claims()) },
		"expired": func() string {
			c := w.claims()
			c["exp"] = w.now.Add(-2 * time.Minute).Unix()
			return signRO(t, w.key, jose.ES256, "", c)
		},
		"aud as the token endpoint": func() string {
			c := w.claims()
			c["aud"] = roIssuer + "/oauth2/token"
			return signRO(t, w.key, jose.ES256, "", c)
		},
		"lifetime over the bound": func() string {
			c := w.claims()
			c["exp"] = w.now.Add(61 * time.Minute).Unix()
			return signRO(t, w.key, jose.ES256, "", c)
		},
		"oversized jti": func() string {
			c := w.claims()
			c["jti"] = strings.Repeat("j", 300)
			return signRO(t, w.key, jose.ES256, "", c)
		},
	}
	for name, obj := range bad {
		if _, err := w.v.Verify(ctx, &w.client, obj()); err == nil || jeton.AsError(err).Code != jeton.CodeInvalidRequestObject {
			t.Errorf("%s: %v, want invalid_request_object", name, err)
		}
	}
	noKeys := w.client
	noKeys.PublicKeys = nil
	if _, err := w.v.Verify(ctx, &noKeys, signRO(t, w.key, jose.ES256, "", w.claims())); err == nil {
		t.Error("a client without keys had an object accepted")
	}
}

// The jti is single-use across replicas: N verifications of one object racing on one
// store (one atomic UseAssertionID each), exactly one wins; and it does not collide
// with a client assertion of the same jti.
func TestRequestObjectJTIRaceSQLite(t *testing.T) { jtiRace(t, sqlitetest.New(t)) }

func TestRequestObjectJTIRacePostgres(t *testing.T) {
	ctx := context.Background()
	st, err := postgres.Open(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	jtiRace(t, st)
}

func jtiRace(t *testing.T, st jeton.Store) {
	w := newROWorld(t, st)
	ctx := context.Background()
	c := w.claims()
	obj := signRO(t, w.key, jose.ES256, "", c)
	exp := time.Unix(c["exp"].(int64), 0)
	// A client assertion with the same jti and expiry was used first: another JWT.
	if err := st.UseAssertionID(ctx, "app", c["jti"].(string), exp.Add(time.Minute), w.now); err != nil {
		t.Fatal(err)
	}
	const n = 16
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, replays := 0, 0
	for range n {
		wg.Go(func() {
			_, err := w.v.Verify(ctx, &w.client, obj)
			mu.Lock()
			defer mu.Unlock()
			switch pe := jeton.AsError(err); {
			case err == nil:
				wins++
			case pe.Code == jeton.CodeInvalidRequestObject && pe.Reason == jeton.ReasonReplay:
				replays++
			default:
				t.Errorf("unexpected: %v", err)
			}
		})
	}
	wg.Wait()
	if wins != 1 || replays != n-1 {
		t.Fatalf("%d accepted, %d refused as replays; want 1 and %d", wins, replays, n-1)
	}
}
