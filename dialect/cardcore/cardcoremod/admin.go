package cardcoremod

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"slices"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/dialect/cardcore"
	"github.com/jeton/jeton/dialect/cardcore/cardcorestore"
)

// AdminRoutes are CardCore's institution-scoped admin keys.
func (*Module) AdminRoutes(r adminapi.Router) {
	st, ok := stores(r.Store())
	if !ok {
		return
	}
	s := &admin{Router: r, store: st}
	r.Route("/admin/v1/institutions/{id}/keys", map[string]adminapi.Handler{"GET": s.listInstitutionKeys, "POST": s.createInstitutionKey})
	r.Route("/admin/v1/institutions/{id}/keys/{kid}", map[string]adminapi.Handler{"DELETE": s.revokeInstitutionKey})
}

// AuditActions are the actions of CardCore's audit events (module.Auditor).
func (*Module) AuditActions() []string { return slices.Clone(cardcore.AuditActions) }

// store is what the routes read and write: the core's institutions and CardCore's
// own records.
type store interface {
	jeton.InstitutionStore
	cardcorestore.Store
}

// admin serves the routes.
type admin struct {
	adminapi.Router
	store store
}

// CreatedKey is the answer to creating an institution-scoped admin key:
// the only time the key itself is shown (only its SHA-256 digest is stored, DESIGN
// rule 5).
type CreatedKey struct {
	cardcorestore.InstitutionKey
	Key string `json:"key"`
}

// createInstitutionKey is POST /admin/v1/institutions/{id}/keys: a 256-bit key that
// may manage only this institution's CardCore applications (docs/dialects/cardcore.md).
func (s *admin) createInstitutionKey(w http.ResponseWriter, r *http.Request) error {
	if err := adminapi.DecodeOptionalJSON(w, r, &struct{}{}); err != nil {
		return err
	}
	ctx := r.Context()
	inst, err := s.store.GetInstitution(ctx, r.PathValue("id"))
	if err != nil {
		return adminapi.StoreError(err, "institution")
	}
	secret := jeton.NewSecret()
	k := cardcorestore.InstitutionKey{ID: jeton.NewID(), InstitutionID: inst.ID, UserID: cardcorestore.NewRecordID(),
		Digest: jeton.Digest(secret), CreatedAt: s.Now()}
	ev := s.Event(ctx, inst.ID, cardcore.ActionInstitutionKeyCreate, k.ID, jeton.AuditChange(nil, k))
	if err := s.store.CreateInstitutionKeyAudited(ctx, k, ev); err != nil {
		return adminapi.StoreError(err, "institution key")
	}
	adminapi.WriteJSON(w, http.StatusCreated, CreatedKey{InstitutionKey: k, Key: secret})
	return nil
}

// listInstitutionKeys is GET /admin/v1/institutions/{id}/keys (never the keys).
func (s *admin) listInstitutionKeys(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	inst, err := s.store.GetInstitution(ctx, r.PathValue("id"))
	if err != nil {
		return adminapi.StoreError(err, "institution")
	}
	list, err := s.store.ListInstitutionKeys(ctx, inst.ID)
	if err != nil {
		return err
	}
	adminapi.WriteJSON(w, http.StatusOK, adminapi.List[cardcorestore.InstitutionKey]{Items: adminapi.NonNil(list)})
	return nil
}

// revokeInstitutionKey is DELETE /admin/v1/institutions/{id}/keys/{kid}: the key
// stops working at once (it is looked up on every use).
func (s *admin) revokeInstitutionKey(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	inst, kid := r.PathValue("id"), r.PathValue("kid")
	keys, err := s.store.ListInstitutionKeys(ctx, inst)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(keys, func(k cardcorestore.InstitutionKey) bool { return k.ID == kid })
	if i < 0 {
		return adminapi.StoreError(jeton.ErrNotFound, "institution key")
	}
	before, after := keys[i], keys[i]
	after.RevokedAt = cmp.Or(before.RevokedAt, s.Now()) // revoking again keeps the first time
	ev := s.Event(ctx, inst, cardcore.ActionInstitutionKeyRevoke, kid, jeton.AuditChange(before, after))
	if err := s.store.RevokeInstitutionKeyAudited(ctx, inst, kid, after.RevokedAt, ev); err != nil {
		return adminapi.StoreError(err, "institution key")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// CreateInstitutionKey makes an institution-scoped admin key; the answer holds the key.
func CreateInstitutionKey(ctx context.Context, c *adminapi.Client, institutionID string) (CreatedKey, error) {
	var out CreatedKey
	return out, c.Do(ctx, "POST", "/admin/v1/institutions/"+url.PathEscape(institutionID)+"/keys", nil, &out)
}

// ListInstitutionKeys lists an institution's admin keys (digests are never shown).
func ListInstitutionKeys(ctx context.Context, c *adminapi.Client, institutionID string) ([]cardcorestore.InstitutionKey, error) {
	var out adminapi.List[cardcorestore.InstitutionKey]
	return out.Items, c.Do(ctx, "GET", "/admin/v1/institutions/"+url.PathEscape(institutionID)+"/keys", nil, &out)
}

// RevokeInstitutionKey revokes one of an institution's admin keys.
func RevokeInstitutionKey(ctx context.Context, c *adminapi.Client, institutionID, keyID string) error {
	return c.Do(ctx, "DELETE", "/admin/v1/institutions/"+url.PathEscape(institutionID)+"/keys/"+url.PathEscape(keyID), nil, nil)
}
