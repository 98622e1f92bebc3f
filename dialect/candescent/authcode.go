package candescent

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/reqlog"
	"github.com/jeton/jeton/token"
)

// AuthCodePath is step 2 of the server-side flow, relative to the prefix.
const AuthCodePath = "/v1/auth-code"

// ServerMintedRedirect is the redirect URI a server-minted code is bound to. No
// browser redirect ever carried such a code, and Candescent's token request sends no
// redirect_uri, so the V2 token endpoint presents this value for every
// authorization_code request: RFC 6749 §4.1.3 then holds as it is — a code from the
// browser flow (bound to a real redirect URI) can't be exchanged here, and a
// server-minted code can't be exchanged anywhere else.
const ServerMintedRedirect = "urn:jeton:candescent:server-minted"

// InstitutionUserIDClaim is the customer claim institution_user_id is checked against
// (besides the customer id).
const InstitutionUserIDClaim = "institution_user_id"

// Reasons of the code-minting checks, mapped by errorTable.
const (
	reasonUnknownUser jeton.Reason = "candescent_unknown_user" // username is no active customer of the FI
	reasonUserID      jeton.Reason = "candescent_institution_user_id"
)

// CodeCustomers finds the customer a code is minted for.
type CodeCustomers interface {
	GetCustomerByUsername(ctx context.Context, institutionID, username string) (jeton.Customer, error)
}

// authCodeResponse is the answer of /v1/auth-code.
type authCodeResponse struct {
	Code        string `json:"code"`
	RedirectURI string `json:"redirect_uri"`
}

// authCode is POST {prefix}/v1/auth-code: a linked minter mints an engine
// authorization code (RFC 6749 §4.1.2: single-use, token.CodeTTL, bound to the
// authorized client, the customer, the scopes and the nonce) that the authorized
// client exchanges at the V2 token endpoint with its own credentials.
func (d *Dialect) authCode(w http.ResponseWriter, r *http.Request) {
	mintingEndpoint(w, r, opAuthCode, func(info *reqlog.Info) (any, error) { return d.runAuthCode(w, r, info) })
}

func (d *Dialect) runAuthCode(w http.ResponseWriter, r *http.Request, info *reqlog.Info) (authCodeResponse, error) {
	m, err := d.authorizeMinting(w, r, info)
	if err != nil {
		return authCodeResponse{}, err
	}
	ctx := r.Context()
	now := d.cfg.Now()
	cu, err := d.codeCustomer(ctx, m, now)
	if err != nil {
		return authCodeResponse{}, err
	}
	scope, err := requestedScopes(m.form["requested_scopes"], &m.client)
	if err != nil {
		return authCodeResponse{}, err
	}
	code, err := token.IssueCode(ctx, d.cfg.Minter.Codes, jeton.AuthorizationCode{
		ClientID: m.client.ID, InstitutionID: m.institution, Subject: cu.ID, RedirectURI: ServerMintedRedirect,
		Scope: scope, Nonce: m.form["nonce"], AuthTime: now.Truncate(time.Second),
	}, now)
	if err != nil {
		return authCodeResponse{}, jeton.ServerError(err)
	}
	out := authCodeResponse{Code: code}
	if len(m.client.RedirectURIs) > 0 {
		out.RedirectURI = m.client.RedirectURIs[0]
	}
	return out, nil
}

// codeCustomer finds the active customer the code is for; institution_user_id, when
// given, must name the same customer (its id or its institution_user_id claim).
func (d *Dialect) codeCustomer(ctx context.Context, m *minting, now time.Time) (jeton.Customer, error) {
	username := m.form["username"]
	if username == "" {
		return jeton.Customer{}, jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonMissingParameter, "parameter username is required").WithParam("username")
	}
	cu, err := d.cfg.Minter.Customers.GetCustomerByUsername(ctx, m.institution, username)
	switch {
	case errors.Is(err, jeton.ErrNotFound):
		return cu, dialectError(reasonUnknownUser, "no such customer").WithCause(err)
	case err != nil:
		return cu, jeton.ServerError(err)
	case cu.Status != jeton.CustomerActive:
		return cu, dialectError(reasonUnknownUser, "customer is %s", cu.Status)
	case cu.Locked(now):
		return cu, jeton.Errorf(jeton.CodeAccessDenied, jeton.ReasonLocked, "customer is locked")
	}
	if uid := m.form["institution_user_id"]; uid != "" && uid != cu.ID && uid != cu.Claims[InstitutionUserIDClaim] {
		return cu, dialectError(reasonUserID, "institution_user_id does not name the customer")
	}
	return cu, nil
}

// requestedScopes reads Candescent's comma-separated requested_scopes (the client's
// default scopes when absent); each must be one the authorized client may be granted.
func requestedScopes(s string, c *jeton.Client) ([]string, error) {
	if s == "" {
		return slices.Clone(c.DefaultScopes), nil
	}
	scope, err := parseScope(s)
	if err != nil {
		return nil, err
	}
	for _, sc := range scope {
		if !slices.Contains(c.Scopes, sc) {
			return nil, jeton.Errorf(jeton.CodeInvalidScope, jeton.ReasonNone, "scope %q is not allowed for the client", strings.ToValidUTF8(sc, "")).WithParam("requested_scopes")
		}
	}
	return scope, nil
}
