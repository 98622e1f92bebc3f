// Package dpop verifies DPoP proofs (RFC 9449): the JWTs a client signs with a key of
// its own for each request, so that a token bound to that key (cnf.jkt) is worthless to
// whoever steals it. Verify implements the checks of RFC 9449 §4.3; Nonces issues and
// checks the server-provided nonces of §8 without a store round trip.
//
// A proof's jti is single-use through the same atomic store call as client assertions
// (jeton.AssertionStore.UseAssertionID), keyed by the proof key's thumbprint, so a
// replay is refused on whichever replica it arrives.
package dpop
