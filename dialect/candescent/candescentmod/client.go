package candescentmod

import (
	"context"
	"net/url"

	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/dialect/candescent/candescentstore"
)

func candescentPath(institutionID string) string {
	return "/admin/v1/institutions/" + url.PathEscape(institutionID) + "/candescent"
}

// GetCandescent returns an institution's Candescent settings.
func GetCandescent(ctx context.Context, c *adminapi.Client, institutionID string) (candescentstore.Settings, error) {
	var out candescentstore.Settings
	return out, c.Do(ctx, "GET", candescentPath(institutionID), nil, &out)
}

// UpdateCandescent changes an institution's Candescent alias or V1 switch.
func UpdateCandescent(ctx context.Context, c *adminapi.Client, institutionID string, in Update) (candescentstore.Settings, error) {
	var out candescentstore.Settings
	return out, c.Do(ctx, "PATCH", candescentPath(institutionID), in, &out)
}

// LinkClients lets minter mint authorization codes for client.
func LinkClients(ctx context.Context, c *adminapi.Client, minter, client string) (candescentstore.ClientLink, error) {
	var out candescentstore.ClientLink
	return out, c.Do(ctx, "POST", adminapi.ClientPath(minter)+"/links", LinkInput{ClientID: client}, &out)
}

// ListClientLinks lists the clients minter may mint codes for.
func ListClientLinks(ctx context.Context, c *adminapi.Client, minter string) ([]candescentstore.ClientLink, error) {
	var out adminapi.List[candescentstore.ClientLink]
	return out.Items, c.Do(ctx, "GET", adminapi.ClientPath(minter)+"/links", nil, &out)
}

// UnlinkClients removes a link.
func UnlinkClients(ctx context.Context, c *adminapi.Client, minter, client string) error {
	return c.Do(ctx, "DELETE", adminapi.ClientPath(minter)+"/links/"+url.PathEscape(client), nil, nil)
}

// Update changes an institution's Candescent settings; nil fields are left
// as they are. Alias "" removes the alias.
type Update struct {
	Alias     *string `json:"alias,omitempty"`
	V1Enabled *bool   `json:"v1_enabled,omitempty"`
}

// LinkInput links a minter (the client in the path) to the client it may mint
// authorization codes for.
type LinkInput struct {
	ClientID string `json:"client_id"`
}
