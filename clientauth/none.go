package clientauth

import (
	"context"

	"github.com/jeton/jeton"
)

// None is the "none" method (RFC 7591 §2, OIDC Core §9) of public clients (RFC 6749
// §2.1): the client_id alone identifies the client and proves nothing. The
// Authenticator only runs it for a request that presented a client_id and nothing
// else; what a public client may do is limited elsewhere — the admin API lets it use
// only authorization_code and refresh_token, and the authorization_code grant insists
// on PKCE for it (RFC 7636 §4.4.1, RFC 9700 §2.1.1).
type None struct{}

// Verify implements Method: there is nothing to verify.
func (None) Verify(context.Context, *jeton.Client, Credentials) (Pending, error) {
	return Pending{}, nil
}
