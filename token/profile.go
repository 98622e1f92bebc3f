package token

import (
	"github.com/jeton/jeton"
	"github.com/jeton/jeton/fapi2"
)

// profileRules applies the client's security profile at the token endpoint, once the
// client is authenticated and the request's sender constraint known: the FAPI 2.0
// Security Profile's §5.3.2.1 and §5.4 rules (package fapi2) for a "fapi2" client,
// nothing for others. It runs before any grant reads or spends anything, so a refusal
// issues nothing and leaves codes and refresh tokens unspent.
func profileRules(c *jeton.Client, req Request, cnf jeton.Confirmation) error {
	if e := fapi2.CheckToken(c, fapi2.Token{GrantType: req.GrantType, Assertion: req.Credentials.Assertion, DPoPProofs: req.DPoP.Proofs, Confirmation: cnf}); e != nil {
		return e
	}
	return nil
}
