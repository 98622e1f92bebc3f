package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jeton/jeton"
)

// ClaimTokenSlot records s if the client holds fewer than max live slots. One
// transaction: it first locks the client's row (FOR NO KEY UPDATE, which does not
// block foreign-key checks of other tables), so concurrent claims for one client run
// one after another, then counts and inserts in one conditional statement. Under READ
// COMMITTED that statement takes its snapshot after the lock is granted, so it sees
// every claim committed before it (DESIGN rule 1). A single statement would not do:
// its count would use a snapshot taken before the wait.
func (s *Store) ClaimTokenSlot(ctx context.Context, slot jeton.TokenSlot, max int, now time.Time) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var id string
		if err := tx.QueryRow(ctx, `SELECT id FROM clients WHERE id = $1 FOR NO KEY UPDATE`, slot.ClientID).Scan(&id); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO token_slots (client_id, jti, family_id, expires_at)
			SELECT $1, $2, $3, $4
			WHERE (SELECT count(*) FROM token_slots t
				WHERE t.client_id = $1 AND t.expires_at > $5
				AND NOT EXISTS (SELECT 1 FROM revocations r WHERE r.kind = 'jti' AND r.id = t.jti)
				AND (t.family_id = '' OR NOT EXISTS
					(SELECT 1 FROM revocations r WHERE r.kind = 'family' AND r.id = t.family_id))
			) < $6`,
			slot.ClientID, slot.JTI, slot.FamilyID, slot.ExpiresAt, now, max)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return jeton.ErrLimitReached
		}
		return nil
	})
	if err == jeton.ErrLimitReached {
		return fmt.Errorf("postgres: claim token slot: %w", err)
	}
	return mapErr("claim token slot", err)
}
