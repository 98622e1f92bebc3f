package token

import (
	"slices"
	"strings"

	"github.com/jeton/jeton"
)

// MaxScopes bounds how many scope tokens one request may name.
const MaxScopes = 100

// ParseScope splits a scope parameter (RFC 6749 §3.3: space-delimited scope-tokens of
// NQCHAR) into tokens. An empty parameter is no scope (nil). Duplicates are dropped;
// a malformed token is invalid_scope.
func ParseScope(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, " ")
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		if p == "" {
			return nil, jeton.Errorf(jeton.CodeInvalidScope, jeton.ReasonNone, "scope is not space-delimited scope tokens").WithParam("scope")
		}
		if !ValidScopeToken(p) {
			return nil, jeton.Errorf(jeton.CodeInvalidScope, jeton.ReasonInvalidCharacters, "scope token has characters RFC 6749 §3.3 does not allow").WithParam("scope")
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if len(out) > MaxScopes {
		return nil, jeton.Errorf(jeton.CodeInvalidScope, jeton.ReasonNone, "too many scopes").WithParam("scope")
	}
	return out, nil
}

// ValidScopeToken reports whether t is a scope-token: 1*( %x21 / %x23-5B / %x5D-7E ).
func ValidScopeToken(t string) bool {
	if t == "" || len(t) > 128 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c < 0x21 || c == 0x22 || c == 0x5c || c > 0x7e {
			return false
		}
	}
	return true
}

// resolveScope applies RFC 6749 §3.3: the requested scope must lie within the client's
// allowed scopes (else invalid_scope); with none requested the client's default set
// applies.
func resolveScope(requested []string, c *jeton.Client) ([]string, error) {
	if requested == nil {
		return slices.Clone(c.DefaultScopes), nil
	}
	if s, ok := outside(requested, c.Scopes); ok {
		return nil, jeton.Errorf(jeton.CodeInvalidScope, jeton.ReasonNone, "scope %q is not allowed for this client", s).WithParam("scope")
	}
	return requested, nil
}

// narrowScope applies RFC 6749 §6 to a request that continues an earlier grant: with
// no scope requested the granted scope; a requested scope may narrow it ("MUST NOT
// include any scope not originally granted", else invalid_scope). The earlier grant
// keeps its scope, so a later refresh may ask for all of it again.
func narrowScope(requested, granted []string) ([]string, error) {
	if requested == nil {
		return slices.Clone(granted), nil
	}
	if s, ok := outside(requested, granted); ok {
		return nil, jeton.Errorf(jeton.CodeInvalidScope, jeton.ReasonScopeWidened, "scope %q was not granted to this refresh token", s).WithParam("scope")
	}
	return requested, nil
}

// outside returns the first requested scope that allowed lacks.
func outside(requested, allowed []string) (string, bool) {
	for _, s := range requested {
		if !slices.Contains(allowed, s) {
			return s, true
		}
	}
	return "", false
}
