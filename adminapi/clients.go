package adminapi

import (
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/keys"
)

func (s *server) createClient(w http.ResponseWriter, r *http.Request) error {
	var in ClientInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	ctx := r.Context()
	if err := s.institutionExists(ctx, "institution_id", in.InstitutionID); err != nil {
		return err
	}
	now := s.now()
	c := jeton.Client{
		ID: jeton.NewID(), InstitutionID: in.InstitutionID, Name: in.Name, Status: jeton.ClientActive,
		AuthMethod: or(in.AuthMethod, jeton.AuthSecretBasic),
		Grants:     in.Grants, Scopes: in.Scopes, DefaultScopes: in.DefaultScopes,
		RedirectURIs: in.RedirectURIs, PublicKeys: in.PublicKeys, JWKSURI: in.JWKSURI, Institutions: in.Institutions,
		TokenFormat: or(in.TokenFormat, jeton.FormatJWT), SigningAlg: or(in.SigningAlg, defaultSigningAlg),
		AccessTokenTTL: defaultAccessTTL, RefreshTokenTTL: defaultRefreshTTL,
		FirstParty: in.FirstParty, RequirePAR: in.RequirePAR,
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
		return err
	}
	if in.AccessTokenTTL != nil {
		if c.AccessTokenTTL, err = seconds("access_token_ttl", *in.AccessTokenTTL, minTTL, maxAccessTTL); err != nil {
			return err
		}
	}
	if in.RefreshTokenTTL != nil {
		if c.RefreshTokenTTL, err = seconds("refresh_token_ttl", *in.RefreshTokenTTL, minTTL, maxRefreshTTL); err != nil {
			return err
		}
	}
	if in.RefreshRotation != "" {
		if c.RefreshRotationOff, err = parseRotation(in.RefreshRotation); err != nil {
			return err
		}
	}
	if err := s.checkClient(ctx, &c); err != nil {
		return err
	}
	var secret string
	if usesSecret(c.AuthMethod) {
		if secret, err = s.newSecret(&c); err != nil {
			return err
		}
	}
	if err := s.cfg.Store.CreateClient(ctx, c); err != nil {
		return storeError(err, "client")
	}
	s.invalidate(c.ID)
	s.audit(ctx, c.InstitutionID, "client.create", c.ID, map[string]string{"auth_method": string(c.AuthMethod)})
	writeJSON(w, http.StatusCreated, CreatedClient{ClientView: viewOf(c, now), ClientSecret: secret})
	return nil
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func (s *server) listClients(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	inst := r.URL.Query().Get("institution_id")
	if inst != "" {
		if _, err := s.cfg.Store.GetInstitution(ctx, inst); err != nil {
			return storeError(err, "institution")
		}
	}
	cs, err := s.cfg.Store.ListClients(ctx, inst)
	if err != nil {
		return err
	}
	now := s.now()
	out := List[ClientView]{Items: make([]ClientView, 0, len(cs))}
	for _, c := range cs {
		out.Items = append(out.Items, viewOf(c, now))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *server) getClient(w http.ResponseWriter, r *http.Request) error {
	c, err := s.cfg.Store.GetClient(r.Context(), r.PathValue("id"))
	if err != nil {
		return storeError(err, "client")
	}
	writeJSON(w, http.StatusOK, viewOf(c, s.now()))
	return nil
}

// changeable loads a client that may still be changed: a deleted client is kept only
// so that audit trails and introspection can name it, and must never come back.
func (s *server) changeable(r *http.Request) (jeton.Client, error) {
	c, err := s.cfg.Store.GetClient(r.Context(), r.PathValue("id"))
	if err != nil {
		return c, storeError(err, "client")
	}
	if c.Status == jeton.ClientDeleted {
		return c, conflict("client %s is deleted and cannot be changed", c.ID)
	}
	return c, nil
}

func (s *server) updateClient(w http.ResponseWriter, r *http.Request) error {
	var in ClientUpdate
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	c, err := s.changeable(r)
	if err != nil {
		return err
	}
	changed, err := applyUpdate(&c, in)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if err := s.checkClient(ctx, &c); err != nil {
		return err
	}
	now := s.now()
	var secret string
	switch {
	case usesSecret(c.AuthMethod) && len(c.SecretDigest) == 0,
		c.AuthMethod == jeton.AuthSecretJWT && len(c.SecretSealed) == 0:
		// Switched to a secret method from one without a secret, or to
		// client_secret_jwt from a method that kept only a digest (which cannot key
		// HS256): issue a new secret now, or the client could never authenticate.
		clearSecrets(&c)
		if secret, err = s.newSecret(&c); err != nil {
			return err
		}
	case !usesSecret(c.AuthMethod):
		// A secret the method no longer uses must not linger as a credential.
		clearSecrets(&c)
	case c.AuthMethod != jeton.AuthSecretJWT:
		// Only client_secret_jwt keeps the secret decryptable (HS256 needs it); any
		// other method keeps the digest alone.
		c.SecretSealed, c.PreviousSecretSealed = nil, nil
	}
	c.UpdatedAt = now
	if err := s.cfg.Store.UpdateClient(ctx, c); err != nil {
		return storeError(err, "client")
	}
	s.invalidate(c.ID)
	details := map[string]string{"fields": strings.Join(changed, ",")}
	if in.Status != nil {
		details["status"] = string(c.Status)
	}
	s.audit(ctx, c.InstitutionID, "client.update", c.ID, details)
	writeJSON(w, http.StatusOK, CreatedClient{ClientView: viewOf(c, now), ClientSecret: secret})
	return nil
}

// applyUpdate merges the non-nil fields of in into c and returns their names, sorted.
func applyUpdate(c *jeton.Client, in ClientUpdate) ([]string, error) {
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
	sort.Strings(changed)
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

// deleteClient soft-deletes (the row stays for audit and introspection, see
// jeton.ClientDeleted) and drops its secrets. Deleting twice is not an error (RFC 9110
// §9.2.2: DELETE is idempotent).
func (s *server) deleteClient(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := s.cfg.Store.GetClient(ctx, r.PathValue("id"))
	if err != nil {
		return storeError(err, "client")
	}
	if c.Status != jeton.ClientDeleted {
		c.Status = jeton.ClientDeleted
		clearSecrets(&c)
		c.UpdatedAt = s.now()
		if err := s.cfg.Store.UpdateClient(ctx, c); err != nil {
			return storeError(err, "client")
		}
		s.invalidate(c.ID)
		s.audit(ctx, c.InstitutionID, "client.delete", c.ID, nil)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// rotateSecret issues a new secret. With a grace period the old one keeps working
// until it ends, so a partner can roll the new secret out without downtime; with none
// it stops at once (the case of a leaked secret). Only one previous secret is kept.
func (s *server) rotateSecret(w http.ResponseWriter, r *http.Request) error {
	var in RotateSecretInput
	if err := decodeOptionalJSON(w, r, &in); err != nil {
		return err
	}
	grace, err := seconds("grace_seconds", in.GraceSeconds, 0, maxGrace)
	if err != nil {
		return err
	}
	c, err := s.changeable(r)
	if err != nil {
		return err
	}
	if !usesSecret(c.AuthMethod) {
		return conflict("client %s uses %s and has no secret", c.ID, c.AuthMethod)
	}
	now := s.now()
	prevDigest, prevSealed := c.SecretDigest, c.SecretSealed
	clearSecrets(&c)
	if grace > 0 {
		c.PreviousSecretDigest, c.PreviousSecretSealed, c.PreviousSecretExpiresAt = prevDigest, prevSealed, now.Add(grace)
	}
	secret, err := s.newSecret(&c)
	if err != nil {
		return err
	}
	c.UpdatedAt = now
	ctx := r.Context()
	if err := s.cfg.Store.UpdateClient(ctx, c); err != nil {
		return storeError(err, "client")
	}
	s.invalidate(c.ID)
	s.audit(ctx, c.InstitutionID, "client.secret_rotate", c.ID,
		map[string]string{"grace_seconds": strconv.FormatInt(in.GraceSeconds, 10)})
	writeJSON(w, http.StatusOK, CreatedClient{ClientView: viewOf(c, now), ClientSecret: secret})
	return nil
}

// newSecret issues a 256-bit client secret (DESIGN rule 5) into c: its SHA-256 digest
// always, and for client_secret_jwt also the secret sealed under the KEK, because an
// HS256 assertion (RFC 7518 §3.2, OIDC Core §9) can only be verified with the secret
// itself. It returns the secret, to be shown once.
func (s *server) newSecret(c *jeton.Client) (string, error) {
	secret := jeton.NewSecret()
	c.SecretDigest = jeton.Digest(secret)
	if c.AuthMethod == jeton.AuthSecretJWT {
		if len(s.cfg.KEK) == 0 {
			return "", fieldError("auth_method", "client_secret_jwt is not available: the admin API has no key-encryption key")
		}
		sealed, err := keys.SealSecret(s.cfg.KEK, c.ID, secret)
		if err != nil {
			return "", err
		}
		c.SecretSealed = sealed
	}
	return secret, nil
}

// clearSecrets drops every stored form of the current and previous secret.
func clearSecrets(c *jeton.Client) {
	c.SecretDigest, c.SecretSealed = nil, nil
	c.PreviousSecretDigest, c.PreviousSecretSealed, c.PreviousSecretExpiresAt = nil, nil, time.Time{}
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
