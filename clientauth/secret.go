package clientauth

import (
	"context"
	"errors"
	"time"

	"github.com/jeton/jeton"
)

// Secret verifies client_secret_basic and client_secret_post (RFC 6749 §2.3.1): the
// presented secret against the stored SHA-256 digest, in constant time. During a
// rotation's grace period the previous secret is accepted too.
type Secret struct {
	Now func() time.Time
}

// Verify implements Method.
func (s Secret) Verify(_ context.Context, c *jeton.Client, cred Credentials) (Pending, error) {
	if cred.Secret == "" {
		return Pending{}, failed(jeton.ReasonBadSecret, errors.New("empty secret"))
	}
	current := jeton.DigestEqual(cred.Secret, c.SecretDigest)
	previous := len(c.PreviousSecretDigest) > 0 &&
		s.Now().Before(c.PreviousSecretExpiresAt) &&
		jeton.DigestEqual(cred.Secret, c.PreviousSecretDigest)
	if !current && !previous {
		return Pending{}, failed(jeton.ReasonBadSecret, errors.New("secret mismatch"))
	}
	return Pending{}, nil
}
