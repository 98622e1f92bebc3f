package clients

import (
	"context"
	"fmt"
	"strings"

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

// ClientPager pages through an institution's clients that are not deleted, by
// CreatedAt then ID (jeton.ClientStore.SearchClients).
type ClientPager interface {
	SearchClients(ctx context.Context, institutionID, query string, after jeton.Client, limit int) ([]jeton.Client, error)
}

// Bounds of CheckDefaultProfile.
var (
	followersPage = 200 // clients read per SearchClients call
	maxNamed      = 20  // offending clients named in the refusal
)

// CheckDefaultProfile refuses to make profile (fapi2) the default_profile of
// institutionID while a client of it that follows the default (own Profile "") would
// break FAPI 2.0's registration rules (fapi2.Violations: §5.3.2.1 and §5.4): from the
// switch on, every endpoint would refuse that client, which nothing at the switch
// would have told the operator. The refusal is a ConflictError on default_profile: the
// value is valid, the institution's clients are what forbid it. It names up to
// maxNamed clients with the rules each breaks, and how many more there are. Deleted
// clients are skipped (they never authenticate again); disabled ones are not (they
// may be enabled again). The check and the institution's write are not one
// transaction: a client registered in between was checked against the default it
// read, the one before.
func CheckDefaultProfile(ctx context.Context, store ClientPager, institutionID, profile string) error {
	if profile != fapi2.Name {
		return nil // "" holds no client to anything
	}
	var named []string
	count := 0
	for after := (jeton.Client{}); ; {
		page, err := store.SearchClients(ctx, institutionID, "", after, followersPage)
		if err != nil {
			return err
		}
		for i := range page {
			if broken := brokenRules(page[i]); broken != "" {
				count++
				if len(named) < maxNamed {
					named = append(named, page[i].ID+" ("+broken+")")
				}
			}
		}
		if len(page) < followersPage {
			break
		}
		after = page[len(page)-1]
	}
	if count == 0 {
		return nil
	}
	return &ConflictError{Field: "default_profile", Message: refusalText(count, named)}
}

// brokenRules describes the FAPI 2.0 registration rules c would break with fapi2 as
// its institution's default, "field: rule; …", or "" when it breaks none or has a
// profile of its own.
func brokenRules(c jeton.Client) string {
	if c.Profile != "" {
		return ""
	}
	c.InstitutionProfile = fapi2.Name
	var out []string
	for _, e := range fapi2.Violations(&c) {
		out = append(out, e.Param+": "+strings.TrimPrefix(e.Description, "FAPI 2.0: "))
	}
	return strings.Join(out, "; ")
}

// refusalText is CheckDefaultProfile's message for count offending clients, the
// first of them named.
func refusalText(count int, named []string) string {
	list := strings.Join(named, ", ")
	if more := count - len(named); more > 0 {
		list += fmt.Sprintf(" and %d more", more)
	}
	return fmt.Sprintf("FAPI 2.0: %d of the institution's clients that have no profile of their own would be refused "+
		"at every endpoint; change or delete them first: %s", count, list)
}
