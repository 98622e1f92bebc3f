package oidc

import (
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dialect/oauth2"
	"github.com/jeton/jeton/dialect/wire"
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
	if err := h.parDPoP(w, r, q); err != nil {
		h.parError(w, info, err)
		return
	}
	uri, aerr := checkRedirect(q, c)
	if aerr == nil {
		_, aerr = parseRequest(q, c, uri)
	}
	if aerr != nil {
		h.parError(w, info, &jeton.Error{Code: jeton.Code(aerr.Code), Description: aerr.Desc, Status: http.StatusBadRequest})
		return
	}
	h.storePushed(w, r, info, c, q)
}

// storePushed keeps the request under the digest of a fresh 256-bit reference.
func (h *Handler) storePushed(w http.ResponseWriter, r *http.Request, info *reqlog.Info, c *jeton.Client, q url.Values) {
	now := h.cfg.Now()
	ref := jeton.NewSecret()
	err := h.cfg.Store.PushAuthorizationRequest(r.Context(), jeton.PushedRequest{
		Digest: jeton.Digest(ref), ClientID: c.ID, Params: q, CreatedAt: now, ExpiresAt: now.Add(PARTTL),
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
