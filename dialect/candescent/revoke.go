package candescent

import (
	"net/http"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dialect/wire"
	"github.com/jeton/jeton/reqlog"
)

// revoke is DELETE {prefix}/oauth2/v1/revoke: RFC 7009 revocation with Candescent's
// method, headers and 204. Whatever the token turned out to be — unknown, expired,
// another client's — an authenticated request is answered 204 (RFC 7009 §2.2).
func (d *Dialect) revoke(w http.ResponseWriter, r *http.Request) {
	info := reqlog.From(r.Context())
	info.Dialect = dialectName
	info.Grant = reqlog.OpRevocation
	echoTransaction(w, r, headerTransactionID)
	err := d.runRevoke(w, r, info)
	if err != nil {
		info.Err = err
	}
	if answeredError(w, "", err) {
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (d *Dialect) runRevoke(w http.ResponseWriter, r *http.Request, info *reqlog.Info) error {
	if r.Method != http.MethodDelete {
		return methodNotAllowed(w, http.MethodDelete)
	}
	if _, err := transactionID(r, headerTransactionID); err != nil {
		return err
	}
	form, err := wire.NewBody(r, wire.MaxFormBytes).Form()
	if err != nil {
		return err
	}
	cred, err := basicCredentials(r)
	info.ClientID = cred.ClientID
	if err != nil {
		return err
	}
	tok := form["token"]
	if tok == "" {
		return wire.Missing("token")
	}
	client, err := d.cfg.Engine.Authenticate(r.Context(), cred)
	if err != nil {
		return err
	}
	res, err := d.cfg.Revoker.Revoke(r.Context(), client, tok, form["token_type_hint"])
	if err == nil && res.Reason == jeton.ReasonWrongClient {
		// Answered 204 like any token it cannot revoke; the log says why.
		info.Err = jeton.Errorf(jeton.CodeUnauthorizedClient, jeton.ReasonWrongClient, "token was issued to another client; not revoked")
	}
	return err
}
