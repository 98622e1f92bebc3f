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

// Reasons of security events (SecurityEvent.Reason), a closed set per kind; the
// metrics count any other value as "other". Lockouts and disabled clients have no
// reason ("").
const (
	// EventReplayRefused: which single-use item was presented again.
	EventReasonAssertionJTI  = "assertion_jti"      // a client assertion (RFC 7523 §3 item 7)
	EventReasonCode          = "authorization_code" // RFC 6749 §4.1.2
	EventReasonRequestURI    = "request_uri"        // a PAR request_uri (RFC 9126 §2.2)
	EventReasonRequestObject = "request_object_jti" // a signed request object (RFC 9101)
	// EventFamilyRevoked: why the family was revoked.
	EventReasonReuse      = "reuse"       // a rotated refresh token was used again (RFC 9700 §4.14.2)
	EventReasonCodeReplay = "code_replay" // the family's authorization code was replayed
	EventReasonAdmin      = "admin"       // by an admin (also EventKeyRotated)
	// EventKeyRotated: who rotated (EventReasonAdmin, or the schedule).
	EventReasonSchedule = "schedule"
	// EventRateLimited: the budget that refused the request (ratelimit.Config).
	EventReasonAddress           = "address"
	EventReasonClient            = "client"
	EventReasonFailedAuthAddress = "failed_auth_address"
	EventReasonFailedAuthClient  = "failed_auth_client"
	EventReasonPasswordAddress   = "password_address"
	EventReasonPasswordCustomer  = "password_customer"
)

// SecurityEventReasons lists each kind's reasons ("" for a kind without), for
// pre-declaring metric labels and for tests.
var SecurityEventReasons = map[SecurityEventKind][]string{
	EventLockout:        {""},
	EventReplayRefused:  {EventReasonAssertionJTI, EventReasonCode, EventReasonRequestURI, EventReasonRequestObject},
	EventFamilyRevoked:  {EventReasonReuse, EventReasonCodeReplay, EventReasonAdmin},
	EventClientDisabled: {""},
	EventKeyRotated:     {EventReasonAdmin, EventReasonSchedule},
	EventRateLimited: {EventReasonAddress, EventReasonClient, EventReasonFailedAuthAddress,
		EventReasonFailedAuthClient, EventReasonPasswordAddress, EventReasonPasswordCustomer},
}
