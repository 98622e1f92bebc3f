package oauth2

import (
	"net/http"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/reqlog"
)

// revoke is the revocation endpoint (RFC 7009 §2): POST only, client authenticated
// like the token endpoint. Every request that authenticates and names a token is
// answered 200, whether or not anything was revoked (§2.2); see docs/tokens.md for
// another client's token.
func (d *Dialect) revoke(w http.ResponseWriter, r *http.Request) {
	info := reqlog.From(r.Context())
	info.Dialect = dialectName
	info.Grant = reqlog.OpRevocation // the metrics label the endpoint in place of a grant
	if r.Method != allowedMethod {
		err := postOnly(w, "revocation")
		info.Err = err
		EncodeRevocation(w, err)
		return
	}
	req, err := decodeTokenRequest(r)
	info.ClientID = req.Credentials.ClientID
	if err != nil {
		info.Err = err
		EncodeRevocation(w, err)
		return
	}
	client, err := d.cfg.Engine.Authenticate(r.Context(), req.Credentials)
	if err != nil {
		info.Err = err
		EncodeRevocation(w, err)
		return
	}
	res, err := d.cfg.Revoker.Revoke(r.Context(), client, req.Token, req.Hint)
	switch {
	case err != nil:
		info.Err = err
	case res.Reason == jeton.ReasonWrongClient:
		// Refused silently: the log says so, the client hears 200 like for any
		// token it cannot revoke.
		info.Err = jeton.Errorf(jeton.CodeUnauthorizedClient, jeton.ReasonWrongClient, "token was issued to another client; not revoked")
	}
	EncodeRevocation(w, err)
}
