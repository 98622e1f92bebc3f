package oauth2

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/token"
)

// tokenResponse is RFC 6749 §5.1.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	Scope        string `json:"scope,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	// AuthorizationDetails is RFC 9396 §7: what the token carries.
	AuthorizationDetails json.RawMessage `json:"authorization_details,omitempty"`
}

// errorResponse is RFC 6749 §5.2.
type errorResponse struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// EncodeToken writes a token answer: §5.1 on success, §5.2 on error. Both carry
// Cache-Control: no-store and Pragma: no-cache (§5.1).
func EncodeToken(w http.ResponseWriter, res *token.Result, err error) {
	if answeredError(w, err) {
		return
	}
	// The scope is always returned: §5.1 requires it when it differs from the request,
	// and clients that sent none learn the default set.
	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken:          res.AccessToken,
		TokenType:            res.TokenType,
		ExpiresIn:            int64(res.ExpiresIn.Seconds()),
		Scope:                strings.Join(res.Scope, " "),
		RefreshToken:         res.RefreshToken,
		IDToken:              res.IDToken,
		AuthorizationDetails: res.AuthorizationDetails,
	})
}

// wireError is one row of the error table: the §5.2 "error" value of an engine code
// and, when set, the status it is always answered with (else the engine's suggestion,
// so a 405, 413 or 429 keeps its status).
type wireError struct {
	code   string
	status int
}

// errorTable answers every engine code (DESIGN rule 3: one table). invalid_client is
// 401 with a WWW-Authenticate challenge (§5.2; RFC 7235 §3.1 requires the header on
// every 401), naming Basic, the scheme this server accepts in the header.
var errorTable = map[jeton.Code]wireError{
	jeton.CodeInvalidRequest:          {"invalid_request", 0},
	jeton.CodeInvalidClient:           {"invalid_client", http.StatusUnauthorized},
	jeton.CodeInvalidGrant:            {"invalid_grant", 0},
	jeton.CodeUnauthorizedClient:      {"unauthorized_client", 0},
	jeton.CodeUnsupportedGrantType:    {"unsupported_grant_type", 0},
	jeton.CodeInvalidScope:            {"invalid_scope", 0},
	jeton.CodeAccessDenied:            {"access_denied", 0},
	jeton.CodeServerError:             {"server_error", 0},
	jeton.CodeTemporarilyUnavailable:  {"temporarily_unavailable", 0},
	jeton.CodeUnsupportedTokenType:    {"unsupported_token_type", 0},    // RFC 7009 §2.2.1
	jeton.CodeInvalidToken:            {"invalid_token", 0},             // RFC 6750 §3.1
	jeton.CodeUnsupportedResponseType: {"unsupported_response_type", 0}, // RFC 6749 §4.1.2.1
	// RFC 6749 §5.2 has no code for "too many requests"; slow_down is the registered
	// token-endpoint code that means it (RFC 8628 §3.5, §7.2), sent with 429 (RFC 6585
	// §4) and Retry-After. temporarily_unavailable is registered for the
	// authorization endpoint only (RFC 6749 §4.1.2.1) and says the server, not this
	// client, is the problem.
	jeton.CodeRateLimited: {"slow_down", http.StatusTooManyRequests},
	// RFC 9396 §5 (authorization endpoint) and §6.1 (token endpoint): HTTP 400.
	jeton.CodeInvalidAuthorizationDetails: {"invalid_authorization_details", 0},
	// OIDC Core §3.1.2.6, RFC 9101 §6.3: at the PAR endpoint (RFC 9126 §2.3).
	jeton.CodeInvalidRequestObject: {"invalid_request_object", 0},
	// RFC 9449 §5 and §8: both 400 at the token endpoint.
	jeton.CodeInvalidDPoPProof: {"invalid_dpop_proof", http.StatusBadRequest},
	jeton.CodeUseDPoPNonce:     {"use_dpop_nonce", http.StatusBadRequest},
}

// writeError writes e as §5.2 JSON through errorTable; a code without a row is a
// server error.
func writeError(w http.ResponseWriter, e *jeton.Error) {
	row, ok := errorTable[e.Code]
	if !ok {
		row, e = errorTable[jeton.CodeServerError], jeton.ServerError(e)
	}
	status := row.status
	if status == 0 {
		status = e.Status
	}
	if status == 0 {
		status = jeton.DefaultStatus(e.Code)
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
	if status == http.StatusUnauthorized && e.Code == jeton.CodeInvalidClient {
		w.Header().Set("WWW-Authenticate", `Basic realm="jeton", charset="UTF-8"`)
	}
	writeJSON(w, status, errorResponse{Error: row.code, Description: e.Description})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"server_error"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// introspectionResponse is RFC 7662 §2.2. An inactive token is {"active":false} and
// nothing else: every other member is omitted.
type introspectionResponse struct {
	Active        bool     `json:"active"`
	Scope         string   `json:"scope,omitempty"`
	ClientID      string   `json:"client_id,omitempty"`
	Subject       string   `json:"sub,omitempty"`
	Audience      audience `json:"aud,omitempty"`
	Issuer        string   `json:"iss,omitempty"`
	ExpiresAt     int64    `json:"exp,omitempty"`
	IssuedAt      int64    `json:"iat,omitempty"`
	JTI           string   `json:"jti,omitempty"`
	TokenType     string   `json:"token_type,omitempty"`
	InstitutionID string   `json:"institution_id,omitempty"`
	// AuthorizationDetails is RFC 9396 §9.2.
	AuthorizationDetails json.RawMessage `json:"authorization_details,omitempty"`
	// Confirmation is cnf (RFC 9449 §6.2, RFC 8705 §3.2): what a resource server must
	// see proven with the token.
	Confirmation *jeton.Confirmation `json:"cnf,omitempty"`
}

// audience is "aud" as RFC 7662 §2.2 and RFC 7519 §4.1.3 allow: a string when single.
type audience []string

func (a audience) MarshalJSON() ([]byte, error) {
	if len(a) == 1 {
		return json.Marshal(a[0])
	}
	return json.Marshal([]string(a))
}

// EncodeIntrospection writes an introspection answer (RFC 7662 §2.2) or its error
// (§2.3: RFC 6749 §5.2 JSON, 401 for invalid_client). Both carry Cache-Control:
// no-store, since the answer describes a live credential.
func EncodeIntrospection(w http.ResponseWriter, res *token.Introspection, err error) {
	if answeredError(w, err) {
		return
	}
	if !res.Active {
		writeJSON(w, http.StatusOK, introspectionResponse{})
		return
	}
	var cnf *jeton.Confirmation
	if !res.Confirmation.IsZero() {
		cnf = &res.Confirmation
	}
	writeJSON(w, http.StatusOK, introspectionResponse{
		Active:               true,
		Scope:                strings.Join(res.Scope, " "),
		ClientID:             res.ClientID,
		Subject:              res.Subject,
		Audience:             res.Audience,
		Issuer:               res.Issuer,
		ExpiresAt:            res.ExpiresAt.Unix(),
		IssuedAt:             res.IssuedAt.Unix(),
		JTI:                  res.JTI,
		TokenType:            res.TokenType,
		InstitutionID:        res.InstitutionID,
		AuthorizationDetails: res.AuthorizationDetails,
		Confirmation:         cnf,
	})
}

// EncodeRevocation writes a revocation answer: 200 with an empty body (RFC 7009 §2.2),
// or the RFC 6749 §5.2 error (§2.2.1).
func EncodeRevocation(w http.ResponseWriter, err error) {
	if answeredError(w, err) {
		return
	}
	w.WriteHeader(http.StatusOK)
}

// answeredError sets the headers every token-endpoint family answer carries
// (Cache-Control: no-store and Pragma: no-cache, RFC 6749 §5.1; RFC 7662 §2.2) and, when
// err is set, writes it as RFC 6749 §5.2 JSON and reports true.
func answeredError(w http.ResponseWriter, err error) bool {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	if err == nil {
		return false
	}
	writeError(w, jeton.AsError(err))
	return true
}
