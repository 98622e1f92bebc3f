package oidc

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dialect/oauth2"
	"github.com/jeton/jeton/dialect/wire"
	"github.com/jeton/jeton/dpop"
	"github.com/jeton/jeton/reqlog"
	"github.com/jeton/jeton/token"
)

// userinfo is the UserInfo endpoint (OIDC Core §5.3): GET or POST with a bearer access
// token (RFC 6750 §2.1 header, or §2.2 form body on POST). It returns the claims the
// token's scope allows — the same set the ID token carries (token.ProfileClaims).
func (h *Handler) userinfo(w http.ResponseWriter, r *http.Request) {
	info := reqlog.From(r.Context())
	info.Dialect = "oidc"
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	scheme, tok, err := h.accessToken(r)
	if errors.Is(err, errNoToken) {
		h.challenge(w, r, "", http.StatusUnauthorized, "", "")
		return
	}
	if err != nil {
		info.Err = jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonNone, "%v", err)
		h.challenge(w, r, scheme, http.StatusBadRequest, "invalid_request", "The request is malformed")
		return
	}
	ti, err := h.cfg.Introspector.Resource(r.Context(), tok, token.Presentation{
		Scheme:   scheme,
		DPoP:     dpop.Request{Proofs: dpop.Proofs(r.Header), Method: r.Method, URI: h.cfg.Issuer + UserinfoPath},
		TLSChain: wire.TLSChain(r),
	}, h.cfg.DPoP)
	if e := jeton.AsError(err); err != nil && (e.Code == jeton.CodeInvalidDPoPProof || e.Code == jeton.CodeUseDPoPNonce) {
		info.Err = e
		h.challenge(w, r, token.TokenTypeDPoP, http.StatusUnauthorized, string(e.Code), e.Description)
		return
	}
	if err != nil {
		info.Err = err
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if !ti.Active || ti.Subject == ti.ClientID {
		info.Err = jeton.Errorf(jeton.CodeInvalidToken, ti.Reason, "access token is not active or names no customer")
		h.challenge(w, r, scheme, http.StatusUnauthorized, "invalid_token", "The access token is invalid")
		return
	}
	info.ClientID = ti.ClientID
	// OIDC Core §5.3: the token must come from an OpenID Connect request.
	if !slices.Contains(ti.Scope, jeton.ScopeOpenID) {
		h.challenge(w, r, scheme, http.StatusForbidden, "insufficient_scope", "The access token lacks the openid scope")
		return
	}
	cu, err := h.cfg.Store.GetCustomer(r.Context(), ti.InstitutionID, ti.Subject)
	if err != nil {
		info.Err = jeton.ServerError(err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(token.ProfileClaims(&cu, ti.Scope))
}

// accessToken reads the access token and its scheme from the Authorization header
// (RFC 6750 §2.1 Bearer, RFC 9449 §7.1 DPoP when DPoP is on) or, on a form POST, from
// access_token (RFC 6750 §2.2, a bearer token); using both is an error (§2).
func (h *Handler) accessToken(r *http.Request) (string, string, error) {
	var tok string
	scheme := token.TokenTypeBearer
	if a := r.Header.Get("Authorization"); a != "" {
		s, v, ok := strings.Cut(a, " ")
		dpopScheme := h.cfg.DPoP != nil && strings.EqualFold(s, token.TokenTypeDPoP)
		if !ok || (!strings.EqualFold(s, token.TokenTypeBearer) && !dpopScheme) || v == "" {
			return scheme, "", errors.New("authorization header is neither a bearer nor a DPoP token")
		}
		if dpopScheme {
			scheme = token.TokenTypeDPoP
		}
		tok = v
	}
	t, err := formToken(r, tok)
	return scheme, t, err
}

// formToken adds the form body's access_token (RFC 6750 §2.2) to tok, the header's.
func formToken(r *http.Request, tok string) (string, error) {
	if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if reqlog.DeclaresOver(r, 64<<10) {
			return "", errors.New("body too large")
		}
		r.Body = http.MaxBytesReader(nil, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			return "", errors.New("malformed body")
		}
		if v := r.PostForm["access_token"]; len(v) > 0 {
			if tok != "" || len(v) > 1 {
				return "", errors.New("more than one access token")
			}
			tok = v[0]
		}
	}
	if tok == "" {
		return "", errNoToken
	}
	return tok, nil
}

var errNoToken = errors.New("no access token")

// challenge answers with the WWW-Authenticate challenge of RFC 6750 §3 (Bearer) or
// RFC 9449 §7.1 (DPoP, with the proof algorithms and, when nonces are on, a fresh
// DPoP-Nonce, §9). A request without any token (scheme "") gets the bare challenges
// (§3.1: no error code): Bearer and, with DPoP on, DPoP.
func (h *Handler) challenge(w http.ResponseWriter, r *http.Request, scheme string, status int, code, desc string) {
	w.Header().Set("Cache-Control", "no-store")
	params := ""
	if code != "" {
		params = ` error="` + code + `", error_description="` + desc + `"`
	}
	dpopParams := ` algs="` + strings.Join(dpop.AlgNames(), " ") + `"`
	if code != "" {
		dpopParams = params + "," + dpopParams
	}
	switch {
	case scheme == token.TokenTypeDPoP:
		w.Header().Set("WWW-Authenticate", "DPoP"+dpopParams)
	case scheme == "" && h.cfg.DPoP != nil:
		w.Header().Add("WWW-Authenticate", "Bearer")
		w.Header().Add("WWW-Authenticate", "DPoP"+dpopParams)
	case params == "":
		w.Header().Set("WWW-Authenticate", "Bearer")
	default:
		w.Header().Set("WWW-Authenticate", "Bearer"+params)
	}
	if h.cfg.DPoP != nil {
		oauth2.SetDPoPNonce(w, r, h.cfg.DPoP)
	}
	w.WriteHeader(status)
}
