package postgres

import (
	"context"
	"time"
)

// expiredDeletes are the janitor's statements: each removes at most $2 rows whose
// expiry is at or before $1, picked by ctid through an index on expires_at (for
// assertion_ids, its primary key, which starts with expires_at). Deleting a
// family deletes its tokens (ON DELETE CASCADE).
var expiredDeletes = []string{
	`DELETE FROM assertion_ids WHERE ctid IN (SELECT ctid FROM assertion_ids WHERE expires_at <= $1 LIMIT $2)`,
	`DELETE FROM revocations WHERE ctid IN (SELECT ctid FROM revocations WHERE expires_at <= $1 LIMIT $2)`,
	`DELETE FROM access_tokens WHERE ctid IN (SELECT ctid FROM access_tokens WHERE expires_at <= $1 LIMIT $2)`,
	`DELETE FROM refresh_tokens WHERE ctid IN (SELECT ctid FROM refresh_tokens WHERE expires_at <= $1 LIMIT $2)`,
	`DELETE FROM refresh_families WHERE ctid IN (SELECT ctid FROM refresh_families WHERE expires_at <= $1 LIMIT $2)`,
	`DELETE FROM token_slots WHERE ctid IN (SELECT ctid FROM token_slots WHERE expires_at <= $1 LIMIT $2)`,
}

// DeleteExpired removes at most batch expired rows per table, one statement each.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time, batch int) (int, error) {
	total := 0
	for _, q := range expiredDeletes {
		tag, err := s.pool.Exec(ctx, q, now, batch)
		if err != nil {
			return total, mapErr("delete expired", err)
		}
		total += int(tag.RowsAffected())
	}
	return total, nil
}
