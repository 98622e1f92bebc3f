package jeton

import (
	"crypto/sha256"
	"encoding/base64"
)

// Confirmation is a token's RFC 7800 §3.1 "cnf" claim: the key a presenter must prove
// it holds. At most one member is set.
type Confirmation struct {
	// JKT is the RFC 7638 SHA-256 thumbprint of a DPoP public key (RFC 9449 §6.1),
	// base64url without padding.
	JKT string `json:"jkt,omitempty"`
	// X5TS256 is the base64url SHA-256 of a client certificate's DER (RFC 8705 §3.1).
	X5TS256 string `json:"x5t#S256,omitempty"`
}

// IsZero reports whether c binds nothing: a bearer token.
func (c Confirmation) IsZero() bool { return c.JKT == "" && c.X5TS256 == "" }

// SenderConstraints are a client's sender-constraint registration, under the client
// metadata names of RFC 9449 §5.2 and RFC 8705 §2.1.2, §3.4.
type SenderConstraints struct {
	// DPoPBoundAccessTokens refuses token requests without a DPoP proof (RFC 9449
	// §5.2). A proof binds the token whether or not it is set.
	DPoPBoundAccessTokens bool `json:"dpop_bound_access_tokens,omitempty"`
	// TLSClientAuthSubjectDN is the certificate subject DN a tls_client_auth client
	// presents (RFC 8705 §2.1.2), in RFC 4514 string form.
	TLSClientAuthSubjectDN string `json:"tls_client_auth_subject_dn,omitempty"`
	// TLSClientAuthSANDNS is the dNSName SAN a tls_client_auth client's certificate
	// holds (RFC 8705 §2.1.2), as an alternative to the subject DN.
	TLSClientAuthSANDNS string `json:"tls_client_auth_san_dns,omitempty"`
	// TLSClientCertificateBoundAccessTokens binds the client's tokens to the
	// certificate it presents (RFC 8705 §3.4); tokens of a client authenticated by
	// its certificate (RFC 8705 §2) are always bound.
	TLSClientCertificateBoundAccessTokens bool `json:"tls_client_certificate_bound_access_tokens,omitempty"`
}

// CertThumbprint is RFC 8705 §3.1 x5t#S256: the base64url SHA-256 of a certificate's
// DER, without padding.
func CertThumbprint(der []byte) string {
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
