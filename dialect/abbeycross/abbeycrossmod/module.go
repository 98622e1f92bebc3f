// Package abbeycrossmod is the AbbeyCross vendor module (docs/dialects/abbeycross.md):
// it wires the dialect into jeton through module.Module. AbbeyCross keeps no state of
// its own and adds no admin routes or CLI commands.
package abbeycrossmod

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/dialect/abbeycross"
	"github.com/jeton/jeton/httpapi"
	"github.com/jeton/jeton/module"
	"github.com/jeton/jeton/tlsserve"
)

// off is the --abbeycross-prefix value that keeps the dialect off the public listener
// (it may still have its own, --abbeycross-addr).
const off = "off"

// Module is the AbbeyCross module; its fields are serve's AbbeyCross settings.
type Module struct {
	Prefix string
	Addr   string
	TLS    tlsserve.Files // --abbeycross-tls-cert/-key: HTTPS on --abbeycross-addr
}

// New returns the module with its defaults (set by Flags).
func New() *Module { return &Module{} }

// Name is "abbeycross".
func (*Module) Name() string { return "abbeycross" }

// Flags declares --abbeycross-prefix and --abbeycross-addr.
func (m *Module) Flags(f *pflag.FlagSet) {
	f.StringVar(&m.Prefix, "abbeycross-prefix", abbeycross.DefaultPrefix, `path prefix of the AbbeyCross dialect on the public listener ("" for the root, "off" to not mount it there)`)
	f.StringVar(&m.Addr, "abbeycross-addr", "", "own listener for the AbbeyCross dialect, served at its root (empty: none)")
	module.TLSFlags(f, "abbeycross", &m.TLS)
}

// checkPrefix accepts "", "off" or a path like /abbeycross.
func checkPrefix(p string) error {
	if p == "" || p == off {
		return nil
	}
	if !strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.ContainsAny(p, " {}?#") {
		return fmt.Errorf("--abbeycross-prefix %q: want a path like /abbeycross, \"\" or off", p)
	}
	return nil
}

// Serve wires the dialect over the shared engine.
func (m *Module) Serve(c module.Core) (module.Serving, error) {
	if err := checkPrefix(m.Prefix); err != nil {
		return module.Serving{}, err
	}
	d := abbeycross.New(abbeycross.Config{Engine: c.Engine})
	servers, err := c.Own("abbeycross", m.Addr, m.TLS, d)
	if err != nil {
		return module.Serving{}, err
	}
	s := module.Serving{Servers: servers}
	if m.Prefix != off {
		s.Mounts = []httpapi.Mount{{Prefix: m.Prefix, Dialect: d}}
	}
	return s, nil
}

// AdminRoutes adds nothing: AbbeyCross has no settings of its own.
func (*Module) AdminRoutes(adminapi.Router) {}

// Commands adds nothing.
func (*Module) Commands(string, module.CLI) []*cobra.Command { return nil }
