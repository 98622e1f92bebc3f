package clients

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds on a client's fields (DESIGN rule 4: every size is bounded).
const (
	// MaxNameLen bounds display names (clients, and the admin API's institutions).
	MaxNameLen      = 200
	maxScopes       = 100
	maxScopeLen     = 128
	maxRedirectURIs = 20
	maxURILen       = 2048
	maxPublicKeys   = 10
	maxInstitutions = 100
)

// CheckText validates a display string: 1..max characters, not blank, no control
// characters (which would corrupt tables, logs and terminals).
func CheckText(field, s string, max int) error {
	n := utf8.RuneCountInString(s)
	switch {
	case strings.TrimSpace(s) == "":
		return fieldError(field, "must not be empty")
	case n > max:
		return fieldError(field, "must be at most %d characters, got %d", max, n)
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return fieldError(field, "must not contain control characters")
		}
	}
	return nil
}

// checkScopeToken validates one RFC 6749 §3.3 scope-token: 1*NQCHAR, where NQCHAR is
// %x21 / %x23-5B / %x5D-7E (printable ASCII except space, '"' and '\').
func checkScopeToken(field, s string) error {
	if s == "" {
		return fieldError(field, "must not be empty")
	}
	if len(s) > maxScopeLen {
		return fieldError(field, "must be at most %d characters", maxScopeLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return fieldError(field, "scope %q has a character RFC 6749 §3.3 forbids at byte %d", s, i)
		}
	}
	return nil
}

// checkScopes validates a scope list: scope-tokens, at most maxScopes, no duplicates.
func checkScopes(field string, scopes []string) error {
	if len(scopes) > maxScopes {
		return fieldError(field, "at most %d scopes", maxScopes)
	}
	seen := make(map[string]bool, len(scopes))
	for i, sc := range scopes {
		f := fmt.Sprintf("%s[%d]", field, i)
		if err := checkScopeToken(f, sc); err != nil {
			return err
		}
		if seen[sc] {
			return fieldError(f, "duplicate scope %q", sc)
		}
		seen[sc] = true
	}
	return nil
}

// checkRedirectURI validates a redirection endpoint (RFC 6749 §3.1.2): absolute, no
// fragment; https, except plain http for loopback hosts, which RFC 8252 §7.3 allows for
// native apps (nothing else can intercept traffic that never leaves the machine).
func checkRedirectURI(field, raw string) error {
	if len(raw) > maxURILen {
		return fieldError(field, "must be at most %d characters", maxURILen)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fieldError(field, "not a valid URI")
	}
	switch {
	case !u.IsAbs() || u.Host == "" || u.Opaque != "":
		return fieldError(field, "must be an absolute URI with a host (RFC 6749 §3.1.2)")
	case strings.Contains(raw, "#"):
		return fieldError(field, "must not contain a fragment (RFC 6749 §3.1.2)")
	case u.User != nil:
		return fieldError(field, "must not contain user information")
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	case u.Scheme == "http":
		return fieldError(field, "must use https (http only for localhost, 127.0.0.1 or [::1])")
	}
	return fieldError(field, "scheme %q not allowed; use https", u.Scheme)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && (ip.Equal(net.IPv4(127, 0, 0, 1)) || ip.Equal(net.IPv6loopback))
}

func checkRedirectURIs(field string, uris []string) error {
	if len(uris) > maxRedirectURIs {
		return fieldError(field, "at most %d redirect URIs", maxRedirectURIs)
	}
	seen := make(map[string]bool, len(uris))
	for i, u := range uris {
		f := fmt.Sprintf("%s[%d]", field, i)
		if err := checkRedirectURI(f, u); err != nil {
			return err
		}
		if seen[u] {
			return fieldError(f, "duplicate redirect URI")
		}
		seen[u] = true
	}
	return nil
}
