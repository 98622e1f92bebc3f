package clientauth

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"strings"
	"time"

	"github.com/jeton/jeton"
)

// TLSClient is RFC 8705 §2.1 tls_client_auth: the client's certificate chains to one
// of Roots (the CAs the server trusts for client certificates, --tls-client-ca) and
// names the client as it registered: its subject DN (tls_client_auth_subject_dn, §2.1.2,
// compared as RFC 4514 strings) or a dNSName SAN (tls_client_auth_san_dns). The TLS
// handshake proved the client holds the certificate's private key.
type TLSClient struct {
	// Roots are the trusted CAs; nil refuses every client of this method.
	Roots *x509.CertPool
	Now   func() time.Time
}

// Verify implements Method.
func (m TLSClient) Verify(_ context.Context, c *jeton.Client, cred Credentials) (Pending, error) {
	if len(cred.TLSChain) == 0 {
		return Pending{}, failed(jeton.ReasonCertificate, errors.New("no TLS client certificate"))
	}
	if m.Roots == nil {
		return Pending{}, failed(jeton.ReasonCertificate, errors.New("no CA is trusted for client certificates (--tls-client-ca)"))
	}
	leaf := cred.TLSChain[0]
	inter := x509.NewCertPool()
	for _, ca := range cred.TLSChain[1:] {
		inter.AddCert(ca)
	}
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	_, err := leaf.Verify(x509.VerifyOptions{Roots: m.Roots, Intermediates: inter, CurrentTime: now(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if err != nil {
		return Pending{}, failed(jeton.ReasonCertificate, err)
	}
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
