package main

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/jeton/jeton/dialect/cardcore"
	"github.com/jeton/jeton/httpapi"
	"github.com/jeton/jeton/token"
	"github.com/spf13/pflag"
)

// cardcoreConfig is the CardCore dialect's settings (docs/configuration.md).
type cardcoreConfig struct {
	Enabled    bool
	Prefix     string
	Addr       string
	Audience   []string
	MinRSABits int
	TokenTTL   time.Duration
}

func bindCardCoreFlags(f *pflag.FlagSet, cfg *cardcoreConfig) {
	f.BoolVar(&cfg.Enabled, "cardcore", true, "serve the CardCore dialect (token endpoint and application management)")
	f.StringVar(&cfg.Prefix, "cardcore-prefix", cardcore.DefaultPrefix, "path prefix of the CardCore dialect on the public listener (\"\" for none)")
	f.StringVar(&cfg.Addr, "cardcore-addr", "", "also serve the CardCore dialect at the root of this listener (for clients whose base URL has no path)")
	f.StringSliceVar(&cfg.Audience, "cardcore-audience", nil, "extra accepted aud of CardCore client assertions, e.g. the CardCore environment URL (the token endpoint URLs are always accepted)")
	f.IntVar(&cfg.MinRSABits, "cardcore-min-rsa-bits", 2048, "smallest RSA key a CardCore application may register (lower only for legacy keys)")
	f.DurationVar(&cfg.TokenTTL, "cardcore-token-ttl", time.Hour, "access-token lifetime of new CardCore applications")
}

// extraServer is a listener of its own for one dialect, served next to the public one.
type extraServer struct {
	name string
	srv  *http.Server
	ln   net.Listener
}

// buildCardCore wires the CardCore dialect over the shared issuer and refresh grant,
// and returns its mounts on the public listener; with --cardcore-addr it also adds a
// listener serving it at the root.
func (a *app) buildCardCore(issuer *token.Issuer, grants []token.Grant, metrics *httpapi.Metrics, policies ...token.Policy) ([]httpapi.Mount, error) {
	cfg := a.cfg.CardCore
	if !cfg.Enabled {
		return nil, nil
	}
	prefix := strings.TrimSuffix(cfg.Prefix, "/")
	if prefix != "" && !strings.HasPrefix(prefix, "/") {
		return nil, fmt.Errorf("--cardcore-prefix %q must start with /", cfg.Prefix)
	}
	var refresh *token.RefreshGrant
	for _, g := range grants {
		if r, ok := g.(*token.RefreshGrant); ok {
			refresh = r
		}
	}
	var ln net.Listener
	audiences := append([]string{a.Issuer, a.Issuer + prefix + cardcore.TokenPath}, cfg.Audience...)
	if cfg.Addr != "" {
		var err error
		if ln, err = net.Listen("tcp", cfg.Addr); err != nil {
			return nil, fmt.Errorf("cardcore listener: %w", err)
		}
		audiences = append(audiences, "http://"+displayAddr(ln.Addr())+cardcore.TokenPath)
	}
	apps := cardcore.NewApps(a.store, a.cfg.ClientCacheTTL, time.Now)
	engine, err := cardcore.NewEngine(cardcore.EngineConfig{
		Clients: a.cache, Apps: apps, Replay: a.store, Audiences: audiences,
		MaxLifetime: a.cfg.AssertionMaxLifetime, Skew: a.cfg.ClockSkew, MinRSABits: cfg.MinRSABits,
		RequireLowS: a.cfg.RequireLowS, Issuer: issuer, Refresh: refresh, Policies: policies, Now: time.Now,
	})
	if err != nil {
		return nil, err
	}
	d := cardcore.New(cardcore.Config{Engine: engine, Store: a.store, Apps: apps, Invalidate: a.cache.Invalidate,
		MinRSABits: cfg.MinRSABits, AccessTokenTTL: cfg.TokenTTL, Now: time.Now})
	if ln != nil {
		h := httpapi.New(httpapi.Config{Logger: a.logger, Metrics: metrics, Ready: a.ready,
			Mounts: []httpapi.Mount{{Prefix: "", Dialect: d}}})
		a.extra = append(a.extra, extraServer{name: "cardcore", srv: httpapi.NewHTTPServer(cfg.Addr, h, a.logger), ln: ln})
	}
	a.logger.Info("cardcore dialect", "prefix", prefix, "own_listener", cfg.Addr)
	return []httpapi.Mount{{Prefix: prefix, Dialect: d}}, nil
}
