package token

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/fapi2"
	"github.com/jeton/jeton/reqlog"
)

// Signer signs a JWS; keys.Manager's signers satisfy it, and a KMS/HSM-backed one can
// (DESIGN rule 7).
type Signer interface {
	KeyID() string
	Alg() string
	Sign(payload []byte, typ string) (string, error)
}

// AccessTokenStore persists opaque access tokens (digest and claims only).
type AccessTokenStore interface {
	CreateAccessToken(ctx context.Context, t jeton.AccessToken) error
}

// TokenSlotStore records capped clients' live access tokens (jeton.Store implements
// it).
type TokenSlotStore interface {
	ClaimTokenSlot(ctx context.Context, s jeton.TokenSlot, max int, now time.Time) error
}

// RefreshFamilyStore starts refresh-token families, and revokes one the engine
// withdraws (jeton.Store implements it).
type RefreshFamilyStore interface {
	CreateRefreshFamily(ctx context.Context, f jeton.RefreshFamily, first jeton.RefreshToken) error
	RevokeRefreshFamily(ctx context.Context, familyID string, now time.Time) error
}

// Issuer mints access tokens, and starts refresh families: step 5 of the pipeline.
type Issuer struct {
	// Issuer is the "iss" of every token: the server's public URL (RFC 8414 §2).
	Issuer string
	// Audience is the "aud" of access tokens (RFC 9068 §2.2): the resource servers.
	Audience []string
	// Signer returns the current signing key for a JWS alg.
	Signer       func(alg string) (Signer, error)
	AccessTokens AccessTokenStore
	// MaxTTL caps every access token's lifetime (0: no cap). A retired signing key
	// stays published for this long, so no token may outlive it.
	MaxTTL time.Duration
	// RefreshFamilies stores new refresh families; needed only when a grant asks for
	// a refresh token (Authorization.Refresh).
	RefreshFamilies RefreshFamilyStore
	// RefreshIdleTTL is a refresh token's idle lifetime (default
	// DefaultRefreshIdleTTL); keep it equal to RefreshGrant.IdleTTL.
	RefreshIdleTTL time.Duration
	// Slots counts the live tokens of clients with MaxActiveTokens set; needed only
	// when a client has a cap.
	Slots TokenSlotStore
	// IDTokens signs ID tokens for grants that sign a customer in with the openid
	// scope (Authorization.OpenID).
	IDTokens *IDTokenIssuer
}

// accessClaims is the RFC 9068 §2.2 JWT access-token claim set, plus jeton's
// institution_id and, for tokens of a refresh family, fid (so introspection can check
// the family against revocations).
type accessClaims struct {
	Issuer        string   `json:"iss"`
	Subject       string   `json:"sub"`
	Audience      audience `json:"aud"`
	ExpiresAt     int64    `json:"exp"`
	IssuedAt      int64    `json:"iat"`
	JTI           string   `json:"jti"`
	ClientID      string   `json:"client_id"`
	Scope         string   `json:"scope,omitempty"`
	AuthTime      int64    `json:"auth_time,omitempty"`
	InstitutionID string   `json:"institution_id"`
	FamilyID      string   `json:"fid,omitempty"`
	// AuthorizationDetails (RFC 9396 §9.1) as granted, a JSON array.
	AuthorizationDetails json.RawMessage `json:"authorization_details,omitempty"`
	// Confirmation is RFC 7800 §3.1 cnf: jkt (RFC 9449 §6.1) or x5t#S256 (RFC 8705
	// §3.1); absent for a bearer token.
	Confirmation *jeton.Confirmation `json:"cnf,omitempty"`
}

// audience marshals as a string when single, an array otherwise (RFC 7519 §4.1.3).
type audience []string

func (a audience) MarshalJSON() ([]byte, error) {
	if len(a) == 1 {
		return json.Marshal(a[0])
	}
	return json.Marshal([]string(a))
}

// Issue mints the access token for authz in the client's format. A client whose
// profile forbids its signing alg (fapi2.TokenAlg, FAPI 2.0 §5.4) is refused before
// anything is written.
func (i *Issuer) Issue(ctx context.Context, cr *ClientRequest, authz *Authorization) (*Result, error) {
	if e := fapi2.TokenAlg(cr.Client); e != nil {
		return nil, e
	}
	now := cr.Now.Truncate(time.Second)
	ttl := cr.Client.AccessTokenTTL
	if i.MaxTTL > 0 && ttl > i.MaxTTL {
		ttl = i.MaxTTL
	}
	if cr.AccessTTL > 0 && ttl > cr.AccessTTL {
		ttl = cr.AccessTTL
	}
	res := &Result{
		TokenType:     "Bearer",
		ExpiresIn:     ttl,
		Scope:         authz.Scope,
		ClientID:      cr.Client.ID,
		InstitutionID: authz.InstitutionID,
		Subject:       authz.Subject,
		IssuedAt:      now,
		JTI:           jeton.NewID(),
		// RFC 9396 §7: the token response says what the token carries.
		AuthorizationDetails: authz.AuthorizationDetails,
		Confirmation:         authz.Confirmation,
	}
	if authz.Confirmation.JKT != "" {
		res.TokenType = TokenTypeDPoP // RFC 9449 §5
	}
	if err := i.refresh(ctx, cr, authz, res); err != nil {
		return nil, err
	}
	if err := i.claimSlot(ctx, cr, authz, res); err != nil {
		return nil, err
	}
	var err error
	if cr.Client.TokenFormat == jeton.FormatOpaque {
		res.AccessToken, err = i.opaque(ctx, cr, authz, res)
		res.Issued |= reqlog.TokenAccessOpaque
	} else {
		res.AccessToken, err = i.jwt(cr, authz, res)
		res.Issued |= reqlog.TokenAccessJWT
	}
	if err != nil {
		return nil, err
	}
	if authz.OpenID != nil {
		if res.IDToken, err = i.idToken(cr, authz, res); err != nil {
			return nil, err
		}
		res.Issued |= reqlog.TokenID
	}
	if res.RefreshToken != "" && res.RefreshToken != cr.RefreshToken {
		res.Issued |= reqlog.TokenRefresh // not the token a client without rotation keeps
	}
	return res, nil
}

// idToken signs the ID token of an OpenID Connect grant (OIDC Core §3.1.3.3).
func (i *Issuer) idToken(cr *ClientRequest, authz *Authorization, res *Result) (string, error) {
	if i.IDTokens == nil {
		return "", jeton.ServerError(errors.New("token: issuer has no ID token issuer"))
	}
	tok, err := i.IDTokens.IDToken(IDTokenParams{
		Client: cr.Client, Customer: &authz.OpenID.Customer, Scope: authz.Scope,
		Nonce: authz.OpenID.Nonce, AuthTime: authz.AuthTime, AccessToken: res.AccessToken,
		IssuedAt: res.IssuedAt,
	})
	if err != nil {
		return "", jeton.ServerError(err)
	}
	return tok, nil
}

// jwt signs an RFC 9068 access token (typ "at+jwt", §2.1). Nothing is written: the
// token is self-contained, and revocation checks use its jti and fid.
func (i *Issuer) jwt(cr *ClientRequest, authz *Authorization, res *Result) (string, error) {
	claims := accessClaims{
		Issuer:               i.Issuer,
		Subject:              authz.Subject,
		Audience:             i.Audience,
		ExpiresAt:            res.IssuedAt.Add(res.ExpiresIn).Unix(),
		IssuedAt:             res.IssuedAt.Unix(),
		JTI:                  res.JTI,
		ClientID:             cr.Client.ID,
		Scope:                strings.Join(authz.Scope, " "),
		InstitutionID:        authz.InstitutionID,
		FamilyID:             authz.FamilyID,
		AuthorizationDetails: authz.AuthorizationDetails,
	}
	if !authz.AuthTime.IsZero() {
		claims.AuthTime = authz.AuthTime.Unix()
	}
	if !authz.Confirmation.IsZero() {
		claims.Confirmation = &authz.Confirmation
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", jeton.ServerError(err)
	}
	signer, err := i.Signer(cr.Client.SigningAlg)
	if err != nil {
		return "", jeton.ServerError(err)
	}
	tok, err := signer.Sign(payload, "at+jwt")
	if err != nil {
		return "", jeton.ServerError(err)
	}
	return tok, nil
}

// opaque stores a random 256-bit handle's digest with its claims; only introspection
// (RFC 7662) can read it.
func (i *Issuer) opaque(ctx context.Context, cr *ClientRequest, authz *Authorization, res *Result) (string, error) {
	tok := jeton.NewSecret()
	err := i.AccessTokens.CreateAccessToken(ctx, jeton.AccessToken{
		Digest:               jeton.Digest(tok),
		JTI:                  res.JTI,
		ClientID:             cr.Client.ID,
		InstitutionID:        authz.InstitutionID,
		Subject:              authz.Subject,
		Scope:                authz.Scope,
		Audience:             i.Audience,
		FamilyID:             authz.FamilyID,
		IssuedAt:             res.IssuedAt,
		ExpiresAt:            res.IssuedAt.Add(res.ExpiresIn),
		AuthorizationDetails: authz.AuthorizationDetails,
		Confirmation:         authz.Confirmation,
	})
	if err != nil {
		return "", jeton.ServerError(err)
	}
	return tok, nil
}

// refresh fills in the Result's refresh token. A grant that holds one (the refresh
// grant) has it returned as is; a grant that asks for one (Authorization.Refresh)
// starts a family (RFC 9700 §4.14.2): a random 256-bit first token stored only as its
// digest, valid for the idle lifetime but never past the family's absolute lifetime
// (the client's RefreshTokenTTL). The access token then carries the family id (fid),
// so revoking the family revokes it too.
func (i *Issuer) refresh(ctx context.Context, cr *ClientRequest, authz *Authorization, res *Result) error {
	now := res.IssuedAt
	if authz.RefreshToken != "" {
		res.RefreshToken = authz.RefreshToken
		res.RefreshTTL = max(authz.RefreshExpiresAt.Sub(now), 0)
		return nil
	}
	if !authz.Refresh {
		return nil
	}
	if i.RefreshFamilies == nil {
		return jeton.ServerError(errors.New("token: issuer has no refresh family store"))
	}
	absolute := cr.Client.RefreshTokenTTL
	if absolute <= 0 {
		absolute = DefaultRefreshAbsoluteTTL
	}
	idle := i.RefreshIdleTTL
	if idle <= 0 {
		idle = DefaultRefreshIdleTTL
	}
	fam := jeton.RefreshFamily{
		// A grant that names its family (an authorization code's grant id) keeps it,
		// so revoking the grant revokes the family. New ids are time-ordered (see
		// jeton.NewTimeID).
		ID:            cmp.Or(authz.FamilyID, jeton.NewTimeID(cr.Now)),
		ClientID:      cr.Client.ID,
		InstitutionID: authz.InstitutionID,
		Subject:       authz.Subject,
		Scope:         authz.Scope,
		AuthTime:      authz.AuthTime.Truncate(time.Second),
		CreatedAt:     now,
		ExpiresAt:     now.Add(absolute),
		// RFC 9396 §7.1: what later refreshes may ask for, in full or in part.
		AuthorizationDetails: authz.GrantDetails,
	}
	if fam.AuthorizationDetails == nil {
		fam.AuthorizationDetails = authz.AuthorizationDetails
	}
	if cr.Client.AuthMethod == jeton.AuthNone {
		// RFC 9449 §5: a public client's refresh tokens are bound to its DPoP key; a
		// confidential client's are already bound to its authentication.
		fam.DPoPJKT = authz.Confirmation.JKT
	}
	// The token names its family, so stores keep it with the family (jeton.RefreshKey).
	tok := jeton.NewRefreshToken(fam.ID)
	first := jeton.RefreshToken{
		Digest:    jeton.RefreshTokenKey(tok),
		FamilyID:  fam.ID,
		CreatedAt: now,
		ExpiresAt: minTime(now.Add(idle), fam.ExpiresAt),
	}
	err := i.RefreshFamilies.CreateRefreshFamily(ctx, fam, first)
	switch {
	case errors.Is(err, jeton.ErrConflict) && authz.FamilyID != "":
		// The grant's family id is taken: only a revoked grant's tombstone takes it
		// (a replay of its code ran first, RevokeGrant). Nothing was issued yet and
		// nothing will be.
		return badCode(jeton.ReasonReplay, "code replayed before its grant's refresh family started; grant revoked")
	case err != nil:
		return jeton.ServerError(err)
	}
	authz.FamilyID = fam.ID
	res.RefreshToken, res.RefreshTTL = tok, first.ExpiresAt.Sub(now)
	return nil
}

// claimSlot enforces the client's active-token cap (issue 7) before a token exists:
// one atomic store call records the new token's jti if the client holds fewer than
// MaxActiveTokens live ones. Clients without a cap write nothing. A refused request is
// invalid_request; the AbbeyCross dialect answers it as 409 CONFLICT.
func (i *Issuer) claimSlot(ctx context.Context, cr *ClientRequest, authz *Authorization, res *Result) error {
	limit := cr.Client.MaxActiveTokens
	if limit <= 0 {
		return nil
	}
	if i.Slots == nil {
		return jeton.ServerError(errors.New("token: issuer has no token slot store for a capped client"))
	}
	err := i.Slots.ClaimTokenSlot(ctx, jeton.TokenSlot{
		ClientID: cr.Client.ID, JTI: res.JTI, FamilyID: authz.FamilyID, ExpiresAt: res.IssuedAt.Add(res.ExpiresIn),
	}, limit, cr.Now)
	switch {
	case errors.Is(err, jeton.ErrLimitReached):
		return jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonTokenLimit,
			"the client already holds its maximum of %d active access tokens; revoke one or wait for one to expire", limit)
	case err != nil:
		return jeton.ServerError(err)
	}
	return nil
}
