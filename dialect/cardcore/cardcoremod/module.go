// Package cardcoremod is the CardCore vendor module (docs/dialects/cardcore.md): it
// wires the dialect, its admin routes and its CLI commands into jeton through
// module.Module.
package cardcoremod

import (
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dialect/cardcore"
	"github.com/jeton/jeton/dialect/cardcore/cardcorestore"
	"github.com/jeton/jeton/httpapi"
	"github.com/jeton/jeton/internal/storeobs"
	"github.com/jeton/jeton/internal/ttlcache"
	"github.com/jeton/jeton/module"
	"github.com/jeton/jeton/tlsserve"
)

// Module is the CardCore module; its fields are serve's CardCore settings
// (docs/configuration.md).
type Module struct {
	Enabled    bool
	Prefix     string
	Addr       string
	TLS        tlsserve.Files // --cardcore-tls-cert/-key: HTTPS on --cardcore-addr
	Audience   []string
	MinRSABits int
	TokenTTL   time.Duration

	// dialect and tokenURL are what Serve built, for the console's pages.
	dialect  *cardcore.Dialect
	tokenURL string
}

// New returns the module with its defaults (set by Flags).
func New() *Module { return &Module{} }

// Name is "cardcore".
func (*Module) Name() string { return "cardcore" }

// Flags declares the --cardcore-* settings.
func (m *Module) Flags(f *pflag.FlagSet) {
	f.BoolVar(&m.Enabled, "cardcore", true, "serve the CardCore dialect (token endpoint and application management)")
	f.StringVar(&m.Prefix, "cardcore-prefix", cardcore.DefaultPrefix, "path prefix of the CardCore dialect on the public listener (\"\" for none)")
	f.StringVar(&m.Addr, "cardcore-addr", "", "also serve the CardCore dialect at the root of this listener (for clients whose base URL has no path)")
	module.TLSFlags(f, "cardcore", &m.TLS)
	f.StringSliceVar(&m.Audience, "cardcore-audience", nil, "extra accepted aud of CardCore client assertions, e.g. the CardCore environment URL (the token endpoint URLs are always accepted)")
	f.IntVar(&m.MinRSABits, "cardcore-min-rsa-bits", 2048, "smallest RSA key a CardCore application may register (lower only for legacy keys)")
	f.DurationVar(&m.TokenTTL, "cardcore-token-ttl", time.Hour, "access-token lifetime of new CardCore applications")
}

// Serve wires the CardCore dialect over the shared issuer and refresh grant: its
// mount on the public listener and, with --cardcore-addr, a listener serving it at
// the root.
func (m *Module) Serve(c module.Core) (module.Serving, error) {
	if !m.Enabled {
		return module.Serving{}, nil
	}
	prefix := strings.TrimSuffix(m.Prefix, "/")
	if prefix != "" && !strings.HasPrefix(prefix, "/") {
		return module.Serving{}, fmt.Errorf("--cardcore-prefix %q must start with /", m.Prefix)
	}
	st, ok := stores(c.Store)
	if !ok {
		return module.Serving{}, fmt.Errorf("cardcore: the store does not keep CardCore applications")
	}
	var ln net.Listener
	audiences := append([]string{c.Issuer, c.Issuer + prefix + cardcore.TokenPath}, m.Audience...)
	if m.Addr != "" {
		var base string
		var err error
		if ln, base, err = c.Listen("cardcore", m.Addr, m.TLS); err != nil {
			return module.Serving{}, err
		}
		audiences = append(audiences, base+cardcore.TokenPath)
	} else if err := module.NoOwnListener("cardcore", m.TLS); err != nil {
		return module.Serving{}, err
	}
	var s module.Serving
	if ln != nil {
		// Listed before anything can fail, so that the server's close releases it.
		s.Servers = []module.Server{{Name: "cardcore", Addr: m.Addr, Ln: ln}}
	}
	apps := cardcore.NewApps(st, c.ClientCacheTTL, c.Now)
	keys := cardcore.NewKeys(m.MinRSABits, c.Now)
	c.Watch("cardcore_app", apps.Stats)
	c.Watch("cardcore_client_keys", func() ttlcache.Stats { registered, _ := keys.Stats(); return registered })
	engine, err := cardcore.NewEngine(cardcore.EngineConfig{
		Clients: c.Clients, Apps: apps, Replay: c.Store, Audiences: audiences, Keys: keys, Events: c.Events,
		MaxLifetime: c.AssertionMaxLifetime, Skew: c.ClockSkew, MinRSABits: m.MinRSABits,
		RequireLowS: c.RequireLowS, Issuer: c.TokenIssuer, Refresh: c.Refresh, Policies: c.Policies, Now: c.Now, Tracer: c.Tracer,
	})
	if err != nil {
		return s, err
	}
	d := cardcore.New(cardcore.Config{Engine: engine, Store: st, Apps: apps, Invalidate: c.Invalidate, Clients: c.ClientService,
		MinRSABits: m.MinRSABits, AccessTokenTTL: m.TokenTTL, Now: c.Now})
	if ln != nil {
		s.Servers[0].Handler = c.Handler([]httpapi.Mount{{Prefix: "", Dialect: d}})
	}
	m.dialect, m.tokenURL = d, c.Issuer+prefix+cardcore.TokenPath
	c.Logger.Info("cardcore dialect", "prefix", prefix, "own_listener", m.Addr)
	s.Mounts = []httpapi.Mount{{Prefix: prefix, Dialect: d}}
	return s, nil
}

// both is the core's store and CardCore's own records, each observed like the core's
// store calls (storeobs).
type both struct {
	jeton.Store
	records
}

// records is the vendor's store interface (a name of its own, to embed it beside
// jeton.Store).
type records = cardcorestore.Store

// stores returns the core's store with CardCore's records of its backend, or false
// when the backend keeps none.
func stores(core jeton.Store) (both, bool) {
	vs, ok := storeobs.As(core, cardcorestore.Observe)
	return both{core, vs}, ok
}
