package adminapi

import (
	"context"
	"net/url"

	"github.com/jeton/jeton"
)

func candescentPath(institutionID string) string {
	return "/admin/v1/institutions/" + url.PathEscape(institutionID) + "/candescent"
}

// GetCandescent returns an institution's Candescent settings.
func (c *Client) GetCandescent(ctx context.Context, institutionID string) (jeton.CandescentSettings, error) {
	var out jeton.CandescentSettings
	return out, c.do(ctx, "GET", candescentPath(institutionID), nil, &out)
}

// UpdateCandescent changes an institution's Candescent alias or V1 switch.
func (c *Client) UpdateCandescent(ctx context.Context, institutionID string, in CandescentUpdate) (jeton.CandescentSettings, error) {
	var out jeton.CandescentSettings
	return out, c.do(ctx, "PATCH", candescentPath(institutionID), in, &out)
}

// LinkClients lets minter mint authorization codes for client.
func (c *Client) LinkClients(ctx context.Context, minter, client string) (jeton.ClientLink, error) {
	var out jeton.ClientLink
	return out, c.do(ctx, "POST", clientPath(minter)+"/links", LinkInput{ClientID: client}, &out)
}

// ListClientLinks lists the clients minter may mint codes for.
func (c *Client) ListClientLinks(ctx context.Context, minter string) ([]jeton.ClientLink, error) {
	var out List[jeton.ClientLink]
	return out.Items, c.do(ctx, "GET", clientPath(minter)+"/links", nil, &out)
}

// UnlinkClients removes a link.
func (c *Client) UnlinkClients(ctx context.Context, minter, client string) error {
	return c.do(ctx, "DELETE", clientPath(minter)+"/links/"+url.PathEscape(client), nil, nil)
}
