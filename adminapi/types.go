package adminapi

import (
	"time"

	"github.com/jeton/jeton"
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
}

// ClientInput registers a client. Empty fields take the documented defaults:
// auth_method client_secret_basic, grants [client_credentials], token_format jwt,
// access_token_ttl 3600, refresh_token_ttl 30 days, signing_alg ES256. The TTLs are
// pointers so that an explicit 0 is rejected rather than silently defaulted.
type ClientInput struct {
	InstitutionID string           `json:"institution_id"`
	Name          string           `json:"name"`
	AuthMethod    jeton.AuthMethod `json:"auth_method,omitempty"`
	Grants        []string         `json:"grants,omitempty"`
	Scopes        []string         `json:"scopes,omitempty"`
	// DefaultScopes apply when a token request names no scope; omitted (nil) means
	// every scope in Scopes, an empty list means none.
	DefaultScopes   []string          `json:"default_scopes"`
	RedirectURIs    []string          `json:"redirect_uris,omitempty"`
	TokenFormat     jeton.TokenFormat `json:"token_format,omitempty"`
	AccessTokenTTL  *int64            `json:"access_token_ttl,omitempty"`
	RefreshTokenTTL *int64            `json:"refresh_token_ttl,omitempty"`
	SigningAlg      string            `json:"signing_alg,omitempty"`
	PublicKeys      []jeton.ClientKey `json:"public_keys,omitempty"`
	// JWKSURI is where a private_key_jwt client publishes its JWK Set (RFC 7591 §2),
	// instead of PublicKeys.
	JWKSURI string `json:"jwks_uri,omitempty"`
	// RefreshRotation is "on" (the default: every refresh issues a new refresh token,
	// RFC 9700 §4.14.2) or "off" (the refresh token stays the same).
	RefreshRotation string `json:"refresh_rotation,omitempty"`
	// Institutions are extra institutions the client may act for; the owner is always
	// added.
	Institutions []string `json:"institutions,omitempty"`
	// MaxActiveTokens caps the client's unexpired, unrevoked access tokens (0, the
	// default: no cap); a request beyond it is refused.
	MaxActiveTokens int `json:"max_active_tokens,omitempty"`
	// FirstParty skips the consent page (the institution's own apps).
	FirstParty bool `json:"first_party,omitempty"`
	// RequirePAR refuses authorization requests not pushed first (RFC 9126 §5).
	RequirePAR bool `json:"require_par,omitempty"`
}

// ClientUpdate changes a client. Nil fields are left as they are; a non-nil empty list
// clears that list. The result is validated as a whole, like a new registration.
type ClientUpdate struct {
	Name            *string             `json:"name,omitempty"`
	Status          *jeton.ClientStatus `json:"status,omitempty"` // active or disabled
	AuthMethod      *jeton.AuthMethod   `json:"auth_method,omitempty"`
	Grants          *[]string           `json:"grants,omitempty"`
	Scopes          *[]string           `json:"scopes,omitempty"`
	DefaultScopes   *[]string           `json:"default_scopes,omitempty"`
	RedirectURIs    *[]string           `json:"redirect_uris,omitempty"`
	TokenFormat     *jeton.TokenFormat  `json:"token_format,omitempty"`
	AccessTokenTTL  *int64              `json:"access_token_ttl,omitempty"`
	RefreshTokenTTL *int64              `json:"refresh_token_ttl,omitempty"`
	SigningAlg      *string             `json:"signing_alg,omitempty"`
	PublicKeys      *[]jeton.ClientKey  `json:"public_keys,omitempty"`
	// JWKSURI set to "" removes it.
	JWKSURI         *string   `json:"jwks_uri,omitempty"`
	RefreshRotation *string   `json:"refresh_rotation,omitempty"`
	Institutions    *[]string `json:"institutions,omitempty"`
	// MaxActiveTokens caps the client's live access tokens; 0 removes the cap.
	MaxActiveTokens *int  `json:"max_active_tokens,omitempty"`
	FirstParty      *bool `json:"first_party,omitempty"`
	RequirePAR      *bool `json:"require_par,omitempty"`
	// AddInstitutions and RemoveInstitutions edit the institutions the client acts for
	// without restating the list (applied after Institutions).
	AddInstitutions    []string `json:"add_institutions,omitempty"`
	RemoveInstitutions []string `json:"remove_institutions,omitempty"`
}

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
	Limit         int // 1..1000, default 100
}

// ErrorBody is every error answer's body.
type ErrorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func viewOf(c jeton.Client, now time.Time) ClientView {
	v := ClientView{
		ClientID:        c.ID,
		InstitutionID:   c.InstitutionID,
		Name:            c.Name,
		Status:          c.Status,
		AuthMethod:      c.AuthMethod,
		Grants:          nonNil(c.Grants),
		Scopes:          nonNil(c.Scopes),
		DefaultScopes:   nonNil(c.DefaultScopes),
		RedirectURIs:    nonNil(c.RedirectURIs),
		TokenFormat:     c.TokenFormat,
		AccessTokenTTL:  int64(c.AccessTokenTTL / time.Second),
		RefreshTokenTTL: int64(c.RefreshTokenTTL / time.Second),
		SigningAlg:      c.SigningAlg,
		PublicKeys:      nonNil(c.PublicKeys),
		JWKSURI:         c.JWKSURI,
		RefreshRotation: rotationOn,
		Institutions:    nonNil(c.Institutions),
		MaxActiveTokens: c.MaxActiveTokens,
		FirstParty:      c.FirstParty,
		RequirePAR:      c.RequirePAR,
		CreatedAt:       c.CreatedAt,
		UpdatedAt:       c.UpdatedAt,
	}
	if c.RefreshRotationOff {
		v.RefreshRotation = rotationOff
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
