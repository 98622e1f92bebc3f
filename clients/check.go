package clients

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/rar"
)

// Client defaults and bounds.
const (
	defaultAccessTTL  = time.Hour
	defaultRefreshTTL = 30 * 24 * time.Hour
	minTTL            = time.Minute
	maxAccessTTL      = 24 * time.Hour
	maxRefreshTTL     = 365 * 24 * time.Hour
	maxGrace          = 30 * 24 * time.Hour
	// DefaultSigningAlg signs a new client's access tokens unless it names another.
	DefaultSigningAlg = "ES256"
)

// SigningAlgs are the JWS algorithms jeton signs access tokens with (RFC 7518 §3.1,
// RFC 8037 §3.1): exactly those the key manager keeps a key for from the first start,
// so no accepted alg can leave a client without a signing key.
var SigningAlgs = keys.DefaultAlgs()

// Values of refresh_rotation.
const (
	RotationOn  = "on"
	RotationOff = "off"
)

// parseRotation maps refresh_rotation to jeton.Client.RefreshRotationOff.
func parseRotation(v string) (off bool, err error) {
	switch v {
	case RotationOn:
		return false, nil
	case RotationOff:
		return true, nil
	}
	return false, fieldError("refresh_rotation", "must be on or off, got %q", v)
}

// usesSecret reports whether m authenticates with a client secret, i.e. whether the
// client needs one issued.
func usesSecret(m jeton.AuthMethod) bool {
	return m == jeton.AuthSecretBasic || m == jeton.AuthSecretPost || m == jeton.AuthSecretJWT
}

// seconds converts an API duration, checking the range before multiplying so that a
// huge number cannot overflow into an accepted value.
func seconds(field string, v int64, lo, hi time.Duration) (time.Duration, error) {
	if v < int64(lo/time.Second) || v > int64(hi/time.Second) {
		return 0, fieldError(field, "must be %d..%d seconds, got %d", int64(lo/time.Second), int64(hi/time.Second), v)
	}
	return time.Duration(v) * time.Second, nil
}

// Rules relax Check for a caller whose wire contract needs it; the zero value is the
// admin API's rules.
type Rules struct {
	// RefreshWithClientCredentials lets refresh_token accompany client_credentials
	// alone: for a dialect that issues a refresh token with client_credentials, which
	// RFC 6749 §4.4.3 discourages but a vendor's contract may require.
	RefreshWithClientCredentials bool
}

// Check validates a client as a whole, after defaults (creation) or a merge (update),
// so that every path enforces the same rules, including those across fields. It also
// adds the owner to c.Institutions. Every caller that creates or changes a client runs
// it: the admin API through Create and Update, a vendor's management endpoints
// directly before their own atomic store call.
func (s *Service) Check(ctx context.Context, c *jeton.Client, r Rules) error {
	if err := CheckText("name", c.Name, MaxNameLen); err != nil {
		return err
	}
	if !c.AuthMethod.Valid() {
		return fieldError("auth_method", "unknown auth method %q; use client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt, tls_client_auth, self_signed_tls_client_auth or none", c.AuthMethod)
	}
	if err := checkMTLS(c); err != nil {
		return err
	}
	if err := s.checkProfile(ctx, c); err != nil {
		return err
	}
	if err := checkGrants(c.Grants, r); err != nil {
		return err
	}
	if err := checkScopes("scopes", c.Scopes); err != nil {
		return err
	}
	if err := checkScopes("default_scopes", c.DefaultScopes); err != nil {
		return err
	}
	for i, sc := range c.DefaultScopes {
		if !slices.Contains(c.Scopes, sc) {
			return fieldError(fmt.Sprintf("default_scopes[%d]", i), "default scope %q is not among the client's scopes", sc)
		}
	}
	if err := checkRedirectURIs("redirect_uris", c.RedirectURIs); err != nil {
		return err
	}
	if c.AllowsGrant(jeton.GrantAuthorizationCode) && len(c.RedirectURIs) == 0 {
		// RFC 6749 §3.1.2.2 and OIDC Core §3.1.2.1: redirect URIs must be registered.
		return fieldError("redirect_uris", "the authorization_code grant needs at least one redirect URI")
	}
	if c.TokenFormat != jeton.FormatJWT && c.TokenFormat != jeton.FormatOpaque {
		return fieldError("token_format", "unknown token format %q; use jwt or opaque", c.TokenFormat)
	}
	if !slices.Contains(SigningAlgs, c.SigningAlg) {
		return fieldError("signing_alg", "unsupported signing algorithm %q; use ES256, RS256, PS256 or EdDSA", c.SigningAlg)
	}
	if err := checkPublicKeys("public_keys", c.PublicKeys); err != nil {
		return err
	}
	if c.JWKSURI != "" {
		if err := checkJWKSURI("jwks_uri", c.JWKSURI, s.cfg.JWKSAllowHosts); err != nil {
			return err
		}
		if len(c.PublicKeys) > 0 {
			// RFC 7591 §2: jwks_uri and jwks "MUST NOT both be present".
			return fieldError("jwks_uri", "give either public_keys or jwks_uri, not both")
		}
	}
	if c.AuthMethod == jeton.AuthPrivateKey && len(c.PublicKeys) == 0 && c.JWKSURI == "" {
		return fieldError("public_keys", "private_key_jwt needs at least one public key or a jwks_uri")
	}
	if c.AuthMethod == jeton.AuthNone {
		// A public client cannot keep a credential, so it may only use the
		// authorization code flow (with PKCE) and refresh; RFC 6749 §4.4 limits
		// client_credentials to confidential clients.
		for i, g := range c.Grants {
			if g != jeton.GrantAuthorizationCode && g != jeton.GrantRefreshToken {
				return fieldError(fmt.Sprintf("grants[%d]", i), "auth_method none allows only authorization_code and refresh_token")
			}
		}
		if !c.AllowsGrant(jeton.GrantAuthorizationCode) {
			return fieldError("auth_method", "auth_method none is only allowed with the authorization_code grant")
		}
	}
	if err := s.checkDetailTypes(c.AuthorizationDetailsTypes); err != nil {
		return err
	}
	return s.checkInstitutions(ctx, c)
}

// maxDetailTypes bounds a client's authorization_details types.
const maxDetailTypes = 32

// checkDetailTypes checks the RFC 9396 §10 authorization_details_types: names jeton
// can keep, no duplicates, each with a schema on this server (else no request could
// ever use it, and a typo would go unnoticed).
func (s *Service) checkDetailTypes(types []string) error {
	if len(types) > maxDetailTypes {
		return fieldError("authorization_details_types", "at most %d types", maxDetailTypes)
	}
	for i, t := range types {
		f := fmt.Sprintf("authorization_details_types[%d]", i)
		switch {
		case !rar.ValidTypeName(t):
			return fieldError(f, "a type is 1 to 64 letters, digits, _ . : - (starting with a letter or digit)")
		case slices.Contains(types[:i], t):
			return fieldError(f, "duplicate type %q", t)
		case s.cfg.DetailTypes != nil && !s.cfg.DetailTypes(t):
			return fieldError(f, "type %q has no schema on this server (serve --authorization-details-schemas)", t)
		}
	}
	return nil
}

// issuesRefresh reports whether grant g issues refresh tokens under r.
func (r Rules) issuesRefresh(g string) bool {
	return g == jeton.GrantPassword || g == jeton.GrantAuthorizationCode ||
		(r.RefreshWithClientCredentials && g == jeton.GrantClientCredentials)
}

func checkGrants(grants []string, r Rules) error {
	if len(grants) == 0 {
		return fieldError("grants", "at least one grant type is required")
	}
	for i, g := range grants {
		f := fmt.Sprintf("grants[%d]", i)
		if !jeton.KnownGrant(g) {
			return fieldError(f, "unknown grant type %q", g)
		}
		if slices.Index(grants, g) != i {
			return fieldError(f, "duplicate grant type %q", g)
		}
	}
	if slices.Contains(grants, jeton.GrantRefreshToken) && !slices.ContainsFunc(grants, r.issuesRefresh) {
		// Only these grants issue refresh tokens (RFC 6749 §4.4.3: client_credentials
		// should not, unless r allows it), so refresh_token alone could never be used.
		return fieldError("grants", "refresh_token needs password or authorization_code")
	}
	return nil
}

// checkInstitutions requires every institution the client acts for to exist, and puts
// the owner first when it is missing (a client always acts for its owner).
func (s *Service) checkInstitutions(ctx context.Context, c *jeton.Client) error {
	if len(c.Institutions) > maxInstitutions {
		return fieldError("institutions", "at most %d institutions", maxInstitutions)
	}
	for i, id := range c.Institutions {
		f := fmt.Sprintf("institutions[%d]", i)
		if slices.Index(c.Institutions, id) != i {
			return fieldError(f, "duplicate institution %q", id)
		}
		if id == c.InstitutionID {
			continue // checked by the caller
		}
		if err := s.InstitutionExists(ctx, f, id); err != nil {
			return err
		}
	}
	if !slices.Contains(c.Institutions, c.InstitutionID) {
		c.Institutions = append([]string{c.InstitutionID}, c.Institutions...)
	}
	return nil
}

// InstitutionExists is a FieldError naming field when id is not an institution: the
// id came in a body, so the request is wrong, not the URL.
func (s *Service) InstitutionExists(ctx context.Context, field, id string) error {
	if id == "" {
		return fieldError(field, "required")
	}
	if _, err := s.cfg.Store.GetInstitution(ctx, id); err != nil {
		if errors.Is(err, jeton.ErrNotFound) {
			return fieldError(field, "no institution %q", id)
		}
		return err
	}
	return nil
}
