package token

import (
	"context"
	"time"

	"github.com/jeton/jeton"
)

// CalendarSource returns an institution's working-hours calendar, nil when it has
// none; calendarcache.Cache implements it over the store.
type CalendarSource interface {
	Calendar(ctx context.Context, institutionID string) (*jeton.Calendar, error)
}

// Hours is the working-hours Policy (step 3): outside the calendar of the institution
// the token is for, the request fails with temporarily_unavailable (RFC 6749 §5.2),
// HTTP 503 and Retry-After (RFC 9110 §10.2.3) = the time until the next opening. The
// Reason lets each dialect answer its own 503 shape. No calendar is always open.
type Hours struct {
	Calendars CalendarSource
}

// OutsideHoursText is the vendor's wording (AbbeyCross "Generate access token", 503).
const OutsideHoursText = "The server is currently unavailable due to non-working hours. Please try again later."

// Check implements Policy.
func (h Hours) Check(ctx context.Context, req *ClientRequest) error {
	cal, err := h.Calendars.Calendar(ctx, req.Institution)
	if err != nil {
		return jeton.ServerError(err)
	}
	if cal == nil || cal.Open(req.Now) {
		return nil
	}
	e := jeton.Errorf(jeton.CodeTemporarilyUnavailable, jeton.ReasonOutsideHours, "%s", OutsideHoursText)
	if next := cal.NextOpening(req.Now); !next.IsZero() {
		// Whole seconds, rounded up, so a client that waits exactly this long finds
		// the calendar open.
		e.RetryAfter = next.Sub(req.Now).Truncate(time.Second)
		if e.RetryAfter < next.Sub(req.Now) {
			e.RetryAfter += time.Second
		}
	}
	return e
}
