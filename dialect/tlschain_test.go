package dialect_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/clientcache"
	"github.com/jeton/jeton/dialect"
	"github.com/jeton/jeton/dialect/wire"
	"github.com/jeton/jeton/httpapi"
	"github.com/jeton/jeton/internal/testcert"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/sqlite/sqlitetest"
	"github.com/jeton/jeton/tlsserve"
	"github.com/jeton/jeton/token"
)

// vendorCodec reads credentials its own way, as a vendor wire format does (not
// through wire.Credentials), so only the Endpoint can hand it the TLS chain.
type vendorCodec struct{}

func (vendorCodec) Decode(r *http.Request, body wire.Body) (token.Request, struct{}, error) {
	form, err := body.Form()
	if err != nil {
		return token.Request{}, struct{}{}, err
	}
	return token.Request{GrantType: form["grant_type"], Credentials: clientauth.Credentials{
		Presented: clientauth.PresentedPost, ClientID: form["client_id"], Secret: form["client_secret"]}}, struct{}{}, nil
}

func (vendorCodec) Encode(w http.ResponseWriter, _ *http.Request, x dialect.Exchange[struct{}]) {
	if x.Err != nil {
		http.Error(w, string(jeton.AsError(x.Err).Code), jeton.AsError(x.Err).Status)
		return
	}
	_, _ = w.Write([]byte("ok"))
}

type mount struct{ h http.Handler }

func (m mount) Name() string { return "vendor" }

func (m mount) Mount(mux httpapi.Router, prefix string) { mux.Handle("POST "+prefix+"/token", m.h) }

// recording is a client-authentication method that records the TLS chain it was
// given, then checks the secret: what a FAPI 2.0 mTLS method will receive.
type recording struct {
	clientauth.Secret
	mu     sync.Mutex
	chains [][]*x509.Certificate
}

func (m *recording) Verify(ctx context.Context, c *jeton.Client, cred clientauth.Credentials) (clientauth.Pending, error) {
	m.mu.Lock()
	m.chains = append(m.chains, cred.TLSChain)
	m.mu.Unlock()
	return m.Secret.Verify(ctx, c, cred)
}

// TestTLSChainReachesClientAuthentication: over HTTPS with --tls-client-certs
// request, the certificate a client presents in the handshake reaches the engine's
// client authentication; without one, nothing does.
func TestTLSChainReachesClientAuthentication(t *testing.T) {
	ctx := context.Background()
	store := sqlitetest.New(t)
	km := keys.NewManager(store, make([]byte, 32), keys.Config{Algs: []string{"ES256"}})
	if err := km.Load(ctx); err != nil {
		t.Fatal(err)
	}
	rec := &recording{Secret: clientauth.Secret{Now: time.Now}}
	engine := token.NewEngine(token.EngineConfig{
		Auth: &clientauth.Authenticator{Clients: clientcache.New(store, 0, nil), Now: time.Now,
			Methods: map[jeton.AuthMethod]clientauth.Method{jeton.AuthSecretPost: rec}},
		Grants: []token.Grant{token.ClientCredentials{}},
		Issuer: &token.Issuer{Issuer: "https://as.example", Audience: []string{"https://api.example"},
			Signer: func(alg string) (token.Signer, error) { return km.Signer(alg) }},
	})
	now := time.Now()
	if err := store.CreateInstitution(ctx, jeton.Institution{ID: "bank", Name: "bank", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateClient(ctx, jeton.Client{
		ID: "partner", InstitutionID: "bank", Name: "partner", Status: jeton.ClientActive, AuthMethod: jeton.AuthSecretPost,
		SecretDigest: jeton.Digest("pw"), Institutions: []string{"bank"}, Grants: []string{jeton.GrantClientCredentials},
		Scopes: []string{"a"}, DefaultScopes: []string{"a"}, TokenFormat: jeton.FormatJWT,
		AccessTokenTTL: 10 * time.Minute, SigningAlg: "ES256", CreatedAt: now, UpdatedAt: now,
	}); err != nil {
		t.Fatal(err)
	}
	ep := dialect.New[struct{}](engine, vendorCodec{}, dialect.Config{Dialect: "vendor", MaxBody: 1 << 16})
	h := httpapi.New(httpapi.Config{Logger: slog.New(slog.DiscardHandler), Ready: func(context.Context) error { return nil },
		Mounts: []httpapi.Mount{{Dialect: mount{ep}}}})

	server := testcert.New(t, "server")
	dir := t.TempDir()
	files := tlsserve.Files{Cert: dir + "/tls.crt", Key: dir + "/tls.key"}
	server.Write(t, files.Cert, files.Key)
	ln, _, err := tlsserve.Listen("127.0.0.1:0", files, tlsserve.ClientCertsRequest, nil, "public")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	post := func(cfg *tls.Config) *http.Response {
		t.Helper()
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
		defer c.CloseIdleConnections()
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"partner"}, "client_secret": {"pw"}}
		resp, err := c.Post("https://"+ln.Addr().String()+"/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("token request: %d", resp.StatusCode)
		}
		return resp
	}
	client := testcert.New(t, "partner-self-signed")
	withCert := server.Pinned()
	withCert.Certificates = []tls.Certificate{client.TLS(t)}
	resp := post(withCert)
	if got := resp.Header.Get("Strict-Transport-Security"); got != httpapi.HSTS {
		t.Errorf("Strict-Transport-Security %q over TLS, want %q", got, httpapi.HSTS)
	}
	post(server.Pinned())

	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.chains) != 2 {
		t.Fatalf("%d authentications, want 2", len(rec.chains))
	}
	if c := rec.chains[0]; len(c) != 1 || !c[0].Equal(client.Cert) {
		t.Fatalf("with a client certificate the method got %v", c)
	}
	if c := rec.chains[1]; c != nil {
		t.Fatalf("without a client certificate the method got %v", c)
	}
}
