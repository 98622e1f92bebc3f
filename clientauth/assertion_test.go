package clientauth_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/clientcache"
	"github.com/jeton/jeton/internal/eventtest"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/sqlite"
	"github.com/jeton/jeton/sqlite/sqlitetest"
)

const (
	issuer   = "https://as.example"
	tokenURL = "https://as.example/oauth2/token"
)

// Keys are generated once: RSA generation dominates the run time otherwise.
var (
	keysOnce                sync.Once
	rsaA, rsaB, rsaC, rsa1k *rsa.PrivateKey
	ecA, ecOther            *ecdsa.PrivateKey
	edA                     ed25519.PrivateKey
)

func testKeys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		mustRSA := func(bits int) *rsa.PrivateKey {
			if err != nil {
				return nil
			}
			var k *rsa.PrivateKey
			k, err = rsa.GenerateKey(rand.Reader, bits)
			return k
		}
		rsaA, rsaB, rsaC, rsa1k = mustRSA(2048), mustRSA(2048), mustRSA(2048), mustRSA(1024)
		if err != nil {
			panic(err)
		}
		ecA, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		ecOther, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		_, edA, _ = ed25519.GenerateKey(rand.Reader)
	})
}

func pemKey(t testing.TB, pub crypto.PublicKey) jeton.ClientKey {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return jeton.ClientKey{Format: jeton.KeyPEM, Data: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}
}

func certKey(t testing.TB, key crypto.Signer) jeton.ClientKey {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "partner"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return jeton.ClientKey{Format: jeton.KeyX509, Data: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}
}

func jwksOf(t testing.TB, kid string, pub crypto.PublicKey) string {
	t.Helper()
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: pub, KeyID: kid, Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fixture is an Authenticator with the Assertion method over a real SQLite store, a
// real client cache and a real jwks_uri server on loopback.
type fixture struct {
	store   *sqlite.Store
	auth    *clientauth.Authenticator
	now     atomic.Pointer[time.Time]
	kek     []byte
	secret  string // hs-client's current secret
	old     string // hs-client's previous secret, in grace
	jwksHit atomic.Int32
	jwks    atomic.Pointer[string] // what the jwks_uri server serves
	jwksURL string
}

func (f *fixture) clock() time.Time   { return *f.now.Load() }
func (f *fixture) setNow(t time.Time) { f.now.Store(&t) }

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureWith(t, nil)
}

// newFixtureWith is newFixture with the assertion configuration changed by opt.
func newFixtureWith(t testing.TB, opt func(*clientauth.AssertionConfig)) *fixture {
	t.Helper()
	testKeys(t)
	ctx := context.Background()
	f := &fixture{store: sqlitetest.New(t), kek: make([]byte, keys.KEKSize)}
	_, _ = rand.Read(f.kek)
	f.setNow(time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC))

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.jwksHit.Add(1)
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write([]byte(*f.jwks.Load()))
	}))
	t.Cleanup(srv.Close)
	f.jwksURL = srv.URL + "/jwks.json"
	set := jwksOf(t, "ed-1", edA.Public())
	f.jwks.Store(&set)

	now := f.clock()
	if err := f.store.CreateInstitution(ctx, jeton.Institution{ID: "inst", Name: "Bank", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	f.secret, f.old = jeton.NewSecret(), jeton.NewSecret()
	sealedNew, _ := keys.SealSecret(f.kek, "hs-client", f.secret)
	sealedOld, _ := keys.SealSecret(f.kek, "hs-client", f.old)
	add := func(c jeton.Client) {
		t.Helper()
		c.InstitutionID, c.Name, c.Status = "inst", c.ID, jeton.ClientActive
		c.Institutions, c.Grants, c.Scopes = []string{"inst"}, []string{jeton.GrantClientCredentials}, []string{"a"}
		c.TokenFormat, c.AccessTokenTTL, c.RefreshTokenTTL, c.SigningAlg = jeton.FormatJWT, time.Hour, time.Hour, "ES256"
		c.CreatedAt, c.UpdatedAt = now, now
		if err := f.store.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	add(jeton.Client{ID: "rs-client", AuthMethod: jeton.AuthPrivateKey, PublicKeys: []jeton.ClientKey{pemKey(t, rsaA.Public())}})
	add(jeton.Client{ID: "ps-client", AuthMethod: jeton.AuthPrivateKey, PublicKeys: []jeton.ClientKey{certKey(t, rsaB)}})
	add(jeton.Client{ID: "es-client", AuthMethod: jeton.AuthPrivateKey,
		PublicKeys: []jeton.ClientKey{{Format: jeton.KeyJWKS, Data: jwksOf(t, "ec-1", ecA.Public())}}})
	add(jeton.Client{ID: "ed-client", AuthMethod: jeton.AuthPrivateKey, JWKSURI: f.jwksURL})
	add(jeton.Client{ID: "other-client", AuthMethod: jeton.AuthPrivateKey, PublicKeys: []jeton.ClientKey{pemKey(t, rsaC.Public())}})
	add(jeton.Client{ID: "weak-client", AuthMethod: jeton.AuthPrivateKey, PublicKeys: []jeton.ClientKey{pemKey(t, rsa1k.Public())}})
	add(jeton.Client{ID: "hs-client", AuthMethod: jeton.AuthSecretJWT, SecretDigest: jeton.Digest(f.secret),
		SecretSealed: sealedNew, PreviousSecretDigest: jeton.Digest(f.old), PreviousSecretSealed: sealedOld,
		PreviousSecretExpiresAt: now.Add(time.Hour)})

	sealer, err := keys.NewSecretSealer(f.kek)
	if err != nil {
		t.Fatal(err)
	}
	cfg := clientauth.AssertionConfig{
		Audiences: []string{issuer, tokenURL}, Now: f.clock, Replay: f.store,
		Keys:       clientauth.NewKeys(clientauth.KeysConfig{Now: f.clock, AllowHosts: []string{"127.0.0.1"}}), // the in-test jwks_uri
		OpenSecret: sealer.Open,
	}
	if opt != nil {
		opt(&cfg)
	}
	a, err := clientauth.NewAssertion(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.auth = &clientauth.Authenticator{
		Clients: clientcache.New(f.store, 0, nil), Now: f.clock,
		Methods: map[jeton.AuthMethod]clientauth.Method{jeton.AuthPrivateKey: a, jeton.AuthSecretJWT: a},
	}
	return f
}

// claims is an assertion's claim set; the zero fields of a case are filled with
// valid values by assertion().
type claims struct {
	Iss  string `json:"iss,omitempty"`
	Sub  string `json:"sub,omitempty"`
	Aud  any    `json:"aud,omitempty"`
	Exp  *int64 `json:"exp,omitempty"`
	Nbf  *int64 `json:"nbf,omitempty"`
	Iat  *int64 `json:"iat,omitempty"`
	JTI  string `json:"jti,omitempty"`
	Junk string `json:"junk,omitempty"`
}

func unix(t time.Time) *int64 { v := t.Unix(); return &v }

// valid returns a claim set that passes every check for client id at now.
func valid(id string, now time.Time) claims {
	return claims{Iss: id, Sub: id, Aud: tokenURL, Exp: unix(now.Add(5 * time.Minute)), Iat: unix(now), JTI: jeton.NewID()}
}

func sign(t testing.TB, alg jose.SignatureAlgorithm, key any, kid string, extra map[jose.HeaderKey]any, cl any) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	if kid != "" {
		opts.WithHeader("kid", kid)
	}
	for k, v := range extra {
		opts.WithHeader(k, v)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts.WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := jwt.Signed(s).Claims(cl).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// authenticate writes the replay record at once, as every caller but the engine does.
func (f *fixture) authenticate(clientID, assertion string) (*jeton.Client, error) {
	c, rec, err := f.authenticatePending(clientID, assertion)
	if err == nil {
		err = rec.Wait(context.Background())
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

func reasonOf(t *testing.T, err error) jeton.Reason {
	t.Helper()
	var e *jeton.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v; want *jeton.Error", err)
	}
	if e.Code != jeton.CodeInvalidClient || e.Description != "client authentication failed" || e.Status != 401 {
		t.Fatalf("err = %+v; want the one invalid_client answer", e)
	}
	return e.Reason
}

func TestAssertionHappyPaths(t *testing.T) {
	f := newFixture(t)
	now := f.clock()
	tests := []struct {
		name, client string
		alg          jose.SignatureAlgorithm
		key          any
		kid          string
	}{
		{"RS256 PEM key", "rs-client", jose.RS256, rsaA, ""},
		{"PS256 certificate", "ps-client", jose.PS256, rsaB, ""},
		{"RS256 certificate with thumbprint kid", "ps-client", jose.RS256, rsaB, thumb(t, rsaB.Public())},
		{"ES256 JWKS with kid", "es-client", jose.ES256, ecA, "ec-1"},
		{"ES256 JWKS without kid", "es-client", jose.ES256, ecA, ""},
		{"EdDSA jwks_uri", "ed-client", jose.EdDSA, edA, "ed-1"},
		{"HS256 current secret", "hs-client", jose.HS256, []byte(f.secret), ""},
		{"HS256 previous secret within grace", "hs-client", jose.HS256, []byte(f.old), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := sign(t, tt.alg, tt.key, tt.kid, nil, valid(tt.client, now))
			for _, presented := range []string{tt.client, ""} {
				if presented == "" {
					a = sign(t, tt.alg, tt.key, tt.kid, nil, valid(tt.client, now))
					presented, _ = clientauth.PeekClientID(a)
				}
				c, err := f.authenticate(presented, a)
				if err != nil {
					t.Fatalf("authenticate: %v", err)
				}
				if c.ID != tt.client {
					t.Fatalf("authenticated %q, want %q", c.ID, tt.client)
				}
			}
		})
	}
	t.Run("aud as array with the issuer", func(t *testing.T) {
		cl := valid("rs-client", now)
		cl.Aud = []string{"https://elsewhere.example", issuer}
		if _, err := f.authenticate("rs-client", sign(t, jose.RS256, rsaA, "", nil, cl)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("no iat: lifetime counted from now", func(t *testing.T) {
		cl := valid("rs-client", now)
		cl.Iat, cl.Exp = nil, unix(now.Add(59*time.Minute))
		if _, err := f.authenticate("rs-client", sign(t, jose.RS256, rsaA, "", nil, cl)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("clock skew tolerated", func(t *testing.T) {
		cl := valid("rs-client", now)
		cl.Iat, cl.Nbf, cl.Exp = unix(now.Add(50*time.Second)), unix(now.Add(50*time.Second)), unix(now.Add(10*time.Minute))
		if _, err := f.authenticate("rs-client", sign(t, jose.RS256, rsaA, "", nil, cl)); err != nil {
			t.Fatal(err)
		}
		cl = valid("rs-client", now)
		cl.Iat, cl.Exp = unix(now.Add(-10*time.Minute)), unix(now.Add(-50*time.Second))
		if _, err := f.authenticate("rs-client", sign(t, jose.RS256, rsaA, "", nil, cl)); err != nil {
			t.Fatalf("expired 50 s ago, within the 60 s skew: %v", err)
		}
	})
}

func thumb(t testing.TB, pub crypto.PublicKey) string {
	t.Helper()
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(tp)
}

// twoSignatures is a JWS JSON serialization (RFC 7515 §7.2) signed by the client's key
// and another: RFC 7523 wants one JWT, one signature.
func twoSignatures(t *testing.T, cl claims) string {
	t.Helper()
	s, err := jose.NewMultiSigner([]jose.SigningKey{{Algorithm: jose.RS256, Key: rsaA}, {Algorithm: jose.RS256, Key: rsaC}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(cl)
	obj, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	return obj.FullSerialize()
}

// noneJWT is an unsecured JWT (RFC 7519 §6): alg none, empty signature.
func noneJWT(cl claims) string {
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	p, _ := json.Marshal(cl)
	return h + "." + base64.RawURLEncoding.EncodeToString(p) + "."
}

// hs256With forges an HS256 MAC keyed with bytes a client could know (its own public
// key's PEM), the classic algorithm-confusion attack.
func hs256With(t *testing.T, key []byte, cl claims) string {
	t.Helper()
	return sign(t, jose.HS256, key, "", nil, cl)
}

func TestAssertionBadInput(t *testing.T) {
	f := newFixture(t)
	now := f.clock()
	mod := func(id string, m func(*claims)) claims {
		cl := valid(id, now)
		m(&cl)
		return cl
	}
	rsPEM := []byte(pemKey(t, rsaA.Public()).Data)
	type tc struct {
		name    string
		client  string // presented client_id
		claims  claims
		make    func(claims) string
		reason  jeton.Reason
		jtiLeft bool // the case's jti must remain unused
	}
	rs := func(cl claims) string { return sign(t, jose.RS256, rsaA, "", nil, cl) }
	tests := []tc{
		{"expired", "rs-client", mod("rs-client", func(c *claims) {
			c.Iat, c.Exp = unix(now.Add(-20*time.Minute)), unix(now.Add(-61*time.Second))
		}), rs, jeton.ReasonExpired, true},
		{"missing exp", "rs-client", mod("rs-client", func(c *claims) { c.Exp = nil }), rs, jeton.ReasonBadAssertion, true},
		{"nbf in the future", "rs-client", mod("rs-client", func(c *claims) { c.Nbf = unix(now.Add(61 * time.Second)) }), rs, jeton.ReasonBadAssertion, true},
		{"iat in the future", "rs-client", mod("rs-client", func(c *claims) {
			c.Iat, c.Exp = unix(now.Add(2*time.Minute)), unix(now.Add(10*time.Minute))
		}), rs, jeton.ReasonBadAssertion, true},
		{"lifetime over the maximum", "rs-client", mod("rs-client", func(c *claims) { c.Exp = unix(now.Add(61 * time.Minute)) }), rs, jeton.ReasonBadAssertion, true},
		{"lifetime over the maximum without iat", "rs-client", mod("rs-client", func(c *claims) {
			c.Iat, c.Exp = nil, unix(now.Add(2*time.Hour))
		}), rs, jeton.ReasonBadAssertion, true},
		{"wrong aud", "rs-client", mod("rs-client", func(c *claims) { c.Aud = "https://other.example/oauth2/token" }), rs, jeton.ReasonBadAssertion, true},
		{"aud missing", "rs-client", mod("rs-client", func(c *claims) { c.Aud = nil }), rs, jeton.ReasonBadAssertion, true},
		{"aud prefix of ours", "rs-client", mod("rs-client", func(c *claims) { c.Aud = "https://as.example/" }), rs, jeton.ReasonBadAssertion, true},
		{"wrong iss", "rs-client", mod("rs-client", func(c *claims) { c.Iss = "other-client" }), rs, jeton.ReasonBadAssertion, true},
		{"wrong sub", "rs-client", mod("rs-client", func(c *claims) { c.Sub = "other-client" }), rs, jeton.ReasonBadAssertion, true},
		{"presented client_id differs from iss and sub", "other-client", valid("rs-client", now), rs, jeton.ReasonBadAssertion, true},
		{"missing jti", "rs-client", mod("rs-client", func(c *claims) { c.JTI = "" }), rs, jeton.ReasonBadAssertion, false},
		{"jti over 256 bytes", "rs-client", mod("rs-client", func(c *claims) { c.JTI = strings.Repeat("j", 257) }), rs, jeton.ReasonBadAssertion, true},
		{"signed with another client's key", "rs-client", valid("rs-client", now),
			func(cl claims) string { return sign(t, jose.RS256, rsaC, "", nil, cl) }, jeton.ReasonBadAssertion, true},
		{"alg none", "rs-client", valid("rs-client", now), noneJWT, jeton.ReasonBadAssertion, true},
		{"HS256 against an RSA-key client", "rs-client", valid("rs-client", now),
			func(cl claims) string { return hs256With(t, rsPEM, cl) }, jeton.ReasonBadAssertion, true},
		{"HS256 with the client's own secret for a key client", "rs-client", valid("rs-client", now),
			func(cl claims) string { return hs256With(t, []byte(f.secret), cl) }, jeton.ReasonBadAssertion, true},
		{"RS256 for a client_secret_jwt client", "hs-client", valid("hs-client", now), rs, jeton.ReasonBadAssertion, true},
		{"HS256 with a wrong secret", "hs-client", valid("hs-client", now),
			func(cl claims) string { return hs256With(t, []byte(jeton.NewSecret()), cl) }, jeton.ReasonBadSecret, true},
		{"HS384 with the right secret", "hs-client", valid("hs-client", now),
			func(cl claims) string { return sign(t, jose.HS384, []byte(f.secret+f.secret), "", nil, cl) }, jeton.ReasonBadAssertion, true},
		{"1024-bit RSA key", "weak-client", valid("weak-client", now),
			func(cl claims) string { return sign(t, jose.RS256, rsa1k, "", nil, cl) }, jeton.ReasonBadAssertion, true},
		{"unknown kid", "es-client", valid("es-client", now),
			func(cl claims) string { return sign(t, jose.ES256, ecA, "ec-2", nil, cl) }, jeton.ReasonBadAssertion, true},
		{"kid of a key that does not fit the alg", "es-client", valid("es-client", now),
			func(cl claims) string { return sign(t, jose.RS256, rsaA, "ec-1", nil, cl) }, jeton.ReasonBadAssertion, true},
		{"ES256 with another P-256 key under the right kid", "es-client", valid("es-client", now),
			func(cl claims) string { return sign(t, jose.ES256, ecOther, "ec-1", nil, cl) }, jeton.ReasonBadAssertion, true},
		{"unknown kid at jwks_uri", "ed-client", valid("ed-client", now),
			func(cl claims) string { return sign(t, jose.EdDSA, edA, "ed-9", nil, cl) }, jeton.ReasonBadAssertion, true},
		{"two signatures", "rs-client", valid("rs-client", now), func(cl claims) string { return twoSignatures(t, cl) }, jeton.ReasonBadAssertion, true},
		{"crit header", "rs-client", valid("rs-client", now), func(cl claims) string {
			return sign(t, jose.RS256, rsaA, "", map[jose.HeaderKey]any{"crit": []string{"exp"}, "exp": 1}, cl)
		}, jeton.ReasonBadAssertion, true},
		{"truncated JWS", "rs-client", valid("rs-client", now), func(cl claims) string {
			a := rs(cl)
			return a[:strings.LastIndex(a, ".")]
		}, jeton.ReasonBadAssertion, true},
		{"truncated signature", "rs-client", valid("rs-client", now), func(cl claims) string { a := rs(cl); return a[:len(a)-8] }, jeton.ReasonBadAssertion, true},
		{"base64-garbled payload", "rs-client", valid("rs-client", now), func(cl claims) string {
			parts := strings.Split(rs(cl), ".")
			return parts[0] + ".*" + parts[1][1:] + "." + parts[2]
		}, jeton.ReasonBadAssertion, true},
		{"padded base64", "rs-client", valid("rs-client", now), func(cl claims) string {
			parts := strings.Split(rs(cl), ".")
			return parts[0] + "=." + parts[1] + "." + parts[2]
		}, jeton.ReasonBadAssertion, true},
		{"100 KiB JWS", "rs-client", mod("rs-client", func(c *claims) { c.Junk = strings.Repeat("x", 100<<10) }), rs, jeton.ReasonBadAssertion, true},
		{"just over the 16 KiB bound", "rs-client", mod("rs-client", func(c *claims) { c.Junk = strings.Repeat("x", 12<<10) }), rs, jeton.ReasonBadAssertion, true},
	}
	// causes pin why the sharpest cases fail, so that a case cannot pass by failing
	// for an unrelated reason.
	causes := map[string]string{
		"alg none": `alg "none"`, "HS256 against an RSA-key client": `alg "HS256"`,
		"RS256 for a client_secret_jwt client": `alg "RS256"`, "1024-bit RSA key": "1024 bits",
		"crit header": "crit", "unknown kid": "kid names no", "unknown kid at jwks_uri": "kid names no",
		"two signatures": "compact", "100 KiB JWS": "size", "expired": "expired",
		"lifetime over the maximum": "lifetime", "wrong aud": "aud", "wrong iss": "iss", "wrong sub": "sub",
		"missing jti": "jti", "signed with another client's key": "signature",
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.make(tt.claims)
			_, err := f.authenticate(tt.client, a)
			if err == nil {
				t.Fatal("authenticated; want invalid_client")
			}
			if want, ok := causes[tt.name]; ok && !strings.Contains(errors.Unwrap(err).Error(), want) {
				t.Errorf("cause = %q, want it to mention %q", errors.Unwrap(err), want)
			}
			if r := reasonOf(t, err); r != tt.reason {
				t.Errorf("reason = %q, want %q (cause: %v)", r, tt.reason, errors.Unwrap(err))
			}
			if strings.Contains(err.Error(), a) || strings.Contains(err.Error(), f.secret) {
				t.Error("error text holds the assertion or a secret")
			}
			// Nothing changed: the case's jti is still unused, and the client still
			// authenticates with a good assertion.
			if tt.jtiLeft {
				if err := f.store.UseAssertionID(context.Background(), tt.claims.Sub, tt.claims.JTI, now.Add(time.Hour), now); err != nil {
					t.Errorf("the refused assertion's jti was recorded: %v", err)
				}
			}
		})
	}
	for _, id := range []string{"rs-client", "es-client", "ed-client", "hs-client"} {
		key := map[string]any{"rs-client": rsaA, "es-client": ecA, "ed-client": edA, "hs-client": []byte(f.secret)}[id]
		alg := map[string]jose.SignatureAlgorithm{"rs-client": jose.RS256, "es-client": jose.ES256, "ed-client": jose.EdDSA, "hs-client": jose.HS256}[id]
		if _, err := f.authenticate(id, sign(t, alg, key, "", nil, valid(id, now))); err != nil {
			t.Errorf("%s no longer authenticates after the bad inputs: %v", id, err)
		}
	}
}

func TestAssertionReplay(t *testing.T) {
	events := &eventtest.Recorder{}
	f := newFixtureWith(t, func(c *clientauth.AssertionConfig) { c.Events = events })
	now := f.clock()
	first := valid("rs-client", now)
	a := sign(t, jose.RS256, rsaA, "", nil, first)
	if _, err := f.authenticate("rs-client", a); err != nil {
		t.Fatal(err)
	}
	if len(events.Events()) != 0 {
		t.Fatal("a first use reported as a replay")
	}
	_, err := f.authenticate("rs-client", a)
	if r := reasonOf(t, err); r != jeton.ReasonReplay {
		t.Fatalf("replay reason = %q", r)
	}
	if ev := events.Events(); len(ev) != 1 || ev[0].Kind != jeton.EventReplayRefused || ev[0].Reason != jeton.EventReasonAssertionJTI ||
		ev[0].ClientID != "rs-client" || ev[0].InstitutionID != "inst" {
		t.Fatalf("security events %+v; want one assertion replay of rs-client", ev)
	}
	// Still refused at the last second the assertion could be accepted (exp + skew)...
	f.setNow(now.Add(5*time.Minute + 59*time.Second))
	if _, err := f.authenticate("rs-client", a); err == nil {
		t.Fatal("replay accepted within exp + skew")
	}
	// ...and after that it is simply expired.
	f.setNow(now.Add(7 * time.Minute))
	_, err = f.authenticate("rs-client", a)
	if r := reasonOf(t, err); r != jeton.ReasonExpired {
		t.Fatalf("late replay reason = %q, want expired", r)
	}
	// The same jti under another client is that client's business.
	f.setNow(now)
	cl := valid("other-client", now)
	cl.JTI = first.JTI
	if _, err := f.authenticate("other-client", sign(t, jose.RS256, rsaC, "", nil, cl)); err != nil {
		t.Fatalf("jti of another client refused: %v", err)
	}
}

func TestAssertionConcurrentReplayOneWinner(t *testing.T) {
	f := newFixture(t)
	a := sign(t, jose.ES256, ecA, "ec-1", nil, valid("es-client", f.clock()))
	var ok atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := f.authenticate("es-client", a); err == nil {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 {
		t.Fatalf("%d of 20 concurrent uses of one assertion succeeded, want 1", ok.Load())
	}
}

func TestPreviousSecretAfterGrace(t *testing.T) {
	f := newFixture(t)
	f.setNow(f.clock().Add(time.Hour)) // PreviousSecretExpiresAt
	_, err := f.authenticate("hs-client", sign(t, jose.HS256, []byte(f.old), "", nil, valid("hs-client", f.clock())))
	if r := reasonOf(t, err); r != jeton.ReasonBadSecret {
		t.Fatalf("previous secret after grace: reason %q", r)
	}
	if _, err := f.authenticate("hs-client", sign(t, jose.HS256, []byte(f.secret), "", nil, valid("hs-client", f.clock()))); err != nil {
		t.Fatal(err)
	}
}
