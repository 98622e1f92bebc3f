package fapi2

import "github.com/jeton/jeton"

// Registration refuses a FAPI 2.0 client that breaks a registration rule (the first
// of Violations), so that the admin API never stores one (the token and PAR endpoints
// refuse them again, in case an institution's default changed since).
func Registration(c *jeton.Client) *jeton.Error {
	if v := Violations(c); len(v) > 0 {
		return v[0]
	}
	return nil
}

// Violations returns every registration rule a FAPI 2.0 client breaks, each an
// invalid_request whose Param is the admin API field at fault:
//   - auth_method: §5.3.2.1 allows only MTLS and private_key_jwt;
//   - grants: §5.3.2.1 "shall reject requests using the resource owner password
//     credentials grant";
//   - signing_alg: §5.4 item 1 allows only PS256, ES256 and EdDSA, for the tokens
//     jeton signs for the client too.
func Violations(c *jeton.Client) []*jeton.Error {
	if !Applies(c) {
		return nil
	}
	var out []*jeton.Error
	add := func(field string, e *jeton.Error) {
		out = append(out, jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonNone, "%s", e.Description).WithParam(field))
	}
	if e := authMethod(c); e != nil {
		add("auth_method", e)
	}
	if c.AllowsGrant(jeton.GrantPassword) {
		add("grants", refuse(jeton.CodeInvalidRequest, jeton.ReasonNone, rulePassword))
	}
	if e := tokenAlg(c); e != nil {
		add("signing_alg", e)
	}
	return out
}

// rulePassword is §5.3.2.1's "shall reject requests using the resource owner password
// credentials grant".
const rulePassword = "the resource owner password credentials grant is not allowed"

// ClientAuth is the rule set of every endpoint where a client authenticates without
// asking for a token (introspection, RFC 7662 §2.1; revocation, RFC 7009 §2.1):
// §5.3.2.1's methods and §5.4's algorithms for the client assertion.
func ClientAuth(c *jeton.Client, assertion string) *jeton.Error {
	if !Applies(c) {
		return nil
	}
	if e := authMethod(c); e != nil {
		return e
	}
	return signedWith(assertion, nil)
}

// Authorize is the authorization endpoint's rule set for a request that parsed
// (response_type code, PKCE S256 when a challenge is sent: oidc.parseRequest):
//   - §5.3.2.2: "shall require ... pushed authorization requests" (RFC 9126);
//   - §5.3.2.2: "shall require PKCE (RFC 7636) with S256 as the code challenge
//     method": a challenge must be present.
func Authorize(c *jeton.Client, fromPAR bool, codeChallenge string) *jeton.Error {
	if !Applies(c) {
		return nil
	}
	if !fromPAR {
		return refuse(jeton.CodeInvalidRequest, jeton.ReasonNone, "pushed authorization request required (send request_uri from the PAR endpoint)")
	}
	return pkce(codeChallenge)
}

// Pushed is the PAR endpoint's rule set (RFC 9126 §2, which authenticates the client
// like the token endpoint): the client's authentication method and the algorithms of
// its assertion, DPoP proofs and request object (§5.3.2.1, §5.4), the alg of the
// tokens the flow would end in (§5.4, refused here so the customer is not asked to
// consent to a flow the token endpoint refuses), and PKCE (§5.3.2.2), checked before
// the request is stored.
type Pushed struct {
	Assertion     string   // client_assertion, "" for mTLS
	DPoPProofs    []string // the DPoP header values, if any
	RequestObject string   // the request parameter, "" when none
	CodeChallenge string   // as parsed
}

// CheckPushed applies Pushed's rules to c.
func CheckPushed(c *jeton.Client, p Pushed) *jeton.Error {
	if !Applies(c) {
		return nil
	}
	if e := authMethod(c); e != nil {
		return e
	}
	if e := tokenAlg(c); e != nil {
		return e
	}
	if e := signedWith(p.Assertion, p.DPoPProofs); e != nil {
		return e
	}
	if p.RequestObject != "" && !algOK(p.RequestObject) {
		return refuse(jeton.CodeInvalidRequestObject, jeton.ReasonNone, "the request object must be signed with PS256, ES256 or EdDSA")
	}
	return pkce(p.CodeChallenge)
}

func pkce(challenge string) *jeton.Error {
	if challenge == "" {
		return refuse(jeton.CodeInvalidRequest, jeton.ReasonNone, "PKCE with S256 required (code_challenge and code_challenge_method=S256)")
	}
	return nil
}

// Token is the token endpoint's rule set, after client authentication and the
// sender-constraint step (token.Engine.senderProof):
//   - §5.3.2.1: the client authentication method, and §5.4 the assertion's alg;
//   - §5.4: the alg jeton would sign the client's tokens with (tokenAlg), for a
//     client registered before its institution's default became fapi2;
//   - §5.3.2.1: "shall reject requests using the resource owner password
//     credentials grant";
//   - §5.4: the DPoP proof's alg;
//   - §5.3.2.1: "shall only issue sender-constrained access tokens": the request
//     must have proved a DPoP key (RFC 9449) or presented the client certificate
//     the token is bound to (RFC 8705 §3).
type Token struct {
	GrantType    string
	Assertion    string
	DPoPProofs   []string
	Confirmation jeton.Confirmation
}

// CheckToken applies Token's rules to c.
func CheckToken(c *jeton.Client, t Token) *jeton.Error {
	if !Applies(c) {
		return nil
	}
	if e := authMethod(c); e != nil {
		return e
	}
	if e := tokenAlg(c); e != nil {
		return e
	}
	if t.GrantType == jeton.GrantPassword {
		return refuse(jeton.CodeUnauthorizedClient, jeton.ReasonNone, rulePassword)
	}
	if e := signedWith(t.Assertion, t.DPoPProofs); e != nil {
		return e
	}
	if t.Confirmation.JKT == "" && t.Confirmation.X5TS256 == "" {
		return refuse(jeton.CodeInvalidRequest, jeton.ReasonProofRequired,
			"sender-constrained access tokens required: send a DPoP proof or use a certificate-bound (mTLS) client")
	}
	return nil
}
