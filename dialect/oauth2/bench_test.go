package oauth2_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/clientcache"
	"github.com/jeton/jeton/dialect/oauth2"
	"github.com/jeton/jeton/httpapi"
	"github.com/jeton/jeton/internal/tracing"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/sqlite/sqlitetest"
	"github.com/jeton/jeton/token"
)

// discard is a span exporter that drops what it is sent: the cost measured is making
// and batching spans, not a collector's.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

// BenchmarkTokenTracing is a client_credentials request (client_secret_basic, JWT)
// through the public handler (middleware, dialect, engine), in process, with tracing
// off (no tracer: what every server without --otlp-endpoint runs), on with every
// request sampled (every span made and batched for export: the default sampler,
// parentbased_always_on, for requests without a trusted parent) and on with 5 % of
// the requests sampled (OTEL_TRACES_SAMPLER=parentbased_traceidratio, 0.05).
func BenchmarkTokenTracing(b *testing.B) {
	b.Run("off", func(b *testing.B) { benchToken(b, nil) })
	for name, sampler := range map[string]sdktrace.Sampler{
		"on":      sdktrace.ParentBased(sdktrace.AlwaysSample()),
		"on-5pct": sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0.05)),
	} {
		b.Run(name, func(b *testing.B) {
			tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discard{}), sdktrace.WithSampler(sampler))
			defer tp.Shutdown(context.Background())
			benchToken(b, tracing.New(tp))
		})
	}
}

func benchToken(b *testing.B, tr *tracing.Tracer) {
	ctx := context.Background()
	store := sqlitetest.New(b)
	km := keys.NewManager(store, make([]byte, 32), keys.Config{Algs: []string{"ES256"}})
	if err := km.Load(ctx); err != nil {
		b.Fatal(err)
	}
	cache := clientcache.New(store, time.Second, time.Now)
	engine := token.NewEngine(token.EngineConfig{
		Auth: &clientauth.Authenticator{Clients: cache, Now: time.Now,
			Methods: map[jeton.AuthMethod]clientauth.Method{jeton.AuthSecretBasic: clientauth.Secret{Now: time.Now}}},
		Grants: []token.Grant{token.ClientCredentials{}},
		Issuer: &token.Issuer{Issuer: "https://as.example", Audience: []string{"https://api.example"},
			Signer: func(alg string) (token.Signer, error) { return km.Signer(alg) }},
		Tracer: tr,
	})
	std, err := oauth2.New(oauth2.Config{Engine: engine, Issuer: "https://as.example", JWKS: km.JWKS, AuthMethods: []jeton.AuthMethod{jeton.AuthSecretBasic}})
	if err != nil {
		b.Fatal(err)
	}
	h := httpapi.New(httpapi.Config{Logger: slog.New(slog.DiscardHandler), Ready: func(context.Context) error { return nil },
		Mounts: []httpapi.Mount{{Dialect: std}}, Tracer: tr})
	now := time.Now()
	if err := store.CreateInstitution(ctx, jeton.Institution{ID: "fi", Name: "fi", CreatedAt: now, UpdatedAt: now}); err != nil {
		b.Fatal(err)
	}
	if err := store.CreateClient(ctx, jeton.Client{ID: "partner", InstitutionID: "fi", Name: "p", Status: jeton.ClientActive,
		AuthMethod: jeton.AuthSecretBasic, SecretDigest: jeton.Digest(secret), Institutions: []string{"fi"},
		Grants: []string{jeton.GrantClientCredentials}, Scopes: []string{"accounts"}, TokenFormat: jeton.FormatJWT,
		AccessTokenTTL: time.Hour, SigningAlg: "ES256", CreatedAt: now, UpdatedAt: now}); err != nil {
		b.Fatal(err)
	}
	auth := basicAuth("partner", secret)
	defer reportCPU(b)()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, oauth2.TokenPath, strings.NewReader("grant_type=client_credentials&scope=accounts"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", auth)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// reportCPU reports the process's CPU time per operation (cpu-ns/op) when the
// returned func runs: on a machine shared with other work, wall time per operation
// measures the queue for a core as much as the code, CPU time much less so.
func reportCPU(b *testing.B) func() {
	before := cpuTime()
	return func() { b.ReportMetric(float64((cpuTime()-before).Nanoseconds())/float64(b.N), "cpu-ns/op") }
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
