package token

import (
	"context"

	"github.com/jeton/jeton"
)

// Bearer checks an access token presented to one of jeton's own endpoints as an
// RFC 6750 §2.1 bearer credential (Candescent's code-minting endpoints take a
// client_credentials token). It applies every introspection rule (signature, expiry,
// revocation, client and customer state) but no caller's institution, since the token
// itself is the caller. Refresh tokens are never bearer credentials (RFC 6749 §1.5).
// An inactive answer carries the reason for the log; the error is only ever a server
// error.
func (i *Introspector) Bearer(ctx context.Context, tok string) (*Introspection, error) {
	info, err := i.find(ctx, tok, HintAccessToken)
	if err != nil || !info.Active {
		return info, err
	}
	if info.Kind == KindRefresh {
		return inactive(jeton.ReasonNone), nil
	}
	if reason, err := i.check(ctx, info, i.now()); err != nil || reason != jeton.ReasonNone {
		if err != nil {
			return nil, err
		}
		return inactive(reason), nil
	}
	return info, nil
}
