// Package abbeycross is the AbbeyCross dialect (specs/abbeycross.md): client
// credentials posted as JSON to /v1/oauth/token, RFC 6749 §5.1 fields on success, and
// AbbeyCross's {errorId, code, text, parameter_name, parameter_value} schema for every
// other answer. It is an adapter over the same engine as the standard dialect: the
// working-hours calendar and the active-token cap live in the engine; this package only
// maps their errors onto the vendor's wire codes (errors.go, one table).
package abbeycross

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/reqlog"
	"github.com/jeton/jeton/token"
)

// Paths and names of the dialect.
const (
	// DefaultPrefix is where the dialect is mounted on the shared public listener; on
	// its own listener it is served at the root.
	DefaultPrefix = "/abbeycross"
	TokenPath     = "/v1/oauth/token"
	dialectName   = "abbeycross"
)

// Config wires the dialect.
type Config struct {
	Engine *token.Engine
}

// Dialect serves the AbbeyCross token endpoint.
type Dialect struct {
	cfg Config
}

// New builds the dialect.
func New(cfg Config) *Dialect { return &Dialect{cfg: cfg} }

// Mount registers the token endpoint on mux under prefix ("" for the root).
func (d *Dialect) Mount(mux *http.ServeMux, prefix string) {
	mux.HandleFunc(prefix+TokenPath, d.token)
}

// token is POST {prefix}/v1/oauth/token (RFC 6749 §4.4 with the credentials in a JSON
// body instead of a form).
func (d *Dialect) token(w http.ResponseWriter, r *http.Request) {
	info := reqlog.From(r.Context())
	info.Dialect, info.Grant = dialectName, jeton.GrantClientCredentials
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		err := &jeton.Error{Code: jeton.CodeInvalidRequest, Reason: reasonMethod,
			Description: "the token endpoint accepts POST only", Status: http.StatusMethodNotAllowed}
		info.Err = err
		EncodeToken(w, info, nil, err)
		return
	}
	req, rawScope, err := decode(r)
	info.ClientID = req.Credentials.ClientID
	var res *token.Result
	if err == nil {
		res, err = d.cfg.Engine.Token(r.Context(), req)
		err = withScopeValue(err, rawScope)
	}
	info.Err = err
	EncodeToken(w, info, res, err)
}

// withScopeValue gives an engine refusal of the requested scope its parameter_value.
func withScopeValue(err error, rawScope json.RawMessage) error {
	var e *jeton.Error
	if err == nil || !errors.As(err, &e) || e.Param != "scope" {
		return err
	}
	return &inputError{err: e, value: rawScope}
}
