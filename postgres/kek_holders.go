package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/jeton/jeton"
)

// ReportKEKHolder upserts h and forgets holders not seen since forgetBefore, in one
// transaction.
func (s *Store) ReportKEKHolder(ctx context.Context, h jeton.KEKHolder, forgetBefore time.Time) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM kek_holders WHERE seen_at < $1`, forgetBefore); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO kek_holders (holder, kek_ids, seen_at) VALUES ($1, $2, $3)
			ON CONFLICT (holder) DO UPDATE SET kek_ids = excluded.kek_ids, seen_at = excluded.seen_at`,
			h.ID, texts(h.KEKIDs), h.SeenAt)
		return err
	})
	return mapErr("report KEK holder", err)
}

// ListKEKHolders returns the holders seen at or after since, most recent first.
func (s *Store) ListKEKHolders(ctx context.Context, since time.Time) ([]jeton.KEKHolder, error) {
	rows, err := s.pool.Query(ctx, `SELECT holder, kek_ids, seen_at FROM kek_holders
		WHERE seen_at >= $1 ORDER BY seen_at DESC, holder`, since)
	if err != nil {
		return nil, mapErr("list KEK holders", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (jeton.KEKHolder, error) {
		var h jeton.KEKHolder
		err := r.Scan(&h.ID, &h.KEKIDs, &h.SeenAt)
		return h, err
	})
	return out, mapErr("list KEK holders", err)
}

// RemoveKEKHolder deletes the row of id.
func (s *Store) RemoveKEKHolder(ctx context.Context, id string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM kek_holders WHERE holder = $1`, id)
	return mapErr("remove KEK holder", err)
}
