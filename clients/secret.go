package clients

import (
	"context"
	"strconv"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/keys"
)

// Delete soft-deletes the client id (the row stays for audit and introspection, see
// jeton.ClientDeleted) and drops its secrets. Deleting a deleted client changes
// nothing and is not an error (RFC 9110 §9.2.2: DELETE is idempotent).
func (s *Service) Delete(ctx context.Context, actor, id string) error {
	c, err := s.cfg.Store.GetClient(ctx, id)
	if err != nil || c.Status == jeton.ClientDeleted {
		return err
	}
	before := c
	c.Status = jeton.ClientDeleted
	clearSecrets(&c)
	c.UpdatedAt = s.now()
	return s.save(ctx, s.cfg.Store.UpdateClientAudited, actor, jeton.ActionClientDelete, &before, c, nil)
}

// RotateSecret issues a new secret. With a grace period (seconds) the old one keeps
// working until it ends, so a partner can roll the new secret out without downtime;
// with none it stops at once (the case of a leaked secret). Only one previous secret
// is kept.
func (s *Service) RotateSecret(ctx context.Context, actor, id string, graceSeconds int64) (Changed, error) {
	grace, err := seconds("grace_seconds", graceSeconds, 0, maxGrace)
	if err != nil {
		return Changed{}, err
	}
	c, err := s.changeable(ctx, id)
	if err != nil {
		return Changed{}, err
	}
	if !usesSecret(c.AuthMethod) {
		return Changed{}, conflict("client %s uses %s and has no secret", c.ID, c.AuthMethod)
	}
	now := s.now()
	before := c
	prevDigest, prevSealed := c.SecretDigest, c.SecretSealed
	clearSecrets(&c)
	if grace > 0 {
		c.PreviousSecretDigest, c.PreviousSecretSealed, c.PreviousSecretExpiresAt = prevDigest, prevSealed, now.Add(grace)
	}
	secret, err := s.newSecret(&c)
	if err != nil {
		return Changed{}, err
	}
	c.UpdatedAt = now
	details := map[string]string{"grace_seconds": strconv.FormatInt(graceSeconds, 10)}
	if err := s.save(ctx, s.cfg.Store.UpdateClientAudited, actor, jeton.ActionClientSecretRotate, &before, c, details); err != nil {
		return Changed{}, err
	}
	return Changed{Client: c, Secret: secret}, nil
}

// newSecret issues a 256-bit client secret (DESIGN rule 5) into c: its SHA-256 digest
// always, and for client_secret_jwt also the secret sealed under the KEK, because an
// HS256 assertion (RFC 7518 §3.2, OIDC Core §9) can only be verified with the secret
// itself. It returns the secret, to be shown once.
func (s *Service) newSecret(c *jeton.Client) (string, error) {
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
