package adminapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/jeton/jeton"
)

// maxAliasLen keeps aliases shorter than generated institution ids (32 hex
// characters), so an alias can never be mistaken for one.
const maxAliasLen = 31

// candescentRoutes are the Candescent dialect's settings: institution aliases and the
// V1 switch, and the client links that allow server-side code minting.
func (s *server) candescentRoutes(r router) {
	r.route("/admin/v1/institutions/{id}/candescent", methods{"GET": s.getCandescent, "PATCH": s.updateCandescent})
	r.route("/admin/v1/clients/{id}/links", methods{"GET": s.listLinks, "POST": s.createLink})
	r.route("/admin/v1/clients/{id}/links/{client}", methods{"DELETE": s.deleteLink})
}

// candescentSettings returns the institution's settings, or its defaults when none
// were ever set; a missing institution is 404.
func (s *server) candescentSettings(ctx context.Context, id string) (jeton.CandescentSettings, error) {
	cs, err := s.cfg.Store.GetCandescentSettings(ctx, id)
	if errors.Is(err, jeton.ErrNotFound) {
		inst, err := s.cfg.Store.GetInstitution(ctx, id)
		if err != nil {
			return cs, storeError(err, "institution")
		}
		return jeton.CandescentSettings{InstitutionID: inst.ID, UpdatedAt: inst.UpdatedAt}, nil
	}
	return cs, err
}

func (s *server) getCandescent(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.candescentSettings(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, cs)
	return nil
}

func (s *server) updateCandescent(w http.ResponseWriter, r *http.Request) error {
	var in CandescentUpdate
	if err := decodeJSON(w, r, &in); err != nil {
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
	cs.UpdatedAt = s.now()
	if err := s.cfg.Store.PutCandescentSettings(ctx, cs); err != nil {
		if errors.Is(err, jeton.ErrConflict) {
			return conflict("alias %q belongs to another institution", cs.Alias)
		}
		return storeError(err, "institution")
	}
	s.audit(ctx, cs.InstitutionID, "institution.candescent", cs.InstitutionID, details)
	writeJSON(w, http.StatusOK, cs)
	return nil
}

// checkAlias accepts "" (no alias) or 1..31 of [A-Za-z0-9._-], and refuses an alias
// that is another institution's id (it would shadow that institution).
func (s *server) checkAlias(ctx context.Context, owner, alias string) error {
	if alias == "" {
		return nil
	}
	if len(alias) > maxAliasLen {
		return fieldError("alias", "must be at most %d characters", maxAliasLen)
	}
	for _, c := range []byte(alias) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '.' || c == '_' || c == '-') {
			return fieldError("alias", "may hold only letters, digits, '.', '_' and '-'")
		}
	}
	if alias != owner {
		if _, err := s.cfg.Store.GetInstitution(ctx, alias); err == nil {
			return conflict("alias %q is another institution's id", alias)
		} else if !errors.Is(err, jeton.ErrNotFound) {
			return err
		}
	}
	return nil
}

func (s *server) listLinks(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if _, err := s.cfg.Store.GetClient(ctx, r.PathValue("id")); err != nil {
		return storeError(err, "client")
	}
	links, err := s.cfg.Store.ListClientLinks(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, List[jeton.ClientLink]{Items: nonNil(links)})
	return nil
}

// createLink lets the client in the path (the minter) mint authorization codes for
// the client in the body.
func (s *server) createLink(w http.ResponseWriter, r *http.Request) error {
	var in LinkInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	ctx := r.Context()
	minter, err := s.cfg.Store.GetClient(ctx, r.PathValue("id"))
	if err != nil {
		return storeError(err, "client")
	}
	switch {
	case in.ClientID == "":
		return fieldError("client_id", "must not be empty")
	case in.ClientID == minter.ID:
		return fieldError("client_id", "a client cannot be linked to itself")
	}
	if _, err := s.cfg.Store.GetClient(ctx, in.ClientID); err != nil {
		if errors.Is(err, jeton.ErrNotFound) {
			return fieldError("client_id", "no client %q", in.ClientID)
		}
		return err
	}
	l := jeton.ClientLink{MinterID: minter.ID, ClientID: in.ClientID, CreatedAt: s.now()}
	if err := s.cfg.Store.LinkClients(ctx, l); err != nil {
		if errors.Is(err, jeton.ErrConflict) {
			return conflict("the clients are linked already")
		}
		return err
	}
	s.audit(ctx, minter.InstitutionID, "client.link", minter.ID, map[string]string{"client_id": l.ClientID})
	writeJSON(w, http.StatusCreated, l)
	return nil
}

func (s *server) deleteLink(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	minter, client := r.PathValue("id"), r.PathValue("client")
	if err := s.cfg.Store.UnlinkClients(ctx, minter, client); err != nil {
		return storeError(err, "link")
	}
	s.audit(ctx, "", "client.unlink", minter, map[string]string{"client_id": client})
	w.WriteHeader(http.StatusNoContent)
	return nil
}
