package token

import (
	"context"

	"github.com/jeton/jeton"
)

// ClientCredentials is the client_credentials grant (RFC 6749 §4.4): the client asks
// for a token on its own behalf. Everything it needs was checked in steps 1-3, so the
// token's subject is the client itself (RFC 9068 §2.2: sub = client_id when no
// resource owner is involved). RFC 6749 §4.4.3: no refresh token.
type ClientCredentials struct{}

// Type implements Grant.
func (ClientCredentials) Type() string { return jeton.GrantClientCredentials }

// Handle implements Grant.
func (ClientCredentials) Handle(_ context.Context, req *ClientRequest) (*Authorization, error) {
	return &Authorization{
		Subject:       req.Client.ID,
		InstitutionID: req.Institution,
		Scope:         req.Scope,
	}, nil
}
