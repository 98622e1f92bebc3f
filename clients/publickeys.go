package clients

import (
	"errors"
	"fmt"
	"net/netip"
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
// loopback hosts, where nothing can tamper with the key set on the way. A host that
// names a non-public address (an IP literal, or localhost) is refused unless allowed:
// jeton would fetch it from inside its own network. The token endpoint checks the
// address it dials in any case (clientauth.PublicAddr); this only says so early.
func checkJWKSURI(field, raw string, allow []string) error {
	if err := checkJWKSURIForm(field, raw); err != nil {
		return err
	}
	host := mustParseHost(raw)
	if clientauth.HostAllowed(allow, host) {
		return nil
	}
	ip, err := netip.ParseAddr(host)
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || (err == nil && !clientauth.PublicAddr(ip)) {
		return fieldError(field, "%s is not a public address (loopback, private, link-local or metadata); jeton does not fetch keys from such addresses", host)
	}
	return nil
}

// mustParseHost returns the lower-case host of a URL that checkJWKSURIForm accepted,
// without a trailing dot ("localhost." is localhost).
func mustParseHost(raw string) string {
	u, _ := url.Parse(raw)
	return strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
}

// checkJWKSURIForm checks the URL's form and scheme.
func checkJWKSURIForm(field, raw string) error {
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
