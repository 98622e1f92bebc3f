package oauth2_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/clientcache"
	"github.com/jeton/jeton/dialect/oauth2"
	"github.com/jeton/jeton/httpapi"
	"github.com/jeton/jeton/internal/testcert"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/sqlite/sqlitetest"
	"github.com/jeton/jeton/tlsserve"
	"github.com/jeton/jeton/token"
)

// mtlsServer is the standard dialect on jeton's own HTTPS listener asking for client
// certificates (--tls-client-certs request), and on a plain listener behind a
// "proxy" that forwards the certificate in a header (--client-cert-header).
type mtlsServer struct {
	httpsURL, proxyURL string
	server, ca         testcert.Pair
	intro              *token.Introspector
}

func newMTLSServer(t *testing.T, trusted string) *mtlsServer {
	t.Helper()
	ctx := context.Background()
	store := sqlitetest.New(t)
	km := keys.NewManager(store, make([]byte, 32), keys.Config{Algs: []string{"ES256"}})
	must(t, km.Load(ctx))
	s := &mtlsServer{server: testcert.New(t, "server"), ca: testcert.New(t, "Open Banking Test CA")}
	roots := x509.NewCertPool()
	roots.AddCert(s.ca.Cert)
	cache := clientcache.New(store, 0, nil)
	keySource := clientauth.NewKeys(clientauth.KeysConfig{Now: time.Now})
	engine := token.NewEngine(token.EngineConfig{
		Auth: &clientauth.Authenticator{Clients: cache, Now: time.Now, Methods: map[jeton.AuthMethod]clientauth.Method{
			jeton.AuthTLSClient: clientauth.NewTLSClient(roots, time.Now), jeton.AuthSelfSignedTLS: clientauth.SelfSignedTLS{Keys: keySource},
			jeton.AuthSecretBasic: clientauth.Secret{Now: time.Now}}},
		Grants: []token.Grant{token.ClientCredentials{}},
		Issuer: &token.Issuer{Issuer: "https://as.example", Audience: []string{"https://api.example"}, AccessTokens: store,
			Signer: func(alg string) (token.Signer, error) { return km.Signer(alg) }},
	})
	s.intro = &token.Introspector{Issuer: "https://as.example", KeySet: km.KeySet, Store: store, Clients: cache, Now: time.Now}
	d, err := oauth2.New(oauth2.Config{Engine: engine, Issuer: "https://as.example", JWKS: km.JWKS, JWKSMaxAge: 300,
		AuthMethods: []jeton.AuthMethod{jeton.AuthTLSClient, jeton.AuthSelfSignedTLS, jeton.AuthSecretBasic}, Introspector: s.intro, MTLS: true})
	must(t, err)
	proxies, err := httpapi.ParseTrustedProxies([]string{trusted})
	must(t, err)
	h := httpapi.New(httpapi.Config{Logger: slog.New(slog.DiscardHandler), Ready: func(context.Context) error { return nil },
		Mounts: []httpapi.Mount{{Dialect: d}}, TrustedProxies: proxies, ClientCertHeader: "X-Client-Cert"})
	dir := t.TempDir()
	files := tlsserve.Files{Cert: dir + "/tls.crt", Key: dir + "/tls.key"}
	s.server.Write(t, files.Cert, files.Key)
	ln, _, err := tlsserve.Listen("127.0.0.1:0", files, tlsserve.ClientCertsRequest, nil, "public")
	must(t, err)
	plain, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	for _, l := range []net.Listener{ln, plain} {
		srv := &http.Server{Handler: h}
		go func() { _ = srv.Serve(l) }()
		t.Cleanup(func() { _ = srv.Close() })
	}
	s.httpsURL, s.proxyURL = "https://"+ln.Addr().String(), "http://"+plain.Addr().String()
	now := time.Now()
	must(t, store.CreateInstitution(ctx, jeton.Institution{ID: "bank", Name: "bank", CreatedAt: now, UpdatedAt: now}))
	self := testcert.New(t, "self-signed-app")
	for _, c := range []jeton.Client{
		{ID: "pki-dn", AuthMethod: jeton.AuthTLSClient, SenderConstraints: jeton.SenderConstraints{TLSClientAuthSubjectDN: "CN=fintech-app,O=Fintech Ltd"}},
		{ID: "pki-san", AuthMethod: jeton.AuthTLSClient, SenderConstraints: jeton.SenderConstraints{TLSClientAuthSANDNS: "app.fintech.example"}},
		{ID: "self", AuthMethod: jeton.AuthSelfSignedTLS, PublicKeys: []jeton.ClientKey{{Format: jeton.KeyX509, Data: string(self.CertPEM)}}},
		{ID: "bound", AuthMethod: jeton.AuthSecretBasic, SecretDigest: jeton.Digest(secret), TokenFormat: jeton.FormatOpaque,
			SenderConstraints: jeton.SenderConstraints{TLSClientCertificateBoundAccessTokens: true}},
	} {
		c.Name, c.InstitutionID, c.Status, c.Institutions = c.ID, "bank", jeton.ClientActive, []string{"bank"}
		c.Grants, c.Scopes, c.DefaultScopes = []string{jeton.GrantClientCredentials}, []string{"a"}, []string{"a"}
		c.TokenFormat = jeton.TokenFormat(cmpOr(string(c.TokenFormat), string(jeton.FormatJWT)))
		c.AccessTokenTTL, c.SigningAlg, c.CreatedAt, c.UpdatedAt = time.Minute, "ES256", now, now
		must(t, store.CreateClient(ctx, c))
	}
	selfSigned = self
	return s
}

// selfSigned is the "self" client's registered certificate (set by newMTLSServer).
var selfSigned testcert.Pair

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

type ccAnswer struct {
	status      int
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	Error       string `json:"error"`
}

// cc asks for a client_credentials token with cert in the TLS handshake (none when
// cert.Cert is nil).
func (s *mtlsServer) cc(t *testing.T, client string, cert testcert.Pair, basic bool) ccAnswer {
	t.Helper()
	cfg := s.server.Pinned()
	if cert.Cert != nil {
		cfg.Certificates = []tls.Certificate{cert.TLS(t)}
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
	defer c.CloseIdleConnections()
	return post(t, c, s.httpsURL, client, basic, nil)
}

func post(t *testing.T, c *http.Client, base, client string, basic bool, header http.Header) ccAnswer {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	if !basic {
		form.Set("client_id", client)
	}
	req, err := http.NewRequest(http.MethodPost, base+oauth2.TokenPath, strings.NewReader(form.Encode()))
	must(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	if basic {
		req.SetBasicAuth(client, secret)
	}
	resp, err := c.Do(req)
	must(t, err)
	defer resp.Body.Close()
	a := ccAnswer{status: resp.StatusCode}
	_ = json.NewDecoder(resp.Body).Decode(&a)
	return a
}

// TestMTLSClientAuthentication: tls_client_auth accepts a certificate of the trusted
// CA with the registered subject DN or SAN (RFC 8705 §2.1), self_signed_tls_client_auth
// the registered certificate (§2.2); every other certificate, and none, is
// invalid_client with nothing issued. Tokens are certificate-bound (cnf.x5t#S256, §3).
func TestMTLSClientAuthentication(t *testing.T) {
	s := newMTLSServer(t, "10.0.0.0/8")
	app := s.ca.Issue(t, pkix.Name{CommonName: "fintech-app", Organization: []string{"Fintech Ltd"}}, "app.fintech.example")
	otherDN := s.ca.Issue(t, pkix.Name{CommonName: "other-app", Organization: []string{"Fintech Ltd"}}, "other.fintech.example")
	rogueCA := testcert.New(t, "Rogue CA")
	rogue := rogueCA.Issue(t, pkix.Name{CommonName: "fintech-app", Organization: []string{"Fintech Ltd"}}, "app.fintech.example")
	for _, ok := range []struct {
		client string
		cert   testcert.Pair
	}{{"pki-dn", app}, {"pki-san", app}, {"self", selfSigned}} {
		a := s.cc(t, ok.client, ok.cert, false)
		if a.status != 200 || a.TokenType != "Bearer" {
			t.Fatalf("%s: %+v", ok.client, a)
		}
		info, err := s.intro.Introspect(context.Background(), &jeton.Client{ID: "x", InstitutionID: "bank", AuthMethod: jeton.AuthSecretBasic}, a.AccessToken, "")
		must(t, err)
		if !info.Active || info.Confirmation.X5TS256 != jeton.CertThumbprint(ok.cert.Cert.Raw) {
			t.Fatalf("%s: introspection %+v, want cnf x5t#S256 of the client certificate", ok.client, info)
		}
	}
	for name, bad := range map[string]struct {
		client string
		cert   testcert.Pair
	}{
		"another DN of the CA":                             {"pki-dn", otherDN},
		"another SAN of the CA":                            {"pki-san", otherDN},
		"the DN from a rogue CA":                           {"pki-dn", rogue},
		"the SAN from a rogue CA":                          {"pki-san", rogue},
		"a self-signed certificate for a PKI client":       {"pki-dn", selfSigned},
		"another self-signed certificate":                  {"self", testcert.New(t, "self-signed-app")},
		"a CA-issued certificate for a self-signed client": {"self", app},
		"no certificate, PKI":                              {"pki-dn", testcert.Pair{}},
		"no certificate, self-signed":                      {"self", testcert.Pair{}},
	} {
		if a := s.cc(t, bad.client, bad.cert, false); a.status != 401 || a.Error != "invalid_client" || a.AccessToken != "" {
			t.Errorf("%s: %+v, want 401 invalid_client", name, a)
		}
	}
	t.Run("certificate-bound tokens of a secret client", func(t *testing.T) {
		if a := s.cc(t, "bound", testcert.Pair{}, true); a.status != 400 || a.Error != "invalid_request" {
			t.Fatalf("no certificate: %+v", a)
		}
		a := s.cc(t, "bound", app, true)
		if a.status != 200 {
			t.Fatalf("with a certificate: %+v", a)
		}
		use := func(chain ...*x509.Certificate) bool {
			info, err := s.intro.Resource(context.Background(), a.AccessToken, token.Presentation{Scheme: "Bearer", TLSChain: chain}, nil)
			must(t, err)
			return info.Active
		}
		if !use(app.Cert) || use(otherDN.Cert) || use() {
			t.Fatal("a certificate-bound token must be usable with its certificate only")
		}
	})
}

// TestClientCertHeader: behind a TLS-terminating proxy the certificate comes in
// --client-cert-header as URL-encoded PEM, believed only from --trusted-proxies.
func TestClientCertHeader(t *testing.T) {
	app := func(s *mtlsServer) testcert.Pair {
		return s.ca.Issue(t, pkix.Name{CommonName: "fintech-app", Organization: []string{"Fintech Ltd"}})
	}
	trusted := newMTLSServer(t, "127.0.0.1/32")
	h := http.Header{"X-Client-Cert": {url.PathEscape(string(app(trusted).CertPEM))}}
	if a := post(t, http.DefaultClient, trusted.proxyURL, "pki-dn", false, h); a.status != 200 {
		t.Fatalf("certificate from a trusted proxy: %+v", a)
	}
	envoy := http.Header{"X-Client-Cert": {`By=spiffe://jeton;Hash=abc;Cert="` + url.PathEscape(string(app(trusted).CertPEM)) + `";Subject="CN=x"`}}
	if a := post(t, http.DefaultClient, trusted.proxyURL, "pki-dn", false, envoy); a.status != 200 {
		t.Fatalf("Envoy XFCC from a trusted proxy: %+v", a)
	}
	for name, v := range map[string]string{"garbage": "%%%", "not PEM": "hello", "a key": url.PathEscape(string(app(trusted).KeyPEM))} {
		if a := post(t, http.DefaultClient, trusted.proxyURL, "pki-dn", false, http.Header{"X-Client-Cert": {v}}); a.status != 401 {
			t.Errorf("%s: %+v, want 401", name, a)
		}
	}
	untrusted := newMTLSServer(t, "10.0.0.0/8")
	h = http.Header{"X-Client-Cert": {url.PathEscape(string(app(untrusted).CertPEM))}}
	if a := post(t, http.DefaultClient, untrusted.proxyURL, "pki-dn", false, h); a.status != 401 || a.AccessToken != "" {
		t.Fatalf("certificate header from an untrusted peer: %+v, want 401", a)
	}
}

// TestMTLSDiscovery: discovery advertises certificate-bound tokens and the mTLS
// endpoint aliases (RFC 8705 §3.3, §5) and the two methods.
func TestMTLSDiscovery(t *testing.T) {
	s := newMTLSServer(t, "10.0.0.0/8")
	resp, err := http.Get(s.proxyURL + "/.well-known/oauth-authorization-server")
	must(t, err)
	defer resp.Body.Close()
	var md struct {
		Bound   bool              `json:"tls_client_certificate_bound_access_tokens"`
		Aliases map[string]string `json:"mtls_endpoint_aliases"`
		Methods []string          `json:"token_endpoint_auth_methods_supported"`
	}
	must(t, json.NewDecoder(resp.Body).Decode(&md))
	methods := strings.Join(md.Methods, " ")
	if !md.Bound || md.Aliases["token_endpoint"] != "https://as.example"+oauth2.TokenPath ||
		md.Aliases["introspection_endpoint"] != "https://as.example"+oauth2.IntrospectPath ||
		!strings.Contains(methods, "self_signed_tls_client_auth") || !strings.Contains(methods, "tls_client_auth") {
		t.Fatalf("discovery %+v", md)
	}
}
