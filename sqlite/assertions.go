package sqlite

import (
	"context"
	"time"

	"github.com/jeton/jeton"
)

// UseAssertionID is ATOMIC (DESIGN rule 1): one INSERT ... ON CONFLICT DO UPDATE whose
// WHERE lets it overwrite only an expired record. If the statement changed no row,
// the pair is recorded and still live, so the assertion is a replay (RFC 7523 §3
// item 7) and the result is ErrAlreadyUsed.
func (s *Store) UseAssertionID(ctx context.Context, clientID, jti string, expiresAt, now time.Time) error {
	res, err := s.exec(ctx, `INSERT INTO assertion_ids (client_id, jti, expires_at)
		VALUES (?, ?, ?)
		ON CONFLICT (client_id, jti) DO UPDATE SET expires_at = excluded.expires_at
		WHERE assertion_ids.expires_at <= ?`,
		clientID, jti, expiresAt.UnixMicro(), now.UnixMicro())
	if err != nil {
		return mapErr("use assertion id", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return mapErr("use assertion id", err)
	}
	if n == 0 {
		return mapErr("use assertion id", jeton.ErrAlreadyUsed)
	}
	return nil
}
