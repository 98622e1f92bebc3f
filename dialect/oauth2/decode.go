package oauth2

import (
	"net/http"

	"github.com/jeton/jeton/dialect"
	"github.com/jeton/jeton/dialect/wire"
	"github.com/jeton/jeton/token"
)

// codec is the standard dialect's wire format at the token endpoint: an RFC 6749 form
// in, RFC 6749 §5 JSON out.
type codec struct{}

var _ dialect.Codec[struct{}] = codec{}

func (codec) Decode(r *http.Request, body wire.Body) (token.Request, struct{}, error) {
	req, err := decodeToken(r, body)
	return req, struct{}{}, err
}

func (codec) Encode(w http.ResponseWriter, _ *http.Request, x dialect.Exchange[struct{}]) {
	EncodeToken(w, x.Result, x.Err)
}

// decodeToken turns a token request (RFC 6749 §3.2, §4.4.2 and the grants' sections)
// into the engine's Request. It checks only the wire format; the engine decides the rest.
func decodeToken(r *http.Request, body wire.Body) (token.Request, error) {
	form, err := body.Form()
	if err != nil {
		return token.Request{}, err
	}
	req, err := wire.TokenForm(form)
	if err != nil {
		return req, err
	}
	req.RedirectURI, req.CodeVerifier = form["redirect_uri"], form["code_verifier"] // §4.1.3, RFC 7636 §4.5
	req.AuthorizationDetails = form["authorization_details"]                        // RFC 9396 §6
	if req.Scope, err = token.ParseScope(form["scope"]); err != nil {
		return req, err
	}
	req.Credentials, err = wire.Credentials(r, form)
	return req, err
}
