package jeton

import (
	"encoding/json"
	"slices"
	"time"
)

// Institution is a tenant: a bank, credit union or fintech. Every other row belongs to
// exactly one institution.
type Institution struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// DefaultProfile is the client profile ("" or "fapi2") of the institution's
	// clients whose own Profile is "" (docs/fapi2.md).
	DefaultProfile string    `json:"default_profile,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// ClientStatus is a client's lifecycle state. Only active clients authenticate.
type ClientStatus string

// Client statuses. Deleted is a soft delete: the row stays so that audit trails and
// token introspection can still name the client.
const (
	ClientActive   ClientStatus = "active"
	ClientDisabled ClientStatus = "disabled"
	ClientDeleted  ClientStatus = "deleted"
)

// AuthMethod is a token-endpoint client authentication method, as registered in the
// IANA "OAuth Token Endpoint Authentication Methods" registry (RFC 7591 §2, OIDC Core §9).
type AuthMethod string

// Client authentication methods.
const (
	AuthSecretBasic AuthMethod = "client_secret_basic"
	AuthSecretPost  AuthMethod = "client_secret_post"
	AuthSecretJWT   AuthMethod = "client_secret_jwt"
	AuthPrivateKey  AuthMethod = "private_key_jwt"
	AuthNone        AuthMethod = "none"
	// AuthTLSClient is RFC 8705 §2.1: a certificate chaining to a trusted CA whose
	// subject DN or SAN the client registered.
	AuthTLSClient AuthMethod = "tls_client_auth"
	// AuthSelfSignedTLS is RFC 8705 §2.2: a certificate the client registered itself.
	AuthSelfSignedTLS AuthMethod = "self_signed_tls_client_auth"
)

// Valid reports whether m is a known method.
func (m AuthMethod) Valid() bool {
	switch m {
	case AuthSecretBasic, AuthSecretPost, AuthSecretJWT, AuthPrivateKey, AuthNone, AuthTLSClient, AuthSelfSignedTLS:
		return true
	}
	return false
}

// MutualTLS reports whether m authenticates the client by its TLS certificate
// (RFC 8705 §2).
func (m AuthMethod) MutualTLS() bool { return m == AuthTLSClient || m == AuthSelfSignedTLS }

// Grant types (RFC 6749 §4, §6).
const (
	GrantClientCredentials = "client_credentials"
	GrantPassword          = "password"
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
)

// grants is the one list of the grant types jeton implements (a handler each in
// token/). The admin API accepts exactly these in a registration and the metrics label
// exactly these, so a new grant is added here and nowhere else; grants_test.go fails
// when a Grant constant or a token handler is missing from it.
var grants = [...]string{GrantClientCredentials, GrantPassword, GrantAuthorizationCode, GrantRefreshToken}

// Grants returns the grant types jeton implements, in a fresh slice.
func Grants() []string { return slices.Clone(grants[:]) }

// KnownGrant reports whether g is one of Grants.
func KnownGrant(g string) bool { return slices.Contains(grants[:], g) }

// TokenFormat is the access-token format a client receives.
type TokenFormat string

// Access-token formats: RFC 9068 JWTs (the default) or opaque handles that only
// introspection (RFC 7662) can read.
const (
	FormatJWT    TokenFormat = "jwt"
	FormatOpaque TokenFormat = "opaque"
)

// KeyFormat says how a client's public key was registered.
type KeyFormat string

// Client public-key formats.
const (
	KeyPEM  KeyFormat = "pem"  // PKIX "PUBLIC KEY" PEM block
	KeyX509 KeyFormat = "x509" // PEM "CERTIFICATE"
	KeyJWKS KeyFormat = "jwks" // RFC 7517 JWK Set, JSON
)

// ClientKey is one registered public key of a client (for private_key_jwt).
type ClientKey struct {
	Format KeyFormat `json:"format"`
	Data   string    `json:"data"`
}

// Client is an OAuth client (RFC 6749 §2) registered by an institution.
type Client struct {
	ID            string       `json:"client_id"`
	InstitutionID string       `json:"institution_id"`
	Name          string       `json:"name"`
	Status        ClientStatus `json:"status"`
	AuthMethod    AuthMethod   `json:"auth_method"`
	// SecretDigest is SHA-256 of the server-generated 256-bit secret (DESIGN rule 5).
	SecretDigest []byte `json:"-"`
	// PreviousSecretDigest keeps working until PreviousSecretExpiresAt after a rotation.
	PreviousSecretDigest    []byte    `json:"-"`
	PreviousSecretExpiresAt time.Time `json:"-"`
	// SecretSealed and PreviousSecretSealed hold the secret itself, AES-256-GCM sealed
	// under the KEK, for client_secret_jwt only: HS256 (RFC 7518 §3.2) needs the key to
	// verify, so a digest is not enough. Empty for every other method.
	SecretSealed         []byte      `json:"-"`
	PreviousSecretSealed []byte      `json:"-"`
	PublicKeys           []ClientKey `json:"public_keys,omitempty"`
	// JWKSURI is where the client publishes its key set (RFC 7591 §2 jwks_uri), for
	// private_key_jwt as an alternative to PublicKeys.
	JWKSURI string `json:"jwks_uri,omitempty"`
	// RefreshRotationOff keeps a refresh token valid across uses; by default (false)
	// every refresh rotates it (RFC 9700 §4.14.2).
	RefreshRotationOff bool `json:"refresh_rotation_off,omitempty"`
	// MaxActiveTokens caps the client's unexpired, unrevoked access tokens; 0 (the
	// default) means no cap and no write per token.
	MaxActiveTokens int `json:"max_active_tokens,omitempty"`
	// FirstParty skips the consent page (the bank's own apps, OIDC Core §3.1.2.4).
	FirstParty bool `json:"first_party,omitempty"`
	// RequirePAR refuses authorization requests not pushed first (RFC 9126 §5).
	RequirePAR bool `json:"require_par,omitempty"`
	// RequireSignedRequestObject refuses authorization requests that do not come as a
	// signed request object (RFC 9101 §10.5 require_signed_request_object).
	RequireSignedRequestObject bool `json:"require_signed_request_object,omitempty"`
	// AuthorizationDetailsTypes are the RFC 9396 §2 authorization_details types the
	// client may request (RFC 9396 §10 client metadata); none means it may request none.
	AuthorizationDetailsTypes []string `json:"authorization_details_types,omitempty"`
	// SenderConstraints are the client's RFC 9449 / RFC 8705 registration.
	SenderConstraints
	// Profile is the security profile the client is held to: "" (its institution's
	// DefaultProfile) or "fapi2" (the FAPI 2.0 Security Profile, package fapi2).
	Profile string `json:"profile,omitempty"`
	// InstitutionProfile is the DefaultProfile of the client's institution, read with
	// the client by the stores (never written through the client).
	InstitutionProfile string `json:"-"`
	// Institutions this client may act for; always includes InstitutionID.
	Institutions    []string      `json:"institutions"`
	Grants          []string      `json:"grants"`
	Scopes          []string      `json:"scopes"`
	DefaultScopes   []string      `json:"default_scopes"`
	RedirectURIs    []string      `json:"redirect_uris,omitempty"`
	TokenFormat     TokenFormat   `json:"token_format"`
	AccessTokenTTL  time.Duration `json:"access_token_ttl"`
	RefreshTokenTTL time.Duration `json:"refresh_token_ttl"`
	SigningAlg      string        `json:"signing_alg"`
	CreatedAt       time.Time     `json:"created_at"`
	UpdatedAt       time.Time     `json:"updated_at"`
}

// EffectiveProfile is the profile the client is held to: its own, else its
// institution's default.
func (c *Client) EffectiveProfile() string {
	if c.Profile != "" {
		return c.Profile
	}
	return c.InstitutionProfile
}

// AllowsGrant reports whether the client is registered for grant type g.
func (c *Client) AllowsGrant(g string) bool { return slices.Contains(c.Grants, g) }

// ActsFor reports whether the client may obtain tokens for institution id.
func (c *Client) ActsFor(id string) bool {
	return id == c.InstitutionID || slices.Contains(c.Institutions, id)
}

// CustomerStatus is a customer's lifecycle state.
type CustomerStatus string

// Customer statuses.
const (
	CustomerActive   CustomerStatus = "active"
	CustomerDisabled CustomerStatus = "disabled"
)

// Customer is an institution's end user (a digital-banking login).
type Customer struct {
	ID            string `json:"id"`
	InstitutionID string `json:"institution_id"`
	Username      string `json:"username"`
	// PasswordHash is an argon2id PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash).
	PasswordHash string         `json:"-"`
	Claims       map[string]any `json:"claims,omitempty"`
	Status       CustomerStatus `json:"status"`
	// FailedAttempts is how many wrong passwords were verified in the current run.
	FailedAttempts int `json:"failed_attempts"`
	// AttemptsInFlight is how many sign-in attempts of the current run hold a
	// reservation and have not been settled yet (CustomerStore.ReserveLoginAttempt).
	AttemptsInFlight int `json:"-"`
	// FailureWindowStart is when the current run of sign-in attempts began (its first
	// reservation); zero when no run is open. It also names the run: a reservation
	// is settled only in the run it was made in.
	FailureWindowStart time.Time `json:"-"`
	// LockedUntil is set by the lockout policy; zero when not locked.
	LockedUntil time.Time `json:"locked_until,omitzero"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// LockoutPolicy is when repeated failed sign-ins lock a customer: MaxFailures failures
// within Window lock the customer for Cooldown.
type LockoutPolicy struct {
	MaxFailures int
	Window      time.Duration
	Cooldown    time.Duration
}

// Locked reports whether the customer is locked at now.
func (c *Customer) Locked(now time.Time) bool { return now.Before(c.LockedUntil) }

// SigningKey is one of jeton's own token-signing keys. The private part is stored only
// encrypted (AES-256-GCM under the key-encryption key, DESIGN rule 5).
type SigningKey struct {
	ID  string `json:"kid"`
	Alg string `json:"alg"` // JWS alg: ES256, RS256, PS256, EdDSA
	// PublicDER is the PKIX DER encoding of the public key.
	PublicDER []byte `json:"-"`
	// PrivateSealed is the AES-256-GCM sealed PKCS #8 DER of the private key.
	PrivateSealed []byte    `json:"-"`
	CreatedAt     time.Time `json:"created_at"`
	// ActiveAt is when the key starts signing; it is published from CreatedAt on.
	ActiveAt time.Time `json:"active_at"`
	// RetiredAt is when a successor took over signing; zero while the key is current.
	RetiredAt time.Time `json:"retired_at,omitzero"`
	// UnpublishAt is when every token the key signed has expired; zero while current.
	UnpublishAt time.Time `json:"unpublish_at,omitzero"`
}

// RefreshFamily is one grant's chain of refresh tokens (RFC 9700 §4.14): revoking the
// family revokes every token in it and the access tokens issued from it.
type RefreshFamily struct {
	ID            string    `json:"id"`
	ClientID      string    `json:"client_id"`
	InstitutionID string    `json:"institution_id"`
	Subject       string    `json:"subject"` // customer id
	Scope         []string  `json:"scope"`
	AuthTime      time.Time `json:"auth_time"`
	CreatedAt     time.Time `json:"created_at"`
	ExpiresAt     time.Time `json:"expires_at"` // absolute lifetime
	RevokedAt     time.Time `json:"revoked_at,omitzero"`
	// AuthorizationDetails is what the grant authorized (RFC 9396 §2, a JSON array);
	// a refresh may ask for a subset, never more (RFC 9396 §7.1). Nil when none.
	AuthorizationDetails json.RawMessage `json:"authorization_details,omitempty"`
	// DPoPJKT binds the family's refresh tokens to a DPoP key (RFC 9449 §5: a public
	// client's refresh tokens); "" when unbound.
	DPoPJKT string `json:"dpop_jkt,omitempty"`
}

// RefreshToken is one token of a family, stored only as a digest.
type RefreshToken struct {
	Digest    []byte    `json:"-"`
	FamilyID  string    `json:"family_id"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"` // idle lifetime
	// UsedAt is when the token was rotated; zero while unused.
	UsedAt time.Time `json:"used_at,omitzero"`
	// SuccessorDigest is the digest of the token issued when this one was used.
	SuccessorDigest []byte `json:"-"`
}

// RevocationKind says what a revocation names.
type RevocationKind string

// Revocation kinds: a single access token by jti, or a whole refresh family.
const (
	RevokeJTI    RevocationKind = "jti"
	RevokeFamily RevocationKind = "family"
)

// Revocation marks a token (or family) revoked until ExpiresAt, after which the token
// would be rejected anyway and the row may be deleted.
type Revocation struct {
	Kind          RevocationKind `json:"kind"`
	ID            string         `json:"id"`
	InstitutionID string         `json:"institution_id"`
	RevokedAt     time.Time      `json:"revoked_at"`
	ExpiresAt     time.Time      `json:"expires_at"`
}

// AuditEvent records a security-relevant action. Details never hold secrets.
type AuditEvent struct {
	ID            string            `json:"id"`
	At            time.Time         `json:"at"`
	InstitutionID string            `json:"institution_id,omitempty"`
	Actor         string            `json:"actor"`  // "admin", a client id, a customer id
	Action        string            `json:"action"` // e.g. "client.create", "key.rotate"
	Subject       string            `json:"subject,omitempty"`
	Details       map[string]string `json:"details,omitempty"`
}

// AccessToken is an opaque access token's record (RFC 7662 §2.2 fields), kept only
// under the token's digest; a JWT access token has no row.
type AccessToken struct {
	Digest        []byte    `json:"-"`
	JTI           string    `json:"jti"`
	ClientID      string    `json:"client_id"`
	InstitutionID string    `json:"institution_id"`
	Subject       string    `json:"sub"`
	Scope         []string  `json:"scope"`
	Audience      []string  `json:"aud"`
	FamilyID      string    `json:"family_id,omitempty"`
	IssuedAt      time.Time `json:"iat"`
	ExpiresAt     time.Time `json:"exp"`
	// AuthorizationDetails the token carries (RFC 9396 §9.2); nil when none.
	AuthorizationDetails json.RawMessage `json:"authorization_details,omitempty"`
	// Confirmation binds the token to a DPoP key or a client certificate.
	Confirmation Confirmation `json:"cnf,omitzero"`
}
