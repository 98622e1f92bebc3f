package jeton

import (
	"slices"
	"time"
)

// RefreshClaim is a refresh-token rotation that holds only if the refresh grant would
// accept the presented token (RFC 6749 §6): one store call that reads, checks and
// rotates, so that the common refresh costs one database round trip. A claim the
// store turns down changes nothing; the grant then reads the token to learn why
// (revoked, expired, reused, another client's) and answers as before.
type RefreshClaim struct {
	// Key is the presented token's key (RefreshTokenKey).
	Key []byte
	// Next is the successor: Digest, FamilyID, CreatedAt and ExpiresAt. The store
	// stores ExpiresAt capped at the family's absolute expiry.
	Next RefreshToken
	// ClientID is the authenticated client: the family must be its (RFC 6749 §6).
	ClientID string
	// Institutions are those the client acts for (Client.ActsFor): the family's must
	// be one of them.
	Institutions []string
	// Scope is the scope the client asked for, nil for the family's: it must lie
	// within the family's (RFC 6749 §6, "MUST NOT include any scope not originally
	// granted").
	Scope []string
	// JKT is the thumbprint of the DPoP key the request proved possession of, ""
	// without a proof: a family bound to a key (RFC 9449 §5, a public client's) is
	// claimed only with a proof of that key.
	JKT string
	// Now is when the claim is made: the token and its family must be live then, and
	// the token is marked used then.
	Now time.Time
}

// Accepts reports whether a claim holds for tok of family fam whose subject is cust
// (nil when the family is the client's own, Subject == ClientID, or when no such
// customer exists). Stores that check in Go call it; stores that check in SQL must
// agree with it (storetest checks both against the same cases).
func (c *RefreshClaim) Accepts(tok RefreshToken, fam RefreshFamily, cust *Customer) bool {
	switch {
	case !tok.UsedAt.IsZero(), !c.Now.Before(tok.ExpiresAt):
		return false
	case !fam.RevokedAt.IsZero(), !c.Now.Before(fam.ExpiresAt):
		return false
	case fam.ClientID != c.ClientID, !slices.Contains(c.Institutions, fam.InstitutionID):
		return false
	case fam.DPoPJKT != "" && fam.DPoPJKT != c.JKT:
		return false
	}
	for _, s := range c.Scope {
		if !slices.Contains(fam.Scope, s) {
			return false
		}
	}
	if fam.Subject == fam.ClientID {
		return true
	}
	return cust != nil && cust.Status == CustomerActive && !cust.Locked(c.Now)
}

// NextExpiry is the successor's stored expiry: Next.ExpiresAt, capped at the family's.
func (c *RefreshClaim) NextExpiry(fam RefreshFamily) time.Time {
	if fam.ExpiresAt.Before(c.Next.ExpiresAt) {
		return fam.ExpiresAt
	}
	return c.Next.ExpiresAt
}
