package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/jeton/jeton"
)

// ClaimTokenSlot records s if the client holds fewer than max live slots. It is one
// conditional INSERT; the group committer is SQLite's only writer, so no other claim
// can slip between the count and the insert (DESIGN rule 1). A slot whose JTI or
// refresh family is revoked no longer counts.
func (s *Store) ClaimTokenSlot(ctx context.Context, slot jeton.TokenSlot, max int, now time.Time) error {
	res, err := s.exec(ctx, `INSERT INTO token_slots (client_id, jti, family_id, expires_at)
		SELECT ?1, ?2, ?3, ?4
		WHERE (SELECT count(*) FROM token_slots t
			WHERE t.client_id = ?1 AND t.expires_at > ?5
			AND NOT EXISTS (SELECT 1 FROM revocations r WHERE r.kind = 'jti' AND r.id = t.jti)
			AND (t.family_id = '' OR NOT EXISTS
				(SELECT 1 FROM revocations r WHERE r.kind = 'family' AND r.id = t.family_id))
		) < ?6`,
		slot.ClientID, slot.JTI, slot.FamilyID, micros(slot.ExpiresAt), now.UnixMicro(), max)
	if err != nil {
		return mapErr("claim token slot", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return mapErr("claim token slot", err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: claim token slot: %w", jeton.ErrLimitReached)
	}
	return nil
}
