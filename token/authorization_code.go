package token

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jeton/jeton"
)

// CodeTTL is an authorization code's lifetime. RFC 6749 §4.1.2 recommends at most 10
// minutes; a code travels one browser redirect and one back-channel call, so 60 s is
// plenty.
const CodeTTL = 60 * time.Second

// CodeStore is what the authorization_code grant needs from jeton.Store.
type CodeStore interface {
	CreateAuthorizationCode(ctx context.Context, c jeton.AuthorizationCode) error
	ConsumeAuthorizationCode(ctx context.Context, digest []byte, clientID string, now time.Time) (jeton.AuthorizationCode, error)
	RevokeGrant(ctx context.Context, r jeton.Revocation, tombstone jeton.RefreshFamily) error
	GetCustomer(ctx context.Context, institutionID, id string) (jeton.Customer, error)
}

// IssueCode mints an authorization code (RFC 6749 §4.1.2) for c and stores only its
// digest. It fills in Digest, GrantID (when empty), CreatedAt and ExpiresAt (now +
// CodeTTL) and returns the code to hand to the client. The authorize endpoint uses it
// after sign-in and consent; a dialect that signs customers in by other means can mint
// codes the same way and exchange them through the authorization_code grant.
func IssueCode(ctx context.Context, store CodeStore, c jeton.AuthorizationCode, now time.Time) (string, error) {
	code := jeton.NewSecret()
	c.Digest = jeton.Digest(code)
	if c.GrantID == "" {
		c.GrantID = jeton.NewID()
	}
	c.CreatedAt, c.ExpiresAt, c.UsedAt = now, now.Add(CodeTTL), time.Time{}
	if err := store.CreateAuthorizationCode(ctx, c); err != nil {
		return "", fmt.Errorf("store authorization code: %w", err)
	}
	return code, nil
}

// AuthorizationCode is the authorization_code grant (RFC 6749 §4.1.3, OIDC Core
// §3.1.3) with PKCE (RFC 7636 §4.5-4.6).
type AuthorizationCode struct {
	Store CodeStore
	// MaxTokenTTL is the longest access-token lifetime (default DefaultMaxTokenTTL):
	// a replay's revocation is kept until every token of the grant has expired.
	MaxTokenTTL time.Duration
	// Events, when set, is told of each replayed code: the replay refused and the
	// grant's family revoked.
	Events jeton.SecurityObserver
}

// Type implements Grant.
func (*AuthorizationCode) Type() string { return jeton.GrantAuthorizationCode }

// badCode is RFC 6749 §5.2 invalid_grant, one description for every cause.
func badCode(reason jeton.Reason, cause string) *jeton.Error {
	return jeton.Errorf(jeton.CodeInvalidGrant, reason, "authorization code is invalid, expired or was issued to another client").WithCause(errors.New(cause))
}

// Handle implements Grant.
func (g *AuthorizationCode) Handle(ctx context.Context, req *ClientRequest) (*Authorization, error) {
	if req.Code == "" {
		return nil, jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonMissingParameter, "parameter code is required").WithParam("code")
	}
	// RFC 6749 §4.1.3: the code must have been issued to the authenticated client. The
	// store checks it in the same atomic call that consumes the code, so another
	// client's presentation neither burns an unused code nor, for a used one, counts
	// as its replay: it changes nothing.
	code, err := g.Store.ConsumeAuthorizationCode(ctx, jeton.Digest(req.Code), req.Client.ID, req.Now)
	switch {
	case errors.Is(err, jeton.ErrNotFound):
		return nil, badCode(jeton.ReasonNone, "unknown authorization code")
	case errors.Is(err, jeton.ErrWrongClient):
		return nil, badCode(jeton.ReasonWrongClient, "code was issued to another client")
	case errors.Is(err, jeton.ErrAlreadyUsed):
		return nil, g.replayed(ctx, req, code)
	case err != nil:
		return nil, jeton.ServerError(err)
	}
	// RFC 6749 §4.1.3: redirect_uri is required when the authorization request had one
	// (jeton's authorize endpoint always has, OIDC Core §3.1.2.1; a code minted by other
	// means may have none).
	if code.RedirectURI != "" && req.RedirectURI == "" {
		return nil, jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonMissingParameter, "parameter redirect_uri is required").WithParam("redirect_uri")
	}
	if err := checkCode(req, code); err != nil {
		return nil, err
	}
	// RFC 9396 §6.1: the token carries what the customer approved, or the subset
	// the client asks for now; the family keeps all of it for later refreshes.
	details, err := narrowDetails(req.AuthorizationDetails, code.AuthorizationDetails)
	if err != nil {
		return nil, err
	}
	cu, err := g.Store.GetCustomer(ctx, code.InstitutionID, code.Subject)
	switch {
	case errors.Is(err, jeton.ErrNotFound):
		return nil, badCode(jeton.ReasonCustomerInactive, "customer no longer exists")
	case err != nil:
		return nil, jeton.ServerError(err)
	case cu.Status != jeton.CustomerActive || cu.Locked(req.Now):
		return nil, badCode(jeton.ReasonCustomerInactive, "customer is disabled or locked")
	}
	authz := &Authorization{
		Subject:       code.Subject,
		InstitutionID: code.InstitutionID,
		Scope:         code.Scope,
		AuthTime:      code.AuthTime,
		FamilyID:      code.GrantID,
		// OIDC Core §11: offline_access is what earns a refresh token.
		Refresh:              slices.Contains(code.Scope, jeton.ScopeOfflineAccess) && req.Client.AllowsGrant(jeton.GrantRefreshToken),
		AuthorizationDetails: details,
		GrantDetails:         code.AuthorizationDetails,
	}
	if slices.Contains(code.Scope, jeton.ScopeOpenID) {
		authz.OpenID = &OpenIDRequest{Customer: cu, Nonce: code.Nonce}
	}
	return authz, nil
}

// checkCode checks the binding of a freshly consumed code: client, expiry, redirect
// URI (RFC 6749 §4.1.3) and PKCE (RFC 7636 §4.6).
func checkCode(req *ClientRequest, code jeton.AuthorizationCode) *jeton.Error {
	switch {
	case code.ClientID != req.Client.ID:
		return badCode(jeton.ReasonWrongClient, "code was issued to another client")
	case !req.Now.Before(code.ExpiresAt):
		return badCode(jeton.ReasonExpired, "code expired")
	case code.RedirectURI != req.RedirectURI:
		return badCode(jeton.ReasonNone, "redirect_uri differs from the authorization request's")
	case code.DPoPJKT != "" && code.DPoPJKT != req.Confirmation.JKT:
		// RFC 9449 §10: a code requested with dpop_jkt is exchanged only with a
		// proof of that key.
		return keyMismatch("authorization code")
	}
	if code.CodeChallenge == "" {
		// RFC 7636 §4.4.1 / RFC 9700 §2.1.1: a public client must use PKCE; and a
		// verifier for a code issued without a challenge is a mix-up.
		if req.Client.AuthMethod == jeton.AuthNone {
			return badCode(jeton.ReasonNone, "public client's code has no PKCE challenge")
		}
		if req.CodeVerifier != "" {
			return badCode(jeton.ReasonNone, "code_verifier sent for a code issued without code_challenge")
		}
		return nil
	}
	if req.CodeVerifier == "" {
		return badCode(jeton.ReasonNone, "code_verifier missing")
	}
	if !VerifyPKCE(req.CodeVerifier, code.CodeChallenge) {
		return badCode(jeton.ReasonNone, "code_verifier does not match code_challenge")
	}
	return nil
}

// replayed answers a second use of a code. RFC 6749 §4.1.2 and §10.5, RFC 9700
// §4.14: the request is denied and every token issued from the first use is revoked —
// the grant's refresh family and, through its id (the access tokens' fid), its access
// tokens. It is one atomic store call (RevokeGrant) that also holds when the replay
// overtakes the first exchange: the family that exchange has yet to start is written
// as a revoked tombstone, so its start fails and the exchange answers invalid_grant
// (Issuer.refresh) instead of issuing anything.
func (g *AuthorizationCode) replayed(ctx context.Context, req *ClientRequest, code jeton.AuthorizationCode) error {
	maxTTL := g.MaxTokenTTL
	if maxTTL <= 0 {
		maxTTL = DefaultMaxTokenTTL
	}
	keep := DefaultRefreshAbsoluteTTL
	if req.Client.RefreshTokenTTL > keep {
		keep = req.Client.RefreshTokenTTL
	}
	until := req.Now.Add(keep + maxTTL)
	err := g.Store.RevokeGrant(ctx, jeton.Revocation{
		Kind: jeton.RevokeFamily, ID: code.GrantID, InstitutionID: code.InstitutionID,
		RevokedAt: req.Now, ExpiresAt: until,
	}, jeton.RefreshFamily{
		ID: code.GrantID, ClientID: code.ClientID, InstitutionID: code.InstitutionID,
		Subject: code.Subject, Scope: code.Scope, AuthTime: code.AuthTime,
		CreatedAt: req.Now, ExpiresAt: until, RevokedAt: req.Now,
	})
	if err != nil {
		return jeton.ServerError(fmt.Errorf("revoke replayed code's grant: %w", err))
	}
	if g.Events != nil {
		ev := jeton.SecurityEvent{Kind: jeton.EventReplayRefused, Reason: jeton.EventReasonCode, At: req.Now,
			InstitutionID: code.InstitutionID, ClientID: req.Client.ID, Subject: code.Subject}
		g.Events.SecurityEvent(ctx, ev)
		ev.Kind, ev.Reason = jeton.EventFamilyRevoked, jeton.EventReasonCodeReplay
		g.Events.SecurityEvent(ctx, ev)
	}
	return badCode(jeton.ReasonReplay, "authorization code used twice; its grant is revoked")
}
