// Package module is how a vendor plugs into jeton. A vendor (CardCore, Candescent,
// AbbeyCross, the next one) is one module: its dialect, its own state and store
// interface, its admin routes and its CLI commands. cmd/jeton wires every module the
// same way through the Module type, so no core package names a vendor and deleting a
// vendor is deleting its directory and its one line in cmd/jeton (docs/architecture.md).
package module

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/clients"
	"github.com/jeton/jeton/console"
	"github.com/jeton/jeton/httpapi"
	"github.com/jeton/jeton/internal/tracing"
	"github.com/jeton/jeton/internal/ttlcache"
	"github.com/jeton/jeton/tlsserve"
	"github.com/jeton/jeton/token"
)

// Module is one vendor. A method with nothing to add returns zero values.
type Module interface {
	// Name is the vendor's name in logs, e.g. "cardcore".
	Name() string
	// Flags declares the module's `jeton serve` settings.
	Flags(f *pflag.FlagSet)
	// Serve builds the module's dialects over the core's engine.
	Serve(c Core) (Serving, error)
	// AdminRoutes adds the module's routes to the admin API.
	AdminRoutes(r adminapi.Router)
	// Commands returns the module's CLI commands for a command group: "" is the root
	// (`jeton assertion`), "institution" and "client" are the admin groups.
	Commands(group string, cli CLI) []*cobra.Command
}

// Auditor is a module whose routes write audit events with actions of its own: it
// lists them. The core names no vendor, so these lists and jeton.AuditActions are
// together every action jeton writes; docs/admin-api.yaml documents each list and a
// test in cmd/jeton compares them.
type Auditor interface {
	AuditActions() []string
}

// ConsolePages is a module with pages of its own in the web console (for example an
// application kind of its own): cmd/jeton asks for them after Serve, so that the pages
// go through the services Serve built, and the console renders them with its own
// layout, session, CSRF check, roles and strings (docs/console.md).
type ConsolePages interface {
	ConsolePages() []console.Extension
}

// Core is what a module's dialects are built on.
type Core struct {
	Issuer string // the public base URL
	Store  jeton.Store
	// Clients is the cached client lookup of the token endpoint.
	Clients clientauth.ClientSource
	// Invalidate drops a client from that cache after a change.
	Invalidate func(clientID string)
	// ClientService holds the client rules (validation, audit) that a module's
	// management endpoints apply, as the admin API does.
	ClientService  *clients.Service
	ClientCacheTTL time.Duration
	Engine         *token.Engine
	// TokenIssuer, Refresh and Policies let a module build an engine of its own
	// over the same issuer, refresh grant and policies (working hours).
	TokenIssuer  *token.Issuer
	Refresh      *token.RefreshGrant
	Policies     []token.Policy
	Introspector *token.Introspector
	Revoker      *token.Revoker
	// Assertion settings (serve's --assertion-max-lifetime, --clock-skew,
	// --require-low-s) for a module with its own client-assertion rules.
	AssertionMaxLifetime time.Duration
	ClockSkew            time.Duration
	RequireLowS          bool
	// Handler serves mounts with the public listener's middleware, metrics and
	// readiness check, for a module's own listener.
	Handler func(mounts []httpapi.Mount) http.Handler
	// TLS binds every listener, the core's and the modules' own, so each gets HTTPS,
	// certificate reloads and client-certificate requests the same way (Listen).
	TLS *tlsserve.Set
	// ClientCerts is the public listener's --tls-client-certs, which a module's own
	// listener shares: it serves the same clients.
	ClientCerts tlsserve.ClientCerts
	Logger      *slog.Logger
	Now         func() time.Time
	// Events receives the security events of a module's own parts (an engine of its
	// own reports replayed assertions); nil: none.
	Events jeton.SecurityObserver
	// WatchCache reports one of the module's caches in the metrics under name
	// ("<vendor>_<what>", never input); nil: not reported.
	WatchCache func(name string, stats func() ttlcache.Stats)
	// Tracer makes spans (nil: tracing off); a module's own engine takes it
	// (token.EngineConfig.Tracer) so its steps are traced like the core's.
	Tracer *tracing.Tracer
}

// Watch reports a module's cache through WatchCache, when set.
func (c Core) Watch(name string, stats func() ttlcache.Stats) {
	if c.WatchCache != nil {
		c.WatchCache(name, stats)
	}
}

// Serving is what a module serves: mounts on the public listener and listeners of
// its own.
type Serving struct {
	Mounts  []httpapi.Mount
	Servers []Server
}

// Server is a listener of a module's own, bound by the module in Serve.
type Server struct {
	Name    string
	Addr    string
	Ln      net.Listener
	Handler http.Handler
}

// Own returns, when addr is not "", a listener of the module's own named name, bound
// to addr (HTTPS when files are set) and serving d at its root.
func (c Core) Own(name, addr string, files tlsserve.Files, d httpapi.Mounter) ([]Server, error) {
	if addr == "" {
		return nil, NoOwnListener(name, files)
	}
	ln, _, err := c.Listen(name, addr, files)
	if err != nil {
		return nil, err
	}
	return []Server{{Name: name, Addr: addr, Ln: ln, Handler: c.Handler([]httpapi.Mount{{Prefix: "", Dialect: d}})}}, nil
}

// Listen binds a module's own listener named name at addr, HTTPS when files are set
// (their certificate reloaded with every other listener's), and returns its base
// URL (https://host:port or http://host:port).
func (c Core) Listen(name, addr string, files tlsserve.Files) (net.Listener, string, error) {
	if err := files.Check(name + "-tls"); err != nil {
		return nil, "", err
	}
	set := c.TLS
	if set == nil {
		set = &tlsserve.Set{Logger: c.Logger}
	}
	ln, secure, err := set.Listen(name, addr, files, c.ClientCerts)
	if err != nil {
		return nil, "", err
	}
	scheme := "http://"
	if secure {
		scheme = "https://"
	} else {
		WarnPlain(c.Logger, name, ln.Addr())
	}
	return ln, scheme + DisplayAddr(ln.Addr()), nil
}

// NoOwnListener refuses a certificate for a module listener that is not configured
// (--<name>-tls-cert without --<name>-addr), which would otherwise be ignored.
func NoOwnListener(name string, files tlsserve.Files) error {
	if files.Enabled() {
		return fmt.Errorf("--%s-tls-cert/--%s-tls-key need --%s-addr", name, name, name)
	}
	return nil
}

// TLSFlags declares a module listener's --<prefix>-tls-cert and --<prefix>-tls-key.
func TLSFlags(f *pflag.FlagSet, prefix string, files *tlsserve.Files) {
	f.StringVar(&files.Cert, prefix+"-tls-cert", "", "PEM certificate chain of the --"+prefix+"-addr listener: it serves HTTPS (reloaded when the file changes or on SIGHUP)")
	f.StringVar(&files.Key, prefix+"-tls-key", "", "PEM private key for --"+prefix+"-tls-cert")
}

// WarnPlain logs a warning when a public-facing listener serves plain HTTP on an
// address other than loopback: credentials and tokens would cross the network in
// clear unless a load balancer in front terminates TLS. It reports whether it warned.
func WarnPlain(logger *slog.Logger, name string, addr net.Addr) bool {
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsLoopback() {
		return false
	}
	if logger != nil {
		logger.Warn("listener serves plain HTTP on a non-loopback address; serve HTTPS (--tls-cert/--tls-key) or keep it behind a load balancer that does",
			"listener", name, "addr", addr.String())
	}
	return true
}

// CLI is what a module's commands get from their group: the admin API client (from
// the group's --server/--token/--data-dir flags) and the group's output format.
type CLI interface {
	Client() (*adminapi.Client, error)
	// JSON reports whether --output json was asked for.
	JSON() bool
	PrintOne(w io.Writer, v any, rows [][2]string) error
	PrintList(w io.Writer, v any, header []string, rows [][]string) error
}

// DisplayAddr turns a bound address into one a client can dial (0.0.0.0 → localhost).
func DisplayAddr(addr net.Addr) string {
	host, port, _ := net.SplitHostPort(addr.String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// CellTime formats a timestamp for CLI tables; "-" for the zero time.
func CellTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
