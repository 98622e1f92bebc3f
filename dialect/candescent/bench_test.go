package candescent_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/clientcache"
	"github.com/jeton/jeton/dialect/candescent"
	"github.com/jeton/jeton/dialect/candescent/candescentstore"
	"github.com/jeton/jeton/dialect/oauth2"
	"github.com/jeton/jeton/httpapi"
	"github.com/jeton/jeton/internal/storeobs"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/metrics"
	"github.com/jeton/jeton/sqlite/sqlitetest"
	"github.com/jeton/jeton/token"
)

// BenchmarkClientCredentials compares the Candescent V2 token endpoint with the
// standard one on the same engine, in process (no network): the difference is the
// dialect layer's own cost.
func BenchmarkClientCredentials(b *testing.B) {
	ctx := context.Background()
	store := sqlitetest.New(b)
	km := keys.NewManager(store, make([]byte, 32), keys.Config{Algs: []string{"ES256"}})
	if err := km.Load(ctx); err != nil {
		b.Fatal(err)
	}
	// handler serves both dialects over store; with metrics, as serve wires them: the
	// request metrics, the store observed, the caches counted.
	handler := func(store jeton.Store, settings candescent.SettingsSource, m *httpapi.Metrics) http.Handler {
		cache := clientcache.New(store, time.Second, time.Now)
		engine := token.NewEngine(token.EngineConfig{
			Auth: &clientauth.Authenticator{Clients: cache, Now: time.Now,
				Methods: map[jeton.AuthMethod]clientauth.Method{jeton.AuthSecretBasic: clientauth.Secret{Now: time.Now}}},
			Grants: []token.Grant{token.ClientCredentials{}},
			Issuer: &token.Issuer{Issuer: issuer, Audience: []string{"https://api.example"},
				Signer: func(alg string) (token.Signer, error) { return km.Signer(alg) }},
		})
		intro := &token.Introspector{Issuer: issuer, KeySet: km.KeySet, Store: store, Clients: cache, Now: time.Now}
		rev := &token.Revoker{Tokens: intro, Store: store}
		std, err := oauth2.New(oauth2.Config{Engine: engine, Issuer: issuer, JWKS: km.JWKS, AuthMethods: []jeton.AuthMethod{jeton.AuthSecretBasic}})
		if err != nil {
			b.Fatal(err)
		}
		cd, err := candescent.New(candescent.Config{Engine: engine, Revoker: rev, Settings: settings, Customers: store})
		if err != nil {
			b.Fatal(err)
		}
		return httpapi.New(httpapi.Config{Logger: slog.New(slog.DiscardHandler), Ready: func(context.Context) error { return nil },
			Metrics: m, Mounts: []httpapi.Mount{{Dialect: std}, {Prefix: candescent.DefaultPrefix, Dialect: cd}}})
	}
	h := handler(store, store, nil)
	reg := prometheus.NewRegistry()
	set := metrics.New(reg)
	hm := handler(storeobs.Wrap(store, set.StoreHook()), candescentstore.Observe(store, set.StoreHook()), httpapi.NewMetrics(reg))
	now := time.Now()
	if err := store.CreateInstitution(ctx, jeton.Institution{ID: fi, Name: fi, CreatedAt: now, UpdatedAt: now}); err != nil {
		b.Fatal(err)
	}
	if err := store.CreateClient(ctx, jeton.Client{ID: "partner", InstitutionID: fi, Name: "p", Status: jeton.ClientActive,
		AuthMethod: jeton.AuthSecretBasic, SecretDigest: jeton.Digest(secret), Institutions: []string{fi},
		Grants: []string{jeton.GrantClientCredentials}, Scopes: []string{"accounts"}, TokenFormat: jeton.FormatJWT,
		AccessTokenTTL: time.Hour, SigningAlg: "ES256", CreatedAt: now, UpdatedAt: now}); err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, h http.Handler, path string, headers map[string]string) {
		for b.Loop() {
			req := httptest.NewRequest(http.MethodPost, path, strings.NewReader("grant_type=client_credentials&scope=accounts"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", basic("partner", secret))
			for k, v := range headers {
				req.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	}
	cdHeaders := map[string]string{"transactionId": txID, "institutionId": fi}
	b.Run("standard", func(b *testing.B) { run(b, h, oauth2.TokenPath, nil) })
	b.Run("candescent", func(b *testing.B) { run(b, h, candescent.DefaultPrefix+candescent.TokenPath, cdHeaders) })
	// The same with serve's metrics on: what they cost per request.
	b.Run("standard-metrics", func(b *testing.B) { run(b, hm, oauth2.TokenPath, nil) })
	b.Run("candescent-metrics", func(b *testing.B) { run(b, hm, candescent.DefaultPrefix+candescent.TokenPath, cdHeaders) })
}
