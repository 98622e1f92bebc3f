package clientauth

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"strings"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/internal/ttlcache"
)

// TLSClient is RFC 8705 §2.1 tls_client_auth: the client's certificate chains to one
// of the trusted CAs (--tls-client-ca) and names the client as it registered: its
// subject DN (tls_client_auth_subject_dn, §2.1.2, compared as RFC 4514 strings) or a
// dNSName SAN (tls_client_auth_san_dns). The TLS handshake proved the client holds the
// certificate's private key. Build it with NewTLSClient.
//
// A chain that verified is remembered by the SHA-256 of its certificates for at most
// verifiedTTL and never past the leaf's expiry: certificates are immutable, a client
// sends the same chain on every connection, and the chain's signature check is the
// costliest step (docs/benchmarks.md). The DN or SAN is compared on every request.
type TLSClient struct {
	roots    *x509.CertPool
	now      func() time.Time
	verified *ttlcache.Cache[[32]byte, struct{}]
}

// verifiedTTL bounds how long a verified chain is trusted without a new check.
const verifiedTTL = 5 * time.Minute

// NewTLSClient returns the method over roots (nil refuses every client).
func NewTLSClient(roots *x509.CertPool, now func() time.Time) *TLSClient {
	if now == nil {
		now = time.Now
	}
	return &TLSClient{roots: roots, now: now, verified: &ttlcache.Cache[[32]byte, struct{}]{}}
}

// Verify implements Method.
func (m *TLSClient) Verify(_ context.Context, c *jeton.Client, cred Credentials) (Pending, error) {
	if len(cred.TLSChain) == 0 {
		return Pending{}, failed(jeton.ReasonCertificate, errors.New("no TLS client certificate"))
	}
	if m.roots == nil {
		return Pending{}, failed(jeton.ReasonCertificate, errors.New("no CA is trusted for client certificates (--tls-client-ca)"))
	}
	if err := m.verifyChain(cred.TLSChain); err != nil {
		return Pending{}, failed(jeton.ReasonCertificate, err)
	}
	leaf := cred.TLSChain[0]
	switch {
	case c.TLSClientAuthSubjectDN != "":
		if !strings.EqualFold(leaf.Subject.String(), c.TLSClientAuthSubjectDN) {
			return Pending{}, failed(jeton.ReasonCertificate, errors.New("certificate subject is not the registered DN"))
		}
	case c.TLSClientAuthSANDNS != "":
		if !containsFold(leaf.DNSNames, c.TLSClientAuthSANDNS) {
			return Pending{}, failed(jeton.ReasonCertificate, errors.New("certificate has not the registered dNSName"))
		}
	default:
		return Pending{}, failed(jeton.ReasonCertificate, errors.New("client registered neither a subject DN nor a SAN"))
	}
	return Pending{}, nil
}

// verifyChain checks the chain against the trusted CAs for client authentication, or
// finds it verified recently.
func (m *TLSClient) verifyChain(chain []*x509.Certificate) error {
	h := sha256.New()
	for _, c := range chain {
		h.Write(c.Raw)
	}
	var key [32]byte
	h.Sum(key[:0])
	now := m.now()
	if _, ok := m.verified.Get(key, now); ok {
		m.verified.Count(true)
		return nil
	}
	m.verified.Count(false)
	inter := x509.NewCertPool()
	for _, ca := range chain[1:] {
		inter.AddCert(ca)
	}
	_, err := chain[0].Verify(x509.VerifyOptions{Roots: m.roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if err != nil {
		return err
	}
	exp := now.Add(verifiedTTL)
	for _, c := range chain {
		if c.NotAfter.Before(exp) {
			exp = c.NotAfter
		}
	}
	m.verified.Put(key, struct{}{}, exp, now)
	return nil
}

func containsFold(list []string, v string) bool {
	for _, s := range list {
		if strings.EqualFold(s, v) {
			return true
		}
	}
	return false
}

// SelfSignedTLS is RFC 8705 §2.2 self_signed_tls_client_auth: the certificate need not
// chain to anything; its public key must be one the client registered (a certificate
// or key given with --public-key, or its JWKS / jwks_uri). The TLS handshake proved
// the client holds the matching private key.
type SelfSignedTLS struct {
	// Keys gives the client's registered public keys.
	Keys KeySource
}

// Verify implements Method.
func (m SelfSignedTLS) Verify(ctx context.Context, c *jeton.Client, cred Credentials) (Pending, error) {
	if len(cred.TLSChain) == 0 {
		return Pending{}, failed(jeton.ReasonCertificate, errors.New("no TLS client certificate"))
	}
	if m.Keys == nil {
		return Pending{}, failed(jeton.ReasonCertificate, errors.New("no key source"))
	}
	type equaler interface{ Equal(x crypto.PublicKey) bool }
	pub, ok := cred.TLSChain[0].PublicKey.(equaler)
	if !ok {
		return Pending{}, failed(jeton.ReasonCertificate, errors.New("certificate key type not supported"))
	}
	for _, refresh := range []bool{false, true} { // a jwks_uri is fetched again once
		keys, err := m.Keys.ClientKeys(ctx, c, refresh)
		if err != nil {
			return Pending{}, err
		}
		for _, k := range keys {
			if k.IsPublic() && pub.Equal(k.Key) {
				return Pending{}, nil
			}
		}
		if c.JWKSURI == "" {
			break
		}
	}
	return Pending{}, failed(jeton.ReasonCertificate, errors.New("certificate key is not one the client registered"))
}
