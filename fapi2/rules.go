package fapi2

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jeton/jeton"
)

// Name is the profile value of the admin API (client "profile", institution
// "default_profile") and of the CLI flag --profile.
const Name = "fapi2"

// Valid reports whether p is a profile jeton knows: "" (none, or the institution's
// default for a client) or Name.
func Valid(p string) bool { return p == "" || p == Name }

// Applies reports whether c is held to the FAPI 2.0 rules.
func Applies(c *jeton.Client) bool { return c.EffectiveProfile() == Name }

// MaxCodeTTL is the longest an authorization code may live (FAPI 2.0 §5.3.2.1:
// "shall issue authorization codes with a maximum lifetime of 60 seconds").
const MaxCodeTTL = 60 * time.Second

// MaxFuture is how far ahead of jeton's clock a FAPI 2.0 client's client assertion or
// request object may date its iat or nbf. FAPI 2.0 §5.3.2.1 has the server accept JWTs
// with an iat or nbf up to 10 seconds in the future and says it should reject those
// 60 seconds or more in the future; NumericDates are whole seconds (RFC 7519 §2), so
// 59 s is the last one accepted and 60 s the first one refused.
const MaxFuture = 59 * time.Second

// FutureSkew is the tolerance for an iat or nbf in the future of c's client assertions
// and request objects, given the operator's clock skew (serve --clock-skew): at most
// MaxFuture for a FAPI 2.0 client, skew for others. A skew under 10 s is kept as it
// is, though it refuses what §5.3.2.1 says to accept: the operator chose it, and
// docs/fapi2.md says so.
func FutureSkew(c *jeton.Client, skew time.Duration) time.Duration {
	if Applies(c) {
		return min(skew, MaxFuture)
	}
	return skew
}

// Algs are the JWS algorithms FAPI 2.0 §5.4 item 1 allows ("use PS256, ES256, or EdDSA
// (using the Ed25519 subtype) algorithms"): for client assertions, request objects and
// DPoP proofs of a FAPI 2.0 client, and for the tokens jeton signs for it (its
// SigningAlg).
var Algs = []string{"PS256", "ES256", "EdDSA"}

// AuthMethods are the client authentication methods FAPI 2.0 §5.3.2.1 allows
// ("shall authenticate clients using one of: MTLS as specified in section 2 of
// RFC 8705, or private_key_jwt as specified in section 9 of OpenID Connect").
var AuthMethods = []jeton.AuthMethod{jeton.AuthPrivateKey, jeton.AuthTLSClient, jeton.AuthSelfSignedTLS}

// refuse builds a refusal naming the rule: "FAPI 2.0: <rule>".
func refuse(code jeton.Code, reason jeton.Reason, rule string) *jeton.Error {
	return jeton.Errorf(code, reason, "FAPI 2.0: %s", rule)
}

// authMethod refuses a client registered with a method §5.3.2.1 does not allow.
func authMethod(c *jeton.Client) *jeton.Error {
	if slices.Contains(AuthMethods, c.AuthMethod) {
		return nil
	}
	return refuse(jeton.CodeInvalidClient, jeton.ReasonNone,
		"client authentication must be private_key_jwt, tls_client_auth or self_signed_tls_client_auth")
}

// tokenAlg refuses a client whose tokens jeton would sign with an algorithm FAPI 2.0
// §5.4 item 1 does not allow (its SigningAlg signs its JWT access tokens and its ID
// tokens). The code is unauthorized_client (RFC 6749 §5.2: "the authenticated client
// is not authorized to use this authorization grant type"; RFC 9126 §2.3 at PAR): the
// client did authenticate, so invalid_client, which tells it its credentials failed,
// would send it looking in the wrong place; what refuses it is its registration,
// which only the operator can change.
func tokenAlg(c *jeton.Client) *jeton.Error {
	if slices.Contains(Algs, c.SigningAlg) {
		return nil
	}
	return refuse(jeton.CodeUnauthorizedClient, jeton.ReasonNone, errTokenAlg(c.SigningAlg))
}

// errTokenAlg is tokenAlg's rule, naming the client's alg.
func errTokenAlg(alg string) string {
	return fmt.Sprintf("the client's tokens must be signed with PS256, ES256 or EdDSA, not %.20q", alg)
}

// TokenAlg is the last check before jeton signs a token for c with c.SigningAlg
// (token.Issuer, token.IDTokenIssuer): FAPI 2.0 §5.4 item 1 for a FAPI 2.0 client,
// nothing for others. The endpoints refuse such a client before (CheckToken,
// CheckPushed); this keeps any other path from signing for it with RS256.
func TokenAlg(c *jeton.Client) *jeton.Error {
	if !Applies(c) {
		return nil
	}
	return tokenAlg(c)
}

// algOK reports whether the compact JWS raw announces one of Algs. The header is
// read without verifying: the signature itself is verified by clientauth, dpop or
// the request-object verifier with the algorithm the header names, so a header that
// lies fails there; this only narrows which algorithms may get that far.
func algOK(raw string) bool {
	head, _, ok := strings.Cut(raw, ".")
	if !ok || len(head) > 4096 {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return false
	}
	var h struct {
		Alg string `json:"alg"`
	}
	return json.Unmarshal(b, &h) == nil && slices.Contains(Algs, h.Alg)
}

// signedWith refuses a client assertion (RFC 7523) or DPoP proofs (RFC 9449) whose
// alg is not in Algs.
func signedWith(assertion string, proofs []string) *jeton.Error {
	if assertion != "" && !algOK(assertion) {
		return refuse(jeton.CodeInvalidClient, jeton.ReasonBadAssertion, "the client assertion must be signed with PS256, ES256 or EdDSA")
	}
	for _, p := range proofs {
		if !algOK(p) {
			return refuse(jeton.CodeInvalidDPoPProof, jeton.ReasonNone, "the DPoP proof must be signed with PS256, ES256 or EdDSA")
		}
	}
	return nil
}
