package sqlite

import (
	"context"
	"time"
)

// expiredDeletes are the janitor's statements: each removes at most ?2 rows whose
// expiry is at or before ?1, picking them by key through an index on expires_at (the
// primary key of assertion_uses starts with it).
// Deleting a family deletes its tokens (ON DELETE CASCADE).
var expiredDeletes = []string{
	`DELETE FROM assertion_uses WHERE (expires_at, key) IN
		(SELECT expires_at, key FROM assertion_uses WHERE expires_at <= ?1 LIMIT ?2)`,
	`DELETE FROM revocations WHERE (kind, id) IN
		(SELECT kind, id FROM revocations WHERE expires_at <= ?1 LIMIT ?2)`,
	`DELETE FROM access_tokens WHERE digest IN
		(SELECT digest FROM access_tokens WHERE expires_at <= ?1 LIMIT ?2)`,
	`DELETE FROM refresh_tokens WHERE (family_id, digest) IN
		(SELECT family_id, digest FROM refresh_tokens WHERE expires_at <= ?1 LIMIT ?2)`,
	`DELETE FROM refresh_families WHERE id IN
		(SELECT id FROM refresh_families WHERE expires_at <= ?1 LIMIT ?2)`,
	`DELETE FROM token_slots WHERE (client_id, jti) IN
		(SELECT client_id, jti FROM token_slots WHERE expires_at <= ?1 LIMIT ?2)`,
}

// DeleteExpired removes at most batch expired rows per table, each table in its own
// short write transaction. Before each it waits while the WAL has outgrown its limit
// (holdWhileWALIsLarge), so that a pass never leaves a WAL of gigabytes to cut.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time, batch int) (int, error) {
	total := 0
	for _, q := range expiredDeletes {
		if err := s.holdWhileWALIsLarge(ctx); err != nil {
			return total, err
		}
		res, err := s.exec(ctx, q, now.UnixMicro(), batch)
		if err != nil {
			return total, mapErr("delete expired", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, mapErr("delete expired", err)
		}
		total += int(n)
	}
	return total, nil
}
