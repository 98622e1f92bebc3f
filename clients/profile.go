package clients

import (
	"context"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/fapi2"
)

// checkProfile validates the client's profile ("" or "fapi2") and holds a client
// whose effective profile is FAPI 2.0 (its own, or its institution's default) to the
// registration rules of package fapi2 (fapi2.Violations): FAPI 2.0 §5.3.2.1 allows
// only private_key_jwt and mTLS client authentication and no password grant, §5.4 only
// PS256, ES256 and EdDSA as the alg of its tokens, so another is refused here, on the
// field at fault, rather than at every token request.
func (s *Service) checkProfile(ctx context.Context, c *jeton.Client) error {
	if !fapi2.Valid(c.Profile) {
		return fieldError("profile", "unknown profile %q; use fapi2, or empty for the institution's default", c.Profile)
	}
	if c.Profile == "" && c.InstitutionID != "" {
		// The institution's default applies; read it now (a new client has none yet).
		in, err := s.cfg.Store.GetInstitution(ctx, c.InstitutionID)
		if err != nil {
			return err
		}
		c.InstitutionProfile = in.DefaultProfile
	}
	if e := fapi2.Registration(c); e != nil {
		return fieldError(e.Param, "%s", e.Description)
	}
	return nil
}

// CheckProfile validates a profile value sent as field (an institution's
// default_profile): "" or "fapi2".
func CheckProfile(field, p string) error {
	if !fapi2.Valid(p) {
		return fieldError(field, "unknown profile %q; use fapi2, or empty for none", p)
	}
	return nil
}
