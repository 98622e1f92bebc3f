package postgres

import (
	"context"

	"github.com/jeton/jeton"
)

// Revoke records r; revoking what is already revoked keeps the first record and is
// not an error.
func (s *Store) Revoke(ctx context.Context, r jeton.Revocation) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO revocations (kind, id, institution_id,
		revoked_at, expires_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (kind, id) DO NOTHING`,
		r.Kind, r.ID, r.InstitutionID, ts(r.RevokedAt), ts(r.ExpiresAt))
	return mapErr("revoke", err)
}

// IsRevoked reports whether a revocation of kind and id is recorded.
func (s *Store) IsRevoked(ctx context.Context, kind jeton.RevocationKind, id string) (bool, error) {
	var revoked bool
	err := s.pool.QueryRow(ctx,
		`SELECT EXISTS (SELECT 1 FROM revocations WHERE kind = $1 AND id = $2)`, kind, id).Scan(&revoked)
	return revoked, mapErr("is revoked", err)
}
