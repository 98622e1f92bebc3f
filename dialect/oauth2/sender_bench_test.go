package oauth2_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/clientcache"
	"github.com/jeton/jeton/dialect/oauth2"
	"github.com/jeton/jeton/dpop"
	"github.com/jeton/jeton/dpop/dpoptest"
	"github.com/jeton/jeton/httpapi"
	"github.com/jeton/jeton/internal/testcert"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/sqlite/sqlitetest"
	"github.com/jeton/jeton/tlsserve"
	"github.com/jeton/jeton/token"
)

// senderBench is the public handler of the standard dialect with DPoP and mTLS
// wired as serve wires them, over a real SQLite store, and one client per method.
type senderBench struct {
	h  http.Handler
	ca testcert.Pair
}

func newSenderBench(b *testing.B) *senderBench {
	ctx := context.Background()
	store := sqlitetest.New(b)
	km := keys.NewManager(store, make([]byte, 32), keys.Config{Algs: []string{"ES256"}})
	if err := km.Load(ctx); err != nil {
		b.Fatal(err)
	}
	s := &senderBench{ca: testcert.New(b, "Bench CA")}
	roots := x509.NewCertPool()
	roots.AddCert(s.ca.Cert)
	cache := clientcache.New(store, time.Second, time.Now)
	engine := token.NewEngine(token.EngineConfig{
		Auth: &clientauth.Authenticator{Clients: cache, Now: time.Now, Methods: map[jeton.AuthMethod]clientauth.Method{
			jeton.AuthSecretBasic: clientauth.Secret{Now: time.Now}, jeton.AuthTLSClient: clientauth.NewTLSClient(roots, time.Now)}},
		Grants: []token.Grant{token.ClientCredentials{}},
		Issuer: &token.Issuer{Issuer: "https://as.example", Audience: []string{"https://api.example"},
			Signer: func(alg string) (token.Signer, error) { return km.Signer(alg) }},
		DPoP: &dpop.Verifier{Replay: store, Now: time.Now},
	})
	std, err := oauth2.New(oauth2.Config{Engine: engine, Issuer: "https://as.example", JWKS: km.JWKS,
		AuthMethods: []jeton.AuthMethod{jeton.AuthSecretBasic, jeton.AuthTLSClient}, DPoP: &dpop.Verifier{Replay: store, Now: time.Now}})
	if err != nil {
		b.Fatal(err)
	}
	s.h = httpapi.New(httpapi.Config{Logger: slog.New(slog.DiscardHandler), Ready: func(context.Context) error { return nil },
		Mounts: []httpapi.Mount{{Dialect: std}}})
	now := time.Now()
	if err := store.CreateInstitution(ctx, jeton.Institution{ID: "fi", Name: "fi", CreatedAt: now, UpdatedAt: now}); err != nil {
		b.Fatal(err)
	}
	for _, c := range []jeton.Client{
		{ID: "partner", AuthMethod: jeton.AuthSecretBasic, SecretDigest: jeton.Digest(secret)},
		{ID: "mtls", AuthMethod: jeton.AuthTLSClient, SenderConstraints: jeton.SenderConstraints{TLSClientAuthSubjectDN: "CN=mtls"}},
	} {
		c.InstitutionID, c.Name, c.Status, c.Institutions = "fi", c.ID, jeton.ClientActive, []string{"fi"}
		c.Grants, c.Scopes, c.TokenFormat = []string{jeton.GrantClientCredentials}, []string{"accounts"}, jeton.FormatJWT
		c.AccessTokenTTL, c.SigningAlg, c.CreatedAt, c.UpdatedAt = time.Hour, "ES256", now, now
		if err := store.CreateClient(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

// BenchmarkDPoPClientCredentials is client_credentials (client_secret_basic, ES256 JWT)
// through the public handler, in process, from 16 goroutines at once like the bench
// scripts' 16 connections, as a bearer request and with a DPoP proof (one more ES256
// verification and the proof's single-use record, RFC 9449): the pair whose ratio
// docs/benchmarks.md bounds. Concurrency matters: the records of concurrent requests
// share the store's commits. The proofs are signed before the timer starts, as a
// client signs them on its own machine.
func BenchmarkDPoPClientCredentials(b *testing.B) {
	s := newSenderBench(b)
	auth := basicAuth("partner", secret)
	run := func(b *testing.B, proofs []string) {
		var next atomic.Int64
		b.SetParallelism(16 / max(runtime.GOMAXPROCS(0), 1))
		defer reportCPU(b)()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req := httptest.NewRequest(http.MethodPost, oauth2.TokenPath, strings.NewReader("grant_type=client_credentials&scope=accounts"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Authorization", auth)
				if proofs != nil {
					req.Header.Set("DPoP", proofs[next.Add(1)-1])
				}
				w := httptest.NewRecorder()
				s.h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Errorf("status %d: %s", w.Code, w.Body)
					return
				}
			}
		})
	}
	b.Run("bearer", func(b *testing.B) { run(b, nil) })
	b.Run("dpop", func(b *testing.B) {
		key := dpoptest.NewKey(b)
		proofs := make([]string, b.N)
		for i := range proofs {
			proofs[i] = key.New("POST", "https://as.example"+oauth2.TokenPath, time.Now()).Sign(b)
		}
		b.ResetTimer()
		run(b, proofs)
	})
}

// BenchmarkMTLSClientCredentials is client_credentials over a real HTTPS listener with
// kept-alive connections: client_secret_basic without a client certificate, and
// tls_client_auth (RFC 8705 §2.1: the certificate's chain and subject DN) with a
// certificate-bound token (§3), from 16 goroutines at once.
func BenchmarkMTLSClientCredentials(b *testing.B) {
	s := newSenderBench(b)
	server := testcert.New(b, "server")
	dir := b.TempDir()
	files := tlsserve.Files{Cert: dir + "/tls.crt", Key: dir + "/tls.key"}
	server.Write(b, files.Cert, files.Key)
	ln, _, err := tlsserve.Listen("127.0.0.1:0", files, tlsserve.ClientCertsRequest, nil, "public")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: s.h}
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(func() { _ = srv.Close() })
	url := "https://" + ln.Addr().String() + oauth2.TokenPath
	run := func(b *testing.B, cfg *tls.Config, body, authz string) {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg, MaxIdleConnsPerHost: 16}}
		defer c.CloseIdleConnections()
		b.SetParallelism(16 / max(runtime.GOMAXPROCS(0), 1))
		defer reportCPU(b)()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if authz != "" {
					req.Header.Set("Authorization", authz)
				}
				resp, err := c.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		})
	}
	b.Run("https-basic", func(b *testing.B) {
		run(b, server.Pinned(), "grant_type=client_credentials&scope=accounts", basicAuth("partner", secret))
	})
	b.Run("mtls", func(b *testing.B) {
		cfg := server.Pinned()
		cfg.Certificates = []tls.Certificate{s.ca.Issue(b, pkix.Name{CommonName: "mtls"}).TLS(b)}
		run(b, cfg, "grant_type=client_credentials&scope=accounts&client_id=mtls", "")
	})
}
