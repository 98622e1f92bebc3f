package candescent

import (
	"encoding/json"
	"net/http"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dialect"
	"github.com/jeton/jeton/token"
)

// tokenResponse is the V2 token answer. Which optional members appear depends on the
// grant (docs/dialects/candescent.md): expires_in and refresh_token_expires_in are JSON
// numbers of seconds, as RFC 6749 §5.1 clients parse them.
type tokenResponse struct {
	AccessToken           string `json:"access_token"`
	ExpiresIn             int64  `json:"expires_in"`
	TokenType             string `json:"token_type"`
	RefreshToken          string `json:"refresh_token,omitempty"`
	RefreshTokenExpiresIn *int64 `json:"refresh_token_expires_in,omitempty"`
	IDToken               string `json:"id_token,omitempty"`
}

// errorResponse is every JSON error answer: {"code","message"}.
type errorResponse struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// shape builds the answer for grant: exactly the spec's members per grant.
func shape(grant string, res *token.Result) tokenResponse {
	out := tokenResponse{AccessToken: res.AccessToken, ExpiresIn: int64(res.ExpiresIn.Seconds()), TokenType: res.TokenType}
	switch grant {
	case jeton.GrantPassword, jeton.GrantRefreshToken:
		if res.RefreshToken != "" {
			exp := int64(res.RefreshTTL.Seconds())
			out.RefreshToken, out.RefreshTokenExpiresIn = res.RefreshToken, &exp
		}
	case jeton.GrantAuthorizationCode:
		// A refresh token only when offline_access was granted (the grant decides).
		out.RefreshToken, out.IDToken = res.RefreshToken, res.IDToken
	}
	return out
}

// Encode writes a V2 token answer or its error, with the transaction id echoed.
func (v2Codec) Encode(w http.ResponseWriter, r *http.Request, x dialect.Exchange[struct{}]) {
	echoTransaction(w, r, headerTransactionID)
	if answeredError(w, x.Request.GrantType, x.Err) {
		return
	}
	writeJSON(w, http.StatusOK, shape(x.Request.GrantType, x.Result))
}

// answeredError sets the headers of every token-family answer (Cache-Control:
// no-store, Pragma: no-cache, RFC 6749 §5.1) and, when err is set, writes it through
// the error table and reports true.
func answeredError(w http.ResponseWriter, grant string, err error) bool {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	if err == nil {
		return false
	}
	e := jeton.AsError(err)
	a := lookup(grant, e)
	writeJSON(w, status(w, a, e), errorResponse{Code: a.Code, Message: a.Message})
	return true
}

// status is the answer's HTTP status, and sets the headers that go with it: a 401
// carries a challenge (RFC 7235 §3.1: Bearer with invalid_token at the code-minting
// endpoints, RFC 6750 §3; Basic everywhere else), a delay Retry-After, and a wrong
// method keeps its 405 (its Allow header is set already).
func status(w http.ResponseWriter, a cmn, e *jeton.Error) int {
	retryAfter(w.Header(), e)
	switch {
	case e.Reason == reasonBearer:
		w.Header().Set("WWW-Authenticate", `Bearer realm="jeton", error="invalid_token"`)
	case a.Status == http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Basic realm="jeton", charset="UTF-8"`)
	}
	if e.Status == http.StatusMethodNotAllowed {
		return http.StatusMethodNotAllowed
	}
	return a.Status
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"code":"CMN_90000","message":"Internal server error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
