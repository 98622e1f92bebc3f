package oidc

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/jeton/jeton"
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
	tok, err := bearerToken(r)
	if errors.Is(err, errNoToken) {
		w.Header().Set("WWW-Authenticate", "Bearer")
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if err != nil {
		info.Err = jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonNone, "%v", err)
		bearerError(w, http.StatusBadRequest, "invalid_request", "The request is malformed")
		return
	}
	ti, err := h.cfg.Introspector.Bearer(r.Context(), tok)
	if err != nil {
		info.Err = err
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if !ti.Active || ti.Subject == ti.ClientID {
		info.Err = jeton.Errorf(jeton.CodeInvalidToken, ti.Reason, "access token is not active or names no customer")
		bearerError(w, http.StatusUnauthorized, "invalid_token", "The access token is invalid")
		return
	}
	info.ClientID = ti.ClientID
	// OIDC Core §5.3: the token must come from an OpenID Connect request.
	if !slices.Contains(ti.Scope, jeton.ScopeOpenID) {
		bearerError(w, http.StatusForbidden, "insufficient_scope", "The access token lacks the openid scope")
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

// bearerToken reads the access token from the Authorization header (RFC 6750 §2.1) or,
// on a form POST, from access_token (§2.2); using both is an error (§2).
func bearerToken(r *http.Request) (string, error) {
	var tok string
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, v, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || v == "" {
			return "", errors.New("authorization header is not a bearer token")
		}
		tok = v
	}
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

// bearerError answers with RFC 6750 §3's WWW-Authenticate challenge. A request without
// any token gets the bare challenge (§3.1: no error code).
func bearerError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("WWW-Authenticate", `Bearer error="`+code+`", error_description="`+desc+`"`)
	w.WriteHeader(status)
}
