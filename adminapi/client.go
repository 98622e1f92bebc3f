package adminapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jeton/jeton"
)

// maxResponse bounds what the client reads from the server; a list of every client of
// a large deployment fits comfortably.
const maxResponse = 32 << 20

// Client talks to the admin API. It is what the CLI uses; its methods mirror the routes
// one to one. Every non-2xx answer is returned as an *APIError.
type Client struct {
	base  string
	token string
	hc    *http.Client
}

// NewClient returns a client for the admin API at baseURL (e.g. http://127.0.0.1:8081)
// authenticating with token. A nil hc means http.DefaultClient.
func NewClient(baseURL, token string, hc *http.Client) *Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), token: token, hc: hc}
}

// CreateInstitution registers a tenant.
func (c *Client) CreateInstitution(ctx context.Context, name string) (jeton.Institution, error) {
	var out jeton.Institution
	return out, c.do(ctx, "POST", "/admin/v1/institutions", InstitutionInput{Name: name}, &out)
}

// ListInstitutions lists every tenant.
func (c *Client) ListInstitutions(ctx context.Context) ([]jeton.Institution, error) {
	var out List[jeton.Institution]
	return out.Items, c.do(ctx, "GET", "/admin/v1/institutions", nil, &out)
}

// GetInstitution fetches one tenant.
func (c *Client) GetInstitution(ctx context.Context, id string) (jeton.Institution, error) {
	var out jeton.Institution
	return out, c.do(ctx, "GET", "/admin/v1/institutions/"+url.PathEscape(id), nil, &out)
}

// RenameInstitution changes a tenant's name.
func (c *Client) RenameInstitution(ctx context.Context, id, name string) (jeton.Institution, error) {
	var out jeton.Institution
	return out, c.do(ctx, "PATCH", "/admin/v1/institutions/"+url.PathEscape(id), InstitutionInput{Name: name}, &out)
}

// CreateInstitutionWith creates a tenant with every setting of in (name,
// default_profile).
func (c *Client) CreateInstitutionWith(ctx context.Context, in InstitutionInput) (jeton.Institution, error) {
	var out jeton.Institution
	return out, c.do(ctx, "POST", "/admin/v1/institutions", in, &out)
}

// UpdateInstitution replaces a tenant's name and, when in.DefaultProfile is set, its
// default_profile.
func (c *Client) UpdateInstitution(ctx context.Context, id string, in InstitutionInput) (jeton.Institution, error) {
	var out jeton.Institution
	return out, c.do(ctx, "PATCH", "/admin/v1/institutions/"+url.PathEscape(id), in, &out)
}

// CreateClient registers an OAuth client; the answer holds its secret, once.
func (c *Client) CreateClient(ctx context.Context, in ClientInput) (CreatedClient, error) {
	var out CreatedClient
	return out, c.do(ctx, "POST", "/admin/v1/clients", in, &out)
}

// ListClients lists the clients of an institution ("" lists all).
func (c *Client) ListClients(ctx context.Context, institutionID string) ([]ClientView, error) {
	p := "/admin/v1/clients"
	if institutionID != "" {
		p += "?" + url.Values{"institution_id": {institutionID}}.Encode()
	}
	var out List[ClientView]
	return out.Items, c.do(ctx, "GET", p, nil, &out)
}

// GetClient fetches one client.
func (c *Client) GetClient(ctx context.Context, id string) (ClientView, error) {
	var out ClientView
	return out, c.do(ctx, "GET", clientPath(id), nil, &out)
}

// UpdateClient changes the non-nil fields of in. The answer carries a client_secret only
// if the change switched the client to a secret method.
func (c *Client) UpdateClient(ctx context.Context, id string, in ClientUpdate) (CreatedClient, error) {
	var out CreatedClient
	return out, c.do(ctx, "PATCH", clientPath(id), in, &out)
}

// DisableClient stops a client from authenticating until it is enabled again.
func (c *Client) DisableClient(ctx context.Context, id string) (ClientView, error) {
	out, err := c.UpdateClient(ctx, id, ClientUpdate{Status: Ptr(jeton.ClientDisabled)})
	return out.ClientView, err
}

// EnableClient lets a disabled client authenticate again.
func (c *Client) EnableClient(ctx context.Context, id string) (ClientView, error) {
	out, err := c.UpdateClient(ctx, id, ClientUpdate{Status: Ptr(jeton.ClientActive)})
	return out.ClientView, err
}

// DeleteClient soft-deletes a client for good.
func (c *Client) DeleteClient(ctx context.Context, id string) error {
	return c.do(ctx, "DELETE", clientPath(id), nil, nil)
}

// RotateSecret issues a new client secret; the old one keeps working for grace (whole
// seconds; 0 stops it at once).
func (c *Client) RotateSecret(ctx context.Context, id string, grace time.Duration) (CreatedClient, error) {
	if grace%time.Second != 0 {
		return CreatedClient{}, fmt.Errorf("adminapi: grace %v is not a whole number of seconds", grace)
	}
	var out CreatedClient
	return out, c.do(ctx, "POST", clientPath(id)+"/secret", RotateSecretInput{GraceSeconds: int64(grace / time.Second)}, &out)
}

// CreateCustomer adds an end user to an institution.
func (c *Client) CreateCustomer(ctx context.Context, institutionID string, in CustomerInput) (jeton.Customer, error) {
	var out jeton.Customer
	return out, c.do(ctx, "POST", customersPath(institutionID), in, &out)
}

// ListCustomers lists an institution's end users.
func (c *Client) ListCustomers(ctx context.Context, institutionID string) ([]jeton.Customer, error) {
	var out List[jeton.Customer]
	return out.Items, c.do(ctx, "GET", customersPath(institutionID), nil, &out)
}

// GetCustomer fetches one end user.
func (c *Client) GetCustomer(ctx context.Context, institutionID, customerID string) (jeton.Customer, error) {
	var out jeton.Customer
	return out, c.do(ctx, "GET", customersPath(institutionID)+"/"+url.PathEscape(customerID), nil, &out)
}

// SetPassword replaces an end user's password (and clears a lockout).
func (c *Client) SetPassword(ctx context.Context, institutionID, customerID, password string) error {
	p := customersPath(institutionID) + "/" + url.PathEscape(customerID) + "/password"
	return c.do(ctx, "PUT", p, PasswordInput{Password: password}, nil)
}

// UnlockCustomer clears an end user's lockout and failed sign-ins, and returns the
// customer as it now is.
func (c *Client) UnlockCustomer(ctx context.Context, institutionID, customerID string) (jeton.Customer, error) {
	var out jeton.Customer
	return out, c.do(ctx, "POST", customersPath(institutionID)+"/"+url.PathEscape(customerID)+"/unlock", nil, &out)
}

// ListKeys lists jeton's signing keys (metadata only).
func (c *Client) ListKeys(ctx context.Context) ([]jeton.SigningKey, error) {
	var out List[jeton.SigningKey]
	return out.Items, c.do(ctx, "GET", "/admin/v1/keys", nil, &out)
}

// RotateKey adds a new signing key of alg ("" means ES256).
func (c *Client) RotateKey(ctx context.Context, alg string) (jeton.SigningKey, error) {
	var out jeton.SigningKey
	return out, c.do(ctx, "POST", "/admin/v1/keys/rotate", RotateKeyInput{Alg: alg}, &out)
}

// ListAudit lists one page of audit events, newest first; its NextCursor (absent on
// the last page) continues the walk in q.Cursor.
func (c *Client) ListAudit(ctx context.Context, q AuditQuery) (AuditList, error) {
	v := url.Values{}
	for name, val := range map[string]string{"institution_id": q.InstitutionID, "action": q.Action,
		"actor": q.Actor, "client_id": q.ClientID, "cursor": q.Cursor} {
		if val != "" {
			v.Set(name, val)
		}
	}
	for name, t := range map[string]time.Time{"since": q.Since, "until": q.Until} {
		if !t.IsZero() {
			v.Set(name, t.UTC().Format(time.RFC3339Nano))
		}
	}
	if q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	p := "/admin/v1/audit"
	if len(v) > 0 {
		p += "?" + v.Encode()
	}
	var out AuditList
	return out, c.do(ctx, "GET", p, nil, &out)
}

// WalkAudit lists every event q selects, newest first, following the pages' cursors,
// and hands each page to visit; max > 0 stops after that many events. Each page is as
// large as the API allows (or as what is left of max), so a walk takes few requests.
func (c *Client) WalkAudit(ctx context.Context, q AuditQuery, max int, visit func([]jeton.AuditEvent) error) error {
	for seen := 0; ; {
		q.Limit = maxAuditLimit
		if max > 0 {
			q.Limit = min(q.Limit, max-seen)
		}
		page, err := c.ListAudit(ctx, q)
		if err != nil {
			return err
		}
		if err := visit(page.Items); err != nil {
			return err
		}
		seen += len(page.Items)
		if page.NextCursor == "" || (max > 0 && seen >= max) {
			return nil
		}
		q.Cursor = page.NextCursor
	}
}

func clientPath(id string) string { return "/admin/v1/clients/" + url.PathEscape(id) }

func customersPath(institutionID string) string {
	return "/admin/v1/institutions/" + url.PathEscape(institutionID) + "/customers"
}

// do sends one request. in (if not nil) is the JSON body; out (if not nil) receives
// the JSON answer.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("adminapi: encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("adminapi: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("adminapi: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("adminapi: %s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return decodeAPIError(resp.StatusCode, data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("adminapi: %s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// decodeAPIError reads an error answer; one that is not the admin API's JSON (a proxy's
// HTML page, say) still becomes an *APIError with the status and a short excerpt.
func decodeAPIError(status int, data []byte) *APIError {
	var b ErrorBody
	if err := json.Unmarshal(data, &b); err != nil || b.Error == "" {
		msg := strings.TrimSpace(string(data))
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		if msg == "" {
			msg = http.StatusText(status)
		}
		return &APIError{Status: status, Code: "http_" + strconv.Itoa(status), Message: msg}
	}
	return &APIError{Status: status, Code: b.Error, Field: b.Field, Message: b.Message}
}
