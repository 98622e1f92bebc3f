package adminapi

import (
	"context"
	"net/url"

	"github.com/jeton/jeton"
)

func consentsPath(institutionID, customerID string) string {
	return customersPath(institutionID) + "/" + url.PathEscape(customerID) + "/consents"
}

// ListConsents lists a customer's consents to clients.
func (c *Client) ListConsents(ctx context.Context, institutionID, customerID string) ([]jeton.Consent, error) {
	var out List[jeton.Consent]
	return out.Items, c.do(ctx, "GET", consentsPath(institutionID, customerID), nil, &out)
}

// RevokeConsents deletes a customer's consent to clientID, or all when clientID is "".
func (c *Client) RevokeConsents(ctx context.Context, institutionID, customerID, clientID string) (int, error) {
	p := consentsPath(institutionID, customerID)
	if clientID != "" {
		p += "?client_id=" + url.QueryEscape(clientID)
	}
	var out ConsentsRevoked
	return out.Revoked, c.do(ctx, "DELETE", p, nil, &out)
}

// SetBranding sets an institution's sign-in page branding.
func (c *Client) SetBranding(ctx context.Context, institutionID string, in BrandingInput) (jeton.Branding, error) {
	var out jeton.Branding
	return out, c.do(ctx, "PUT", "/admin/v1/institutions/"+url.PathEscape(institutionID)+"/branding", in, &out)
}
