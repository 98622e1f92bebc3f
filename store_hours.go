package jeton

import (
	"context"
	"errors"
	"time"
)

// ErrLimitReached: a counted resource (a client's live access tokens) is at its
// maximum; nothing was recorded.
var ErrLimitReached = errors.New("limit reached")

// CalendarStore keeps institutions' working-hours calendars (one per institution).
type CalendarStore interface {
	// PutCalendar creates or replaces c's institution's calendar; ErrNotFound if the
	// institution does not exist.
	PutCalendar(ctx context.Context, c *Calendar) error
	PutCalendarAudited(ctx context.Context, c *Calendar, ev AuditEvent) error
	// GetCalendar returns the institution's compiled calendar; ErrNotFound when it has
	// none (always open).
	GetCalendar(ctx context.Context, institutionID string) (*Calendar, error)
	// DeleteCalendar removes it; ErrNotFound when there was none.
	DeleteCalendar(ctx context.Context, institutionID string) error
	DeleteCalendarAudited(ctx context.Context, institutionID string, ev AuditEvent) error
}

// TokenSlot records one live access token of a client with an active-token cap: JWT
// access tokens have no row of their own, so a capped client needs this record to be
// counted. Revoking the token (by JTI, or its refresh family) frees the slot.
type TokenSlot struct {
	ClientID  string
	JTI       string
	FamilyID  string // "" when the token belongs to no refresh family
	ExpiresAt time.Time
}

// TokenSlotStore counts capped clients' live access tokens.
type TokenSlotStore interface {
	// ClaimTokenSlot is ATOMIC (one conditional INSERT serialized per client: SQLite's
	// single writer, a PostgreSQL row lock on the client): it records s only if the
	// client holds fewer than max slots that are unexpired at now and not revoked.
	// Otherwise it records nothing and returns ErrLimitReached. N concurrent calls
	// with max M < N record exactly M.
	ClaimTokenSlot(ctx context.Context, s TokenSlot, max int, now time.Time) error
}
