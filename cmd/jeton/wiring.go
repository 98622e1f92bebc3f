package main

import (
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/calendarcache"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/clientcache"
	"github.com/jeton/jeton/clients"
	"github.com/jeton/jeton/console"
	"github.com/jeton/jeton/dialect/oauth2"
	"github.com/jeton/jeton/httpapi"
	"github.com/jeton/jeton/internal/ttlcache"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/module"
	"github.com/jeton/jeton/oidc"
	"github.com/jeton/jeton/password"
	"github.com/jeton/jeton/rar"
	"github.com/jeton/jeton/ratelimit"
	"github.com/jeton/jeton/tlsserve"
	"github.com/jeton/jeton/token"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// buildServers wires the engine, the standard dialect and both handlers (DESIGN rule 6:
// wiring only here).
func (a *app) buildServers(adminToken string) error {
	var err error
	if a.proxies, err = httpapi.ParseTrustedProxies(a.cfg.TrustedProxies); err != nil {
		return err
	}
	var overrides *ratelimit.Cached
	if rs, ok := a.store.(jeton.RateLimitStore); ok {
		overrides = ratelimit.NewCached(rs, a.cfg.RateLimitCacheTTL)
	} else {
		return errors.New("the store keeps no rate-limit overrides")
	}
	limits := a.cfg.RateLimits
	limits.Events = a.events
	if a.limiter, err = ratelimit.New(limits, overrides, time.Now); err != nil {
		return err
	}
	a.cache = clientcache.New(a.store, a.cfg.ClientCacheTTL, time.Now)
	a.cache.SetMaxEntries(a.cfg.ClientCacheMax)
	a.calendars = calendarcache.New(a.store, a.cfg.CalendarCacheTTL, time.Now)
	if a.details, err = rar.Load(a.cfg.AuthorizationDetailsSchemas); err != nil {
		return err
	}
	auth, methods, err := a.buildAuth()
	if err != nil {
		return err
	}
	pool, err := token.NewHashPool(token.HashPoolConfig{Workers: a.cfg.PasswordWorkers, Queue: a.cfg.PasswordQueue,
		Params:   password.Params{MemoryKiB: a.cfg.Argon2MemoryKiB, Passes: a.cfg.Argon2Passes, Lanes: a.cfg.Argon2Lanes},
		Observer: a.metrics.HashPool(), Tracer: a.tracer})
	if err != nil {
		return err
	}
	a.metrics.WatchHashPool(pool)
	grants, pw, err := a.buildGrants(pool)
	if err != nil {
		return err
	}
	issuer := a.buildIssuer()
	hours := token.Hours{Calendars: a.calendars}
	proofs := a.buildDPoP()
	engine := token.NewEngine(token.EngineConfig{Auth: auth, Grants: grants, Issuer: issuer, Policies: []token.Policy{hours, a.limiter}, Tracer: a.tracer, Details: a.details, DPoP: proofs})
	intro := &token.Introspector{Issuer: a.Issuer, KeySet: a.keys.KeySet, Store: a.store, Clients: a.cache, Now: time.Now}
	signin, err := oidc.New(oidc.Config{
		Issuer: a.Issuer, Store: a.store, Clients: a.cache, Engine: engine, SignIn: pw.SignIn,
		Introspector: intro, CookieKey: oidc.SessionKey(a.kek), PreviousCookieKeys: derived(a.previousKEKs, oidc.SessionKey),
		SessionTTL:  a.cfg.SessionTTL,
		SigningAlgs: keys.DefaultAlgs(), Now: time.Now, // ID tokens use the client's alg
		Events: a.events, RequestObjects: a.requestObjects, Details: a.details, DPoP: proofs,
	})
	if err != nil {
		return err
	}
	revoker := &token.Revoker{Tokens: intro, Store: a.store, MaxTokenTTL: a.cfg.MaxTokenTTL}
	std, err := oauth2.New(oauth2.Config{
		Metadata: signin.Metadata(),
		Engine:   engine, Issuer: a.Issuer, JWKS: a.keys.JWKS, AuthMethods: methods,
		JWKSMaxAge:   int(min(a.cfg.PublishDelay/2, 5*time.Minute).Seconds()),
		Introspector: intro,
		Revoker:      revoker,
		DPoP:         proofs,
		MTLS:         a.cfg.TLSClientCerts != string(tlsserve.ClientCertsOff) || a.cfg.ClientCertHeader != "",
	})
	if err != nil {
		return err
	}
	a.watchCaches(overrides, intro)
	a.reg.MustRegister(a.schedule.Collector())
	httpMetrics := httpapi.NewMetrics(a.reg)
	handler := func(mounts []httpapi.Mount) http.Handler {
		return httpapi.New(httpapi.Config{Logger: a.logger, Metrics: httpMetrics, Ready: a.ready, Mounts: mounts, TrustedProxies: a.proxies, Tracer: a.tracer, ClientCertHeader: a.cfg.ClientCertHeader})
	}
	clientService := clients.New(clients.Config{Store: a.store, KEK: a.kek, PreviousKEKs: a.previousKEKs,
		JWKSAllowHosts: a.cfg.JWKSAllowHosts, Invalidate: a.cache.Invalidate, Now: time.Now, Events: a.events,
		DetailTypes: a.details.Known})
	core := module.Core{
		Issuer: a.Issuer, Store: a.store, Clients: a.cache, Invalidate: a.cache.Invalidate, ClientService: clientService,
		ClientCacheTTL: a.cfg.ClientCacheTTL, Engine: engine, TokenIssuer: issuer, Refresh: refreshGrant(grants),
		Policies: []token.Policy{hours, a.limiter}, Introspector: intro, Revoker: revoker,
		AssertionMaxLifetime: a.cfg.AssertionMaxLifetime, ClockSkew: a.cfg.ClockSkew, RequireLowS: a.cfg.RequireLowS,
		Handler: handler, Logger: a.logger, Now: time.Now,
		TLS: a.certs, ClientCerts: tlsserve.ClientCerts(a.cfg.TLSClientCerts),
		Events: a.events, WatchCache: a.metrics.WatchCache, Tracer: a.tracer,
	}
	mounts, err := a.serveModules(core, httpapi.Mount{Prefix: "", Dialect: std}, httpapi.Mount{Prefix: "", Dialect: signin})
	if err != nil {
		return err
	}
	publicHandler := handler(mounts)
	adminMux := http.NewServeMux()
	adminMux.Handle("/admin/", adminapi.New(adminapi.Config{
		Store: a.store, Keys: a.keys, Token: adminToken, Now: time.Now, KEK: a.kek,
		Invalidate: a.cache.Invalidate, InvalidateCalendar: a.calendars.Invalidate, InvalidateRateLimit: overrides.Invalidate,
		Logger: a.logger, Password: pool.Params(), JWKSAllowHosts: a.cfg.JWKSAllowHosts,
		Routes: a.moduleRoutes(), Clients: clientService, Events: a.events,
	}))
	adminMux.Handle("GET /metrics", promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{}))
	if err := a.buildConsole(adminMux, a.reg, clientService, pool.Params()); err != nil {
		return err
	}
	a.public = httpapi.NewHTTPServer(a.cfg.Addr, publicHandler, a.logger)
	a.admin = httpapi.NewHTTPServer(a.cfg.AdminAddr, httpapi.Middleware(a.logger, nil, httpapi.NewTracing(a.tracer, a.proxies), httpapi.ClientAddr(a.proxies, adminMux)), a.logger)
	return nil
}

// watchCaches reports the core's caches in the metrics (jeton_cache_requests_total).
func (a *app) watchCaches(overrides *ratelimit.Cached, intro *token.Introspector) {
	a.metrics.WatchCache("client", a.cache.Stats)
	a.metrics.WatchCache("calendar", a.calendars.Stats)
	a.metrics.WatchCache("rate_limit_override", overrides.Stats)
	a.metrics.WatchCache("verified_jwt", intro.VerifiedStats)
}

// buildConsole mounts the web console on the admin listener only (docs/console.md);
// its activity chart samples reg, the registry /metrics serves.
func (a *app) buildConsole(adminMux *http.ServeMux, reg prometheus.Gatherer, svc *clients.Service, pw password.Params) error {
	sealer, err := keys.NewTOTPSealer(a.kek, a.previousKEKs...)
	if err != nil {
		return err
	}
	a.activity = console.NewActivity(reg, time.Now)
	c, err := console.New(console.Config{
		Store: a.store, Clients: svc, Keys: a.keys, TOTP: sealer, Issuer: a.Issuer,
		Secure: a.cfg.AdminTLS.Enabled(), IdleTimeout: a.cfg.ConsoleIdleTimeout,
		Lockout: a.consoleLockout(),
		Limit:   a.limiter.Password, InvalidateCalendar: a.calendars.Invalidate,
		Activity: a.activity, Password: pw, Logger: a.logger, Now: time.Now,
		Extensions: a.consoleExtensions(),
	})
	if err != nil {
		return err
	}
	adminMux.Handle(console.Prefix, c)
	return nil
}

// consoleExtensions are the vendor modules' console pages (module.ConsolePages).
func (a *app) consoleExtensions() []console.Extension {
	var exts []console.Extension
	for _, m := range a.cfg.Modules {
		if p, ok := m.(module.ConsolePages); ok {
			exts = append(exts, p.ConsolePages()...)
		}
	}
	return exts
}

// consoleLockout is the console's sign-in budget: the customers' lockout settings.
func (a *app) consoleLockout() jeton.LockoutPolicy {
	return jeton.LockoutPolicy{MaxFailures: a.cfg.LockoutFailures, Window: a.cfg.LockoutWindow, Cooldown: a.cfg.LockoutCooldown}
}

// buildAuth enables every client authentication method: secrets (RFC 6749 §2.3.1) and
// JWT assertions (RFC 7523 §2.2). It returns the methods for discovery.
func (a *app) buildAuth() (*clientauth.Authenticator, []jeton.AuthMethod, error) {
	sealer, err := keys.NewSecretSealer(a.kek, a.previousKEKs...)
	if err != nil {
		return nil, nil, err
	}
	audiences := a.cfg.AssertionAudience
	if len(audiences) == 0 {
		audiences = []string{a.Issuer, a.Issuer + oauth2.TokenPath}
	}
	keySource := clientauth.NewKeys(clientauth.KeysConfig{Now: time.Now, AllowHosts: a.cfg.JWKSAllowHosts})
	a.metrics.WatchCache("client_keys", func() ttlcache.Stats { registered, _ := keySource.Stats(); return registered })
	a.metrics.WatchCache("jwks_uri", func() ttlcache.Stats { _, remote := keySource.Stats(); return remote })
	assertion, err := clientauth.NewAssertion(clientauth.AssertionConfig{
		Audiences: audiences, MaxLifetime: a.cfg.AssertionMaxLifetime, Skew: a.cfg.ClockSkew,
		Replay: a.store, Now: time.Now, Keys: keySource,
		OpenSecret: sealer.Open, RequireLowS: a.cfg.RequireLowS, Events: a.events,
	})
	if err != nil {
		return nil, nil, err
	}
	// Request objects (RFC 9101) use the same keys, clock rules and replay store.
	a.requestObjects, err = clientauth.NewRequestObjects(clientauth.RequestObjectConfig{
		Issuer: a.Issuer, Skew: a.cfg.ClockSkew, Now: time.Now, Replay: a.store, Keys: keySource, Events: a.events,
	})
	if err != nil {
		return nil, nil, err
	}
	roots, err := loadClientCAs(a.cfg.TLSClientCA)
	if err != nil {
		return nil, nil, err
	}
	secret := clientauth.Secret{Now: time.Now}
	byMethod := map[jeton.AuthMethod]clientauth.Method{
		jeton.AuthSecretBasic: secret, jeton.AuthSecretPost: secret,
		jeton.AuthPrivateKey: assertion, jeton.AuthSecretJWT: assertion,
		jeton.AuthNone: clientauth.None{}, // public clients: authorization_code with PKCE only
		// RFC 8705 §2: the certificate comes from the TLS listener or a trusted proxy.
		jeton.AuthTLSClient: clientauth.NewTLSClient(roots, time.Now), jeton.AuthSelfSignedTLS: clientauth.SelfSignedTLS{Keys: keySource},
	}
	methods := []jeton.AuthMethod{jeton.AuthSecretBasic, jeton.AuthSecretPost, jeton.AuthPrivateKey, jeton.AuthSecretJWT, jeton.AuthNone}
	if a.cfg.TLSClientCerts != string(tlsserve.ClientCertsOff) || a.cfg.ClientCertHeader != "" {
		methods = append(methods, jeton.AuthTLSClient, jeton.AuthSelfSignedTLS)
	}
	return &clientauth.Authenticator{Clients: a.cache, Methods: byMethod, Now: time.Now}, methods, nil
}

// buildGrants enables client_credentials, password (per client), refresh_token and
// authorization_code.
func (a *app) buildGrants(pool *token.HashPool) ([]token.Grant, *token.Password, error) {
	pw, err := token.NewPassword(token.PasswordConfig{Customers: a.store, Audit: a.store, Hasher: pool, Limit: a.limiter.Password,
		Lockout: jeton.LockoutPolicy{MaxFailures: a.cfg.LockoutFailures, Window: a.cfg.LockoutWindow, Cooldown: a.cfg.LockoutCooldown},
		Events:  a.events})
	if err != nil {
		return nil, nil, err
	}
	refresh := &token.RefreshGrant{Store: a.store, Key: token.DeriveRefreshKey(a.kek),
		PreviousKeys: derived(a.previousKEKs, token.DeriveRefreshKey), IdleTTL: a.cfg.RefreshIdleTTL,
		Grace: a.cfg.RefreshGrace, MaxTokenTTL: a.cfg.MaxTokenTTL, Events: a.events}
	code := &token.AuthorizationCode{Store: a.store, MaxTokenTTL: a.cfg.MaxTokenTTL, Events: a.events}
	return []token.Grant{token.ClientCredentials{}, pw, refresh, code}, pw, nil
}

func (a *app) buildIssuer() *token.Issuer {
	audience := a.cfg.Audience
	if len(audience) == 0 {
		audience = []string{a.Issuer}
	}
	signer := func(alg string) (token.Signer, error) { return a.keys.Signer(alg) }
	return &token.Issuer{
		Issuer:          a.Issuer,
		IDTokens:        &token.IDTokenIssuer{Issuer: a.Issuer, Signer: signer},
		Audience:        audience,
		Signer:          signer,
		AccessTokens:    a.store,
		RefreshFamilies: a.store,
		RefreshIdleTTL:  a.cfg.RefreshIdleTTL,
		MaxTTL:          a.cfg.MaxTokenTTL,
		Slots:           a.store,
	}
}

// serveModules builds every vendor module's dialects after the core's mounts; their
// own listeners join a.extra.
func (a *app) serveModules(core module.Core, mounts ...httpapi.Mount) ([]httpapi.Mount, error) {
	for _, m := range a.cfg.Modules {
		s, err := m.Serve(core)
		for _, x := range s.Servers {
			if x.Handler == nil { // Serve failed after binding
				_ = x.Ln.Close()
				continue
			}
			a.extra = append(a.extra, extraServer{name: x.Name, srv: httpapi.NewHTTPServer(x.Addr, x.Handler, a.logger), ln: x.Ln})
		}
		if err != nil {
			return nil, err
		}
		mounts = append(mounts, s.Mounts...)
	}
	return mounts, nil
}

// moduleRoutes are the vendor modules' admin routes.
func (a *app) moduleRoutes() []adminapi.Routes {
	routes := make([]adminapi.Routes, 0, len(a.cfg.Modules))
	for _, m := range a.cfg.Modules {
		routes = append(routes, m.AdminRoutes)
	}
	return routes
}

// refreshGrant is the refresh grant among grants (a module's own engine shares it).
func refreshGrant(grants []token.Grant) *token.RefreshGrant {
	for _, g := range grants {
		if r, ok := g.(*token.RefreshGrant); ok {
			return r
		}
	}
	return nil
}

// extraServer is a listener of its own for one vendor module, served next to the
// public one.
type extraServer struct {
	name string
	srv  *http.Server
	ln   net.Listener
}

// derived applies derive (a key derivation from the KEK) to each previous KEK, so that
// what was made under one of them is still recognised during a KEK rotation.
func derived(keks [][]byte, derive func([]byte) []byte) [][]byte {
	out := make([][]byte, len(keks))
	for i, k := range keks {
		out[i] = derive(k)
	}
	return out
}
