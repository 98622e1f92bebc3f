package jeton

import (
	"context"
	"time"
)

// OIDCStore keeps what the authorization endpoint needs: authorization codes, pushed
// authorization requests, consents and page branding.
type OIDCStore interface {
	// CreateAuthorizationCode records c; its client and institution must exist.
	CreateAuthorizationCode(ctx context.Context, c AuthorizationCode) error
	// ConsumeAuthorizationCode is ATOMIC (one conditional UPDATE ... RETURNING): it marks
	// the unused code with digest used at now and returns it, only if it was issued to
	// clientID (RFC 6749 §4.1.3: "ensure that the authorization code was issued to the
	// authenticated confidential client"). A code of clientID used before is returned
	// with ErrAlreadyUsed (so the caller can revoke what the first use issued). A code
	// issued to another client is ErrWrongClient, and is left untouched, used or not:
	// another client can neither burn it nor have its grant revoked. An unknown code is
	// ErrNotFound. Expiry is the caller's to check on the returned code.
	ConsumeAuthorizationCode(ctx context.Context, digest []byte, clientID string, now time.Time) (AuthorizationCode, error)

	// PushAuthorizationRequest records p (RFC 9126 §2.2); its client must exist.
	PushAuthorizationRequest(ctx context.Context, p PushedRequest) error
	// ConsumePushedRequest is ATOMIC (one DELETE ... WHERE digest AND client_id AND
	// expires_at RETURNING): it removes and returns the request with digest if clientID
	// pushed it and it expires after now. A request_uri is bound to the client that
	// pushed it (RFC 9126 §2.2), so another client's attempt must leave it usable.
	// Used, expired, unknown and another client's requests are all ErrNotFound.
	ConsumePushedRequest(ctx context.Context, digest []byte, clientID string, now time.Time) (PushedRequest, error)

	// SaveConsent records c, replacing the scopes of an earlier consent of the same
	// customer to the same client.
	SaveConsent(ctx context.Context, c Consent) error
	// GetConsent returns the consent of customerID to clientID in institutionID.
	GetConsent(ctx context.Context, institutionID, customerID, clientID string) (Consent, error)
	// ListConsents returns the customer's consents, by client id.
	ListConsents(ctx context.Context, institutionID, customerID string) ([]Consent, error)
	// RevokeConsents deletes the customer's consent to clientID, or every consent of the
	// customer when clientID is ""; it returns how many were deleted.
	RevokeConsents(ctx context.Context, institutionID, customerID, clientID string) (int, error)
	// RevokeConsentsAudited appends ev with Details["revoked"] set to the number
	// revoked.
	RevokeConsentsAudited(ctx context.Context, institutionID, customerID, clientID string, ev AuditEvent) (int, error)

	// GetBranding returns the institution's branding; ErrNotFound when none was set.
	GetBranding(ctx context.Context, institutionID string) (Branding, error)
	// PutBranding sets the institution's branding (the institution must exist).
	PutBranding(ctx context.Context, b Branding) error
	PutBrandingAudited(ctx context.Context, b Branding, ev AuditEvent) error
}
