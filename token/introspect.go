package token

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/internal/ttlcache"
)

// Token type names: RFC 7662 §2.2 token_type for access tokens (RFC 6750 "Bearer"), and
// the token_type_hint values of RFC 7009 §2.1 / RFC 7662 §2.1.
const (
	TokenTypeBearer  = "Bearer"
	HintAccessToken  = "access_token"
	HintRefreshToken = "refresh_token"
)

// MaxTokenBytes bounds a token presented for introspection or revocation (DESIGN rule
// 4); jeton's own tokens are far smaller.
const MaxTokenBytes = 8 << 10

// accessTokenAlgs are the JWS algorithms jeton signs access tokens with; nothing else
// is even parsed (in particular neither "none" nor an HMAC alg).
var accessTokenAlgs = []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.PS256, jose.EdDSA}

// TokenKind says what a presented token turned out to be.
type TokenKind int

// Token kinds.
const (
	KindUnknown      TokenKind = iota
	KindJWTAccess              // an RFC 9068 JWT access token
	KindOpaqueAccess           // an opaque access token (a stored digest)
	KindRefresh                // a refresh token (a stored digest)
)

// Introspection is a token's state as RFC 7662 §2.2 reports it. When Active is false
// only Reason is meaningful, and it is for the log alone: the answer is
// {"active": false} whatever the reason (RFC 7662 §2.2, §4).
type Introspection struct {
	Active bool
	Reason jeton.Reason
	Kind   TokenKind
	// TokenType is "Bearer" for access tokens and "refresh_token" for refresh tokens.
	TokenType     string
	Scope         []string
	ClientID      string
	Subject       string
	Audience      []string
	Issuer        string
	ExpiresAt     time.Time
	IssuedAt      time.Time
	JTI           string // access tokens only
	InstitutionID string
	FamilyID      string // the refresh family, if any
	// AuthorizationDetails the token carries (RFC 9396 §9.2); a refresh token's are
	// its family's.
	AuthorizationDetails json.RawMessage
	// Confirmation is the access token's cnf (RFC 9449 §6.2, RFC 8705 §3.2); zero
	// for a bearer token and for refresh tokens.
	Confirmation jeton.Confirmation

	familyExpiresAt time.Time // refresh tokens: the family's absolute expiry
	used            bool      // refresh tokens: already rotated
	familyRevoked   bool      // refresh tokens: the family row is revoked
	dpopJKT         string    // refresh tokens: the DPoP key the family is bound to
}

func inactive(reason jeton.Reason) *Introspection {
	return &Introspection{Reason: reason}
}

// IntrospectionStore is what introspection and revocation read (jeton.Store
// implements it).
type IntrospectionStore interface {
	IsRevoked(ctx context.Context, kind jeton.RevocationKind, id string) (bool, error)
	GetAccessToken(ctx context.Context, digest []byte) (jeton.AccessToken, error)
	GetRefreshToken(ctx context.Context, digest []byte) (jeton.RefreshToken, jeton.RefreshFamily, error)
	GetCustomer(ctx context.Context, institutionID, id string) (jeton.Customer, error)
}

// Introspector answers RFC 7662 token introspection for every dialect. The caller must
// already be an authenticated client (Engine.Authenticate).
type Introspector struct {
	// Issuer is the iss every JWT access token must carry.
	Issuer string
	// KeySet returns the keys published now (keys.Manager.KeySet): a JWT verifies only
	// against a key jeton publishes, so an unpublished key's tokens are inactive.
	KeySet  func() jose.JSONWebKeySet
	Store   IntrospectionStore
	Clients clientauth.ClientSource
	Now     func() time.Time

	verified verifiedJWTs
}

func (i *Introspector) now() time.Time {
	if i.Now == nil {
		return time.Now()
	}
	return i.Now()
}

// Introspect reports whether tok is active for caller (RFC 7662 §2.2). hint is the
// token_type_hint; it only orders the lookups (RFC 7662 §2.1: the server must look
// further when the hint is wrong). A token is inactive when it is unknown, malformed,
// badly signed, expired, revoked (its jti or its family), rotated (refresh tokens),
// when its client is no longer active, when its customer is missing, disabled or
// locked, when caller does not act for the token's institution, and when it is a
// refresh token and caller is not the client it was issued to. The error is a
// *jeton.Error and only ever a server error.
func (i *Introspector) Introspect(ctx context.Context, caller *jeton.Client, tok, hint string) (*Introspection, error) {
	if caller.AuthMethod == jeton.AuthNone {
		// A public client proves nothing about itself (RFC 7662 §2.1 requires
		// authorization to introspect): it learns nothing.
		return inactive(jeton.ReasonWrongAuthMethod), nil
	}
	now := i.now()
	info, err := i.find(ctx, tok, hint)
	if err != nil || !info.Active {
		return info, err
	}
	// Another institution's token is inactive, whatever its state: a client must not
	// learn anything about another tenant's tokens (the spec, "Introspection").
	if !caller.ActsFor(info.InstitutionID) {
		return inactive(jeton.ReasonInstitution), nil
	}
	// A refresh token is never shown to a resource server: it is active only for the
	// client it was issued to (RFC 7662 §4 leaves to the server what a caller may
	// learn). Otherwise every client of the institution could test and read others'
	// refresh tokens, which /revoke already refuses to reveal (docs/tokens.md).
	if info.Kind == KindRefresh && info.ClientID != caller.ID {
		return inactive(jeton.ReasonWrongClient), nil
	}
	if reason, err := i.check(ctx, info, now); err != nil || reason != jeton.ReasonNone {
		if err != nil {
			return nil, err
		}
		return inactive(reason), nil
	}
	return info, nil
}

// find identifies tok without judging whether it is still valid: it returns the
// token's claims with Active set, or an inactive answer when tok is no token of ours.
// A JWT is verified here (signature against the published keys, typ, iss), because
// its claims mean nothing otherwise.
func (i *Introspector) find(ctx context.Context, tok, hint string) (*Introspection, error) {
	if tok == "" || len(tok) > MaxTokenBytes {
		return inactive(jeton.ReasonNone), nil
	}
	if strings.Count(tok, ".") == 2 {
		return i.findJWT(tok, i.now()), nil
	}
	// Opaque access and refresh tokens are both a lookup by key; the hint says which
	// table to try first.
	lookups := []func(context.Context, string) (*Introspection, error){i.findOpaque, i.findRefresh}
	if hint == HintRefreshToken {
		lookups[0], lookups[1] = lookups[1], lookups[0]
	}
	for _, look := range lookups {
		info, err := look(ctx, tok)
		if err != nil || info != nil {
			return info, err
		}
	}
	return inactive(jeton.ReasonNone), nil
}

// jwtClaims are the RFC 9068 claims introspection reads back from a verified token.
type jwtClaims struct {
	Issuer        string   `json:"iss"`
	Subject       string   `json:"sub"`
	Audience      audience `json:"aud"`
	ExpiresAt     *int64   `json:"exp"`
	IssuedAt      int64    `json:"iat"`
	JTI           string   `json:"jti"`
	ClientID      string   `json:"client_id"`
	Scope         string   `json:"scope"`
	InstitutionID string   `json:"institution_id"`
	FamilyID      string   `json:"fid"`
	// AuthorizationDetails, RFC 9396 §9.1.
	AuthorizationDetails json.RawMessage     `json:"authorization_details"`
	Confirmation         *jeton.Confirmation `json:"cnf"`
}

// VerifiedStats are the lookups of the verified-signature cache (metrics).
func (i *Introspector) VerifiedStats() ttlcache.Stats { return i.verified.cache.Stats() }

// findJWT verifies an RFC 9068 access token: one signature by a published key whose
// alg matches the header, typ "at+jwt" (RFC 9068 §4), our iss, and the claims jeton
// always sets. Anything else is not an access token of this server.
func (i *Introspector) findJWT(tok string, now time.Time) *Introspection {
	if hit, ok := i.verified.get(tok, now); ok {
		if set := i.KeySet(); len(set.Key(hit.kid)) > 0 {
			i.verified.cache.Count(true)
			info := *hit.info // callers may adjust their copy
			return &info
		}
	}
	i.verified.cache.Count(false)
	jws, err := jose.ParseSignedCompact(tok, accessTokenAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return inactive(jeton.ReasonNone)
	}
	h := jws.Signatures[0].Protected
	typ, _ := h.ExtraHeaders[jose.HeaderType].(string)
	if !strings.EqualFold(typ, "at+jwt") && !strings.EqualFold(typ, "application/at+jwt") {
		return inactive(jeton.ReasonNone)
	}
	var payload []byte
	set := i.KeySet()
	for _, k := range set.Key(h.KeyID) {
		if k.Algorithm != h.Algorithm || !k.IsPublic() {
			continue
		}
		if p, err := jws.Verify(k.Key); err == nil {
			payload = p
			break
		}
	}
	if payload == nil {
		return inactive(jeton.ReasonNone)
	}
	var c jwtClaims
	if err := json.Unmarshal(payload, &c); err != nil || c.Issuer != i.Issuer || c.ExpiresAt == nil ||
		c.JTI == "" || c.ClientID == "" || c.Subject == "" || c.InstitutionID == "" {
		return inactive(jeton.ReasonNone)
	}
	info := &Introspection{
		Active: true, Kind: KindJWTAccess, TokenType: TokenTypeBearer,
		Scope: strings.Fields(c.Scope), ClientID: c.ClientID, Subject: c.Subject,
		Audience: c.Audience, Issuer: c.Issuer, ExpiresAt: time.Unix(*c.ExpiresAt, 0),
		IssuedAt: time.Unix(c.IssuedAt, 0), JTI: c.JTI, InstitutionID: c.InstitutionID,
		FamilyID: c.FamilyID, AuthorizationDetails: c.AuthorizationDetails,
	}
	if c.Confirmation != nil {
		info.setConfirmation(*c.Confirmation)
	}
	cached := *info
	i.verified.put(tok, verifiedJWT{info: &cached, kid: h.KeyID}, now)
	return info
}

// findOpaque looks an opaque access token up by digest; nil when there is none.
func (i *Introspector) findOpaque(ctx context.Context, tok string) (*Introspection, error) {
	t, err := i.Store.GetAccessToken(ctx, jeton.Digest(tok))
	if errors.Is(err, jeton.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, jeton.ServerError(err)
	}
	info := &Introspection{
		Active: true, Kind: KindOpaqueAccess, TokenType: TokenTypeBearer,
		Scope: t.Scope, ClientID: t.ClientID, Subject: t.Subject, Audience: t.Audience,
		Issuer: i.Issuer, ExpiresAt: t.ExpiresAt, IssuedAt: t.IssuedAt, JTI: t.JTI,
		InstitutionID: t.InstitutionID, FamilyID: t.FamilyID, AuthorizationDetails: t.AuthorizationDetails,
	}
	info.setConfirmation(t.Confirmation)
	return info, nil
}

// findRefresh looks a refresh token up by its key (jeton.RefreshTokenKey); nil when
// there is none.
func (i *Introspector) findRefresh(ctx context.Context, tok string) (*Introspection, error) {
	t, f, err := i.Store.GetRefreshToken(ctx, jeton.RefreshTokenKey(tok))
	if errors.Is(err, jeton.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, jeton.ServerError(err)
	}
	return &Introspection{
		Active: true, Kind: KindRefresh, TokenType: HintRefreshToken,
		Scope: f.Scope, ClientID: f.ClientID, Subject: f.Subject, Issuer: i.Issuer,
		ExpiresAt: minTime(t.ExpiresAt, f.ExpiresAt), IssuedAt: t.CreatedAt,
		InstitutionID: f.InstitutionID, FamilyID: f.ID, AuthorizationDetails: f.AuthorizationDetails,
		familyExpiresAt: f.ExpiresAt, used: !t.UsedAt.IsZero(), familyRevoked: !f.RevokedAt.IsZero(),
		dpopJKT: f.DPoPJKT,
	}, nil
}

// check decides whether a found token is still valid at now; it returns the reason it
// is not, or ReasonNone. Cheap checks come first.
func (i *Introspector) check(ctx context.Context, info *Introspection, now time.Time) (jeton.Reason, error) {
	if !now.Before(info.ExpiresAt) {
		return jeton.ReasonExpired, nil
	}
	switch info.Kind {
	case KindRefresh:
		if info.familyRevoked {
			return jeton.ReasonRevoked, nil
		}
		if info.used {
			return jeton.ReasonReplay, nil // rotated: only its successor is valid now
		}
	default:
		if revoked, err := i.Store.IsRevoked(ctx, jeton.RevokeJTI, info.JTI); err != nil || revoked {
			return jeton.ReasonRevoked, storeErr(err)
		}
		if info.FamilyID != "" {
			if revoked, err := i.Store.IsRevoked(ctx, jeton.RevokeFamily, info.FamilyID); err != nil || revoked {
				return jeton.ReasonRevoked, storeErr(err)
			}
		}
	}
	c, err := i.Clients.Client(ctx, info.ClientID)
	switch {
	case errors.Is(err, jeton.ErrNotFound):
		return jeton.ReasonClientInactive, nil
	case err != nil:
		return jeton.ReasonNone, jeton.ServerError(err)
	case c.Status != jeton.ClientActive:
		return jeton.ReasonClientInactive, nil
	}
	if info.Subject == info.ClientID {
		return jeton.ReasonNone, nil // a client's own token: no customer involved
	}
	cust, err := i.Store.GetCustomer(ctx, info.InstitutionID, info.Subject)
	switch {
	case errors.Is(err, jeton.ErrNotFound):
		return jeton.ReasonCustomerInactive, nil
	case err != nil:
		return jeton.ReasonNone, jeton.ServerError(err)
	case cust.Status != jeton.CustomerActive:
		return jeton.ReasonCustomerInactive, nil
	case cust.Locked(now):
		return jeton.ReasonLocked, nil
	}
	return jeton.ReasonNone, nil
}

func storeErr(err error) error {
	if err == nil {
		return nil
	}
	return jeton.ServerError(err)
}

// UnmarshalJSON reads "aud" as RFC 7519 §4.1.3 allows: one string or an array.
func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*a = many
	return nil
}

// setConfirmation records an access token's cnf, and with a DPoP key its token_type
// "DPoP" (RFC 9449 §6.2).
func (info *Introspection) setConfirmation(c jeton.Confirmation) {
	info.Confirmation = c
	if c.JKT != "" {
		info.TokenType = TokenTypeDPoP
	}
}
