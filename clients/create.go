package clients

import (
	"cmp"
	"context"
	"slices"

	"github.com/jeton/jeton"
)

// Create registers a client from in, with the documented defaults, on behalf of actor
// (the audit log's actor). A client using a secret gets one, returned once in Changed.
func (s *Service) Create(ctx context.Context, actor string, in Input) (Changed, error) {
	if err := s.InstitutionExists(ctx, "institution_id", in.InstitutionID); err != nil {
		return Changed{}, err
	}
	c, err := s.newClient(in)
	if err != nil {
		return Changed{}, err
	}
	if err := s.Check(ctx, &c, Rules{}); err != nil {
		return Changed{}, err
	}
	var secret string
	if usesSecret(c.AuthMethod) {
		if secret, err = s.newSecret(&c); err != nil {
			return Changed{}, err
		}
	}
	details := map[string]string{"auth_method": string(c.AuthMethod)}
	if err := s.save(ctx, s.cfg.Store.CreateClientAudited, actor, jeton.ActionClientCreate, nil, c, details); err != nil {
		return Changed{}, err
	}
	return Changed{Client: c, Secret: secret}, nil
}

// newClient applies in over the defaults; Check validates the result as a whole.
func (s *Service) newClient(in Input) (jeton.Client, error) {
	now := s.now()
	c := jeton.Client{
		ID: jeton.NewID(), InstitutionID: in.InstitutionID, Name: in.Name, Status: jeton.ClientActive,
		AuthMethod: cmp.Or(in.AuthMethod, jeton.AuthSecretBasic),
		Grants:     in.Grants, Scopes: in.Scopes, DefaultScopes: in.DefaultScopes,
		RedirectURIs: in.RedirectURIs, PublicKeys: in.PublicKeys, JWKSURI: in.JWKSURI, Institutions: in.Institutions,
		TokenFormat: cmp.Or(in.TokenFormat, jeton.FormatJWT), SigningAlg: cmp.Or(in.SigningAlg, DefaultSigningAlg),
		AccessTokenTTL: defaultAccessTTL, RefreshTokenTTL: defaultRefreshTTL,
		FirstParty: in.FirstParty, RequirePAR: in.RequirePAR || in.RequirePushedAuthorizationRequests,
		RequireSignedRequestObject: in.RequireSignedRequestObject, AuthorizationDetailsTypes: in.AuthorizationDetailsTypes,
		SenderConstraints: in.SenderConstraints, Profile: in.Profile,
		CreatedAt: now, UpdatedAt: now,
	}
	if in.Grants == nil {
		c.Grants = []string{jeton.GrantClientCredentials}
	}
	if in.DefaultScopes == nil {
		// RFC 6749 §3.3 lets the server process a request without scope "using a
		// pre-defined default value": unless the registration names one, the default
		// is every allowed scope, which is what a client registered for a set of scopes
		// expects. An explicit empty list means "no scope unless requested".
		c.DefaultScopes = slices.Clone(in.Scopes)
		if c.DefaultScopes == nil {
			c.DefaultScopes = []string{}
		}
	}
	var err error
	if c.MaxActiveTokens, err = maxActive(in.MaxActiveTokens); err != nil {
		return c, err
	}
	if in.AccessTokenTTL != nil {
		if c.AccessTokenTTL, err = seconds("access_token_ttl", *in.AccessTokenTTL, minTTL, maxAccessTTL); err != nil {
			return c, err
		}
	}
	if in.RefreshTokenTTL != nil {
		if c.RefreshTokenTTL, err = seconds("refresh_token_ttl", *in.RefreshTokenTTL, minTTL, maxRefreshTTL); err != nil {
			return c, err
		}
	}
	if in.RefreshRotation != "" {
		if c.RefreshRotationOff, err = parseRotation(in.RefreshRotation); err != nil {
			return c, err
		}
	}
	return c, nil
}
