// Package fapi2 holds the authorization-server rules of the FAPI 2.0 Security Profile
// (OpenID Foundation, final, §5.3.2 and §5.3.3) that jeton applies to a client whose
// profile is "fapi2" (its own, or its institution's default when its own is ""). The
// endpoints call one function each: Authorize (authorization endpoint), Pushed (PAR,
// RFC 9126), Token (token endpoint), Registration (admin API; Violations for a switch
// of an institution's default). Beneath them, TokenAlg guards the token issuers and
// FutureSkew bounds the iat/nbf of client assertions and request objects. Each refusal
// is a *jeton.Error whose description starts "FAPI 2.0:" and names the rule; nothing
// is issued or stored after one. docs/fapi2.md maps every "shall" to its code and test.
package fapi2
