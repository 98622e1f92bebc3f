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
	"github.com/jeton/jeton/dialect"
	"github.com/jeton/jeton/dialect/wire"
	"github.com/jeton/jeton/httpapi"
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
	token http.Handler
}

// New builds the dialect.
func New(cfg Config) *Dialect {
	return &Dialect{token: dialect.New(cfg.Engine, codec{}, dialect.Config{
		Dialect: dialectName, MaxBody: MaxBodyBytes, Grant: jeton.GrantClientCredentials})}
}

// Name names the dialect in metrics route labels (httpapi.Mounter).
func (d *Dialect) Name() string { return dialectName }

// Mount registers the token endpoint on mux under prefix ("" for the root).
func (d *Dialect) Mount(mux httpapi.Router, prefix string) {
	mux.Handle(prefix+TokenPath, d.token)
}

// codec is POST {prefix}/v1/oauth/token (RFC 6749 §4.4 with the credentials in a
// JSON body instead of a form). It keeps the raw scope member, for parameter_value
// when the engine refuses the scope.
type codec struct{}

var (
	_ dialect.Codec[json.RawMessage]    = codec{}
	_ dialect.Finisher[json.RawMessage] = codec{}
)

func (codec) Decode(_ *http.Request, body wire.Body) (token.Request, json.RawMessage, error) {
	return decode(body)
}

// Finish gives an engine refusal of the requested scope its parameter_value.
func (codec) Finish(_ *http.Request, x dialect.Exchange[json.RawMessage]) dialect.Exchange[json.RawMessage] {
	var e *jeton.Error
	if x.Err != nil && errors.As(x.Err, &e) && e.Param == "scope" {
		x.Err = &inputError{err: e, value: x.State}
	}
	return x
}
