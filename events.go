package jeton

import (
	"context"
	"time"
)

// SecurityEventKind names a security event. The set is closed: metrics use it as a
// label and the audit log as an action, so it never holds raw input.
type SecurityEventKind string

// The security events the engine, the stores' callers and the admin services report.
const (
	// EventLockout: a customer's failed sign-ins reached the lockout threshold.
	EventLockout SecurityEventKind = "customer.locked"
	// EventReplayRefused: a single-use item (assertion jti, authorization code, PAR
	// request_uri, DPoP proof, request object) was presented again. Reason says which.
	EventReplayRefused SecurityEventKind = "replay.refused"
	// EventFamilyRevoked: a refresh family was revoked. Reason is "reuse", "code_replay"
	// or "admin".
	EventFamilyRevoked SecurityEventKind = "family.revoked"
	// EventClientDisabled: a client was disabled (by an admin or the console).
	EventClientDisabled SecurityEventKind = "client.disabled"
	// EventKeyRotated: a signing key was rotated (by an admin or the schedule). Reason
	// is "admin" or "schedule".
	EventKeyRotated SecurityEventKind = "key.rotated"
	// EventRateLimited: a request was refused by a rate limit. Reason names the budget
	// ("address", "client", "failed_auth_address", ...).
	EventRateLimited SecurityEventKind = "ratelimit.tripped"
)

// SecurityEventKinds lists every kind, for tests and for pre-declaring metric labels.
var SecurityEventKinds = []SecurityEventKind{
	EventLockout, EventReplayRefused, EventFamilyRevoked, EventClientDisabled,
	EventKeyRotated, EventRateLimited,
}

// SecurityEvent is one occurrence. Reason is from a closed set per kind (see the
// kinds); InstitutionID, ClientID and Subject are for the audit log only and must
// never become metric labels.
type SecurityEvent struct {
	Kind          SecurityEventKind
	At            time.Time
	InstitutionID string
	ClientID      string
	Subject       string
	Reason        string
}

// SecurityObserver receives security events. Implementations must be safe for
// concurrent use and must not block the request path (count, or hand off).
type SecurityObserver interface {
	SecurityEvent(ctx context.Context, e SecurityEvent)
}

// SecurityObservers fans an event out to each observer; a nil or empty list drops it,
// so a component with no observers wired pays nothing.
type SecurityObservers []SecurityObserver

// SecurityEvent implements SecurityObserver.
func (os SecurityObservers) SecurityEvent(ctx context.Context, e SecurityEvent) {
	for _, o := range os {
		o.SecurityEvent(ctx, e)
	}
}
