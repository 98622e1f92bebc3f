package clients

import (
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/jeton/jeton"
)

// changeable loads a client that may still be changed: a deleted client is kept only
// so that audit trails and introspection can name it, and must never come back.
func (s *Service) changeable(ctx context.Context, id string) (jeton.Client, error) {
	c, err := s.cfg.Store.GetClient(ctx, id)
	if err != nil {
		return c, err
	}
	if c.Status == jeton.ClientDeleted {
		return c, conflict("client %s is deleted and cannot be changed", c.ID)
	}
	return c, nil
}

// Update merges in into the client id and validates the result as a whole, like a new
// registration. A switch to a method that needs a secret the client lacks issues one.
func (s *Service) Update(ctx context.Context, actor, id string, in Update) (Changed, error) {
	c, err := s.changeable(ctx, id)
	if err != nil {
		return Changed{}, err
	}
	before := c
	was := c.Status
	changed, err := applyUpdate(&c, in)
	if err != nil {
		return Changed{}, err
	}
	if err := s.Check(ctx, &c, Rules{}); err != nil {
		return Changed{}, err
	}
	secret, err := s.fitSecret(&c)
	if err != nil {
		return Changed{}, err
	}
	c.UpdatedAt = s.now()
	details := map[string]string{"fields": strings.Join(changed, ",")}
	if in.Status != nil {
		details["status"] = string(c.Status)
	}
	if err := s.save(ctx, s.cfg.Store.UpdateClientAudited, actor, jeton.ActionClientUpdate, &before, c, details); err != nil {
		return Changed{}, err
	}
	if was != jeton.ClientDisabled && c.Status == jeton.ClientDisabled && s.cfg.Events != nil {
		s.cfg.Events.SecurityEvent(ctx, jeton.SecurityEvent{Kind: jeton.EventClientDisabled, At: c.UpdatedAt,
			InstitutionID: c.InstitutionID, ClientID: c.ID})
	}
	return Changed{Client: c, Secret: secret}, nil
}

// fitSecret makes c's stored secrets fit its (possibly new) auth method and returns a
// newly issued secret, if one was needed.
func (s *Service) fitSecret(c *jeton.Client) (string, error) {
	switch {
	case usesSecret(c.AuthMethod) && len(c.SecretDigest) == 0,
		c.AuthMethod == jeton.AuthSecretJWT && len(c.SecretSealed) == 0:
		// Switched to a secret method from one without a secret, or to
		// client_secret_jwt from a method that kept only a digest (which cannot key
		// HS256): issue a new secret now, or the client could never authenticate.
		clearSecrets(c)
		return s.newSecret(c)
	case !usesSecret(c.AuthMethod):
		// A secret the method no longer uses must not linger as a credential.
		clearSecrets(c)
	case c.AuthMethod != jeton.AuthSecretJWT:
		// Only client_secret_jwt keeps the secret decryptable (HS256 needs it); any
		// other method keeps the digest alone.
		c.SecretSealed, c.PreviousSecretSealed = nil, nil
	}
	return "", nil
}

// applyUpdate merges the non-nil fields of in into c and returns their names, sorted.
func applyUpdate(c *jeton.Client, in Update) ([]string, error) {
	var changed []string
	set := func(name string, present bool, apply func()) {
		if present {
			apply()
			changed = append(changed, name)
		}
	}
	set("name", in.Name != nil, func() { c.Name = *in.Name })
	set("auth_method", in.AuthMethod != nil, func() { c.AuthMethod = *in.AuthMethod })
	set("grants", in.Grants != nil, func() { c.Grants = *in.Grants })
	set("scopes", in.Scopes != nil, func() { c.Scopes = *in.Scopes })
	set("default_scopes", in.DefaultScopes != nil, func() { c.DefaultScopes = *in.DefaultScopes })
	set("redirect_uris", in.RedirectURIs != nil, func() { c.RedirectURIs = *in.RedirectURIs })
	set("token_format", in.TokenFormat != nil, func() { c.TokenFormat = *in.TokenFormat })
	set("signing_alg", in.SigningAlg != nil, func() { c.SigningAlg = *in.SigningAlg })
	set("public_keys", in.PublicKeys != nil, func() { c.PublicKeys = *in.PublicKeys })
	set("jwks_uri", in.JWKSURI != nil, func() { c.JWKSURI = *in.JWKSURI })
	set("institutions", in.Institutions != nil, func() { c.Institutions = *in.Institutions })
	set("first_party", in.FirstParty != nil, func() { c.FirstParty = *in.FirstParty })
	set("require_par", in.RequirePAR != nil, func() { c.RequirePAR = *in.RequirePAR })
	if p := in.RequirePushedAuthorizationRequests; p != nil {
		if in.RequirePAR != nil && *in.RequirePAR != *p {
			return nil, fieldError("require_pushed_authorization_requests", "contradicts require_par (the same setting)")
		}
		c.RequirePAR = *p
		changed = append(changed, "require_pushed_authorization_requests")
	}
	set("require_signed_request_object", in.RequireSignedRequestObject != nil, func() { c.RequireSignedRequestObject = *in.RequireSignedRequestObject })
	set("profile", in.Profile != nil, func() { c.Profile = *in.Profile })
	set("authorization_details_types", in.AuthorizationDetailsTypes != nil, func() { c.AuthorizationDetailsTypes = *in.AuthorizationDetailsTypes })
	set("dpop_bound_access_tokens", in.DPoPBoundAccessTokens != nil, func() { c.DPoPBoundAccessTokens = *in.DPoPBoundAccessTokens })
	set("tls_client_auth_subject_dn", in.TLSClientAuthSubjectDN != nil, func() { c.TLSClientAuthSubjectDN = *in.TLSClientAuthSubjectDN })
	set("tls_client_auth_san_dns", in.TLSClientAuthSANDNS != nil, func() { c.TLSClientAuthSANDNS = *in.TLSClientAuthSANDNS })
	set("tls_client_certificate_bound_access_tokens", in.TLSClientCertificateBoundAccessTokens != nil,
		func() { c.TLSClientCertificateBoundAccessTokens = *in.TLSClientCertificateBoundAccessTokens })
	if len(in.AddInstitutions)+len(in.RemoveInstitutions) > 0 {
		c.Institutions = editList(c.Institutions, in.AddInstitutions, in.RemoveInstitutions)
		if in.Institutions == nil {
			changed = append(changed, "institutions")
		}
	}
	if in.Status != nil {
		if *in.Status != jeton.ClientActive && *in.Status != jeton.ClientDisabled {
			return nil, fieldError("status", "must be active or disabled (use DELETE to delete), got %q", *in.Status)
		}
		c.Status = *in.Status
		changed = append(changed, "status")
	}
	more, err := applyLimits(c, in)
	if err != nil {
		return nil, err
	}
	changed = append(changed, more...)
	sort.Strings(changed)
	return changed, nil
}

// applyLimits merges the fields of in that need a range check.
func applyLimits(c *jeton.Client, in Update) ([]string, error) {
	var changed []string
	var err error
	if in.RefreshRotation != nil {
		if c.RefreshRotationOff, err = parseRotation(*in.RefreshRotation); err != nil {
			return nil, err
		}
		changed = append(changed, "refresh_rotation")
	}
	if in.AccessTokenTTL != nil {
		if c.AccessTokenTTL, err = seconds("access_token_ttl", *in.AccessTokenTTL, minTTL, maxAccessTTL); err != nil {
			return nil, err
		}
		changed = append(changed, "access_token_ttl")
	}
	if in.MaxActiveTokens != nil {
		if c.MaxActiveTokens, err = maxActive(*in.MaxActiveTokens); err != nil {
			return nil, err
		}
		changed = append(changed, "max_active_tokens")
	}
	if in.RefreshTokenTTL != nil {
		if c.RefreshTokenTTL, err = seconds("refresh_token_ttl", *in.RefreshTokenTTL, minTTL, maxRefreshTTL); err != nil {
			return nil, err
		}
		changed = append(changed, "refresh_token_ttl")
	}
	return changed, nil
}

// editList returns list with add appended (each once) and remove taken out.
func editList(list, add, remove []string) []string {
	out := make([]string, 0, len(list)+len(add))
	for _, v := range append(slices.Clone(list), add...) {
		if !slices.Contains(out, v) && !slices.Contains(remove, v) {
			out = append(out, v)
		}
	}
	return out
}

// maxActiveTokensLimit bounds the cap: counting a client's live tokens reads at most
// this many rows per token request.
const maxActiveTokensLimit = 10000

// maxActive validates an active-token cap (0: none).
func maxActive(n int) (int, error) {
	if n < 0 || n > maxActiveTokensLimit {
		return 0, fieldError("max_active_tokens", "must be 0 (no cap) to %d, got %d", maxActiveTokensLimit, n)
	}
	return n, nil
}
