package token

import (
	"context"
	"crypto/x509"
	"strings"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dpop"
)

// Presentation is how an access token reached a protected resource of jeton (the
// userinfo endpoint): its Authorization scheme and what the request proves.
type Presentation struct {
	// Scheme is "Bearer" (RFC 6750 §2.1) or "DPoP" (RFC 9449 §7.1).
	Scheme string
	// DPoP is the request's proof and what it must match; Resource sets its
	// AccessToken (the ath check).
	DPoP dpop.Request
	// TLSChain is the client certificate chain of the request, leaf first.
	TLSChain []*x509.Certificate
}

// Resource validates tok as Bearer does and then its sender constraint:
//   - a DPoP-bound token (cnf.jkt) must come with the DPoP scheme and a proof of that
//     key whose ath hashes the token (RFC 9449 §7.1, §4.3 item 12); presented as a
//     bearer token it is refused (§7.2);
//   - the DPoP scheme with a bearer token is refused: the client claims a binding
//     the token does not have;
//   - a certificate-bound token (cnf.x5t#S256) must come over a TLS connection with
//     that certificate (RFC 8705 §3).
//
// A refusal of the proof is invalid_dpop_proof or use_dpop_nonce; any other is an
// inactive answer whose Reason says why (invalid_token). v may be nil when DPoP is off.
func (i *Introspector) Resource(ctx context.Context, tok string, p Presentation, v *dpop.Verifier) (*Introspection, error) {
	info, err := i.Bearer(ctx, tok)
	if err != nil || !info.Active {
		return info, err
	}
	dpopScheme := strings.EqualFold(p.Scheme, TokenTypeDPoP)
	switch {
	case info.Confirmation.JKT == "" && dpopScheme:
		return inactive(jeton.ReasonKeyMismatch), nil
	case info.Confirmation.JKT != "" && !dpopScheme:
		return inactive(jeton.ReasonKeyMismatch), nil
	case info.Confirmation.JKT != "":
		if v == nil {
			return inactive(jeton.ReasonKeyMismatch), nil
		}
		req := p.DPoP
		req.AccessToken = tok
		proof, err := v.Verify(ctx, req)
		if err != nil {
			return nil, err
		}
		if proof == nil {
			return nil, dpop.Invalid(jeton.ReasonProofRequired, "a DPoP proof is required with a DPoP-bound access token")
		}
		if err := proof.Wait(); err != nil {
			return nil, err
		}
		if proof.JKT != info.Confirmation.JKT {
			return nil, dpop.Invalid(jeton.ReasonKeyMismatch, "the DPoP proof is signed with another key than the access token is bound to")
		}
	}
	if want := info.Confirmation.X5TS256; want != "" {
		if len(p.TLSChain) == 0 || jeton.CertThumbprint(p.TLSChain[0].Raw) != want {
			return inactive(jeton.ReasonKeyMismatch), nil
		}
	}
	return info, nil
}
