package sqlite

import (
	"context"

	"github.com/jeton/jeton"
)

// Revoke records r; revoking what is already revoked keeps the first record and is
// not an error.
func (s *Store) Revoke(ctx context.Context, r jeton.Revocation) error {
	_, err := s.exec(ctx, `INSERT INTO revocations (kind, id, institution_id,
		revoked_at, expires_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (kind, id) DO NOTHING`,
		r.Kind, r.ID, r.InstitutionID, micros(r.RevokedAt), micros(r.ExpiresAt))
	return mapErr("revoke", err)
}

// IsRevoked reports whether a revocation of kind and id is recorded.
func (s *Store) IsRevoked(ctx context.Context, kind jeton.RevocationKind, id string) (bool, error) {
	var revoked bool
	err := s.queryRow(ctx,
		`SELECT EXISTS (SELECT 1 FROM revocations WHERE kind = ? AND id = ?)`, kind, id).Scan(&revoked)
	return revoked, mapErr("is revoked", err)
}
