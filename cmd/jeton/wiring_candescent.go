package main

import (
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/jeton/jeton/dialect/candescent"
	"github.com/jeton/jeton/httpapi"
	"github.com/jeton/jeton/token"
	"github.com/spf13/pflag"
)

// candescentOff as --candescent-prefix leaves the dialect off the public listener.
const candescentOff = "off"

// candescentConfig is serve's Candescent settings (docs/configuration.md).
type candescentConfig struct {
	Prefix   string
	Addr     string
	V1TTL    time.Duration
	AliasTTL time.Duration
}

func bindCandescentFlags(f *pflag.FlagSet, cfg *candescentConfig) {
	f.StringVar(&cfg.Prefix, "candescent-prefix", candescent.DefaultPrefix, `path prefix of the Candescent dialect on the public listener ("off": not mounted there)`)
	f.StringVar(&cfg.Addr, "candescent-addr", "", "own listener serving the Candescent dialect at its root (empty: none)")
	f.DurationVar(&cfg.V1TTL, "candescent-v1-ttl", candescent.DefaultV1TTL, "longest lifetime of Candescent V1 (legacy XML) access tokens")
	f.DurationVar(&cfg.AliasTTL, "candescent-alias-ttl", candescent.DefaultAliasTTL, "how long an institutionId (id or alias) resolution is cached")
}

func (c candescentConfig) check() error {
	if c.Prefix != candescentOff && (!strings.HasPrefix(c.Prefix, "/") || strings.HasSuffix(c.Prefix, "/")) {
		return fmt.Errorf(`--candescent-prefix %q: must start with "/" and not end with one (or be "off")`, c.Prefix)
	}
	return nil
}

// buildCandescent wires the dialect over the shared engine; it returns the public
// listener's mounts for it.
func (a *app) buildCandescent(engine *token.Engine, intro *token.Introspector, rev *token.Revoker, metrics *httpapi.Metrics) ([]httpapi.Mount, error) {
	cfg := a.cfg.Candescent
	if err := cfg.check(); err != nil {
		return nil, err
	}
	d, err := candescent.New(candescent.Config{
		Engine: engine, Revoker: rev, Settings: a.store, Customers: a.store,
		AliasTTL: cfg.AliasTTL, V1TTL: cfg.V1TTL, Now: time.Now,
		Minter: &candescent.Minter{Tokens: intro, Clients: a.cache, Links: a.store, Codes: a.store, Customers: a.store},
	})
	if err != nil {
		return nil, err
	}
	if a.candescentLn != nil {
		h := httpapi.New(httpapi.Config{Logger: a.logger, Metrics: metrics, Ready: a.ready, Mounts: []httpapi.Mount{{Prefix: "", Dialect: d}}})
		a.extra = append(a.extra, extraServer{name: "candescent", srv: httpapi.NewHTTPServer(cfg.Addr, h, a.logger), ln: a.candescentLn})
	}
	if cfg.Prefix == candescentOff {
		return nil, nil
	}
	return []httpapi.Mount{{Prefix: cfg.Prefix, Dialect: d}}, nil
}

// listenCandescent binds the dialect's own listener when one is configured.
func (a *app) listenCandescent() (err error) {
	if a.cfg.Candescent.Addr == "" {
		return nil
	}
	if a.candescentLn, err = net.Listen("tcp", a.cfg.Candescent.Addr); err != nil {
		return fmt.Errorf("candescent listener: %w", err)
	}
	return nil
}
