package candescent

import (
	"net/http"
	"strings"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/dialect/oauth2"
	"github.com/jeton/jeton/reqlog"
	"github.com/jeton/jeton/token"
)

// token is the V2 token endpoint, POST {prefix}/oauth2/v1/token (RFC 6749 §3.2 with
// Candescent's headers).
func (d *Dialect) token(w http.ResponseWriter, r *http.Request) {
	info := reqlog.From(r.Context())
	info.Dialect = dialectName
	echoTransaction(w, r, headerTransactionID)
	res, grant, err := d.runToken(w, r, info)
	info.Err = err
	encodeToken(w, grant, res, err)
}

func (d *Dialect) runToken(w http.ResponseWriter, r *http.Request, info *reqlog.Info) (*token.Result, string, error) {
	if r.Method != http.MethodPost {
		return nil, "", methodNotAllowed(w, http.MethodPost)
	}
	if _, err := transactionID(r, headerTransactionID); err != nil {
		return nil, "", err
	}
	req, err := d.decodeToken(r)
	info.Grant, info.ClientID = req.GrantType, req.Credentials.ClientID
	if err != nil {
		return nil, req.GrantType, err
	}
	res, err := d.cfg.Engine.Token(r.Context(), req)
	return res, req.GrantType, err
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
func (d *Dialect) decodeToken(r *http.Request) (token.Request, error) {
	form, err := oauth2.ReadForm(r)
	if err != nil {
		return token.Request{}, err
	}
	req := token.Request{
		GrantType:    form["grant_type"],
		Username:     form["username"],
		Password:     form["password"],
		Code:         form["code"],
		RefreshToken: form["refresh_token"],
	}
	if req.GrantType == "" {
		return req, jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonMissingParameter, "parameter grant_type is required").WithParam("grant_type")
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
	id, secret, err := oauth2.ParseBasic(h)
	if err != nil {
		return clientauth.Credentials{}, jeton.Errorf(jeton.CodeInvalidClient, jeton.ReasonMalformedBody, "client authentication failed").WithCause(err)
	}
	return clientauth.Credentials{Presented: clientauth.PresentedBasic, ClientID: id, Secret: secret}, nil
}

// parseScope accepts Candescent's space- or comma-separated scope list and applies
// RFC 6749 §3.3 to the tokens.
func parseScope(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	return token.ParseScope(strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' }), " "))
}
