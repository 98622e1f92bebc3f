package adminapi

import (
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clients"
)

// The request and response bodies below are shared by the server and the Go client, so
// that the two cannot drift apart. Durations are integer seconds on the wire (an admin
// typing JSON by hand should not have to count nanoseconds).

// List is the envelope of every list answer. An object rather than a bare array leaves
// room for pagination without breaking clients.
type List[T any] struct {
	Items []T `json:"items"`
}

// InstitutionInput creates or renames an institution.
type InstitutionInput struct {
	Name string `json:"name"`
	// DefaultProfile is the profile ("" or "fapi2") of the institution's clients that
	// name none (docs/fapi2.md); omitted on update, it is left as it is.
	DefaultProfile *string `json:"default_profile,omitempty"`
}

// ClientInput registers a client (the clients service's input, shared with the Go
// client).
type ClientInput = clients.Input

// ClientUpdate changes a client.
type ClientUpdate = clients.Update

// Ptr returns a pointer to v, for filling ClientInput and ClientUpdate.
func Ptr[T any](v T) *T { return &v }

// ClientView is a client as the admin API shows it: no secret digests, TTLs in seconds.
type ClientView struct {
	ClientID        string             `json:"client_id"`
	InstitutionID   string             `json:"institution_id"`
	Name            string             `json:"name"`
	Status          jeton.ClientStatus `json:"status"`
	AuthMethod      jeton.AuthMethod   `json:"auth_method"`
	Grants          []string           `json:"grants"`
	Scopes          []string           `json:"scopes"`
	DefaultScopes   []string           `json:"default_scopes"`
	RedirectURIs    []string           `json:"redirect_uris"`
	TokenFormat     jeton.TokenFormat  `json:"token_format"`
	AccessTokenTTL  int64              `json:"access_token_ttl"`
	RefreshTokenTTL int64              `json:"refresh_token_ttl"`
	SigningAlg      string             `json:"signing_alg"`
	PublicKeys      []jeton.ClientKey  `json:"public_keys"`
	JWKSURI         string             `json:"jwks_uri,omitempty"`
	RefreshRotation string             `json:"refresh_rotation"` // "on" or "off"
	Institutions    []string           `json:"institutions"`
	MaxActiveTokens int                `json:"max_active_tokens"` // 0: no cap
	FirstParty      bool               `json:"first_party"`
	RequirePAR      bool               `json:"require_par"`
	// RequirePushedAuthorizationRequests is RequirePAR under its RFC 9126 §6 name.
	RequirePushedAuthorizationRequests bool     `json:"require_pushed_authorization_requests"`
	RequireSignedRequestObject         bool     `json:"require_signed_request_object"` // RFC 9101 §10.5
	AuthorizationDetailsTypes          []string `json:"authorization_details_types"`   // RFC 9396 §10
	// Profile is the client's own profile ("" or "fapi2"); EffectiveProfile is what it
	// is held to: its own, else its institution's default_profile (docs/fapi2.md).
	Profile          string `json:"profile"`
	EffectiveProfile string `json:"effective_profile"`
	// The sender constraints (RFC 9449 §5.2, RFC 8705 §2.1.2, §3.4).
	DPoPBoundAccessTokens                 bool   `json:"dpop_bound_access_tokens"`
	TLSClientAuthSubjectDN                string `json:"tls_client_auth_subject_dn,omitempty"`
	TLSClientAuthSANDNS                   string `json:"tls_client_auth_san_dns,omitempty"`
	TLSClientCertificateBoundAccessTokens bool   `json:"tls_client_certificate_bound_access_tokens"`
	// PreviousSecretExpiresAt is when the secret replaced by the last rotation stops
	// working; absent when no previous secret is valid.
	PreviousSecretExpiresAt *time.Time `json:"previous_secret_expires_at,omitempty"`
	CreatedAt               time.Time  `json:"created_at"`
	UpdatedAt               time.Time  `json:"updated_at"`
}

// CreatedClient is the answer to a registration, an update or a secret rotation.
// ClientSecret is present only when a new secret was just generated: the server keeps
// only its digest, so this is the one time anyone sees it.
type CreatedClient struct {
	ClientView
	ClientSecret string `json:"client_secret,omitempty"`
}

// RotateSecretInput asks for a new client secret. GraceSeconds (0..30 days) keeps the
// old secret valid that long so deployments can switch over; 0 revokes it at once.
type RotateSecretInput struct {
	GraceSeconds int64 `json:"grace_seconds"`
}

// CustomerInput creates a customer (an institution's end user).
type CustomerInput struct {
	Username string         `json:"username"`
	Password string         `json:"password"`
	Claims   map[string]any `json:"claims,omitempty"`
}

// PasswordInput sets a customer's password.
type PasswordInput struct {
	Password string `json:"password"`
}

// RotateKeyInput asks for a new signing key of Alg (default ES256).
type RotateKeyInput struct {
	Alg string `json:"alg,omitempty"`
}

// AuditQuery selects audit events (GET /admin/v1/audit); zero fields select everything.
type AuditQuery struct {
	InstitutionID string
	Action        string
	Actor         string
	ClientID      string    // the event's subject or its details' client_id
	Since, Until  time.Time // Since <= at < Until
	Limit         int       // page size 1..1000, default 100
	Cursor        string    // a page's next_cursor: continue after it
}

// ErrorBody is every error answer's body.
type ErrorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func viewOf(c jeton.Client, now time.Time) ClientView {
	v := ClientView{
		ClientID:                              c.ID,
		InstitutionID:                         c.InstitutionID,
		Name:                                  c.Name,
		Status:                                c.Status,
		AuthMethod:                            c.AuthMethod,
		Grants:                                nonNil(c.Grants),
		Scopes:                                nonNil(c.Scopes),
		DefaultScopes:                         nonNil(c.DefaultScopes),
		RedirectURIs:                          nonNil(c.RedirectURIs),
		TokenFormat:                           c.TokenFormat,
		AccessTokenTTL:                        int64(c.AccessTokenTTL / time.Second),
		RefreshTokenTTL:                       int64(c.RefreshTokenTTL / time.Second),
		SigningAlg:                            c.SigningAlg,
		PublicKeys:                            nonNil(c.PublicKeys),
		JWKSURI:                               c.JWKSURI,
		RefreshRotation:                       clients.RotationOn,
		Institutions:                          nonNil(c.Institutions),
		MaxActiveTokens:                       c.MaxActiveTokens,
		FirstParty:                            c.FirstParty,
		RequirePAR:                            c.RequirePAR,
		RequirePushedAuthorizationRequests:    c.RequirePAR,
		RequireSignedRequestObject:            c.RequireSignedRequestObject,
		AuthorizationDetailsTypes:             nonNil(c.AuthorizationDetailsTypes),
		Profile:                               c.Profile,
		EffectiveProfile:                      c.EffectiveProfile(),
		CreatedAt:                             c.CreatedAt,
		UpdatedAt:                             c.UpdatedAt,
		DPoPBoundAccessTokens:                 c.DPoPBoundAccessTokens,
		TLSClientAuthSubjectDN:                c.TLSClientAuthSubjectDN,
		TLSClientAuthSANDNS:                   c.TLSClientAuthSANDNS,
		TLSClientCertificateBoundAccessTokens: c.TLSClientCertificateBoundAccessTokens,
	}
	if c.RefreshRotationOff {
		v.RefreshRotation = clients.RotationOff
	}
	if len(c.PreviousSecretDigest) > 0 && c.PreviousSecretExpiresAt.After(now) {
		t := c.PreviousSecretExpiresAt
		v.PreviousSecretExpiresAt = &t
	}
	return v
}

// nonNil makes empty lists encode as [] rather than null, so that clients in any
// language can iterate without a null check.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
