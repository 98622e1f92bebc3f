package oidc

import (
	"encoding/base64"
	"net/http"
	"net/url"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dialect/oauth2"
	"github.com/jeton/jeton/dpop"
)

// validJKT accepts "" (no binding) or an RFC 7638 SHA-256 thumbprint: 32 bytes,
// base64url without padding (RFC 9449 §10).
func validJKT(s string) bool {
	if s == "" {
		return true
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == 32
}

// parDPoP binds a pushed request to the key of the DPoP proof sent with it (RFC 9449
// §10.1): the proof is verified like at the token endpoint, a dpop_jkt sent as well
// must name the same key, and the request is stored with dpop_jkt set, so its code
// is exchanged only with a proof of that key. Without a proof q is left alone.
func (h *Handler) parDPoP(w http.ResponseWriter, r *http.Request, q url.Values) error {
	if h.cfg.DPoP == nil {
		return nil
	}
	oauth2.SetDPoPNonce(w, r, h.cfg.DPoP)
	proof, err := h.cfg.DPoP.Verify(r.Context(), dpop.Request{
		Proofs: dpop.Proofs(r.Header), Method: r.Method, URI: h.cfg.Issuer + PARPath})
	if err != nil || proof == nil {
		return err
	}
	if err := proof.Wait(); err != nil {
		return err
	}
	if jkt := q.Get("dpop_jkt"); jkt != "" && jkt != proof.JKT {
		return dpop.Invalid(jeton.ReasonKeyMismatch, "dpop_jkt does not name the key of the DPoP proof")
	}
	q.Set("dpop_jkt", proof.JKT)
	return nil
}
