// Package candescentmod is the Candescent vendor module (docs/dialects/candescent.md):
// it wires the dialect, its admin routes and its CLI commands into jeton through
// module.Module.
package candescentmod

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dialect/candescent"
	"github.com/jeton/jeton/dialect/candescent/candescentstore"
	"github.com/jeton/jeton/httpapi"
	"github.com/jeton/jeton/internal/storeobs"
	"github.com/jeton/jeton/module"
	"github.com/jeton/jeton/tlsserve"
)

// off as --candescent-prefix leaves the dialect off the public listener.
const off = "off"

// Module is the Candescent module; its fields are serve's Candescent settings
// (docs/configuration.md).
type Module struct {
	Prefix   string
	Addr     string
	TLS      tlsserve.Files // --candescent-tls-cert/-key: HTTPS on --candescent-addr
	V1TTL    time.Duration
	AliasTTL time.Duration
}

// New returns the module with its defaults (set by Flags).
func New() *Module { return &Module{} }

// Name is "candescent".
func (*Module) Name() string { return "candescent" }

// Flags declares the --candescent-* settings.
func (m *Module) Flags(f *pflag.FlagSet) {
	f.StringVar(&m.Prefix, "candescent-prefix", candescent.DefaultPrefix, `path prefix of the Candescent dialect on the public listener ("off": not mounted there)`)
	f.StringVar(&m.Addr, "candescent-addr", "", "own listener serving the Candescent dialect at its root (empty: none)")
	module.TLSFlags(f, "candescent", &m.TLS)
	f.DurationVar(&m.V1TTL, "candescent-v1-ttl", candescent.DefaultV1TTL, "longest lifetime of Candescent V1 (legacy XML) access tokens")
	f.DurationVar(&m.AliasTTL, "candescent-alias-ttl", candescent.DefaultAliasTTL, "how long an institutionId (id or alias) resolution is cached")
}

func (m *Module) check() error {
	if m.Prefix != off && (!strings.HasPrefix(m.Prefix, "/") || strings.HasSuffix(m.Prefix, "/")) {
		return fmt.Errorf(`--candescent-prefix %q: must start with "/" and not end with one (or be "off")`, m.Prefix)
	}
	return nil
}

// Serve wires the dialect over the shared engine: its mount on the public listener
// and, with --candescent-addr, a listener serving it at the root.
func (m *Module) Serve(c module.Core) (module.Serving, error) {
	if err := m.check(); err != nil {
		return module.Serving{}, err
	}
	st, ok := stores(c.Store)
	if !ok {
		return module.Serving{}, fmt.Errorf("candescent: the store does not keep Candescent settings")
	}
	d, err := candescent.New(candescent.Config{
		Engine: c.Engine, Revoker: c.Revoker, Settings: st, Customers: c.Store,
		AliasTTL: m.AliasTTL, V1TTL: m.V1TTL, Now: c.Now,
		Minter: &candescent.Minter{Tokens: c.Introspector, Clients: c.Clients, Links: st, Codes: c.Store, Customers: c.Store},
	})
	if err != nil {
		return module.Serving{}, err
	}
	c.Watch("candescent_alias", d.AliasStats)
	servers, err := c.Own("candescent", m.Addr, m.TLS, d)
	if err != nil {
		return module.Serving{}, err
	}
	s := module.Serving{Servers: servers}
	if m.Prefix != off {
		s.Mounts = []httpapi.Mount{{Prefix: m.Prefix, Dialect: d}}
	}
	return s, nil
}

// both is the core's store and Candescent's own settings, each observed like the
// core's store calls (storeobs).
type both struct {
	jeton.Store
	records
}

// records is the vendor's store interface (a name of its own, to embed it beside
// jeton.Store).
type records = candescentstore.Store

// stores returns the core's store with Candescent's settings of its backend, or false
// when the backend keeps none.
func stores(core jeton.Store) (both, bool) {
	vs, ok := storeobs.As(core, candescentstore.Observe)
	return both{core, vs}, ok
}
