package postgres

import (
	"context"
	"time"

	"github.com/jeton/jeton"
)

// UseAssertionID is ATOMIC (DESIGN rule 1): one INSERT ... ON CONFLICT DO UPDATE whose
// WHERE lets it overwrite only an expired record. PostgreSQL makes the insert-or-update
// atomic even when callers race; if the statement changed no row, the assertion is
// recorded and still live, so it is a replay (RFC 7523 §3 item 7) and the result is
// ErrAlreadyUsed. The key starts with the expiry, so new records go to the right-hand
// edge of the index (migration 13).
func (s *Store) UseAssertionID(ctx context.Context, clientID, jti string, expiresAt, now time.Time) error {
	tag, err := s.pool.Exec(ctx, `INSERT INTO assertion_ids (client_id, jti, expires_at)
		VALUES ($1, $2, $3)
		ON CONFLICT (expires_at, client_id, jti) DO UPDATE SET expires_at = EXCLUDED.expires_at
		WHERE assertion_ids.expires_at <= $4`,
		clientID, jti, expiresAt, now)
	if err != nil {
		return mapErr("use assertion id", err)
	}
	if tag.RowsAffected() == 0 {
		return mapErr("use assertion id", jeton.ErrAlreadyUsed)
	}
	return nil
}
