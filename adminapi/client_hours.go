package adminapi

import (
	"context"
	"net/http"
)

// SetHours creates or replaces an institution's working-hours calendar.
func (c *Client) SetHours(ctx context.Context, institutionID string, in HoursInput) (HoursView, error) {
	var out HoursView
	err := c.do(ctx, http.MethodPut, hoursPath(institutionID), in, &out)
	return out, err
}

// GetHours returns an institution's calendar with its next opening.
func (c *Client) GetHours(ctx context.Context, institutionID string) (HoursView, error) {
	var out HoursView
	err := c.do(ctx, http.MethodGet, hoursPath(institutionID), nil, &out)
	return out, err
}

// ClearHours removes an institution's calendar: its token endpoint is always open.
func (c *Client) ClearHours(ctx context.Context, institutionID string) error {
	return c.do(ctx, http.MethodDelete, hoursPath(institutionID), nil, nil)
}
