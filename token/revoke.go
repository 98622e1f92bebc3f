package token

import (
	"context"
	"errors"
	"time"

	"github.com/jeton/jeton"
)

// RevokerStore is what revocation writes (jeton.Store implements it).
type RevokerStore interface {
	RevokeRefreshFamily(ctx context.Context, familyID string, now time.Time) error
	Revoke(ctx context.Context, r jeton.Revocation) error
}

// Revoker answers RFC 7009 token revocation for every dialect. The caller must already
// be an authenticated client (Engine.Authenticate).
type Revoker struct {
	// Tokens identifies and verifies presented tokens (the same rules as
	// introspection).
	Tokens *Introspector
	Store  RevokerStore
	// MaxTokenTTL is the longest access-token lifetime (default DefaultMaxTokenTTL); a
	// family revocation is kept until the family's expiry plus this.
	MaxTokenTTL time.Duration
}

// Revocation is what Revoke did. Whatever it did, the answer is 200 (RFC 7009 §2.2);
// Reason says, for the log only, why nothing was revoked.
type Revocation struct {
	Revoked bool
	Kind    TokenKind
	Reason  jeton.Reason
}

// Revoke revokes tok if it is a token of caller's (RFC 7009 §2.1):
//   - a refresh token revokes its whole family, and with it every access token issued
//     from the family (they carry its id as fid; introspection checks it);
//   - an access token (JWT or opaque) revokes that token alone, by jti, until it
//     expires. RFC 7009 §2.1 lets a server also revoke the refresh token behind it;
//     jeton does not, so a resource server revoking an access token it saw cannot end
//     the customer's session.
//
// Unknown, malformed and expired tokens revoke nothing and are not an error (§2.2:
// "invalid tokens do not cause an error response"). A token of another client is left
// alone and reported with ReasonWrongClient; docs/tokens.md explains why that, too,
// answers 200. The error is a *jeton.Error and only ever a server error.
func (r *Revoker) Revoke(ctx context.Context, caller *jeton.Client, tok, hint string) (Revocation, error) {
	return r.RevokeProven(ctx, caller, tok, hint, "")
}

// RevokeProven is Revoke for a request that proved possession of the DPoP key jkt
// ("" without a proof). A public client's DPoP-bound refresh token (RFC 9449 §5) is
// revoked only with a proof of its key, as it is refreshed only with one: its client
// authenticates with nothing, so the key is what shows the request comes from the
// token's holder. Without it the answer is invalid_dpop_proof and nothing is revoked.
func (r *Revoker) RevokeProven(ctx context.Context, caller *jeton.Client, tok, hint, jkt string) (Revocation, error) {
	now := r.Tokens.now().Truncate(time.Second)
	info, err := r.Tokens.find(ctx, tok, hint)
	if err != nil {
		return Revocation{}, err
	}
	out := Revocation{Kind: info.Kind, Reason: info.Reason}
	switch {
	case !info.Active:
		return out, nil
	case info.ClientID != caller.ID:
		out.Reason = jeton.ReasonWrongClient
		return out, nil
	case !now.Before(info.ExpiresAt):
		out.Reason = jeton.ReasonExpired // nothing left to revoke
		return out, nil
	case info.Kind == KindRefresh && info.dpopJKT != "" && caller.AuthMethod == jeton.AuthNone && info.dpopJKT != jkt:
		out.Reason = jeton.ReasonKeyMismatch
		return out, keyMismatch("refresh token")
	}
	if info.Kind == KindRefresh {
		err = r.revokeFamily(ctx, info, now)
	} else {
		err = r.Store.Revoke(ctx, jeton.Revocation{
			Kind: jeton.RevokeJTI, ID: info.JTI, InstitutionID: info.InstitutionID,
			RevokedAt: now, ExpiresAt: info.ExpiresAt,
		})
	}
	if err != nil {
		return out, jeton.ServerError(err)
	}
	out.Revoked = true
	return out, nil
}

// revokeFamily marks the family row revoked (the refresh grant refuses it) and records
// a family revocation that outlives every access token issued from it.
func (r *Revoker) revokeFamily(ctx context.Context, info *Introspection, now time.Time) error {
	if err := r.Store.RevokeRefreshFamily(ctx, info.FamilyID, now); err != nil && !errors.Is(err, jeton.ErrNotFound) {
		return err
	}
	ttl := r.MaxTokenTTL
	if ttl <= 0 {
		ttl = DefaultMaxTokenTTL
	}
	return r.Store.Revoke(ctx, jeton.Revocation{
		Kind: jeton.RevokeFamily, ID: info.FamilyID, InstitutionID: info.InstitutionID,
		RevokedAt: now, ExpiresAt: info.familyExpiresAt.Add(ttl),
	})
}
