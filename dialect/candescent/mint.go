package candescent

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/dialect/candescent/candescentstore"
	"github.com/jeton/jeton/dialect/wire"
	"github.com/jeton/jeton/reqlog"
	"github.com/jeton/jeton/token"
)

// Paths of Candescent's server-side authorization-code flow, relative to the prefix.
const (
	ClientAuthorizationPath = "/v1/client-authorization"
)

// LinkSource says whether an admin linked a minter to a client.
type LinkSource interface {
	GetClientLink(ctx context.Context, minterID, clientID string) (candescentstore.ClientLink, error)
}

// Minter wires the server-side code endpoints: a trusted backend, authenticated by a
// client_credentials access token of its own, mints authorization codes for another
// client that an admin linked to it.
type Minter struct {
	// Tokens verifies the caller's bearer token (the introspection rules).
	Tokens *token.Introspector
	// Clients finds the authorized client (clientcache over the store).
	Clients clientauth.ClientSource
	Links   LinkSource
	// Codes stores the minted codes (the authorization_code grant's store); with
	// Customers it enables /v1/auth-code.
	Codes     token.CodeStore
	Customers CodeCustomers
}

// minting is an authenticated minting request: the caller, the institution, and the
// linked client it authorizes.
type minting struct {
	caller      string
	institution string
	client      jeton.Client
	form        map[string]string
}

// authorizeMinting runs the checks both endpoints share, in order: method, transaction
// id, bearer token (a client_credentials token: its subject is its client), the FI
// (the one the token was issued for), the form, then the authorized client: not the
// caller itself, active, acting for the FI, and linked to the caller by an admin.
func (d *Dialect) authorizeMinting(w http.ResponseWriter, r *http.Request, info *reqlog.Info) (*minting, error) {
	if r.Method != http.MethodPost {
		return nil, methodNotAllowed(w, http.MethodPost)
	}
	if _, err := transactionID(r, headerTransactionID); err != nil {
		return nil, err
	}
	caller, err := d.bearerClient(r)
	info.ClientID = caller.ClientID
	if err != nil {
		return nil, err
	}
	inst, err := d.inst.institution(r, headerInstitutionID, true)
	if err != nil {
		return nil, err
	}
	if inst != caller.InstitutionID {
		return nil, dialectError(reasonInstitutionID, "the bearer token was not issued for this institution")
	}
	form, err := wire.NewBody(r, wire.MaxFormBytes).Form()
	if err != nil {
		return nil, err
	}
	m := &minting{caller: caller.ClientID, institution: inst, form: form}
	m.client, err = d.linkedClient(r.Context(), m.caller, inst, form["client_id"])
	return m, err
}

// bearerClient verifies the Authorization: Bearer token (RFC 6750 §2.1) and requires a
// client_credentials token (no customer).
func (d *Dialect) bearerClient(r *http.Request) (*token.Introspection, error) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return &token.Introspection{}, dialectError(reasonBearer, "a client_credentials bearer token is required")
	}
	info, err := d.cfg.Minter.Tokens.Bearer(r.Context(), tok)
	if err != nil {
		return &token.Introspection{}, err
	}
	if !info.Active || info.Subject != info.ClientID {
		return &token.Introspection{}, dialectError(reasonBearer, "the bearer token is not an active client_credentials token").
			WithCause(errors.New("inactive: " + string(info.Reason)))
	}
	return info, nil
}

// linkedClient returns the client that caller authorizes. An unknown, inactive or
// unlinked client is one answer, so a caller cannot probe for client ids.
func (d *Dialect) linkedClient(ctx context.Context, caller, inst, id string) (jeton.Client, error) {
	if id == "" {
		return jeton.Client{}, jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonMissingParameter, "parameter client_id is required").WithParam("client_id")
	}
	if id == caller {
		return jeton.Client{}, dialectError(reasonSelfAuthorize, "a client cannot authorize itself")
	}
	notLinked := dialectError(reasonNotLinked, "the client may not be authorized by the caller")
	c, err := d.cfg.Minter.Clients.Client(ctx, id)
	switch {
	case errors.Is(err, jeton.ErrNotFound):
		return c, notLinked.WithCause(err)
	case err != nil:
		return c, jeton.ServerError(err)
	case c.Status != jeton.ClientActive || !c.ActsFor(inst):
		return c, notLinked.WithCause(errors.New("client inactive or not acting for the institution"))
	}
	if _, err := d.cfg.Minter.Links.GetClientLink(ctx, caller, id); err != nil {
		if errors.Is(err, jeton.ErrNotFound) {
			return c, notLinked.WithCause(err)
		}
		return c, jeton.ServerError(err)
	}
	return c, nil
}

// clientAuthorizationResponse is the answer of /v1/client-authorization.
type clientAuthorizationResponse struct {
	Scopes string `json:"scopes"`
	AppID  string `json:"appId"`
}

// clientAuthorization is POST {prefix}/v1/client-authorization: the scopes the
// authorized client may be granted, comma-separated as Candescent writes them.
func (d *Dialect) clientAuthorization(w http.ResponseWriter, r *http.Request) {
	mintingEndpoint(w, r, opClientAuthorization, func(info *reqlog.Info) (any, error) {
		m, err := d.authorizeMinting(w, r, info)
		if err != nil {
			return nil, err
		}
		return clientAuthorizationResponse{Scopes: strings.Join(m.client.Scopes, ","), AppID: m.client.ID}, nil
	})
}

// mintingEndpoint runs one of the code-minting endpoints: the log's facts, the
// transactionId echo, and a JSON answer or the error through the table.
func mintingEndpoint(w http.ResponseWriter, r *http.Request, op string, run func(*reqlog.Info) (any, error)) {
	info := reqlog.From(r.Context())
	info.Dialect = dialectName
	info.Grant = op
	echoTransaction(w, r, headerTransactionID)
	res, err := run(info)
	info.Err = err
	if answeredError(w, "", err) {
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// Operation names for the log (the metrics label them "other").
const (
	opClientAuthorization = "candescent_client_authorization"
	opAuthCode            = "candescent_auth_code"
)
