// Package clientcert carries a request's TLS client certificate chain from where it is
// learnt (jeton's own TLS listener, or a trusted TLS-terminating proxy's header) to
// where RFC 8705 uses it (client authentication, certificate-bound tokens).
package clientcert

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// MaxHeaderBytes bounds a forwarded certificate header (DESIGN rule 4): a chain of a
// few certificates, URL-encoded.
const MaxHeaderBytes = 32 << 10

type ctxKey struct{}

// With returns ctx carrying chain, the client certificate a trusted proxy forwarded.
func With(ctx context.Context, chain []*x509.Certificate) context.Context {
	return context.WithValue(ctx, ctxKey{}, chain)
}

// Chain returns r's client certificate chain, leaf first: the one a trusted proxy
// forwarded (With), else the one of jeton's own TLS handshake; nil without one.
func Chain(r *http.Request) []*x509.Certificate {
	if c, ok := r.Context().Value(ctxKey{}).([]*x509.Certificate); ok && len(c) > 0 {
		return c
	}
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return nil
	}
	return r.TLS.PeerCertificates
}

// Parse reads a forwarded client certificate: URL-encoded PEM, one or more
// CERTIFICATE blocks, leaf first (nginx's $ssl_client_escaped_cert), or an Envoy
// x-forwarded-client-cert element whose Cert= (and Chain=) hold that.
func Parse(v string) ([]*x509.Certificate, error) {
	if len(v) > MaxHeaderBytes {
		return nil, errors.New("client certificate header is too large")
	}
	if i := strings.Index(v, `Cert="`); i >= 0 {
		v = quoted(v[i+len(`Cert="`):]) + quotedAfter(v, `Chain="`)
	}
	raw, err := url.PathUnescape(v)
	if err != nil {
		return nil, errors.New("client certificate header is not URL-encoded")
	}
	var out []*x509.Certificate
	rest := []byte(raw)
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return nil, errors.New("client certificate header holds a PEM block other than CERTIFICATE")
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, errors.New("client certificate header holds a malformed certificate")
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("client certificate header holds no certificate")
	}
	return out, nil
}

func quoted(s string) string {
	if j := strings.IndexByte(s, '"'); j >= 0 {
		return s[:j]
	}
	return s
}

func quotedAfter(v, key string) string {
	if i := strings.Index(v, key); i >= 0 {
		return quoted(v[i+len(key):])
	}
	return ""
}
