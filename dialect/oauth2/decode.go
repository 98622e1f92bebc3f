package oauth2

import (
	"net/http"

	"github.com/jeton/jeton/dialect"
	"github.com/jeton/jeton/dialect/wire"
	"github.com/jeton/jeton/dpop"
	"github.com/jeton/jeton/token"
)

// codec is the standard dialect's wire format at the token endpoint: an RFC 6749 form
// in, RFC 6749 §5 JSON out; with DPoP (RFC 9449) the proof header in, and the server
// nonce out.
type codec struct {
	// tokenURI is the token endpoint's public URI, which a proof's htu must name.
	tokenURI string
	dpop     *dpop.Verifier // nil: DPoP off
}

var _ dialect.Codec[struct{}] = codec{}

func (c codec) Decode(r *http.Request, body wire.Body) (token.Request, struct{}, error) {
	req, err := decodeToken(r, body)
	if c.dpop != nil {
		req.DPoP = dpop.Request{Proofs: dpop.Proofs(r.Header), Method: r.Method, URI: c.tokenURI}
	}
	return req, struct{}{}, err
}

func (c codec) Encode(w http.ResponseWriter, r *http.Request, x dialect.Exchange[struct{}]) {
	SetDPoPNonce(w, r, c.dpop)
	EncodeToken(w, x.Result, x.Err)
}

// SetDPoPNonce sends the current server nonce (RFC 9449 §8) with every answer to a
// request that carried a proof, when nonces are required: with use_dpop_nonce it is
// the nonce to retry with, with a success the one to use next (§8.2).
func SetDPoPNonce(w http.ResponseWriter, r *http.Request, v *dpop.Verifier) {
	if len(r.Header.Values(dpop.Header)) == 0 {
		return
	}
	if n := v.Nonce(); n != "" {
		w.Header().Set(dpop.NonceHeader, n)
	}
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
