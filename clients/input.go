package clients

import "github.com/jeton/jeton"

// The inputs below are the admin API's request bodies: the service takes them as they
// arrive, so that the admin API, its Go client and the console cannot drift apart.
// Durations are integer seconds (an admin typing JSON by hand should not have to count
// nanoseconds).

// Input registers a client (the admin API's registration body). Empty fields take the documented defaults:
// auth_method client_secret_basic, grants [client_credentials], token_format jwt,
// access_token_ttl 3600, refresh_token_ttl 30 days, signing_alg ES256. The TTLs are
// pointers so that an explicit 0 is rejected rather than silently defaulted.
type Input struct {
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
	// RequirePushedAuthorizationRequests is RequirePAR under its RFC 9126 §6 client
	// metadata name; either sets it.
	RequirePushedAuthorizationRequests bool `json:"require_pushed_authorization_requests,omitempty"`
	// RequireSignedRequestObject refuses authorization requests that are not a signed
	// request object (RFC 9101 §10.5).
	RequireSignedRequestObject bool `json:"require_signed_request_object,omitempty"`
	// AuthorizationDetailsTypes are the RFC 9396 types the client may request (§10).
	AuthorizationDetailsTypes []string `json:"authorization_details_types,omitempty"`
	// Profile is "fapi2" (the FAPI 2.0 Security Profile, docs/fapi2.md) or empty (the
	// institution's default_profile).
	Profile string `json:"profile,omitempty"`
	// SenderConstraints: dpop_bound_access_tokens (RFC 9449 §5.2),
	// tls_client_auth_subject_dn / tls_client_auth_san_dns (RFC 8705 §2.1.2) and
	// tls_client_certificate_bound_access_tokens (RFC 8705 §3.4).
	jeton.SenderConstraints
}

// Update changes a client (the admin API's update body). Nil fields are left as they are; a non-nil empty list
// clears that list. The result is validated as a whole, like a new registration.
type Update struct {
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
	// RequirePushedAuthorizationRequests is RequirePAR under its RFC 9126 §6 name;
	// giving both with different values is an error.
	RequirePushedAuthorizationRequests *bool `json:"require_pushed_authorization_requests,omitempty"`
	RequireSignedRequestObject         *bool `json:"require_signed_request_object,omitempty"`
	// Profile set to "" makes the client follow its institution's default_profile.
	Profile                   *string   `json:"profile,omitempty"`
	AuthorizationDetailsTypes *[]string `json:"authorization_details_types,omitempty"`
	// The sender constraints (RFC 9449 §5.2, RFC 8705 §2.1.2, §3.4); "" clears a DN or SAN.
	DPoPBoundAccessTokens                 *bool   `json:"dpop_bound_access_tokens,omitempty"`
	TLSClientAuthSubjectDN                *string `json:"tls_client_auth_subject_dn,omitempty"`
	TLSClientAuthSANDNS                   *string `json:"tls_client_auth_san_dns,omitempty"`
	TLSClientCertificateBoundAccessTokens *bool   `json:"tls_client_certificate_bound_access_tokens,omitempty"`
	// AddInstitutions and RemoveInstitutions edit the institutions the client acts for
	// without restating the list (applied after Institutions).
	AddInstitutions    []string `json:"add_institutions,omitempty"`
	RemoveInstitutions []string `json:"remove_institutions,omitempty"`
}
