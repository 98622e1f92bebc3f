package oauth2

import (
	"net/http"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dpop"
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
	jkt, err := d.revocationProof(w, r)
	if err != nil {
		info.Err = err
		EncodeRevocation(w, err)
		return
	}
	res, err := d.cfg.Revoker.RevokeProven(r.Context(), client, req.Token, req.Hint, jkt)
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

// revocationProof verifies the request's DPoP proof, if any, like the token endpoint's
// (RFC 9449 §4.3, for the revocation URI) and returns its key's thumbprint: a public
// client revokes its DPoP-bound refresh token with it (token.Revoker.RevokeProven).
func (d *Dialect) revocationProof(w http.ResponseWriter, r *http.Request) (string, error) {
	if d.cfg.DPoP == nil {
		return "", nil
	}
	SetDPoPNonce(w, r, d.cfg.DPoP)
	proof, err := d.cfg.DPoP.Verify(r.Context(), dpop.Request{Proofs: dpop.Proofs(r.Header), Method: r.Method, URI: d.cfg.Issuer + RevokePath})
	if err != nil || proof == nil {
		return "", err
	}
	if err := proof.Wait(); err != nil {
		return "", err
	}
	return proof.JKT, nil
}
