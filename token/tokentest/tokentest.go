// Package tokentest holds engine pieces that exist only for tests.
package tokentest

import (
	"context"
	"slices"
	"testing"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/token"
)

// GrantSeed is SeedGrant's grant_type.
const GrantSeed = "urn:jeton:test:seed"

// SeedGrant stands in for the password and authorization_code grants in tests that
// need a customer's refresh family: it authorizes the customer named in "username" and
// asks the issuer for a family, as those grants do.
type SeedGrant struct{}

// Type implements token.Grant.
func (SeedGrant) Type() string { return GrantSeed }

// Handle implements token.Grant.
func (SeedGrant) Handle(_ context.Context, req *token.ClientRequest) (*token.Authorization, error) {
	return &token.Authorization{Subject: req.Username, InstitutionID: req.Institution, Scope: req.Scope,
		AuthTime: req.Now, Refresh: true}, nil
}

// CheckJetonGrants fails t unless grants serve exactly jeton.Grants: what declares
// the grants (serve's wiring, the token package's handlers) misses none and adds none.
func CheckJetonGrants(t testing.TB, what string, grants []token.Grant) {
	t.Helper()
	var types []string
	for _, g := range grants {
		types = append(types, g.Type())
	}
	want := jeton.Grants()
	slices.Sort(types)
	slices.Sort(want)
	if !slices.Equal(types, want) {
		t.Fatalf("%s serve %v; jeton.Grants() = %v", what, types, want)
	}
}
