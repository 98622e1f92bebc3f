package token

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/fapi2"
)

// Refresh-token defaults (the spec's "Refresh tokens"; issue 3 item 3).
const (
	// DefaultRefreshAbsoluteTTL is a family's lifetime when the client sets none.
	DefaultRefreshAbsoluteTTL = 30 * 24 * time.Hour
	// DefaultRefreshIdleTTL is how long an unused refresh token stays valid.
	DefaultRefreshIdleTTL = 7 * 24 * time.Hour
	// DefaultRefreshGrace is how long a rotated token may be retried for the same
	// successor (FAPI 2.0 §5.3.2.1).
	DefaultRefreshGrace = 30 * time.Second
	// DefaultMaxTokenTTL is the longest access-token lifetime when none is configured;
	// a family revocation is kept this long past the family's expiry.
	DefaultMaxTokenTTL = 24 * time.Hour
	// RefreshKeySize is the size of the successor-derivation key.
	RefreshKeySize = 32
)

// AuditRefreshReuse is the audit action recorded when a rotated refresh token comes
// back after the grace and its family is revoked (RFC 9700 §4.14.2).
const AuditRefreshReuse = jeton.ActionRefreshReuse

// refreshKeyInfo is the HKDF "info" that binds the derived key to its one purpose.
const refreshKeyInfo = "jeton refresh-token successor v1"

// DeriveRefreshKey derives the 32-byte successor-derivation key from the key-encryption
// key with HKDF-SHA256 (RFC 5869), so no second secret needs managing and the key never
// serves two purposes.
func DeriveRefreshKey(kek []byte) []byte {
	k, err := hkdf.Key(sha256.New, kek, nil, refreshKeyInfo, RefreshKeySize)
	if err != nil {
		// Only a key length over 255 hash blocks fails; 32 bytes cannot.
		panic("token: hkdf: " + err.Error())
	}
	return k
}

// RefreshStore is what the refresh grant needs from jeton.Store.
type RefreshStore interface {
	GetRefreshToken(ctx context.Context, digest []byte) (jeton.RefreshToken, jeton.RefreshFamily, error)
	RotateRefreshToken(ctx context.Context, oldDigest []byte, next jeton.RefreshToken, now time.Time) error
	ClaimRefreshToken(ctx context.Context, c jeton.RefreshClaim) (jeton.RefreshToken, jeton.RefreshFamily, time.Time, error)
	ExtendRefreshToken(ctx context.Context, digest []byte, expiresAt time.Time) error
	RevokeRefreshFamily(ctx context.Context, familyID string, now time.Time) error
	Revoke(ctx context.Context, r jeton.Revocation) error
	GetCustomer(ctx context.Context, institutionID, id string) (jeton.Customer, error)
	AppendAudit(ctx context.Context, e jeton.AuditEvent) error
}

// RefreshGrant is the refresh_token grant (RFC 6749 §6) with rotation and reuse
// detection (RFC 9700 §4.14.2). See docs/tokens.md.
//
// With rotation (the default) the successor of a token is not random but derived:
// HMAC-SHA256(Key, token). Only digests are stored, yet a retry of the previous token
// within Grace can be answered with the very same successor (FAPI 2.0 §5.3.2.1),
// because the server can recompute it from the token the client presents.
type RefreshGrant struct {
	Store RefreshStore
	// Key derives successors; at least RefreshKeySize bytes (DeriveRefreshKey).
	Key []byte
	// PreviousKeys are the keys derived from the previous key-encryption keys during a
	// KEK rotation. They derive no new successor; a retry within Grace of a token that
	// a replica (or this process before its restart) rotated under an earlier KEK is
	// recognised with them instead of being taken for reuse.
	PreviousKeys [][]byte
	// IdleTTL is a token's idle lifetime (default DefaultRefreshIdleTTL); it never
	// reaches past the family's absolute expiry.
	IdleTTL time.Duration
	// Grace is how long after a rotation the previous token still yields the same
	// successor (default DefaultRefreshGrace).
	Grace time.Duration
	// MaxTokenTTL is the longest access-token lifetime (default DefaultMaxTokenTTL): a
	// family revocation is kept until the family's expiry plus this, when the last
	// access token issued from the family has expired.
	MaxTokenTTL time.Duration
	// Events, when set, is told of each family revoked for the reuse of a rotated
	// token (jeton.EventFamilyRevoked, reason reuse).
	Events jeton.SecurityObserver
}

// Type implements Grant.
func (RefreshGrant) Type() string { return jeton.GrantRefreshToken }

func (g *RefreshGrant) idle() time.Duration {
	if g.IdleTTL > 0 {
		return g.IdleTTL
	}
	return DefaultRefreshIdleTTL
}

func (g *RefreshGrant) grace() time.Duration {
	if g.Grace > 0 {
		return g.Grace
	}
	return DefaultRefreshGrace
}

func (g *RefreshGrant) maxTokenTTL() time.Duration {
	if g.MaxTokenTTL > 0 {
		return g.MaxTokenTTL
	}
	return DefaultMaxTokenTTL
}

// badRefresh is RFC 6749 §5.2 invalid_grant. The description is the same for every
// cause so that an answer does not tell which check failed; the reason goes to the log
// and to dialects that distinguish more.
func badRefresh(reason jeton.Reason, cause string) *jeton.Error {
	return jeton.Errorf(jeton.CodeInvalidGrant, reason, "refresh token is invalid, expired or revoked").WithCause(errors.New(cause))
}

// presentedRefresh is what grantedScope read of the presented token, for Handle.
type presentedRefresh struct {
	token  string
	digest []byte
	tok    jeton.RefreshToken
	fam    jeton.RefreshFamily
	// successor is set when grantedScope already rotated the token into it (claim),
	// which then expires at successorExp.
	successor    string
	successorExp time.Time
}

// grantedScope implements scopeBounded: it reads the presented token, checks it was
// issued to the client and is live (RFC 6749 §6), keeps it for Handle, and returns its
// family's scope, which bounds the request's (engine step 3).
func (g *RefreshGrant) grantedScope(ctx context.Context, req *ClientRequest) ([]string, error) {
	if len(g.Key) < RefreshKeySize {
		return nil, jeton.ServerError(errors.New("token: refresh grant has no successor key"))
	}
	presented := req.RefreshToken
	if presented == "" {
		return nil, jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonMissingParameter, "parameter refresh_token is required").WithParam("refresh_token")
	}
	digest := jeton.RefreshTokenKey(presented)
	if p, err := g.claim(ctx, req, presented, digest); p != nil || err != nil {
		if err != nil {
			return nil, err
		}
		req.refresh = p
		return p.fam.Scope, nil
	}
	tok, fam, err := g.Store.GetRefreshToken(ctx, digest)
	if errors.Is(err, jeton.ErrNotFound) {
		return nil, badRefresh(jeton.ReasonNone, "unknown refresh token")
	}
	if err != nil {
		return nil, jeton.ServerError(err)
	}
	// RFC 6749 §6: the token must have been issued to the authenticated client. A
	// stranger's attempt changes nothing (it is not evidence against the family).
	if fam.ClientID != req.Client.ID {
		return nil, badRefresh(jeton.ReasonWrongClient, "refresh token was issued to another client")
	}
	if err := g.checkLive(ctx, req.Client, tok, fam, req.Now.Truncate(time.Second)); err != nil {
		return nil, err
	}
	if fam.DPoPJKT != "" && fam.DPoPJKT != req.Confirmation.JKT {
		// RFC 9449 §5: a public client's refresh token is bound to its DPoP key.
		return nil, keyMismatch("refresh token")
	}
	req.refresh = &presentedRefresh{token: presented, digest: digest, tok: tok, fam: fam}
	return fam.Scope, nil
}

// claim is the common refresh in one store call: a rotating client presenting a
// token that names its family, whose successor can therefore be derived before the
// token is read, asks the store to rotate it only if everything checkLive and the
// client check would accept holds, and the requested scope lies within the family's
// (RFC 6749 §6). A claim the store turns down changed nothing: claim returns nil and
// grantedScope reads the token to answer why, as it would have without the claim.
func (g *RefreshGrant) claim(ctx context.Context, req *ClientRequest, presented string, key []byte) (*presentedRefresh, error) {
	familyID, _, prefixed := jeton.SplitRefreshKey(key)
	if !prefixed || rotationOff(req.Client) || req.Request.AuthorizationDetails != "" {
		// authorization_details asked for on refresh are narrowed against the
		// family's after step 3 reads it (RFC 9396 §7.1), so such a request must not
		// rotate before that check: it takes the read-first path.
		return nil, nil
	}
	now := req.Now.Truncate(time.Second)
	successor := g.successor(presented, familyID)
	c := jeton.RefreshClaim{
		Key: key,
		Next: jeton.RefreshToken{Digest: jeton.RefreshTokenKey(successor), FamilyID: familyID,
			CreatedAt: now, ExpiresAt: now.Add(g.idle())},
		ClientID:     req.Client.ID,
		Institutions: append([]string{req.Client.InstitutionID}, req.Client.Institutions...),
		Scope:        req.Request.Scope,
		JKT:          req.Confirmation.JKT,
		Now:          now,
	}
	tok, fam, exp, err := g.Store.ClaimRefreshToken(ctx, c)
	switch {
	case errors.Is(err, jeton.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, jeton.ServerError(err)
	}
	return &presentedRefresh{token: presented, digest: key, tok: tok, fam: fam, successor: successor, successorExp: exp}, nil
}

// Handle implements Grant: it rotates (or extends) the token grantedScope read, or
// answers with the successor grantedScope's claim already stored.
func (g *RefreshGrant) Handle(ctx context.Context, req *ClientRequest) (*Authorization, error) {
	p := req.refresh
	if p == nil {
		return nil, jeton.ServerError(errors.New("token: refresh grant handled without engine step 3"))
	}
	presented, digest, tok, fam := p.token, p.digest, p.tok, p.fam
	now := req.Now.Truncate(time.Second)
	authz := &Authorization{
		Subject:       fam.Subject,
		InstitutionID: fam.InstitutionID,
		Scope:         req.Scope, // within fam.Scope (engine step 3)
		AuthTime:      fam.AuthTime,
		FamilyID:      fam.ID,
		// The family's, or the subset the client asked for (step 3, RFC 9396 §7.1).
		AuthorizationDetails: req.AuthorizationDetails,
	}
	if p.successor != "" {
		authz.RefreshToken, authz.RefreshExpiresAt = p.successor, p.successorExp
		return authz, nil
	}
	if rotationOff(req.Client) {
		// Without rotation the client keeps its token; each use restarts the idle
		// lifetime. A token already rotated (rotation was switched off since) is
		// no longer usable.
		exp := minTime(now.Add(g.idle()), fam.ExpiresAt)
		err := g.Store.ExtendRefreshToken(ctx, digest, exp)
		if errors.Is(err, jeton.ErrNotFound) {
			return nil, badRefresh(jeton.ReasonReplay, "refresh token was rotated before rotation was switched off")
		}
		if err != nil {
			return nil, jeton.ServerError(err)
		}
		authz.RefreshToken, authz.RefreshExpiresAt = presented, exp
		return authz, nil
	}
	successor := g.successor(presented, fam.ID)
	next := jeton.RefreshToken{
		Digest:    jeton.RefreshTokenKey(successor),
		FamilyID:  fam.ID,
		CreatedAt: now,
		ExpiresAt: minTime(now.Add(g.idle()), fam.ExpiresAt),
	}
	if tok.UsedAt.IsZero() {
		err := g.Store.RotateRefreshToken(ctx, digest, next, now)
		switch {
		case err == nil:
			authz.RefreshToken, authz.RefreshExpiresAt = successor, next.ExpiresAt
			return authz, nil
		case errors.Is(err, jeton.ErrNotFound):
			return nil, badRefresh(jeton.ReasonNone, "refresh token disappeared during rotation")
		case !errors.Is(err, jeton.ErrAlreadyUsed):
			return nil, jeton.ServerError(err)
		}
		// A concurrent request rotated it first: read who won and when.
		if tok, fam, err = g.Store.GetRefreshToken(ctx, digest); err != nil {
			if errors.Is(err, jeton.ErrNotFound) {
				return nil, badRefresh(jeton.ReasonNone, "refresh token disappeared during rotation")
			}
			return nil, jeton.ServerError(err)
		}
		if !fam.RevokedAt.IsZero() {
			return nil, badRefresh(jeton.ReasonRevoked, "refresh family was revoked")
		}
	}
	return g.retry(ctx, req.Client, authz, tok, fam, g.rotatedInto(presented, fam.ID, successor, tok.SuccessorDigest), now)
}

// rotatedInto returns the successor that presented was rotated into: successor (derived
// with Key) when it matches the recorded digest, else the one a previous key derives
// if that matches (the rotation happened under an earlier KEK), else successor. Only
// the retry path runs the previous keys.
func (g *RefreshGrant) rotatedInto(presented, familyID, successor string, recorded []byte) string {
	if jeton.RefreshKeyEqual(successor, recorded) {
		return successor
	}
	for _, k := range g.PreviousKeys {
		if s := derive(k, presented, familyID); jeton.RefreshKeyEqual(s, recorded) {
			return s
		}
	}
	return successor
}

// checkLive refuses a token whose family is revoked or past its absolute lifetime,
// whose own idle lifetime is over, or whose customer may no longer sign in.
func (g *RefreshGrant) checkLive(ctx context.Context, c *jeton.Client, tok jeton.RefreshToken, fam jeton.RefreshFamily, now time.Time) error {
	switch {
	case !fam.RevokedAt.IsZero():
		return badRefresh(jeton.ReasonRevoked, "refresh family was revoked")
	case !now.Before(fam.ExpiresAt):
		return badRefresh(jeton.ReasonExpired, "refresh family reached its absolute lifetime")
	case !now.Before(tok.ExpiresAt):
		return badRefresh(jeton.ReasonExpired, "refresh token reached its idle lifetime")
	case !c.ActsFor(fam.InstitutionID):
		return badRefresh(jeton.ReasonInstitution, "client no longer acts for the family's institution")
	}
	if fam.Subject == fam.ClientID {
		return nil
	}
	cust, err := g.Store.GetCustomer(ctx, fam.InstitutionID, fam.Subject)
	switch {
	case errors.Is(err, jeton.ErrNotFound):
		return badRefresh(jeton.ReasonCustomerInactive, "customer no longer exists")
	case err != nil:
		return jeton.ServerError(err)
	case cust.Status != jeton.CustomerActive:
		return badRefresh(jeton.ReasonCustomerInactive, "customer is "+string(cust.Status))
	case cust.Locked(now):
		return badRefresh(jeton.ReasonLocked, "customer is locked")
	}
	return nil
}

// retry handles a token that was already rotated. Within the grace, and while its
// successor is unused, the client gets that same successor again (it lost the first
// answer). Anything else is reuse of a rotated token: RFC 9700 §4.14.2 says the server
// cannot tell the legitimate client from an attacker, so it revokes the whole family.
func (g *RefreshGrant) retry(ctx context.Context, c *jeton.Client, authz *Authorization, tok jeton.RefreshToken, fam jeton.RefreshFamily, successor string, now time.Time) (*Authorization, error) {
	if now.Before(tok.UsedAt.Add(g.grace())) && jeton.RefreshKeyEqual(successor, tok.SuccessorDigest) {
		next, _, err := g.Store.GetRefreshToken(ctx, tok.SuccessorDigest)
		switch {
		case err == nil && next.UsedAt.IsZero():
			authz.RefreshToken, authz.RefreshExpiresAt = successor, next.ExpiresAt
			return authz, nil
		case err != nil && !errors.Is(err, jeton.ErrNotFound):
			return nil, jeton.ServerError(err)
		}
		// The successor was used already (or is gone): the client that holds it has
		// moved on, so this retry is not a lost answer but a second holder.
	}
	if err := g.revokeFamily(ctx, c, fam, now); err != nil {
		return nil, err
	}
	return nil, badRefresh(jeton.ReasonReplay, "rotated refresh token reused; family revoked")
}

// revokeFamily marks the family revoked, records the revocation so its access tokens
// (which carry the family id as fid) become inactive, and audits the reuse.
func (g *RefreshGrant) revokeFamily(ctx context.Context, c *jeton.Client, fam jeton.RefreshFamily, now time.Time) error {
	if err := g.Store.RevokeRefreshFamily(ctx, fam.ID, now); err != nil && !errors.Is(err, jeton.ErrNotFound) {
		return jeton.ServerError(err)
	}
	err := g.Store.Revoke(ctx, jeton.Revocation{
		Kind: jeton.RevokeFamily, ID: fam.ID, InstitutionID: fam.InstitutionID,
		RevokedAt: now, ExpiresAt: fam.ExpiresAt.Add(g.maxTokenTTL()),
	})
	if err != nil {
		return jeton.ServerError(err)
	}
	err = g.Store.AppendAudit(ctx, jeton.AuditEvent{
		ID: jeton.NewID(), At: now, InstitutionID: fam.InstitutionID, Actor: c.ID,
		Action: AuditRefreshReuse, Subject: fam.ID,
		Details: map[string]string{"customer": fam.Subject, "client_id": c.ID},
	})
	if err != nil {
		return jeton.ServerError(err)
	}
	if g.Events != nil {
		g.Events.SecurityEvent(ctx, jeton.SecurityEvent{Kind: jeton.EventFamilyRevoked, Reason: jeton.EventReasonReuse,
			At: now, InstitutionID: fam.InstitutionID, ClientID: c.ID, Subject: fam.Subject})
	}
	return nil
}

// successor derives the token that replaces presented in family familyID: the
// family's id and HMAC-SHA256(Key, presented), 256 bits like every refresh token
// (jeton.RefreshSuccessor), so it is stored beside the token it replaces.
func (g *RefreshGrant) successor(presented, familyID string) string {
	return derive(g.Key, presented, familyID)
}

func derive(key []byte, presented, familyID string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(presented))
	return jeton.RefreshSuccessor(familyID, m.Sum(nil))
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// rotationOff reports whether the client keeps one refresh token across uses: when
// registered so, and always for a FAPI 2.0 client (FAPI 2.0 §5.3.2.1: "shall not use
// refresh token rotation unless, in the case a response with a new refresh token is
// not received and stored by the client, retrying the request (with the previous
// refresh token) will succeed"; jeton's rotation spends the previous token, so it
// does not rotate for them).
func rotationOff(c *jeton.Client) bool { return c.RefreshRotationOff || fapi2.Applies(c) }
