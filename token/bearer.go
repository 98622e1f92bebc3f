package token

import (
	"context"

	"github.com/jeton/jeton"
)

// Bearer validates an access token presented to a protected resource of jeton itself
// (the userinfo endpoint, OIDC Core §5.3; RFC 6750): it must be one of jeton's access
// tokens — a refresh token is not — and pass every check introspection makes
// (signature, expiry, revocation of its jti and family, client and customer still
// active). No caller institution applies: the token itself is the credential.
func (i *Introspector) Bearer(ctx context.Context, tok string) (*Introspection, error) {
	info, err := i.find(ctx, tok, HintAccessToken)
	if err != nil || !info.Active {
		return info, err
	}
	if info.Kind == KindRefresh {
		return inactive(jeton.ReasonNone), nil
	}
	reason, err := i.check(ctx, info, i.now())
	if err != nil {
		return nil, err
	}
	if reason != jeton.ReasonNone {
		return inactive(reason), nil
	}
	return info, nil
}
