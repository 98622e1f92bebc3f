package jeton

import (
	"context"
	"time"
)

// RateLimitScope is what a rate-limit override applies to.
type RateLimitScope string

// Rate-limit override scopes: a client's own override wins over its institution's,
// which wins over the global --ratelimit-client budget (docs/rate-limits.md).
const (
	RateLimitInstitution RateLimitScope = "institution"
	RateLimitClient      RateLimitScope = "client"
)

// RateLimitScopes lists every scope.
var RateLimitScopes = []RateLimitScope{RateLimitInstitution, RateLimitClient}

// RateLimit overrides the token-request budget (a token bucket) of one client, or of
// every client of one institution. Rate 0 is no limit.
type RateLimit struct {
	Scope     RateLimitScope
	ID        string  // the institution or client id
	Rate      float64 // requests per second on average
	Burst     int     // requests at once
	UpdatedAt time.Time
}

// RateLimitStore keeps rate-limit overrides in their own table (rate_limits), so no
// client or institution row changes for them.
type RateLimitStore interface {
	// PutRateLimit creates or replaces the override of (l.Scope, l.ID) in one
	// statement that also checks the institution or client exists: ErrNotFound when
	// it does not.
	PutRateLimit(ctx context.Context, l RateLimit) error
	PutRateLimitAudited(ctx context.Context, l RateLimit, ev AuditEvent) error
	// GetRateLimit returns the override of (scope, id); ErrNotFound when there is none.
	GetRateLimit(ctx context.Context, scope RateLimitScope, id string) (RateLimit, error)
	// ListRateLimits returns every override ordered by scope, then id.
	ListRateLimits(ctx context.Context) ([]RateLimit, error)
	// DeleteRateLimit removes the override; ErrNotFound when there was none.
	DeleteRateLimit(ctx context.Context, scope RateLimitScope, id string) error
	// The ...Audited variants are their method and AppendAudit(ev) in one transaction
	// (see Store).
	DeleteRateLimitAudited(ctx context.Context, scope RateLimitScope, id string, ev AuditEvent) error
}
