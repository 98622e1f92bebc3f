// Package tlsserve is how every jeton listener speaks HTTPS (docs/tls.md): one
// server configuration (TLS 1.2 minimum, TLS 1.3 preferred, AEAD suites with forward
// secrecy only) and a certificate that is reloaded from its files without a restart,
// when the files change or on SIGHUP. Connections already open keep the certificate
// they were made with; new handshakes get the new one.
package tlsserve

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Files names a listener's certificate chain and private key (PEM). The zero value
// is a plain-HTTP listener.
type Files struct {
	Cert string
	Key  string
}

// Enabled reports whether the listener speaks TLS.
func (f Files) Enabled() bool { return f.Cert != "" || f.Key != "" }

// Check refuses a certificate without its key or a key without its certificate.
// flag is the listener's flag prefix for the message ("tls" → --tls-cert).
func (f Files) Check(flag string) error {
	if (f.Cert == "") != (f.Key == "") {
		return fmt.Errorf("--%s-cert and --%s-key go together: give both or neither", flag, flag)
	}
	return nil
}

// ClientCerts is what a listener asks of clients in the handshake.
type ClientCerts string

// Client-certificate modes (--tls-client-certs).
const (
	// ClientCertsOff asks for no certificate.
	ClientCertsOff ClientCerts = "off"
	// ClientCertsRequest asks for one and never requires it (tls.RequestClientCert).
	// The handshake verifies nothing beyond the certificates being well-formed: the
	// chain goes to client authentication, which decides against the client's
	// registration (RFC 8705 §2: PKI or self-signed), so one listener serves clients
	// of both kinds and clients that present none.
	ClientCertsRequest ClientCerts = "request"
)

// ParseClientCerts reads a --tls-client-certs value.
func ParseClientCerts(s string) (ClientCerts, error) {
	switch c := ClientCerts(s); c {
	case ClientCertsOff, ClientCertsRequest:
		return c, nil
	}
	return "", fmt.Errorf("--tls-client-certs %q: want off or request", s)
}

// CipherSuites are the TLS 1.2 suites offered: ECDHE key exchange (forward secrecy)
// with an AEAD cipher only, i.e. Go's modern suites (RFC 9325 §4.2 recommends exactly
// these; no CBC, no RSA key exchange, no 3DES or RC4). TLS 1.3's suites (RFC 8446
// §B.4) are all AEAD and are not configurable in Go.
var CipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// Config is the server configuration of a listener serving cert's certificate:
// TLS 1.2 at least (RFC 9325 §3.1.1: TLS 1.0 and 1.1 MUST NOT be negotiated, RFC
// 8996), TLS 1.3 whenever the client offers it (Go negotiates the highest common
// version), CipherSuites for TLS 1.2. Only HTTP/1.1 is offered in ALPN: every bound
// of the listener (header size, body limit, timeouts) is stated for HTTP/1.1, and
// token requests are small single requests that keep-alive already serves well.
func Config(cert *Certificate, clientCerts ClientCerts) *tls.Config {
	c := &tls.Config{
		MinVersion:     tls.VersionTLS12,
		CipherSuites:   CipherSuites,
		GetCertificate: cert.GetCertificate,
		NextProtos:     []string{"http/1.1"},
	}
	if clientCerts == ClientCertsRequest {
		c.ClientAuth = tls.RequestClientCert
	}
	return c
}

// Listen binds addr and, when files are set, serves TLS on it with a certificate
// reloaded from those files (Set.Watch polls them, SIGHUP calls Reload).
// It returns the certificate, nil for plain HTTP.
func Listen(addr string, files Files, clientCerts ClientCerts, logger *slog.Logger, name string) (net.Listener, *Certificate, error) {
	var cert *Certificate
	if files.Enabled() {
		var err error
		if cert, err = Load(name, files, logger); err != nil {
			return nil, nil, err
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("%s listener: %w", name, err)
	}
	if cert == nil {
		return ln, nil, nil
	}
	return tls.NewListener(ln, Config(cert, clientCerts)), cert, nil
}

// Certificate is a listener's certificate, swapped atomically when its files change.
type Certificate struct {
	name   string
	files  Files
	logger *slog.Logger

	cur atomic.Pointer[tls.Certificate]

	mu sync.Mutex // serializes reloads; guards the fields below
	// stamp is the files' size and modification time at the last read, so a poll
	// that finds them unchanged reads nothing.
	stamp [2]fileStamp
	// loaded is the SHA-256 of the contents in use, so a rewrite with the same
	// contents (touch, a sync tool) swaps nothing.
	loaded [sha256.Size]byte
	// lastErr is the last failure reported, so a poll reports a failure once (a
	// SIGHUP reports it again).
	lastErr string
}

type fileStamp struct {
	size    int64
	modTime time.Time
}

// Load reads the certificate and key of a listener named name; a missing file, a
// pair that does not match or a chain that does not parse fails the start.
func Load(name string, files Files, logger *slog.Logger) (*Certificate, error) {
	c := &Certificate{name: name, files: files, logger: logger}
	if err := c.reload(true); err != nil {
		return nil, err
	}
	return c, nil
}

// GetCertificate is tls.Config.GetCertificate: the current certificate.
func (c *Certificate) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return c.cur.Load(), nil
}

// Leaf is the current certificate's leaf.
func (c *Certificate) Leaf() *x509.Certificate { return c.cur.Load().Leaf }

// Reload re-reads the files (SIGHUP) and swaps the certificate if their contents
// changed. On an error the certificate in use stays.
func (c *Certificate) Reload() error { return c.reload(true) }

// reload reads the files if force or their stamps changed, and swaps the
// certificate if their contents changed and form a valid pair.
func (c *Certificate) reload(force bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var stamps [2]fileStamp
	for i, p := range []string{c.files.Cert, c.files.Key} {
		fi, err := os.Stat(p)
		if err != nil {
			return c.refused(fmt.Errorf("%s certificate: %w", c.name, err), force)
		}
		stamps[i] = fileStamp{size: fi.Size(), modTime: fi.ModTime()}
	}
	if !force && stamps == c.stamp {
		return nil
	}
	certPEM, err := os.ReadFile(c.files.Cert)
	if err != nil {
		return c.refused(fmt.Errorf("%s certificate: %w", c.name, err), force)
	}
	keyPEM, err := os.ReadFile(c.files.Key)
	if err != nil {
		return c.refused(fmt.Errorf("%s certificate key: %w", c.name, err), force)
	}
	c.stamp = stamps
	h := sha256.New()
	h.Write(certPEM)
	h.Write([]byte{0})
	h.Write(keyPEM)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	if sum == c.loaded && c.cur.Load() != nil {
		return nil
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// Typically a rotation caught between writing the certificate and the key:
		// the next poll (or SIGHUP) after the second write loads the pair.
		return c.refused(fmt.Errorf("%s certificate %s / %s: %w", c.name, c.files.Cert, c.files.Key, err), force)
	}
	c.loaded, c.lastErr = sum, ""
	old := c.cur.Swap(&pair)
	if c.logger != nil {
		c.logger.Info("certificate loaded", "listener", c.name, "subject", pair.Leaf.Subject.String(),
			"not_after", pair.Leaf.NotAfter.UTC().Format(time.RFC3339), "reloaded", old != nil)
		if time.Now().After(pair.Leaf.NotAfter) {
			c.logger.Warn("certificate has expired", "listener", c.name, "not_after", pair.Leaf.NotAfter.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

// refused logs a failed reload, once per distinct failure unless force (the
// certificate in use stays), and returns err. A failed first load is the caller's to
// report.
func (c *Certificate) refused(err error, force bool) error {
	if c.cur.Load() == nil || (!force && err.Error() == c.lastErr) {
		return err
	}
	c.lastErr = err.Error()
	if c.logger != nil {
		c.logger.Error("certificate not reloaded; the previous one stays in use", "listener", c.name, "err", err)
	}
	return err
}
