package cardcore_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientcache"
	jetonclients "github.com/jeton/jeton/clients"
	"github.com/jeton/jeton/dialect/cardcore"
	"github.com/jeton/jeton/dialect/cardcore/cardcorestore"
	"github.com/jeton/jeton/httpapi"
	"github.com/jeton/jeton/internal/testclock"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/postgres"
	"github.com/jeton/jeton/postgres/pgtest"
	"github.com/jeton/jeton/sqlite/sqlitetest"
	"github.com/jeton/jeton/token"
)

const (
	issuer   = "https://as.example"
	envAud   = "https://sandbox-api.cardcore.cloud"
	website  = "https://fintech.example"
	instA    = "inst-a"
	instB    = "inst-b"
	tokenURL = issuer + cardcore.DefaultPrefix + cardcore.TokenPath
)

// t0 is the tests' clock start: fixed, so management answers are reproducible.
var t0 = time.Date(2031, 5, 17, 10, 4, 5, 0, time.UTC)

// closedPolicy stands in for working hours (issue 7): when closed, the engine answers
// temporarily_unavailable with a RetryAfter, which the dialect must turn into 503.
type closedPolicy struct{ closed *bool }

func (p closedPolicy) Check(context.Context, *token.ClientRequest) error {
	if *p.closed {
		return &jeton.Error{Code: jeton.CodeTemporarilyUnavailable, Description: "outside working hours", Status: 503, RetryAfter: 90 * time.Second}
	}
	return nil
}

// store is a core store that also keeps CardCore's records (both backends are).
type store interface {
	jeton.Store
	cardcorestore.Store
}

// endpoint is the dialect over the real engine, SQLite store and keys, behind the
// public middleware, mounted at /cardcore.
type endpoint struct {
	srv    *httptest.Server
	store  store
	clock  *testclock.Clock
	km     *keys.Manager
	intro  *token.Introspector
	closed bool
	keyA   string // institution key of inst-a
	keyB   string
}

func newEndpoint(t *testing.T) *endpoint {
	t.Helper()
	return newEndpointOn(t, sqlitetest.New(t))
}

// newPostgres returns a migrated store on a throwaway PostgreSQL database; it skips t
// without JETON_TEST_POSTGRES.
func newPostgres(t *testing.T) store {
	t.Helper()
	s, err := postgres.Open(t.Context(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s
}

// newEndpointOn is newEndpoint over store.
func newEndpointOn(t *testing.T, st store) *endpoint {
	t.Helper()
	ctx := context.Background()
	e := &endpoint{store: st, clock: testclock.New(t0)}
	e.km = keys.NewManager(e.store, make([]byte, 32), keys.Config{Algs: []string{"ES256"}, Now: e.clock.Now})
	if err := e.km.Load(ctx); err != nil {
		t.Fatal(err)
	}
	clients := clientcache.New(e.store, 0, nil)
	apps := cardcore.NewApps(e.store, time.Minute, e.clock.Now)
	issuerCfg := &token.Issuer{Issuer: issuer, Audience: []string{"https://api.example"}, AccessTokens: e.store,
		Signer: func(alg string) (token.Signer, error) { return e.km.Signer(alg) }, RefreshFamilies: e.store}
	refresh := &token.RefreshGrant{Store: e.store, Key: token.DeriveRefreshKey(make([]byte, 32))}
	engine, err := cardcore.NewEngine(cardcore.EngineConfig{Clients: clients, Apps: apps, Replay: e.store,
		Audiences: []string{tokenURL, envAud}, Issuer: issuerCfg, Refresh: refresh, Now: e.clock.Now,
		Policies: []token.Policy{closedPolicy{&e.closed}}})
	if err != nil {
		t.Fatal(err)
	}
	d := cardcore.New(cardcore.Config{Engine: engine, Store: e.store, Apps: apps, Now: e.clock.Now,
		Clients: jetonclients.New(jetonclients.Config{Store: e.store, Now: e.clock.Now})})
	h := httpapi.New(httpapi.Config{Logger: slog.New(slog.DiscardHandler), Ready: func(context.Context) error { return nil },
		Mounts: []httpapi.Mount{{Prefix: cardcore.DefaultPrefix, Dialect: d}}})
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	e.intro = &token.Introspector{Issuer: issuer, KeySet: e.km.KeySet, Store: e.store, Clients: clients, Now: e.clock.Now}
	for i, inst := range []string{instA, instB} {
		if err := e.store.CreateInstitution(ctx, jeton.Institution{ID: inst, Name: inst, CreatedAt: t0, UpdatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		key := fmt.Sprintf("institution-key-%d-for-tests-only", i)
		err := e.store.CreateInstitutionKey(ctx, cardcorestore.InstitutionKey{ID: "key-" + inst, InstitutionID: inst,
			UserID: fmt.Sprintf("%024x", i+1), Digest: jeton.Digest(key), CreatedAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			e.keyA = key
		} else {
			e.keyB = key
		}
	}
	return e
}

// request is one HTTP call to the dialect.
type request struct {
	method, path, body, key, contentType string
}

func (e *endpoint) do(t *testing.T, r request) *http.Response {
	t.Helper()
	if r.method == "" {
		r.method = http.MethodPost
	}
	if r.path == "" {
		r.path = cardcore.TokenPath
	}
	if r.contentType == "" {
		r.contentType = "application/json"
	}
	req, _ := http.NewRequest(r.method, e.srv.URL+cardcore.DefaultPrefix+r.path, strings.NewReader(r.body))
	req.Header.Set("Content-Type", r.contentType)
	if r.key != "" {
		req.Header.Set("Authorization", "Bearer "+r.key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// answer is a decoded envelope plus its raw form.
type answer struct {
	status int
	header http.Header
	raw    string
	env    struct {
		StatusCode int             `json:"statusCode"`
		Message    string          `json:"message"`
		Error      string          `json:"error"`
		Data       json.RawMessage `json:"data"`
	}
}

func (e *endpoint) call(t *testing.T, r request) answer {
	t.Helper()
	resp := e.do(t, r)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(body)}
	if err := json.Unmarshal(body, &a.env); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, body)
	}
	if a.env.StatusCode != a.status {
		t.Errorf("statusCode %d in a %d answer", a.env.StatusCode, a.status)
	}
	return a
}

// render is the golden form: status, the headers a client relies on, and the body
// with the values that differ per run replaced by their names.
func (a answer) render(masks map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d\n", a.status)
	for _, h := range []string{"Allow", "Cache-Control", "Content-Type", "Pragma", "Retry-After"} {
		if v := a.header.Get(h); v != "" {
			fmt.Fprintf(&b, "%s: %s\n", h, v)
		}
	}
	body := a.raw
	for value, name := range masks {
		if value != "" {
			body = strings.ReplaceAll(body, value, "<"+name+">")
		}
	}
	fmt.Fprintf(&b, "\n%s\n", body)
	return b.String()
}

// app is an application created through the management API, with its private key.
type app struct {
	key       crypto.Signer
	clientID  string
	appKey    string // institutionId
	recordID  string
	instRec   string
	createdBy string
}

var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
)

// testRSAKey is one 2048-bit key for the package (generation is slow).
func testRSAKey(t *testing.T) *rsa.PrivateKey {
	rsaOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return rsaKey
}

// certPEM is a self-signed X.509 certificate for key, made by crypto/x509.
func certPEM(t *testing.T, key crypto.Signer, cn string) string {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn, Organization: []string{"Fintech Ltd"}, Country: []string{"GB"}},
		NotBefore: t0.Add(-time.Hour), NotAfter: t0.Add(365 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func publicPEM(t *testing.T, key crypto.Signer) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func createBody(name, publicKey string) string {
	b, _ := json.Marshal(map[string]any{"name": name, "description": "Card issuing for " + name,
		"publicKey": publicKey, "scopes": []string{"READ", "WRITE"}, "grantType": "client_credentials",
		"websiteUrl": website, "iconUrl": website + "/icon.png", "isOfficial": false})
	return string(b)
}

// createApp registers an application for the institution of instKey.
func (e *endpoint) createApp(t *testing.T, instKey string, key crypto.Signer, publicKey string) app {
	t.Helper()
	a := e.call(t, request{path: cardcore.CreatePath, key: instKey, body: createBody("Fintech", publicKey)})
	if a.status != http.StatusCreated {
		t.Fatalf("create: %s", a.raw)
	}
	var v struct {
		ClientID, InstitutionID, ID, Institution, CreatedBy string
	}
	if err := json.Unmarshal(a.env.Data, &v); err != nil {
		t.Fatal(err)
	}
	return app{key: key, clientID: v.ClientID, appKey: v.InstitutionID, recordID: v.ID, instRec: v.Institution, createdBy: v.CreatedBy}
}

func (a app) masks() map[string]string {
	return map[string]string{a.clientID: "clientId", a.appKey: "institutionId", a.recordID: "institutionOauth",
		a.instRec: "institution"}
}

// claims are an assertion's claims as the vendor's guide writes them (quoted times).
func (e *endpoint) claims(a app) map[string]any {
	now := e.clock.Now()
	return map[string]any{"iss": website, "sub": a.clientID, "aud": envAud,
		"iat": fmt.Sprint(now.Unix()), "exp": fmt.Sprint(now.Add(5 * time.Minute).Unix())}
}

// sign makes a compact JWS with header {"alg":alg,"typ":"JWT"} over claims.
func sign(t *testing.T, key crypto.Signer, alg jose.SignatureAlgorithm, claims map[string]any) string {
	t.Helper()
	payload, _ := json.Marshal(claims)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// unsigned makes alg "none" and HS256 assertions by hand (go-jose refuses to).
func unsigned(claims map[string]any, alg string, macKey []byte) string {
	enc := base64.RawURLEncoding.EncodeToString
	h, _ := json.Marshal(map[string]string{"alg": alg, "typ": "JWT"})
	p, _ := json.Marshal(claims)
	input := enc(h) + "." + enc(p)
	if macKey == nil {
		return input + "."
	}
	m := hmac.New(sha256.New, macKey)
	m.Write([]byte(input))
	return input + "." + enc(m.Sum(nil))
}

func tokenBody(fields map[string]any) string {
	b, _ := json.Marshal(fields)
	return string(b)
}

// ccBody is the vendor's client_credentials request for a.
func ccBody(a app, assertion string) map[string]any {
	return map[string]any{"grant_type": "client_credentials", "institutionId": a.appKey, "client_id": a.clientID,
		"client_assertion_type": cardcore.AssertionType, "client_assertion": assertion}
}

func newECKey(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func base64Decode(s string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return string(b), err
}
