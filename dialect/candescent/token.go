package candescent

import (
	"net/http"
	"strings"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/dialect"
	"github.com/jeton/jeton/dialect/wire"
	"github.com/jeton/jeton/token"
)

// v2Codec is the V2 token endpoint's wire format, POST {prefix}/oauth2/v1/token
// (RFC 6749 §3.2 with Candescent's headers): a form in, JSON out. The grant is all it
// keeps of the request for its answer.
type v2Codec struct{ d *Dialect }

var _ dialect.Codec[struct{}] = v2Codec{}

func (c v2Codec) Decode(r *http.Request, body wire.Body) (token.Request, struct{}, error) {
	if _, err := transactionID(r, headerTransactionID); err != nil {
		return token.Request{}, struct{}{}, err
	}
	req, err := c.d.decodeToken(r, body)
	return req, struct{}{}, err
}

// needsInstitution are the grants whose requests must name the FI in institutionId;
// a refresh token already carries it.
func needsInstitution(grant string) bool {
	switch grant {
	case jeton.GrantClientCredentials, jeton.GrantPassword, jeton.GrantAuthorizationCode:
		return true
	}
	return false
}

// decodeToken reads the form body and Candescent's headers into the engine's Request.
func (d *Dialect) decodeToken(r *http.Request, body wire.Body) (token.Request, error) {
	form, err := body.Form()
	if err != nil {
		return token.Request{}, err
	}
	req, err := wire.TokenForm(form)
	if err != nil {
		return req, err
	}
	if req.GrantType == jeton.GrantAuthorizationCode {
		// Candescent's codes are minted server-side and exchanged without a
		// redirect_uri; see ServerMintedRedirect.
		req.RedirectURI = ServerMintedRedirect
	}
	if req.Credentials, err = basicCredentials(r); err != nil {
		return req, err
	}
	if req.Scope, err = parseScope(form["scope"]); err != nil {
		return req, err
	}
	req.InstitutionID, err = d.inst.institution(r, headerInstitutionID, needsInstitution(req.GrantType))
	return req, err
}

// basicCredentials reads Candescent's one client authentication: HTTP Basic with the
// "Shared Key" and "Secret Key" (RFC 6749 §2.3.1). Without the header the request
// presents nothing and the engine answers invalid_client.
func basicCredentials(r *http.Request) (clientauth.Credentials, error) {
	h, err := single(r, "Authorization")
	if err != nil {
		return clientauth.Credentials{}, err
	}
	if h == "" {
		return clientauth.Credentials{}, nil
	}
	return wire.Basic(h)
}

// parseScope accepts Candescent's space- or comma-separated scope list and applies
// RFC 6749 §3.3 to the tokens.
func parseScope(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	return token.ParseScope(strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' }), " "))
}
