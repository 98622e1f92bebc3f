package oauth2

import (
	"net/http"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/token"
)

// JWTBearerAssertion is the client_assertion_type of RFC 7523 §2.2.
const JWTBearerAssertion = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// DecodeToken turns a token request (RFC 6749 §3.2, §4.4.2 and the grants' sections)
// into the engine's Request. It checks only the wire format; the engine decides the rest.
func DecodeToken(r *http.Request) (token.Request, error) {
	form, err := readForm(r)
	if err != nil {
		return token.Request{}, err
	}
	req := token.Request{
		GrantType:    form["grant_type"],
		Username:     form["username"],
		Password:     form["password"],
		Code:         form["code"],
		RedirectURI:  form["redirect_uri"],
		CodeVerifier: form["code_verifier"],
		RefreshToken: form["refresh_token"],
	}
	if req.GrantType == "" {
		return req, missing("grant_type")
	}
	if req.Scope, err = token.ParseScope(form["scope"]); err != nil {
		return req, err
	}
	req.Credentials, err = decodeCredentials(r, form)
	return req, err
}

// decodeCredentials finds the client's credentials in the Authorization header or the
// body. RFC 6749 §2.3: a client "MUST NOT use more than one authentication method in
// each request", so a request with two is invalid_request.
func decodeCredentials(r *http.Request, form map[string]string) (clientauth.Credentials, error) {
	_, hasSecret := form["client_secret"]
	_, hasAssertion := form["client_assertion"]
	if h := r.Header.Get("Authorization"); h != "" {
		if hasSecret || hasAssertion {
			return clientauth.Credentials{}, multipleAuth()
		}
		id, secret, err := parseBasic(h)
		if err != nil {
			return clientauth.Credentials{}, jeton.Errorf(jeton.CodeInvalidClient, jeton.ReasonMalformedBody, "client authentication failed").WithCause(err)
		}
		// §3.2.1 lets a client send client_id in the body too; it must then agree.
		if bodyID, ok := form["client_id"]; ok && bodyID != id {
			return clientauth.Credentials{}, jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonMultipleAuth, "client_id does not match the Authorization header").WithParam("client_id")
		}
		return clientauth.Credentials{Presented: clientauth.PresentedBasic, ClientID: id, Secret: secret}, nil
	}
	cred := clientauth.Credentials{ClientID: form["client_id"]}
	switch {
	case hasAssertion && hasSecret:
		return cred, multipleAuth()
	case hasAssertion:
		// RFC 7521 §4.2: client_assertion_type is required with client_assertion.
		cred.Presented = clientauth.PresentedAssertion
		cred.Assertion, cred.AssertionType = form["client_assertion"], form["client_assertion_type"]
		if cred.AssertionType == "" {
			return cred, missing("client_assertion_type")
		}
		if cred.AssertionType != JWTBearerAssertion {
			return cred, jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonNone, "client_assertion_type is not supported").WithParam("client_assertion_type")
		}
		// RFC 7521 §4.2 makes client_id optional beside an assertion, and RFC 7523 §3
		// item 2 has sub name the client: look the client up by the unverified sub.
		// The method verifies everything, including that a client_id sent with the
		// assertion equals iss and sub.
		if cred.ClientID == "" {
			id, err := clientauth.PeekClientID(cred.Assertion)
			if err != nil {
				return cred, jeton.Errorf(jeton.CodeInvalidClient, jeton.ReasonBadAssertion, "client authentication failed").WithCause(err)
			}
			cred.ClientID = id
		}
	case hasSecret:
		cred.Presented, cred.Secret = clientauth.PresentedPost, form["client_secret"]
		if cred.ClientID == "" {
			return cred, missing("client_id")
		}
	case cred.ClientID != "":
		cred.Presented = clientauth.PresentedClientID
	}
	return cred, nil
}

func missing(param string) *jeton.Error {
	return jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonMissingParameter, "parameter %s is required", param).WithParam(param)
}

func multipleAuth() *jeton.Error {
	return jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonMultipleAuth, "more than one client authentication method was used")
}
