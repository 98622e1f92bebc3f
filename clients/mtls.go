package clients

import (
	"github.com/jeton/jeton"
)

// maxDNLen bounds a registered subject DN or SAN.
const maxDNLen = 1024

// checkMTLS checks the RFC 8705 registration: a tls_client_auth client names exactly
// one of its certificate's subject DN and dNSName SAN (§2.1.2), a
// self_signed_tls_client_auth client registers its certificate or key (§2.2: public
// keys or a jwks_uri); neither setting means anything to another method.
func checkMTLS(c *jeton.Client) error {
	dn, san := c.TLSClientAuthSubjectDN, c.TLSClientAuthSANDNS
	if err := CheckText("tls_client_auth_subject_dn", dn, maxDNLen); dn != "" && err != nil {
		return err
	}
	if err := CheckText("tls_client_auth_san_dns", san, maxDNLen); san != "" && err != nil {
		return err
	}
	switch c.AuthMethod {
	case jeton.AuthTLSClient:
		if (dn == "") == (san == "") {
			return fieldError("tls_client_auth_subject_dn", "tls_client_auth needs exactly one of tls_client_auth_subject_dn and tls_client_auth_san_dns")
		}
	case jeton.AuthSelfSignedTLS:
		if len(c.PublicKeys) == 0 && c.JWKSURI == "" {
			return fieldError("public_keys", "self_signed_tls_client_auth needs the client's certificate (public_keys) or a jwks_uri")
		}
		fallthrough
	default:
		if dn != "" || san != "" {
			return fieldError("tls_client_auth_subject_dn", "a subject DN or SAN is registered for tls_client_auth only")
		}
	}
	return nil
}
