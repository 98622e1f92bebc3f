package candescentmod

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/dialect/candescent/candescentstore"
)

// The audit actions of the Candescent module (actor admin); the core names no vendor,
// so they are listed here and Module.AuditActions hands them to the test that
// compares them with docs/admin-api.yaml.
const (
	ActionSettings = "institution.candescent"
	ActionLink     = "client.link"
	ActionUnlink   = "client.unlink"
)

// AuditActions lists every action above.
var AuditActions = []string{ActionSettings, ActionLink, ActionUnlink}

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

// AuditActions are the actions of Candescent's audit events (module.Auditor).
func (*Module) AuditActions() []string { return slices.Clone(AuditActions) }

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
	before := cs
	if in.Alias != nil {
		if err := s.checkAlias(ctx, cs.InstitutionID, *in.Alias); err != nil {
			return err
		}
		cs.Alias = *in.Alias
	}
	if in.V1Enabled != nil {
		cs.V1Enabled = *in.V1Enabled
	}
	cs.UpdatedAt = s.Now()
	ev := s.Event(ctx, cs.InstitutionID, ActionSettings, cs.InstitutionID, jeton.AuditChange(before, cs))
	if err := s.store.PutCandescentSettingsAudited(ctx, cs, ev); err != nil {
		if errors.Is(err, jeton.ErrConflict) {
			return adminapi.Conflict("alias %q belongs to another institution", cs.Alias)
		}
		return adminapi.StoreError(err, "institution")
	}
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
	ev := s.Event(ctx, minter.InstitutionID, ActionLink, minter.ID, linkDetails(nil, l))
	if err := s.store.LinkClientsAudited(ctx, l, ev); err != nil {
		if errors.Is(err, jeton.ErrConflict) {
			return adminapi.Conflict("the clients are linked already")
		}
		return err
	}
	adminapi.WriteJSON(w, http.StatusCreated, l)
	return nil
}

func (s *admin) deleteLink(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	minter, client := r.PathValue("id"), r.PathValue("client")
	l, err := s.store.GetClientLink(ctx, minter, client)
	if err != nil {
		return adminapi.StoreError(err, "link")
	}
	var inst string
	if m, err := s.store.GetClient(ctx, minter); err == nil {
		inst = m.InstitutionID
	}
	ev := s.Event(ctx, inst, ActionUnlink, minter, linkDetails(l, nil))
	if err := s.store.UnlinkClientsAudited(ctx, minter, client, ev); err != nil {
		return adminapi.StoreError(err, "link")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// linkDetails are a link change's audit details: before/after, and the linked client
// as client_id, so the audit log's client filter finds the event under either client.
func linkDetails(before, after any) map[string]string {
	d := jeton.AuditChange(before, after)
	for _, l := range []any{before, after} {
		if l, ok := l.(candescentstore.ClientLink); ok {
			d["client_id"] = l.ClientID
		}
	}
	return d
}
