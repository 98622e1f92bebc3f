package adminapi

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
)

// checkPublicKeys parses every registered key with the parser the token endpoint uses
// (clientauth.ParseKeys), so that a key that cannot verify an assertion (RFC 7523 §3)
// is refused at registration rather than at the first token request, with the
// offending field named.
func checkPublicKeys(field string, keys []jeton.ClientKey) error {
	if len(keys) > maxPublicKeys {
		return fieldError(field, "at most %d public keys", maxPublicKeys)
	}
	if _, err := clientauth.ParseKeys(keys); err != nil {
		var ke *clientauth.KeyError
		if errors.As(err, &ke) {
			return fieldError(fmt.Sprintf("%s[%d].%s", field, ke.Index, ke.Path), "%s", ke.Msg)
		}
		return fieldError(field, "unusable public key")
	}
	return nil
}

// checkJWKSURI validates a client's jwks_uri (RFC 7591 §2): an absolute https URL
// without user information or fragment, like a redirect URI; plain http only for
// loopback hosts, where nothing can tamper with the key set on the way.
func checkJWKSURI(field, raw string) error {
	if len(raw) > maxURILen {
		return fieldError(field, "must be at most %d characters", maxURILen)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fieldError(field, "not a valid URL")
	case !u.IsAbs() || u.Host == "" || u.Opaque != "":
		return fieldError(field, "must be an absolute URL with a host")
	case u.User != nil:
		return fieldError(field, "must not contain user information")
	case strings.Contains(raw, "#"):
		return fieldError(field, "must not contain a fragment")
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	case u.Scheme == "http":
		return fieldError(field, "must use https (http only for localhost, 127.0.0.1 or [::1])")
	}
	return fieldError(field, "scheme %q not allowed; use https", u.Scheme)
}
