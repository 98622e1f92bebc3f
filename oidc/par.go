package oidc

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dialect/oauth2"
	"github.com/jeton/jeton/dialect/wire"
	"github.com/jeton/jeton/dpop"
	"github.com/jeton/jeton/fapi2"
	"github.com/jeton/jeton/reqlog"
)

// parURNPrefix starts every request_uri (RFC 9126 §2.2).
const parURNPrefix = "urn:ietf:params:oauth:request-uri:"

// credentialFields are client authentication, not authorization request parameters.
var credentialFields = []string{"client_secret", "client_assertion", "client_assertion_type"}

// par is the pushed authorization request endpoint (RFC 9126 §2): the client
// authenticates like at the token endpoint, the request is validated like at the
// authorization endpoint (§2.1), and a single-use request_uri valid for PARTTL is
// returned (§2.2) with 201.
func (h *Handler) par(w http.ResponseWriter, r *http.Request) {
	info := reqlog.From(r.Context())
	info.Dialect, info.Grant = "oidc", reqlog.OpPAR
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		oauth2.EncodeToken(w, nil, &jeton.Error{Code: jeton.CodeInvalidRequest, Description: "use POST", Status: http.StatusMethodNotAllowed})
		return
	}
	form, cred, err := wire.NewBody(r, wire.MaxFormBytes).ClientForm()
	if err != nil {
		h.parError(w, info, err)
		return
	}
	info.ClientID = cred.ClientID
	c, err := h.cfg.Engine.Authenticate(r.Context(), cred)
	if err != nil {
		h.parError(w, info, err)
		return
	}
	if !c.AllowsGrant(jeton.GrantAuthorizationCode) {
		h.parError(w, info, jeton.Errorf(jeton.CodeUnauthorizedClient, jeton.ReasonNone, "client may not use the authorization code flow"))
		return
	}
	if _, ok := form["request_uri"]; ok {
		// RFC 9126 §2.1: request_uri must not be pushed.
		h.parError(w, info, jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonNone, "request_uri is not allowed here").WithParam("request_uri"))
		return
	}
	q := url.Values{}
	for k, v := range form {
		q.Set(k, v)
	}
	for _, f := range credentialFields {
		q.Del(f)
	}
	// RFC 9126 §3: a pushed request may be a signed request object (RFC 9101); its
	// parameters then replace the form's, and the pushed request counts as signed.
	signed := false
	var aerr *authError
	rawObject := q.Get("request")
	if raw := rawObject; raw != "" {
		q, aerr = h.fromObject(r.Context(), c, q, raw)
		signed = aerr == nil
	} else if c.RequireSignedRequestObject {
		aerr = pageError(errNoObject.Error())
	}
	if aerr == nil {
		// RFC 9449 §10: dpop_jkt, or a DPoP proof sent to PAR, binds the code.
		if err := h.parDPoP(w, r, q); err != nil {
			h.parError(w, info, err)
			return
		}
	}
	var req *authRequest
	if aerr == nil {
		var uri string
		if uri, aerr = checkRedirect(q, c); aerr == nil {
			req, aerr = h.parse(q, c, uri)
		}
	}
	if aerr != nil {
		h.parError(w, info, parFailure(aerr))
		return
	}
	// The client's profile (FAPI 2.0, package fapi2), before anything is stored.
	if e := fapi2.CheckPushed(c, fapi2.Pushed{Assertion: cred.Assertion, DPoPProofs: dpop.Proofs(r.Header),
		RequestObject: rawObject, CodeChallenge: req.CodeChallenge}); e != nil {
		h.parError(w, info, e)
		return
	}
	h.storePushed(w, r, info, c, q, signed)
}

// parFailure is an authorization request's refusal as the PAR endpoint answers it
// (RFC 9126 §2.3): the same error code in the token endpoint's JSON, a store failure
// as server_error, and OIDC Core's request_not_supported (which the engine's codes do
// not have) as invalid_request.
func parFailure(aerr *authError) *jeton.Error {
	if aerr.Cause != nil {
		return jeton.ServerError(aerr.Cause)
	}
	code := jeton.Code(aerr.Code)
	if !slices.Contains(jeton.Codes, code) {
		code = jeton.CodeInvalidRequest
	}
	return &jeton.Error{Code: code, Description: aerr.Desc, Status: http.StatusBadRequest}
}

// storePushed keeps the request under the digest of a fresh 256-bit reference.
func (h *Handler) storePushed(w http.ResponseWriter, r *http.Request, info *reqlog.Info, c *jeton.Client, q url.Values, signed bool) {
	now := h.cfg.Now()
	ref := jeton.NewSecret()
	err := h.cfg.Store.PushAuthorizationRequest(r.Context(), jeton.PushedRequest{
		Digest: jeton.Digest(ref), ClientID: c.ID, Params: q, Signed: signed, CreatedAt: now, ExpiresAt: now.Add(PARTTL),
	})
	if err != nil {
		h.parError(w, info, jeton.ServerError(err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{"request_uri": parURNPrefix + ref, "expires_in": int(PARTTL.Seconds())})
}

// parError answers RFC 9126 §2.3 errors in the token endpoint's format.
func (h *Handler) parError(w http.ResponseWriter, info *reqlog.Info, err error) {
	info.Err = err
	oauth2.EncodeToken(w, nil, err)
}
