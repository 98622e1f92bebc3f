package candescentmod

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/dialect/candescent/candescentstore"
)

// maxAliasLen keeps aliases shorter than generated institution ids (32 hex
// characters), so an alias can never be mistaken for one.
const maxAliasLen = 31

// AdminRoutes are the Candescent dialect's settings: institution aliases and the V1
// switch, and the client links that allow server-side code minting.
func (*Module) AdminRoutes(r adminapi.Router) {
	st, ok := stores(r.Store())
	if !ok {
		return
	}
	s := &admin{Router: r, store: st}
	r.Route("/admin/v1/institutions/{id}/candescent", map[string]adminapi.Handler{"GET": s.getCandescent, "PATCH": s.updateCandescent})
	r.Route("/admin/v1/clients/{id}/links", map[string]adminapi.Handler{"GET": s.listLinks, "POST": s.createLink})
	r.Route("/admin/v1/clients/{id}/links/{client}", map[string]adminapi.Handler{"DELETE": s.deleteLink})
}

// store is what the routes read and write: the core's institutions and clients and
// Candescent's own settings.
type store interface {
	jeton.InstitutionStore
	jeton.ClientStore
	candescentstore.Store
}

// admin serves the routes.
type admin struct {
	adminapi.Router
	store store
}

// candescentSettings returns the institution's settings, or its defaults when none
// were ever set; a missing institution is 404.
func (s *admin) candescentSettings(ctx context.Context, id string) (candescentstore.Settings, error) {
	cs, err := s.store.GetCandescentSettings(ctx, id)
	if errors.Is(err, jeton.ErrNotFound) {
		inst, err := s.store.GetInstitution(ctx, id)
		if err != nil {
			return cs, adminapi.StoreError(err, "institution")
		}
		return candescentstore.Settings{InstitutionID: inst.ID, UpdatedAt: inst.UpdatedAt}, nil
	}
	return cs, err
}

func (s *admin) getCandescent(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.candescentSettings(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	adminapi.WriteJSON(w, http.StatusOK, cs)
	return nil
}

func (s *admin) updateCandescent(w http.ResponseWriter, r *http.Request) error {
	var in Update
	if err := adminapi.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	ctx := r.Context()
	cs, err := s.candescentSettings(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	details := map[string]string{}
	if in.Alias != nil {
		if err := s.checkAlias(ctx, cs.InstitutionID, *in.Alias); err != nil {
			return err
		}
		cs.Alias, details["alias"] = *in.Alias, *in.Alias
	}
	if in.V1Enabled != nil {
		cs.V1Enabled, details["v1_enabled"] = *in.V1Enabled, strconv.FormatBool(*in.V1Enabled)
	}
	cs.UpdatedAt = s.Now()
	if err := s.store.PutCandescentSettings(ctx, cs); err != nil {
		if errors.Is(err, jeton.ErrConflict) {
			return adminapi.Conflict("alias %q belongs to another institution", cs.Alias)
		}
		return adminapi.StoreError(err, "institution")
	}
	s.Audit(ctx, cs.InstitutionID, "institution.candescent", cs.InstitutionID, details)
	adminapi.WriteJSON(w, http.StatusOK, cs)
	return nil
}

// checkAlias accepts "" (no alias) or 1..31 of [A-Za-z0-9._-], and refuses an alias
// that is another institution's id (it would shadow that institution).
func (s *admin) checkAlias(ctx context.Context, owner, alias string) error {
	if alias == "" {
		return nil
	}
	if len(alias) > maxAliasLen {
		return adminapi.FieldError("alias", "must be at most %d characters", maxAliasLen)
	}
	for _, c := range []byte(alias) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '.' || c == '_' || c == '-') {
			return adminapi.FieldError("alias", "may hold only letters, digits, '.', '_' and '-'")
		}
	}
	if alias != owner {
		if _, err := s.store.GetInstitution(ctx, alias); err == nil {
			return adminapi.Conflict("alias %q is another institution's id", alias)
		} else if !errors.Is(err, jeton.ErrNotFound) {
			return err
		}
	}
	return nil
}

func (s *admin) listLinks(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if _, err := s.store.GetClient(ctx, r.PathValue("id")); err != nil {
		return adminapi.StoreError(err, "client")
	}
	links, err := s.store.ListClientLinks(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	adminapi.WriteJSON(w, http.StatusOK, adminapi.List[candescentstore.ClientLink]{Items: adminapi.NonNil(links)})
	return nil
}

// createLink lets the client in the path (the minter) mint authorization codes for
// the client in the body.
func (s *admin) createLink(w http.ResponseWriter, r *http.Request) error {
	var in LinkInput
	if err := adminapi.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	ctx := r.Context()
	minter, err := s.store.GetClient(ctx, r.PathValue("id"))
	if err != nil {
		return adminapi.StoreError(err, "client")
	}
	switch {
	case in.ClientID == "":
		return adminapi.FieldError("client_id", "must not be empty")
	case in.ClientID == minter.ID:
		return adminapi.FieldError("client_id", "a client cannot be linked to itself")
	}
	if _, err := s.store.GetClient(ctx, in.ClientID); err != nil {
		if errors.Is(err, jeton.ErrNotFound) {
			return adminapi.FieldError("client_id", "no client %q", in.ClientID)
		}
		return err
	}
	l := candescentstore.ClientLink{MinterID: minter.ID, ClientID: in.ClientID, CreatedAt: s.Now()}
	if err := s.store.LinkClients(ctx, l); err != nil {
		if errors.Is(err, jeton.ErrConflict) {
			return adminapi.Conflict("the clients are linked already")
		}
		return err
	}
	s.Audit(ctx, minter.InstitutionID, "client.link", minter.ID, map[string]string{"client_id": l.ClientID})
	adminapi.WriteJSON(w, http.StatusCreated, l)
	return nil
}

func (s *admin) deleteLink(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	minter, client := r.PathValue("id"), r.PathValue("client")
	if err := s.store.UnlinkClients(ctx, minter, client); err != nil {
		return adminapi.StoreError(err, "link")
	}
	s.Audit(ctx, "", "client.unlink", minter, map[string]string{"client_id": client})
	w.WriteHeader(http.StatusNoContent)
	return nil
}
