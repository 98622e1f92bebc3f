package candescent

import (
	"strings"
	"testing"

	"github.com/jeton/jeton/token"
)

// FuzzParseScope: Candescent's space- or comma-separated scope lists never panic, and
// what they accept is RFC 6749 §3.3 scope tokens without separators.
func FuzzParseScope(f *testing.F) {
	for _, s := range []string{"", "openid,profile", "a b,c", ",,", "a\\b", "a, b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		scope, err := parseScope(s)
		if err != nil {
			return
		}
		for _, sc := range scope {
			if !token.ValidScopeToken(sc) || strings.ContainsAny(sc, " ,") {
				t.Fatalf("%q accepted as scope token %q", s, sc)
			}
		}
	})
}

// FuzzIsUUID: a transaction id is accepted exactly when it has the 8-4-4-4-12 hex form.
func FuzzIsUUID(f *testing.F) {
	for _, s := range []string{"3f2b8c1e-9d4a-4f6b-8e2a-1c5d7e9f0a3b", "", "not-a-uuid", "3F2B8C1E-9D4A-4F6B-8E2A-1C5D7E9F0A3B"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !isUUID(s) {
			return
		}
		parts := strings.Split(s, "-")
		if len(parts) != 5 || len(parts[0]) != 8 || len(parts[1]) != 4 || len(parts[2]) != 4 || len(parts[3]) != 4 || len(parts[4]) != 12 {
			t.Fatalf("%q accepted", s)
		}
		if strings.Trim(strings.ToLower(strings.Join(parts, "")), "0123456789abcdef") != "" {
			t.Fatalf("%q accepted with a non-hex character", s)
		}
	})
}
