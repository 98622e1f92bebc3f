package adminapi

import (
	"context"
	"net/http"
	"net/url"

	"github.com/jeton/jeton"
)

// CreatedInstitutionKey is the answer to creating an institution-scoped admin key:
// the only time the key itself is shown (only its SHA-256 digest is stored, DESIGN
// rule 5).
type CreatedInstitutionKey struct {
	jeton.InstitutionKey
	Key string `json:"key"`
}

// createInstitutionKey is POST /admin/v1/institutions/{id}/keys: a 256-bit key that
// may manage only this institution's CardCore applications (docs/dialects/cardcore.md).
func (s *server) createInstitutionKey(w http.ResponseWriter, r *http.Request) error {
	if err := decodeOptionalJSON(w, r, &struct{}{}); err != nil {
		return err
	}
	ctx := r.Context()
	inst, err := s.cfg.Store.GetInstitution(ctx, r.PathValue("id"))
	if err != nil {
		return storeError(err, "institution")
	}
	secret := jeton.NewSecret()
	k := jeton.InstitutionKey{ID: jeton.NewID(), InstitutionID: inst.ID, UserID: jeton.NewRecordID(),
		Digest: jeton.Digest(secret), CreatedAt: s.now()}
	if err := s.cfg.Store.CreateInstitutionKey(ctx, k); err != nil {
		return storeError(err, "institution key")
	}
	s.audit(ctx, inst.ID, "institution.key.create", k.ID, nil)
	writeJSON(w, http.StatusCreated, CreatedInstitutionKey{InstitutionKey: k, Key: secret})
	return nil
}

// listInstitutionKeys is GET /admin/v1/institutions/{id}/keys (never the keys).
func (s *server) listInstitutionKeys(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	inst, err := s.cfg.Store.GetInstitution(ctx, r.PathValue("id"))
	if err != nil {
		return storeError(err, "institution")
	}
	list, err := s.cfg.Store.ListInstitutionKeys(ctx, inst.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, List[jeton.InstitutionKey]{Items: nonNil(list)})
	return nil
}

// revokeInstitutionKey is DELETE /admin/v1/institutions/{id}/keys/{kid}: the key
// stops working at once (it is looked up on every use).
func (s *server) revokeInstitutionKey(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	inst, kid := r.PathValue("id"), r.PathValue("kid")
	if err := s.cfg.Store.RevokeInstitutionKey(ctx, inst, kid, s.now()); err != nil {
		return storeError(err, "institution key")
	}
	s.audit(ctx, inst, "institution.key.revoke", kid, nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// CreateInstitutionKey makes an institution-scoped admin key; the answer holds the key.
func (c *Client) CreateInstitutionKey(ctx context.Context, institutionID string) (CreatedInstitutionKey, error) {
	var out CreatedInstitutionKey
	return out, c.do(ctx, "POST", "/admin/v1/institutions/"+url.PathEscape(institutionID)+"/keys", nil, &out)
}

// ListInstitutionKeys lists an institution's admin keys (digests are never shown).
func (c *Client) ListInstitutionKeys(ctx context.Context, institutionID string) ([]jeton.InstitutionKey, error) {
	var out List[jeton.InstitutionKey]
	return out.Items, c.do(ctx, "GET", "/admin/v1/institutions/"+url.PathEscape(institutionID)+"/keys", nil, &out)
}

// RevokeInstitutionKey revokes one of an institution's admin keys.
func (c *Client) RevokeInstitutionKey(ctx context.Context, institutionID, keyID string) error {
	return c.do(ctx, "DELETE", "/admin/v1/institutions/"+url.PathEscape(institutionID)+"/keys/"+url.PathEscape(keyID), nil, nil)
}
