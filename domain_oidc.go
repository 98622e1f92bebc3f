package jeton

import (
	"encoding/json"
	"time"
)

// Scopes of OpenID Connect (OIDC Core §3.1.2.1, §5.4, §11).
const (
	ScopeOpenID        = "openid"
	ScopeProfile       = "profile"
	ScopeEmail         = "email"
	ScopePhone         = "phone"
	ScopeOfflineAccess = "offline_access"
)

// AuthorizationCode is an authorization code (RFC 6749 §4.1.2) as the store keeps it:
// only the digest of the code, and everything the token request must match. A code is
// single-use (ConsumeAuthorizationCode) and short-lived.
type AuthorizationCode struct {
	Digest        []byte   `json:"-"`
	ClientID      string   `json:"client_id"`
	InstitutionID string   `json:"institution_id"`
	Subject       string   `json:"sub"` // customer id
	RedirectURI   string   `json:"redirect_uri"`
	Scope         []string `json:"scope"`
	Nonce         string   `json:"nonce,omitempty"`
	// CodeChallenge is the RFC 7636 §4.2 S256 challenge; "" when the client sent none.
	CodeChallenge string `json:"code_challenge,omitempty"`
	// DPoPJKT is the authorization request's dpop_jkt (RFC 9449 §10): the token
	// request must prove possession of that key. "" when the request had none.
	DPoPJKT  string    `json:"dpop_jkt,omitempty"`
	AuthTime time.Time `json:"auth_time"`
	// GrantID names the grant the code starts: the tokens issued for the code carry it
	// as their family id, so a replay of the code can revoke them (RFC 6749 §4.1.2).
	GrantID string `json:"grant_id"`
	// AuthorizationDetails the customer approved (RFC 9396 §2, a JSON array); nil
	// when none were requested.
	AuthorizationDetails json.RawMessage `json:"authorization_details,omitempty"`
	CreatedAt            time.Time       `json:"created_at"`
	ExpiresAt            time.Time       `json:"expires_at"`
	UsedAt               time.Time       `json:"used_at,omitzero"`
}

// PushedRequest is a pushed authorization request (RFC 9126 §2): the parameters a
// client posted, kept under the digest of the request_uri's random part until used
// once or expired.
type PushedRequest struct {
	Digest   []byte              `json:"-"`
	ClientID string              `json:"client_id"`
	Params   map[string][]string `json:"params"`
	// Signed says the parameters came from a verified request object (RFC 9101 with
	// RFC 9126 §3), which a client with require_signed_request_object needs.
	Signed    bool      `json:"signed,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Consent records that a customer allowed a client the scopes in Scope (OIDC Core
// §3.1.2.4): a later request for no more than these skips the consent page.
type Consent struct {
	InstitutionID string    `json:"institution_id"`
	CustomerID    string    `json:"customer_id"`
	ClientID      string    `json:"client_id"`
	Scope         []string  `json:"scope"`
	GrantedAt     time.Time `json:"granted_at"`
	// AuthorizationDetails are the RFC 9396 details the customer approved last (a
	// JSON array), kept as the record of that approval; nil when none. They never let
	// a later request skip the consent page: each set of details is asked for anew.
	AuthorizationDetails json.RawMessage `json:"authorization_details,omitempty"`
}

// Branding is how an institution's sign-in pages look: its display name (default the
// institution's name), a logo URL and an accent colour (#rrggbb).
type Branding struct {
	InstitutionID string    `json:"institution_id"`
	DisplayName   string    `json:"display_name,omitempty"`
	LogoURL       string    `json:"logo_url,omitempty"`
	AccentColor   string    `json:"accent_color,omitempty"`
	UpdatedAt     time.Time `json:"updated_at"`
}
