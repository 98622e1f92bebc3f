package adminapi

import (
	"context"
	"net/http"

	"github.com/jeton/jeton"
)

// SetRateLimit creates or replaces the rate-limit override of an institution or a
// client.
func (c *Client) SetRateLimit(ctx context.Context, scope jeton.RateLimitScope, id string, in RateLimitInput) (RateLimitView, error) {
	var out RateLimitView
	err := c.do(ctx, http.MethodPut, rateLimitPath(scope, id), in, &out)
	return out, err
}

// GetRateLimit returns one override.
func (c *Client) GetRateLimit(ctx context.Context, scope jeton.RateLimitScope, id string) (RateLimitView, error) {
	var out RateLimitView
	err := c.do(ctx, http.MethodGet, rateLimitPath(scope, id), nil, &out)
	return out, err
}

// ListRateLimits returns every override.
func (c *Client) ListRateLimits(ctx context.Context) ([]RateLimitView, error) {
	var out List[RateLimitView]
	err := c.do(ctx, http.MethodGet, "/admin/v1/ratelimits", nil, &out)
	return out.Items, err
}

// DeleteRateLimit removes an override: the next budget up applies again.
func (c *Client) DeleteRateLimit(ctx context.Context, scope jeton.RateLimitScope, id string) error {
	return c.do(ctx, http.MethodDelete, rateLimitPath(scope, id), nil, nil)
}
