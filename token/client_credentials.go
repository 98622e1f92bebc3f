package token

import (
	"context"

	"github.com/jeton/jeton"
)

// ClientCredentials is the client_credentials grant (RFC 6749 §4.4): the client asks
// for a token on its own behalf. Everything it needs was checked in steps 1-3, so the
// token's subject is the client itself (RFC 9068 §2.2: sub = client_id when no
// resource owner is involved). RFC 6749 §4.4.3: a refresh token SHOULD NOT be
// included, and by default none is; WithRefresh starts a refresh family for dialects
// whose wire contract returns one (CardCore).
type ClientCredentials struct {
	WithRefresh bool
}

// Type implements Grant.
func (ClientCredentials) Type() string { return jeton.GrantClientCredentials }

// storesNothing lets the engine overlap an assertion's single-use record with steps
// 2-5 (Engine.Token).
func (ClientCredentials) storesNothing() {}

// Handle implements Grant.
func (g ClientCredentials) Handle(_ context.Context, req *ClientRequest) (*Authorization, error) {
	return &Authorization{
		Subject:       req.Client.ID,
		InstitutionID: req.Institution,
		Scope:         req.Scope,
		Refresh:       g.WithRefresh && req.Client.AllowsGrant(jeton.GrantRefreshToken),
		// RFC 9396 §6.2: what the client asked for, validated in step 3.
		AuthorizationDetails: req.AuthorizationDetails,
	}, nil
}
