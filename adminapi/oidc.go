package adminapi

import (
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/jeton/jeton"
)

// ConsentsRevoked answers a consent revocation.
type ConsentsRevoked struct {
	Revoked int `json:"revoked"`
}

// BrandingInput sets how an institution's sign-in pages look. Empty fields fall back
// to the defaults: the institution's name, no logo, jeton's blue.
type BrandingInput struct {
	DisplayName string `json:"display_name,omitempty"`
	LogoURL     string `json:"logo_url,omitempty"`     // https only
	AccentColor string `json:"accent_color,omitempty"` // #rrggbb
}

// routeOIDC registers the consent and branding routes.
func (s *server) routeOIDC(r router) {
	r.route("/admin/v1/institutions/{id}/customers/{cid}/consents", methods{"GET": s.listConsents, "DELETE": s.revokeConsents})
	r.route("/admin/v1/institutions/{id}/branding", methods{"GET": s.getBranding, "PUT": s.putBranding})
}

func (s *server) listConsents(w http.ResponseWriter, r *http.Request) error {
	cu, err := s.cfg.Store.GetCustomer(r.Context(), r.PathValue("id"), r.PathValue("cid"))
	if err != nil {
		return storeError(err, "customer")
	}
	items, err := s.cfg.Store.ListConsents(r.Context(), cu.InstitutionID, cu.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, List[jeton.Consent]{Items: nonNil(items)})
	return nil
}

// revokeConsents deletes the customer's consents (?client_id= limits it to one client),
// so the consent page is shown again next time.
func (s *server) revokeConsents(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	cu, err := s.cfg.Store.GetCustomer(ctx, r.PathValue("id"), r.PathValue("cid"))
	if err != nil {
		return storeError(err, "customer")
	}
	client := r.URL.Query().Get("client_id")
	// The store adds how many were revoked to the event, in the same transaction.
	ev := s.event(ctx, cu.InstitutionID, jeton.ActionCustomerConsentsRevoke, cu.ID, map[string]string{"client_id": client})
	n, err := s.cfg.Store.RevokeConsentsAudited(ctx, cu.InstitutionID, cu.ID, client, ev)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ConsentsRevoked{Revoked: n})
	return nil
}

func (s *server) getBranding(w http.ResponseWriter, r *http.Request) error {
	b, err := s.cfg.Store.GetBranding(r.Context(), r.PathValue("id"))
	if err != nil {
		return storeError(err, "branding")
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

var hexColour = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

func (s *server) putBranding(w http.ResponseWriter, r *http.Request) error {
	var in BrandingInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	switch {
	case len(in.DisplayName) > 100:
		return fieldError("display_name", "at most 100 characters")
	case in.LogoURL != "" && (!strings.HasPrefix(in.LogoURL, "https://") || len(in.LogoURL) > 2000 || strings.ContainsAny(in.LogoURL, "\"' <>")):
		return fieldError("logo_url", "must be an https URL")
	case in.AccentColor != "" && !hexColour.MatchString(in.AccentColor):
		return fieldError("accent_color", "must be #rrggbb")
	}
	ctx := r.Context()
	id := r.PathValue("id")
	if err := s.clients.InstitutionExists(ctx, "id", id); err != nil {
		return err
	}
	b := jeton.Branding{InstitutionID: id, DisplayName: in.DisplayName, LogoURL: in.LogoURL, AccentColor: in.AccentColor, UpdatedAt: s.now()}
	before, err := s.cfg.Store.GetBranding(ctx, id)
	if err != nil && !errors.Is(err, jeton.ErrNotFound) {
		return err
	}
	ev := s.event(ctx, id, jeton.ActionInstitutionBranding, id, jeton.AuditChange(orNil(before, err), b))
	if err := s.cfg.Store.PutBrandingAudited(ctx, b, ev); err != nil {
		return storeError(err, "institution")
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}
