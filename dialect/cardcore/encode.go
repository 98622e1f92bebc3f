package cardcore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dialect"
	"github.com/jeton/jeton/dialect/cardcore/cardcorestore"
)

// envelope is CardCore's answer: {statusCode, message, data} on success,
// {statusCode, message, error} on failure.
type envelope struct {
	StatusCode int    `json:"statusCode"`
	Message    string `json:"message"`
	Data       any    `json:"data,omitempty"`
	Error      string `json:"error,omitempty"`
}

// tokenData is the token answer's data. RefreshToken is omitted (not null) when
// empty: CardCore returns it for client_credentials only. ExpiresIn is jeton's
// addition (seconds), which the vendor does not document but every client needs.
type tokenData struct {
	AccessToken      string `json:"accessToken"`
	InstitutionID    string `json:"institutionId"`
	TokenType        string `json:"tokenType"`
	RefreshToken     string `json:"refreshToken,omitempty"`
	Institution      string `json:"institution"`
	InstitutionUser  string `json:"institutionUser"`
	InstitutionOauth string `json:"institutionOauth"`
	ExpiresIn        int64  `json:"expiresIn"`
}

// TokenMessage is the success message of the token endpoint (the vendor's seed).
const TokenMessage = "Institution OAuth created successfully."

// Encode writes a token answer: 200 with the identifiers of the application, or the
// error.
func (codec) Encode(w http.ResponseWriter, _ *http.Request, x dialect.Exchange[cardcorestore.App]) {
	if x.Err != nil {
		writeError(w, x.Err)
		return
	}
	res, app := x.Result, x.State
	data := tokenData{
		AccessToken: res.AccessToken, InstitutionID: app.Key, TokenType: res.TokenType,
		Institution: app.InstitutionRecordID, InstitutionUser: app.CreatedBy, InstitutionOauth: app.RecordID,
		ExpiresIn: int64(res.ExpiresIn.Seconds()),
	}
	if x.Request.GrantType == jeton.GrantClientCredentials {
		data.RefreshToken = res.RefreshToken
	}
	writeJSON(w, http.StatusOK, envelope{StatusCode: http.StatusOK, Message: TokenMessage, Data: data})
}

// wireError is how one engine error code is answered: the HTTP status and, when set,
// a fixed message that replaces the engine's description (never internal detail).
type wireError struct {
	status  int
	message string
}

// errorTable maps every engine code to CardCore's answer (DESIGN rule 3: one table).
// A code without a row would answer 400 with the engine's description.
var errorTable = map[jeton.Code]wireError{
	jeton.CodeInvalidRequest:          {status: http.StatusBadRequest},
	jeton.CodeInvalidClient:           {status: http.StatusUnauthorized},
	jeton.CodeInvalidGrant:            {status: http.StatusBadRequest},
	jeton.CodeUnauthorizedClient:      {status: http.StatusBadRequest},
	jeton.CodeUnsupportedGrantType:    {status: http.StatusBadRequest, message: "grant_type must be client_credentials or refresh_token"},
	jeton.CodeInvalidScope:            {status: http.StatusBadRequest},
	jeton.CodeAccessDenied:            {status: http.StatusForbidden},
	jeton.CodeServerError:             {status: http.StatusInternalServerError, message: "internal server error"},
	jeton.CodeTemporarilyUnavailable:  {status: http.StatusServiceUnavailable, message: "service temporarily unavailable; retry later"},
	jeton.CodeInvalidToken:            {status: http.StatusUnauthorized},
	jeton.CodeUnsupportedTokenType:    {status: http.StatusBadRequest},
	jeton.CodeUnsupportedResponseType: {status: http.StatusBadRequest},
	jeton.CodeRateLimited:             {status: http.StatusTooManyRequests, message: "too many requests; retry later"},
	// RFC 9396 authorization_details: this dialect decodes none.
	jeton.CodeInvalidAuthorizationDetails: {status: http.StatusBadRequest},
	jeton.CodeInvalidRequestObject:        {status: http.StatusBadRequest}, // RFC 9101: no authorization endpoint here
	// DPoP (RFC 9449) is read by the standard dialect only.
	jeton.CodeInvalidDPoPProof: {status: http.StatusBadRequest},
	jeton.CodeUseDPoPNonce:     {status: http.StatusBadRequest},
}

// reasonTable refines errorTable where a reason needs another status.
var reasonTable = map[jeton.Reason]wireError{
	jeton.ReasonOverloaded:   {status: http.StatusServiceUnavailable, message: "service temporarily unavailable; retry later"},
	jeton.ReasonBodyTooLarge: {status: http.StatusRequestEntityTooLarge, message: fmt.Sprintf("request body is over %d bytes", MaxBodySize)},
}

// writeError answers err in the envelope. RetryAfter becomes Retry-After (RFC 9110
// §10.2.3).
func writeError(w http.ResponseWriter, err error) {
	e := jeton.AsError(err)
	status, msg := answer(e)
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	} else if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, status, envelope{StatusCode: status, Message: msg, Error: string(e.Code)})
}

// answer is the status and message of e from the tables. A 405 or 413 the dialect
// chose keeps its status.
func answer(e *jeton.Error) (status int, msg string) {
	wire, ok := reasonTable[e.Reason]
	if !ok {
		wire, ok = errorTable[e.Code]
	}
	if !ok {
		wire = wireError{status: http.StatusBadRequest}
	}
	status, msg = wire.status, e.Description
	if e.Status == http.StatusMethodNotAllowed || e.Status == http.StatusRequestEntityTooLarge {
		status = e.Status
	}
	if wire.message != "" {
		msg = wire.message
	}
	return status, msg
}

// writeJSON writes v with the headers every answer here carries: no caching of
// credentials (RFC 6749 §5.1).
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // messages show <key> and PEM markers as written
	b := buf.Bytes()
	if err := enc.Encode(v); err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"statusCode":500,"message":"internal server error","error":"server_error"}`)
	} else {
		b = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
