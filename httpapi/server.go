// Package httpapi is the public HTTP server: it mounts the enabled dialects by prefix
// and wraps every request in the same middleware (request id, access log, metrics,
// panic recovery). Dialects return values; only their Encode writes answers.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/jeton/jeton/internal/tracing"
	"github.com/jeton/jeton/reqlog"
)

// Router is where a dialect registers its routes (an *http.ServeMux; New hands it one
// that also names each route for the metrics).
type Router interface {
	Handle(pattern string, h http.Handler)
	HandleFunc(pattern string, f func(http.ResponseWriter, *http.Request))
}

// Mounter is a dialect: it registers its routes under a prefix.
type Mounter interface {
	// Name names the dialect in route labels ("oauth2", "cardcore"): a route is
	// labelled the same on every listener and under every prefix (routes.go).
	Name() string
	Mount(r Router, prefix string)
}

// Mount is one dialect at one prefix ("" is the root).
type Mount struct {
	Prefix  string
	Dialect Mounter
}

// Config wires the public handler.
type Config struct {
	Logger  *slog.Logger
	Metrics *Metrics
	// Ready reports whether the server can answer token requests (store reachable,
	// keys loaded); /readyz answers 503 with the error otherwise.
	Ready  func(ctx context.Context) error
	Mounts []Mount
	// TrustedProxies are the peers whose forwarding headers give the client address,
	// and whose W3C trace context a request's span continues.
	TrustedProxies TrustedProxies
	// Tracer makes a server span of every request (nil: tracing off).
	Tracer *tracing.Tracer
	// ClientCertHeader names the header in which a trusted proxy forwards the client
	// certificate (--client-cert-header; "" when none does).
	ClientCertHeader string
}

// New returns the public handler.
func New(cfg Config) http.Handler {
	mux := http.NewServeMux()
	rs := routes{}
	for _, m := range cfg.Mounts {
		m.Dialect.Mount(rs.recorder(mux, m.Dialect.Name(), m.Prefix), m.Prefix)
		cfg.Metrics.knowDialect(m.Dialect.Name())
	}
	core := rs.recorder(mux, "jeton", "")
	core.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writePlain(w, http.StatusOK, "ok\n")
	})
	core.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := cfg.Ready(ctx); err != nil {
			if reqlog.ClientGone(r, err) {
				return // the access log records a client-closed request (499)
			}
			cfg.Logger.Warn("not ready", "err", err)
			writePlain(w, http.StatusServiceUnavailable, "not ready\n")
			return
		}
		writePlain(w, http.StatusOK, "ready\n")
	})
	return hsts(middleware(cfg.Logger, cfg.Metrics, rs, NewTracing(cfg.Tracer, cfg.TrustedProxies), ClientAddr(cfg.TrustedProxies, ClientCerts(cfg.ClientCertHeader, cfg.TrustedProxies, mux))))
}

// HSTS is the Strict-Transport-Security value sent with every answer over TLS on a
// public-facing listener (RFC 6797 §6.1). One year (max-age=31536000): an issuer URL
// is long-lived and https-only, a year is what browsers' preload lists require and what
// RFC 6797 §11.2 has in mind for a site that stays on HTTPS. No includeSubDomains: the
// issuer's host does not speak for its parent domain's other hosts.
const HSTS = "max-age=31536000"

// hsts adds Strict-Transport-Security to answers sent over TLS. RFC 6797 §7.2: never
// over plain HTTP (a balancer terminating TLS in front adds its own).
func hsts(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil {
			w.Header().Set("Strict-Transport-Security", HSTS)
		}
		h.ServeHTTP(w, r)
	})
}

func writePlain(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// Timeouts and sizes of the public listener (DESIGN rule 4: every size is bounded).
const (
	MaxHeaderBytes    = 16 << 10
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 15 * time.Second
	WriteTimeout      = 30 * time.Second
	IdleTimeout       = 120 * time.Second
)

// MaxBodyBytes is the largest request body any route of any listener accepts; a
// request declaring more is answered with Connection: close and never drained.
const MaxBodyBytes = 64 << 10

// headerSlack is what net/http reads beyond http.Server.MaxHeaderBytes (its "bufio
// slop": the request line and headers may take MaxHeaderBytes+4096 bytes). Subtracting
// it makes the limit the documented 16 KiB; above it the answer is 431 (RFC 6585 §5).
const headerSlack = 4096

// headLimit answers 431 (RFC 6585 §5) to a request whose line and headers exceed
// MaxHeaderBytes. net/http's own limit is exact only for a connection's first request:
// on a kept-alive connection, bytes its reader buffered ahead are not counted, so a
// pipelined request could carry up to 4 KiB more. Summing the parsed head closes that
// gap (optional whitespace aside, which net/http's limit still bounds).
func headLimit(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if headSize(r) > MaxHeaderBytes {
			w.Header().Set("Connection", "close")
			writePlain(w, http.StatusRequestHeaderFieldsTooLarge, "431 Request Header Fields Too Large")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// headSize is the size of r's request line and header block as sent without optional
// whitespace: "METHOD URI PROTO\r\n", "Name: value\r\n" per field line (Host
// included), and the closing "\r\n".
func headSize(r *http.Request) int {
	n := len(r.Method) + 1 + len(r.RequestURI) + 1 + len(r.Proto) + 2 + 2
	if r.Host != "" {
		n += len("Host: ") + len(r.Host) + 2
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + 2 + len(v) + 2
		}
	}
	return n
}

// NewHTTPServer returns an http.Server with jeton's bounds for h.
func NewHTTPServer(addr string, h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           headLimit(h),
		MaxHeaderBytes:    MaxHeaderBytes - headerSlack,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}
