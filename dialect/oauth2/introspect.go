package oauth2

import (
	"net/http"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/dialect/wire"
	"github.com/jeton/jeton/reqlog"
)

// tokenRequest is an introspection (RFC 7662 §2.1) or revocation (RFC 7009 §2.1)
// request: the token, its optional type hint, and the client's credentials.
type tokenRequest struct {
	Token       string
	Hint        string
	Credentials clientauth.Credentials
}

// decodeTokenRequest reads the form exactly as the token endpoint does (same bounds,
// same client-credential rules); "token" is required.
func decodeTokenRequest(r *http.Request) (tokenRequest, error) {
	form, err := wire.NewBody(r, wire.MaxFormBytes).Form()
	if err != nil {
		return tokenRequest{}, err
	}
	req := tokenRequest{Token: form["token"], Hint: form["token_type_hint"]}
	if req.Token == "" {
		return req, wire.Missing("token")
	}
	req.Credentials, err = wire.Credentials(r, form)
	return req, err
}

// introspect is the introspection endpoint (RFC 7662 §2): POST only, client
// authenticated like the token endpoint (§2.1 requires some authorization; jeton uses
// the client's registered method).
func (d *Dialect) introspect(w http.ResponseWriter, r *http.Request) {
	info := reqlog.From(r.Context())
	info.Dialect = dialectName
	info.Grant = reqlog.OpIntrospection // the metrics label the endpoint in place of a grant
	if r.Method != allowedMethod {
		err := postOnly(w, "introspection")
		info.Err = err
		EncodeIntrospection(w, nil, err)
		return
	}
	req, err := decodeTokenRequest(r)
	info.ClientID = req.Credentials.ClientID
	if err != nil {
		info.Err = err
		EncodeIntrospection(w, nil, err)
		return
	}
	client, err := d.cfg.Engine.Authenticate(r.Context(), req.Credentials)
	if err != nil {
		info.Err = err
		EncodeIntrospection(w, nil, err)
		return
	}
	res, err := d.cfg.Introspector.Introspect(r.Context(), client, req.Token, req.Hint)
	if err == nil && !res.Active {
		// The answer is {"active":false} whatever the reason; the log keeps why.
		info.Err = jeton.Errorf(jeton.CodeInvalidToken, res.Reason, "token is not active")
	} else {
		info.Err = err
	}
	EncodeIntrospection(w, res, err)
}
