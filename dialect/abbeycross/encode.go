package abbeycross

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dialect"
	"github.com/jeton/jeton/reqlog"
)

// tokenResponse is RFC 6749 §5.1 (the vendor documents the 200 body only as an object).
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope,omitempty"`
}

// errorResponse is AbbeyCross's error schema, for every non-2xx answer.
type errorResponse struct {
	ErrorID        string          `json:"errorId"`
	Code           string          `json:"code"`
	Text           string          `json:"text"`
	ParameterName  string          `json:"parameter_name,omitempty"`
	ParameterValue json.RawMessage `json:"parameter_value,omitempty"`
}

// Encode writes the answer. Every answer carries Cache-Control: no-store and
// Pragma: no-cache (RFC 6749 §5.1). An error gets a fresh errorId (UUIDv7, RFC 9562
// §5.7: unique and time-ordered) that is also recorded in the request's log info, so
// its log line carries it.
func (codec) Encode(w http.ResponseWriter, r *http.Request, x dialect.Exchange[json.RawMessage]) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	if x.Err != nil {
		writeError(w, reqlog.From(r.Context()), x.Err)
		return
	}
	res := x.Result
	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken: res.AccessToken,
		TokenType:   res.TokenType,
		ExpiresIn:   int64(res.ExpiresIn.Seconds()),
		Scope:       strings.Join(res.Scope, " "),
	})
}

func writeError(w http.ResponseWriter, info *reqlog.Info, err error) {
	e := jeton.AsError(err)
	row := lookup(e)
	body := errorResponse{ErrorID: newErrorID(), Code: row.code, Text: row.text}
	info.ErrorID = body.ErrorID
	if body.Text == "" {
		body.Text = e.Description
	}
	if row.param && e.Param != "" {
		body.ParameterName, body.ParameterValue = e.Param, json.RawMessage("null")
		var ie *inputError
		if errors.As(err, &ie) && ie.value != nil {
			body.ParameterValue = ie.value
		}
	}
	if e.RetryAfter > 0 {
		// RFC 9110 §10.2.3: delay-seconds, rounded up.
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
	writeJSON(w, row.status, body)
}

// newErrorID is a UUIDv7; a failure of the random source falls back to v4.
func newErrorID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"errorId":"","code":"INTERNAL_ERROR","text":"An internal error occurred."}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
