package token

import (
	"context"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dpop"
)

// TokenTypeDPoP is the token_type of a DPoP-bound access token (RFC 9449 §5, §6.2).
const TokenTypeDPoP = "DPoP"

// senderProof is the sender-constraint step, between client authentication and the
// policies: it verifies the request's DPoP proof (RFC 9449 §4.3) and reads the client
// certificate, and returns what the tokens will be bound to, with the proof whose
// single-use record the caller must Wait for.
//
//   - A DPoP proof from any client binds its token (RFC 9449 §5), whether or not the
//     client registered dpop_bound_access_tokens; a client that did is refused without
//     one (§5.2: invalid_request, nothing issued).
//   - A client authenticated by its certificate (RFC 8705 §2), or registered with
//     tls_client_certificate_bound_access_tokens, gets tokens bound to the
//     certificate (§3); the latter needs one to be presented.
func (e *Engine) senderProof(ctx context.Context, req Request, client *jeton.Client) (jeton.Confirmation, *dpop.Proof, error) {
	var cnf jeton.Confirmation
	var proof *dpop.Proof
	if e.dpop != nil {
		var err error
		if proof, err = e.dpop.Verify(ctx, req.DPoP); err != nil {
			return cnf, nil, err
		}
	}
	if proof != nil {
		cnf.JKT = proof.JKT
	} else if client.DPoPBoundAccessTokens {
		return cnf, nil, jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonProofRequired,
			"this client's access tokens are DPoP-bound: the request needs a DPoP proof")
	}
	if client.AuthMethod.MutualTLS() || client.TLSClientCertificateBoundAccessTokens {
		chain := req.Credentials.TLSChain
		if len(chain) == 0 {
			return cnf, nil, jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonCertificate,
				"this client's access tokens are certificate-bound: the request needs a TLS client certificate")
		}
		cnf.X5TS256 = jeton.CertThumbprint(chain[0].Raw)
	}
	return cnf, proof, nil
}

// keyMismatch is the refusal of a proof (or its absence) for a code or refresh token
// bound to another DPoP key (RFC 9449 §5, §10).
func keyMismatch(what string) *jeton.Error {
	return dpop.Invalid(jeton.ReasonKeyMismatch, "the "+what+" is bound to another DPoP key; send a proof signed with that key")
}
